//===- OnnxNodeContext.h - What an op mapping sees of one ONNX node -*- C++ -*-===//
//
// The op mappings (OnnxOpMapping.cpp) translate one ONNX node at a time
// through this interface: its attributes, its inputs (graph values or
// constants known at import time), a way to create QIR calls, and the
// values its outputs take. Errors the mappings return are plain sentences
// about the node; the importer prefixes the file and node name. The methods
// are defined in OnnxGraphImporter.cpp, next to the state they use.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXNODECONTEXT_H
#define QATC_FRONTEND_ONNX_ONNXNODECONTEXT_H

#include "frontend/onnx/OnnxAttributes.h"
#include "frontend/onnx/OnnxTensor.h"
#include "ir/Node.h"

#include "llvm/ADT/SmallVector.h"

namespace qatc {

class OnnxGraphImporter;

/// A value of the ONNX graph: a QIR node, or a constant known at import time.
struct OnnxValue {
  Node *N = nullptr;
  ConstTensorRef C;
};

/// Axis in [-Rank, Rank) as a non-negative index, or an error naming What.
llvm::Expected<int64_t> normalizeAxis(int64_t Axis, int64_t Rank, llvm::StringRef What = "axis");

/// An axis in [-Rank, Rank] at which dims split in two (Flatten), as a
/// non-negative index.
llvm::Expected<int64_t> normalizeSplitPoint(int64_t Axis, int64_t Rank);

/// One ONNX node being imported.
class OnnxNodeContext {
public:
  OnnxNodeContext(OnnxGraphImporter &Importer, const onnx::NodeProto &Proto,
                  llvm::SmallVector<OnnxValue, 4> Inputs)
      : Importer(Importer), Proto(Proto), Attrs(Proto), Inputs(std::move(Inputs)) {}

  const onnx::NodeProto &proto() const { return Proto; }
  /// The model's opset for the default ONNX domain.
  int64_t opset() const;
  OnnxAttributes &attrs() { return Attrs; }

  /// Number of input slots, including empty (omitted optional) ones.
  unsigned numInputs() const { return Inputs.size(); }
  /// True when input I is given.
  bool hasInput(unsigned I) const { return I < Inputs.size() && (Inputs[I].N || Inputs[I].C); }
  /// True when every given input is a constant.
  bool allInputsConstant() const;
  /// The constant value of input I, or null when it is computed at run time
  /// or absent.
  const ConstTensorRef &constInput(unsigned I) const;
  /// Input I, which must be a constant; otherwise an error saying What it is.
  llvm::Expected<ConstTensorRef> requireConstant(unsigned I, llvm::StringRef What) const;
  /// The values of input I, which must be an integer constant.
  llvm::Expected<std::vector<int64_t>> constantInts(unsigned I, llvm::StringRef What) const;
  /// The type of the given input I.
  Type inputType(unsigned I) const;
  /// Input I as a node; a constant becomes a parameter read by get_attr.
  Node *input(unsigned I);
  /// The int list a node takes as attribute Attr before opset SinceOpset
  /// and as constant input Input from then on (Squeeze axes, Split sizes);
  /// nullopt when absent.
  llvm::Expected<std::optional<std::vector<int64_t>>>
  intsFromAttrOrInput(llvm::StringRef Attr, unsigned Input, int64_t SinceOpset);

  /// The tensor attribute Name read like an initializer, or null when absent.
  llvm::Expected<ConstTensorRef> tensorAttr(llvm::StringRef Name);

  /// A get_attr node for a constant made by the mapping (such as a
  /// transposed weight); it becomes a parameter like an initializer.
  Node *constant(ConstTensorRef C);

  /// Creates a call of the QIR op OpName with inferred result type, named
  /// after this node (docs/frontends.md).
  llvm::Expected<Node *> call(llvm::StringRef OpName, llvm::ArrayRef<Node *> Operands,
                              llvm::SmallVector<NamedAttribute, 0> Attrs = {});

  /// Number of output slots.
  unsigned numOutputs() const { return Proto.output_size(); }
  /// True when output I exists and a later node or the graph output reads it.
  bool isOutputUsed(unsigned I) const;
  /// Sets output I (ignored when the slot is empty).
  void setOutput(unsigned I, Node *N) { setOutput(I, OnnxValue{N, nullptr}); }
  void setOutput(unsigned I, ConstTensorRef C) { setOutput(I, OnnxValue{nullptr, std::move(C)}); }

private:
  void setOutput(unsigned I, OnnxValue V);

  OnnxGraphImporter &Importer;
  const onnx::NodeProto &Proto;
  OnnxAttributes Attrs;
  llvm::SmallVector<OnnxValue, 4> Inputs;
};

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXNODECONTEXT_H
