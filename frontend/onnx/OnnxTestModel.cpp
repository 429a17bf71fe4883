//===- OnnxTestModel.cpp - Building small ONNX models in tests ------------===//
#include "frontend/onnx/OnnxTestModel.h"

#include "frontend/onnx/OnnxImporter.h"
#include "ir/Verifier.h"
#include "ir/text/Printer.h"

#include <cstring>

namespace qatc {
namespace testing {

OnnxNodeBuilder &OnnxNodeBuilder::attr(const std::string &Name, int64_t V) {
  onnx::AttributeProto *A = N->add_attribute();
  A->set_name(Name);
  A->set_type(onnx::AttributeProto::INT);
  A->set_i(V);
  return *this;
}

OnnxNodeBuilder &OnnxNodeBuilder::attr(const std::string &Name, float V) {
  onnx::AttributeProto *A = N->add_attribute();
  A->set_name(Name);
  A->set_type(onnx::AttributeProto::FLOAT);
  A->set_f(V);
  return *this;
}

OnnxNodeBuilder &OnnxNodeBuilder::attr(const std::string &Name, std::vector<int64_t> V) {
  onnx::AttributeProto *A = N->add_attribute();
  A->set_name(Name);
  A->set_type(onnx::AttributeProto::INTS);
  for (int64_t X : V)
    A->add_ints(X);
  return *this;
}

OnnxNodeBuilder &OnnxNodeBuilder::attr(const std::string &Name, const std::string &V) {
  onnx::AttributeProto *A = N->add_attribute();
  A->set_name(Name);
  A->set_type(onnx::AttributeProto::STRING);
  A->set_s(V);
  return *this;
}

OnnxNodeBuilder &OnnxNodeBuilder::attr(const std::string &Name, const onnx::TensorProto &V) {
  onnx::AttributeProto *A = N->add_attribute();
  A->set_name(Name);
  A->set_type(onnx::AttributeProto::TENSOR);
  *A->mutable_t() = V;
  return *this;
}

OnnxNodeBuilder &OnnxNodeBuilder::domain(const std::string &D) {
  N->set_domain(D);
  return *this;
}

onnx::TensorProto floatTensor(std::vector<int64_t> Dims, std::vector<float> Values) {
  onnx::TensorProto T;
  T.set_data_type(onnx::TensorProto::FLOAT);
  int64_t N = 1;
  for (int64_t D : Dims) {
    T.add_dims(D);
    N *= D;
  }
  if (Values.empty())
    for (int64_t I = 0; I < N; ++I)
      Values.push_back(float(I));
  T.set_raw_data(std::string(reinterpret_cast<const char *>(Values.data()), Values.size() * 4));
  return T;
}

onnx::TensorProto int64Tensor(std::vector<int64_t> Dims, std::vector<int64_t> Values) {
  onnx::TensorProto T;
  T.set_data_type(onnx::TensorProto::INT64);
  for (int64_t D : Dims)
    T.add_dims(D);
  T.set_raw_data(std::string(reinterpret_cast<const char *>(Values.data()), Values.size() * 8));
  return T;
}

OnnxTestModel::OnnxTestModel(int64_t Opset) {
  Model.set_ir_version(7);
  Model.set_producer_name("qatc-test");
  onnx::OperatorSetIdProto *Op = Model.add_opset_import();
  Op->set_domain("");
  Op->set_version(Opset);
  Model.mutable_graph()->set_name("test");
}

OnnxTestModel &OnnxTestModel::input(const std::string &Name, std::vector<int64_t> Dims,
                                    int32_t ElemType) {
  onnx::ValueInfoProto *V = Model.mutable_graph()->add_input();
  V->set_name(Name);
  onnx::TypeProto::Tensor *T = V->mutable_type()->mutable_tensor_type();
  T->set_elem_type(ElemType);
  onnx::TensorShapeProto *S = T->mutable_shape();
  for (int64_t D : Dims) {
    if (D < 0)
      S->add_dim()->set_dim_param("N");
    else
      S->add_dim()->set_dim_value(D);
  }
  return *this;
}

OnnxTestModel &OnnxTestModel::output(const std::string &Name) {
  Model.mutable_graph()->add_output()->set_name(Name);
  return *this;
}

OnnxTestModel &OnnxTestModel::initializer(const std::string &Name, onnx::TensorProto T) {
  T.set_name(Name);
  *Model.mutable_graph()->add_initializer() = std::move(T);
  return *this;
}

OnnxTestModel &OnnxTestModel::weight(const std::string &Name, std::vector<int64_t> Dims,
                                     std::vector<float> Values) {
  return initializer(Name, floatTensor(std::move(Dims), std::move(Values)));
}

OnnxTestModel &OnnxTestModel::ints(const std::string &Name, std::vector<int64_t> Values) {
  int64_t N = Values.size();
  return initializer(Name, int64Tensor({N}, std::move(Values)));
}

OnnxNodeBuilder OnnxTestModel::node(const std::string &OpType, std::vector<std::string> Inputs,
                                    std::vector<std::string> Outputs, const std::string &Name) {
  onnx::NodeProto *N = Model.mutable_graph()->add_node();
  N->set_op_type(OpType);
  N->set_name(Name);
  for (const std::string &I : Inputs)
    N->add_input(I);
  for (const std::string &O : Outputs)
    N->add_output(O);
  return OnnxNodeBuilder(N);
}

std::string OnnxTestModel::bytes() const { return Model.SerializeAsString(); }

llvm::Expected<std::unique_ptr<Graph>> OnnxTestModel::import(const ImportOptions &Opts,
                                                             const std::string &File,
                                                             const std::string &BaseDir) const {
  std::string Bytes = bytes();
  return importOnnxBuffer(Bytes, File, BaseDir, Opts);
}

std::string importText(const OnnxTestModel &Model, const ImportOptions &Opts) {
  auto G = Model.import(Opts);
  if (!G)
    return llvm::toString(G.takeError());
  if (llvm::Error E = verify(**G))
    return "the imported graph does not verify: " + llvm::toString(std::move(E));
  PrintOptions P;
  P.ElideParamsAbove = 0;
  P.PrintLocations = false;
  return printGraphToString(**G, P);
}

std::string importCalls(const OnnxTestModel &Model, const ImportOptions &Opts) {
  std::string Text = importText(Model, Opts);
  if (!llvm::StringRef(Text).startswith("graph @"))
    return Text;
  std::string Calls;
  llvm::SmallVector<llvm::StringRef, 32> Lines;
  llvm::StringRef(Text).split(Lines, '\n');
  for (llvm::StringRef L : Lines) {
    L = L.trim();
    if (L.startswith("%") && !L.contains(" = placeholder ") && !L.contains(" = get_attr "))
      Calls += L.str() + "\n";
  }
  return Calls;
}

std::string importError(const std::string &Bytes, const std::string &File,
                        const ImportOptions &Opts, const std::string &BaseDir) {
  auto G = importOnnxBuffer(Bytes, File, BaseDir, Opts);
  return G ? "" : llvm::toString(G.takeError());
}

} // namespace testing
} // namespace qatc
