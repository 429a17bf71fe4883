//===- OnnxModelParser_test.cpp - Parsing models without copying weights --===//
#include "frontend/onnx/OnnxModelParser.h"
#include "frontend/onnx/OnnxTestModel.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::testing;

TEST_CASE("onnx parser leaves initializer bytes in the input", "[onnx][parser]") {
  OnnxTestModel M;
  M.input("x", {2}).output("y");
  M.weight("a", {2}, {1.0f, 2.0f});
  onnx::TensorProto Typed;
  Typed.set_data_type(onnx::TensorProto::FLOAT);
  Typed.add_dims(1);
  Typed.add_float_data(3.0f);
  M.initializer("b", Typed);
  M.node("Constant", {}, {"c"}, "c").attr("value", floatTensor({1}, {4.0f}));
  std::string Bytes = M.bytes();

  ParsedOnnxModel P;
  REQUIRE(parseOnnxModel(Bytes, P));
  const onnx::GraphProto &G = P.Model.graph();
  REQUIRE(G.initializer_size() == 2);
  REQUIRE(P.InitializerData.size() == 2);
  // raw_data is a view into Bytes, and is gone from the proto.
  REQUIRE(P.InitializerData[0]);
  CHECK(!G.initializer(0).has_raw_data());
  CHECK(P.InitializerData[0]->size() == 8);
  CHECK(reinterpret_cast<const char *>(P.InitializerData[0]->data()) >= Bytes.data());
  CHECK(reinterpret_cast<const char *>(P.InitializerData[0]->data()) < Bytes.data() + Bytes.size());
  float First;
  std::memcpy(&First, P.InitializerData[0]->data(), 4);
  CHECK(First == 1.0f);
  // Typed fields and tensors outside graph.initializer parse as usual.
  CHECK(!P.InitializerData[1]);
  CHECK(G.initializer(1).float_data(0) == 3.0f);
  CHECK(G.node(0).attribute(0).t().raw_data().size() == 4);
  // Everything else is as protobuf parses it.
  onnx::ModelProto Full;
  REQUIRE(Full.ParseFromString(Bytes));
  Full.mutable_graph()->mutable_initializer(0)->clear_raw_data();
  CHECK(Full.SerializeAsString() == P.Model.SerializeAsString());
}

TEST_CASE("onnx parser keeps protobuf's merge of repeated graph fields", "[onnx][parser]") {
  OnnxTestModel A, B;
  A.weight("a", {1}, {1.0f});
  B.weight("b", {1}, {2.0f});
  onnx::ModelProto Graphs;
  *Graphs.mutable_graph() = B.proto().graph();
  std::string Bytes = A.bytes() + Graphs.SerializeAsString();
  ParsedOnnxModel P;
  REQUIRE(parseOnnxModel(Bytes, P));
  REQUIRE(P.Model.graph().initializer_size() == 2);
  CHECK(P.Model.graph().initializer(1).name() == "b");
  float Second;
  std::memcpy(&Second, P.InitializerData[1]->data(), 4);
  CHECK(Second == 2.0f);
}

TEST_CASE("onnx parser rejects malformed data", "[onnx][parser]") {
  std::string Bytes = OnnxTestModel().bytes();
  ParsedOnnxModel P;
  CHECK(!parseOnnxModel(Bytes.substr(0, Bytes.size() - 1), P));
  ParsedOnnxModel Q;
  CHECK(!parseOnnxModel(std::string("\x3a\x7f", 2), Q));
  ParsedOnnxModel R;
  CHECK(!parseOnnxModel(std::string("\x00", 1), R));
}
