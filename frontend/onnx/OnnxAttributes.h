//===- OnnxAttributes.h - Typed access to ONNX node attributes --*- C++ -*-===//
//
// Reads a NodeProto's attributes by name with defaults. A missing attribute
// gives the default; one of the wrong kind records an error (the first one
// is kept) and gives the default too, so op mappings read attributes without
// checking each call and the importer reports the error once. Floats follow
// docs/frontends.md: the double with the shortest decimal spelling of the
// float32.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXATTRIBUTES_H
#define QATC_FRONTEND_ONNX_ONNXATTRIBUTES_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace qatc {

/// The double whose shortest decimal spelling is that of the float32 F
/// (1e-5f -> 1e-05, not 1.0000000656873453e-05).
double shortestDouble(float F);

/// 1 - M computed on the shortest decimal spelling of the float32 M, so an
/// ONNX batch-norm momentum 0.9 becomes PyTorch's 0.1 exactly.
double oneMinusShortest(float M);

/// The attributes of one ONNX node.
class OnnxAttributes {
public:
  explicit OnnxAttributes(const onnx::NodeProto &N) : Node(N) {}
  ~OnnxAttributes() { llvm::consumeError(std::move(Err)); }

  /// True when the node sets Name.
  bool has(llvm::StringRef Name) const { return find(Name) != nullptr; }
  int64_t getInt(llvm::StringRef Name, int64_t Default);
  /// The float32 value as written.
  float getRawFloat(llvm::StringRef Name, float Default);
  /// The value as canonical QIR stores it (shortestDouble).
  double getFloat(llvm::StringRef Name, float Default) {
    return shortestDouble(getRawFloat(Name, Default));
  }
  std::vector<int64_t> getInts(llvm::StringRef Name, std::vector<int64_t> Default = {});
  std::string getString(llvm::StringRef Name, llvm::StringRef Default);
  /// The tensor value of Name, or null.
  const onnx::TensorProto *getTensor(llvm::StringRef Name);

  /// The first error met (attribute of the wrong kind), or success.
  llvm::Error takeError() { return std::move(Err); }

private:
  const onnx::AttributeProto *find(llvm::StringRef Name) const;
  /// The attribute Name when it has kind Kind; records an error if it has
  /// another kind.
  const onnx::AttributeProto *get(llvm::StringRef Name, onnx::AttributeProto::AttributeType Kind);

  const onnx::NodeProto &Node;
  llvm::Error Err = llvm::Error::success();
};

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXATTRIBUTES_H
