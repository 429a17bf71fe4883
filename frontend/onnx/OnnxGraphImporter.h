//===- OnnxGraphImporter.h - Building QIR from a parsed ONNX model -*- C++ -*-===//
//
// Walks the nodes of a parsed ModelProto in order, keeping for every ONNX
// value either the QIR node computing it or its constant value, and maps
// each node through the op table (OnnxOpMapping.cpp), folding shape
// arithmetic on the way. Node and parameter names are settled at the end,
// when every op is known (docs/frontends.md): call nodes take module-path
// names from ModuleNamer, constants become parameters named after their
// initializer or, when anonymous, after their first consumer and operand.
//
// Locations: every node created for ONNX node number K (1-based, in
// graph.node order) gets loc("<model path>":K:1); graph inputs have none.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXGRAPHIMPORTER_H
#define QATC_FRONTEND_ONNX_ONNXGRAPHIMPORTER_H

#include "frontend/Importer.h"
#include "frontend/onnx/OnnxExternalData.h"
#include "frontend/onnx/OnnxModelParser.h"
#include "frontend/onnx/OnnxNodeContext.h"
#include "ir/Builder.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

namespace qatc {

/// Imports the graph of one parsed model.
class OnnxGraphImporter {
public:
  /// File names the model in messages and locations; external data is
  /// found relative to BaseDir. Opset is the default domain's version.
  OnnxGraphImporter(const ParsedOnnxModel &Model, llvm::StringRef File, llvm::StringRef BaseDir,
                    int64_t Opset, const ImportOptions &Opts);

  /// Builds the graph (not yet canonicalized).
  llvm::Expected<std::unique_ptr<Graph>> run();

private:
  friend class OnnxNodeContext;

  /// One constant read through get_attr, becoming a parameter at the end.
  struct PendingParam {
    Node *GetAttr;
    ConstTensorRef Value;
    /// The first call reading it, and as which operand.
    Node *Consumer = nullptr;
    unsigned Operand = 0;
    std::string ValueName;
  };
  /// One call node with what its name derives from.
  struct CallName {
    Node *N;
    std::optional<std::string> ModulePath;
    std::string OnnxName;
  };

  llvm::Error error(const llvm::Twine &Msg) const;
  llvm::Error checkOps() const;
  llvm::Error importInputs();
  llvm::Error importNode(const onnx::NodeProto &Proto, unsigned Index);
  llvm::Error importOutputs();
  void nameNodes();
  void createParameters();

  /// The value named Name (nullopt when nothing defines it), reading an
  /// initializer on first use.
  llvm::Expected<std::optional<OnnxValue>> lookup(llvm::StringRef Name);
  /// The get_attr node reading C (created on first use); ValueName is the
  /// ONNX value it came from, naming an anonymous constant no call reads.
  Node *materialize(const ConstTensorRef &C, llvm::StringRef ValueName);
  /// Records a new call for naming and its constant operands' consumer.
  llvm::Error recordCall(Node *N);
  /// An error when a type has a dim above kMaxDim or too many elements.
  llvm::Error checkTypeBounds(const Type &T) const;

  const ParsedOnnxModel &Model;
  const onnx::GraphProto &Proto;
  std::string File;
  int64_t Opset;
  const ImportOptions &Opts;
  OnnxExternalData External;
  std::unique_ptr<Graph> G;
  Builder B;

  llvm::StringMap<OnnxValue> Values;
  /// Initializers by name, as indices into graph.initializer.
  llvm::StringMap<int> Initializers;
  /// Every value some node or the graph output reads.
  llvm::StringSet<> UsedValues;
  std::vector<PendingParam> Params;
  llvm::DenseMap<const ConstTensor *, size_t> ParamOfConstant;
  llvm::DenseMap<const Node *, size_t> ParamOfGetAttr;
  std::vector<CallName> Calls;

  /// The node being imported.
  const onnx::NodeProto *Current = nullptr;
  std::optional<std::string> CurrentPath;
  Location CurrentLoc;
};

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXGRAPHIMPORTER_H
