//===- OnnxTestModel.h - Building small ONNX models in tests ----*- C++ -*-===//
//
// Assembles ModelProtos from inputs, initializers and nodes, serializes them
// and imports the bytes with importOnnxBuffer, so each importer test states
// its model in a few lines and compares the printed QIR.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXTESTMODEL_H
#define QATC_FRONTEND_ONNX_ONNXTESTMODEL_H

#include "frontend/Importer.h"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace qatc {
namespace testing {

/// Adds attributes to a node under construction.
class OnnxNodeBuilder {
public:
  explicit OnnxNodeBuilder(onnx::NodeProto *N) : N(N) {}
  OnnxNodeBuilder &attr(const std::string &Name, int64_t V);
  OnnxNodeBuilder &attr(const std::string &Name, float V);
  OnnxNodeBuilder &attr(const std::string &Name, std::vector<int64_t> V);
  OnnxNodeBuilder &attr(const std::string &Name, const std::string &V);
  OnnxNodeBuilder &attr(const std::string &Name, const onnx::TensorProto &V);
  /// Sets the node's domain.
  OnnxNodeBuilder &domain(const std::string &D);

private:
  onnx::NodeProto *N;
};

/// A float32 tensor in raw_data; Values defaults to 0, 1, 2, ...
onnx::TensorProto floatTensor(std::vector<int64_t> Dims, std::vector<float> Values = {});
/// An int64 tensor in raw_data.
onnx::TensorProto int64Tensor(std::vector<int64_t> Dims, std::vector<int64_t> Values);

/// A model under construction.
class OnnxTestModel {
public:
  /// A model importing the default domain at Opset.
  explicit OnnxTestModel(int64_t Opset = 13);

  /// A graph input; dims of -1 become the symbolic dim "N".
  OnnxTestModel &input(const std::string &Name, std::vector<int64_t> Dims,
                       int32_t ElemType = onnx::TensorProto::FLOAT);
  OnnxTestModel &output(const std::string &Name);
  /// An initializer named Name holding T.
  OnnxTestModel &initializer(const std::string &Name, onnx::TensorProto T);
  /// Shorthand for a float32 initializer.
  OnnxTestModel &weight(const std::string &Name, std::vector<int64_t> Dims,
                        std::vector<float> Values = {});
  /// Shorthand for an int64 initializer.
  OnnxTestModel &ints(const std::string &Name, std::vector<int64_t> Values);
  /// Appends a node.
  OnnxNodeBuilder node(const std::string &OpType, std::vector<std::string> Inputs,
                       std::vector<std::string> Outputs, const std::string &Name = "");

  onnx::ModelProto &proto() { return Model; }
  /// The serialized model.
  std::string bytes() const;
  /// Imports the bytes as File (external data resolved relative to BaseDir).
  llvm::Expected<std::unique_ptr<Graph>> import(const ImportOptions &Opts = {},
                                                const std::string &File = "test.onnx",
                                                const std::string &BaseDir = ".") const;

private:
  onnx::ModelProto Model;
};

/// Imports Model and returns the verified graph's text (parameters elided,
/// no locations), or the error message.
std::string importText(const OnnxTestModel &Model, const ImportOptions &Opts = {});
/// Like importText, but only the call lines, unindented ("%r = relu(%x) :
/// f32[2]\n" ...): what a single op mapping produced.
std::string importCalls(const OnnxTestModel &Model, const ImportOptions &Opts = {});
/// Imports raw bytes and returns the error message ("" on success).
std::string importError(const std::string &Bytes, const std::string &File = "test.onnx",
                        const ImportOptions &Opts = {}, const std::string &BaseDir = ".");

} // namespace testing
} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXTESTMODEL_H
