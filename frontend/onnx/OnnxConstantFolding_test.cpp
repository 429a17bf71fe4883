//===- OnnxConstantFolding_test.cpp - Folding shape arithmetic ------------===//
//
// The shape sub-graphs torch.onnx writes fold to static attributes when
// input shapes are static; constant computations give the right values;
// folds that cannot happen, or would be too large, fail cleanly.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxTestModel.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::testing;

namespace {

using Ints = std::vector<int64_t>;

/// Adds a Constant node named after its output holding an int64 tensor.
void constant(OnnxTestModel &M, const std::string &Name, Ints Dims, Ints Values) {
  M.node("Constant", {}, {Name}, "/" + Name + "/Constant")
      .attr("value", int64Tensor(std::move(Dims), std::move(Values)));
}

/// The data of the parameter an output constant became.
template <typename T> std::vector<T> paramValues(const OnnxTestModel &M, llvm::StringRef Param) {
  auto G = M.import();
  REQUIRE_OK(G);
  Parameter *P = (*G)->lookupParameter(Param);
  REQUIRE(P);
  llvm::ArrayRef<T> V = P->values<T>();
  return std::vector<T>(V.begin(), V.end());
}

/// The shape sub-graph of torch's `x.view(x.size(0), -1)`.
OnnxTestModel flattenView(Ints XDims) {
  OnnxTestModel M;
  M.input("x", std::move(XDims)).output("y");
  M.node("Shape", {"x"}, {"s"}, "/Shape");
  constant(M, "zero", {}, {0});
  M.node("Gather", {"s", "zero"}, {"batch"}, "/Gather").attr("axis", int64_t(0));
  constant(M, "axes", {1}, {0});
  M.node("Unsqueeze", {"batch", "axes"}, {"batch1"}, "/Unsqueeze");
  constant(M, "rest", {1}, {-1});
  M.node("Concat", {"batch1", "rest"}, {"shape"}, "/Concat").attr("axis", int64_t(0));
  M.node("Reshape", {"x", "shape"}, {"y"}, "/Reshape");
  return M;
}

} // namespace

TEST_CASE("folding: torch.chunk's Shape/Gather/Add/Div/Mul feeding Slice", "[onnx][fold]") {
  OnnxTestModel M;
  M.input("x", {1, 4, 2, 2}).output("y0").output("y1");
  M.node("Shape", {"x"}, {"s"}, "/stage/Shape");
  constant(M, "one", {1}, {1});
  M.node("Gather", {"s", "one"}, {"c"}, "/stage/Gather").attr("axis", int64_t(0));
  constant(M, "zero", {1}, {0});
  M.node("Add", {"c", "one"}, {"c1"}, "/stage/Add");
  constant(M, "two", {1}, {2});
  M.node("Div", {"c1", "two"}, {"half"}, "/stage/Div");
  M.node("Mul", {"half", "one"}, {"end0"}, "/stage/Mul");
  M.node("Slice", {"x", "zero", "end0", "one"}, {"y0"}, "/stage/Slice");
  M.node("Mul", {"half", "two"}, {"end1"}, "/stage/Mul_1");
  M.node("Slice", {"x", "end0", "end1", "one"}, {"y1"}, "/stage/Slice_1");
  CHECK(importCalls(M) == "%stage = slice(%x) {dim = 1, end = 2} : f32[1, 2, 2, 2]\n"
                          "%stage_1 = slice(%x) {dim = 1, end = 4, start = 2} : f32[1, 2, 2, 2]\n");
}

TEST_CASE("folding: Shape/Gather/Unsqueeze/Concat feeding Reshape", "[onnx][fold]") {
  SECTION("static input") {
    CHECK(importCalls(flattenView({1, 4, 2, 2})) ==
          "%reshape = reshape(%x) {shape = [1, -1]} : f32[1, 16]\n");
  }
  SECTION("a dynamic input cannot fold") {
    CHECK(importText(flattenView({-1, 4, 2, 2})) ==
          "test.onnx: node '/Shape' (Shape): the shape of its input (f32[?, 4, 2, 2]) is not "
          "static, so the shape computation cannot be folded; give the input shapes with "
          "--input-shape NAME=DIMS");
  }
  SECTION("--input-shape makes it static") {
    ImportOptions Opts;
    Opts.InputShapes["x"] = {3, 4, 2, 2};
    CHECK(importCalls(flattenView({-1, 4, 2, 2}), Opts) ==
          "%reshape = reshape(%x) {shape = [3, -1]} : f32[3, 16]\n");
  }
}

TEST_CASE("folding: Shape with start and end (opset 15)", "[onnx][fold]") {
  OnnxTestModel M(15);
  M.input("x", {2, 3, 4, 5}).output("s");
  M.node("Shape", {"x"}, {"s"}, "shape").attr("start", int64_t(1)).attr("end", int64_t(-1));
  CHECK(paramValues<int64_t>(M, "s") == Ints{3, 4});
  // The shape of a scalar is empty (found by the fuzzer).
  OnnxTestModel S;
  S.input("x", {}).output("s");
  S.node("Shape", {"x"}, {"s"}, "shape");
  CHECK(paramValues<int64_t>(S, "s").empty());
}

TEST_CASE("folding: Range, Cast, ConstantOfShape, Floor", "[onnx][fold]") {
  OnnxTestModel M;
  M.input("x", {1}).output("r").output("f").output("c").output("fl");
  constant(M, "start", {}, {0});
  constant(M, "limit", {}, {5});
  constant(M, "delta", {}, {2});
  M.node("Range", {"start", "limit", "delta"}, {"r"}, "range");
  M.node("Cast", {"r"}, {"f"}, "cast").attr("to", int64_t(onnx::TensorProto::FLOAT));
  constant(M, "shape", {2}, {2, 3});
  M.node("ConstantOfShape", {"shape"}, {"c"}, "cos").attr("value", floatTensor({1}, {1.5f}));
  M.node("Constant", {}, {"v"}, "v").attr("value", floatTensor({2}, {1.7f, -1.2f}));
  M.node("Floor", {"v"}, {"fl"}, "floor");
  CHECK(paramValues<int64_t>(M, "r") == Ints{0, 2, 4});
  CHECK(paramValues<float>(M, "f") == std::vector<float>{0, 2, 4});
  CHECK(paramValues<float>(M, "c") == std::vector<float>(6, 1.5f));
  CHECK(paramValues<float>(M, "fl") == std::vector<float>{1, -2});
}

TEST_CASE("folding: Range near the int64 limits (found by the fuzzer)", "[onnx][fold]") {
  OnnxTestModel M;
  M.input("x", {1}).output("r");
  int64_t Big = int64_t(1) << 62;
  constant(M, "start", {}, {-Big});
  constant(M, "limit", {}, {Big});
  constant(M, "delta", {}, {Big / 2});
  M.node("Range", {"start", "limit", "delta"}, {"r"}, "range");
  CHECK(paramValues<int64_t>(M, "r") == Ints{-Big, -Big / 2, 0, Big / 2});
}

TEST_CASE("folding: data movement on constants", "[onnx][fold]") {
  OnnxTestModel M;
  M.input("x", {1}).output("t").output("s").output("c").output("g");
  M.weight("w", {2, 3}); // 0 1 2 / 3 4 5
  M.node("Transpose", {"w"}, {"t"}, "transpose");
  M.weight("v", {10});
  constant(M, "starts", {1}, {-1});
  constant(M, "ends", {1}, {-100});
  constant(M, "axes", {1}, {0});
  constant(M, "steps", {1}, {-3});
  M.node("Slice", {"v", "starts", "ends", "axes", "steps"}, {"s"}, "slice");
  M.node("Concat", {"w", "w"}, {"c"}, "concat").attr("axis", int64_t(1));
  constant(M, "idx", {2}, {2, 0});
  M.node("Gather", {"w", "idx"}, {"g"}, "gather").attr("axis", int64_t(1));
  CHECK(paramValues<float>(M, "t") == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(paramValues<float>(M, "s") == std::vector<float>{9, 6, 3, 0});
  CHECK(paramValues<float>(M, "c") == std::vector<float>{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  CHECK(paramValues<float>(M, "g") == std::vector<float>{2, 0, 5, 3});
}

TEST_CASE("folding: constant float arithmetic feeds a parameter", "[onnx][fold]") {
  OnnxTestModel M;
  M.input("x", {2}).output("y");
  M.node("Constant", {}, {"a"}, "a").attr("value", floatTensor({}, {2.0f}));
  M.node("Constant", {}, {"b"}, "b").attr("value", floatTensor({2}, {3.0f, 0.5f}));
  M.node("Mul", {"a", "b"}, {"ab"}, "/Mul");
  M.node("Add", {"x", "ab"}, {"y"}, "/Add");
  CHECK(importCalls(M) == "%add = add(%x, %add.rhs) : f32[2]\n");
  CHECK(paramValues<float>(M, "add.rhs") == std::vector<float>{6.0f, 1.0f});
}

TEST_CASE("folding: reshapes of constants share the data", "[onnx][fold]") {
  OnnxTestModel M;
  M.input("x", {1}).output("r").output("u");
  M.weight("w", {2, 3});
  constant(M, "shape", {2}, {3, 0});
  M.node("Reshape", {"w", "shape"}, {"r"}, "reshape").attr("allowzero", int64_t(0));
  constant(M, "axes", {1}, {0});
  M.node("Unsqueeze", {"w", "axes"}, {"u"}, "unsqueeze");
  SECTION("0 copies a dim, so [3, 0] of [2, 3] is [3, 3]: an error") {
    CHECK(importText(M) == "test.onnx: node 'reshape' (Reshape): cannot reshape [2, 3] into [3, "
                           "0]");
  }
  SECTION("valid shapes") {
    M.proto().mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_t()->set_raw_data(
        std::string("\x02\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff", 16));
    auto G = M.import();
    REQUIRE_OK(G);
    CHECK((*G)->lookupParameter("r")->type().str() == "f32[2, 3]");
    CHECK((*G)->lookupParameter("u")->type().str() == "f32[1, 2, 3]");
    CHECK((*G)->lookupParameter("u")->values<float>()[5] == 5.0f);
  }
}

TEST_CASE("folding: errors and limits", "[onnx][fold]") {
  OnnxTestModel M;
  M.input("x", {1}).output("y");
  SECTION("ConstantOfShape of a huge shape is refused, not allocated") {
    constant(M, "shape", {2}, {1000000, 1000000});
    M.node("ConstantOfShape", {"shape"}, {"y"}, "cos");
    CHECK(importText(M) == "test.onnx: node 'cos' (ConstantOfShape): the result would have more "
                           "than 1048576 elements, more than qatc computes at import time");
  }
  SECTION("a huge Range is refused") {
    constant(M, "start", {}, {0});
    constant(M, "limit", {}, {INT64_MAX});
    constant(M, "delta", {}, {1});
    M.node("Range", {"start", "limit", "delta"}, {"y"}, "range");
    CHECK(importText(M) == "test.onnx: node 'range' (Range): the range would have more than "
                           "1048576 elements, more than qatc computes at import time");
  }
  SECTION("division by zero") {
    constant(M, "a", {1}, {1});
    constant(M, "b", {1}, {0});
    M.node("Div", {"a", "b"}, {"y"}, "div");
    CHECK(importText(M) ==
          "test.onnx: node 'div' (Div): division by zero in a constant computation");
  }
  SECTION("overflow") {
    constant(M, "a", {1}, {INT64_MAX});
    constant(M, "b", {1}, {2});
    M.node("Mul", {"a", "b"}, {"y"}, "mul");
    CHECK(importText(M) ==
          "test.onnx: node 'mul' (Mul): Mul of 9223372036854775807 and 2 overflows int64");
  }
  SECTION("index out of range") {
    constant(M, "a", {3}, {1, 2, 3});
    constant(M, "i", {}, {5});
    M.node("Gather", {"a", "i"}, {"y"}, "gather");
    CHECK(importText(M) ==
          "test.onnx: node 'gather' (Gather): index 5 is out of range for a dim of size 3");
  }
  SECTION("constant-only ops on constants folding does not cover") {
    onnx::TensorProto Half;
    Half.set_data_type(onnx::TensorProto::FLOAT16);
    Half.add_int32_data(0x3c00);
    M.initializer("h", Half);
    M.node("Floor", {"h"}, {"y"}, "floor");
    CHECK(importText(M) == "test.onnx: node 'floor' (Floor): qatc cannot evaluate Floor on these "
                           "constants: their element type is not supported or the result is too "
                           "large");
  }
  SECTION("constant-only ops on run-time values") {
    constant(M, "limit", {}, {5});
    constant(M, "delta", {}, {1});
    M.input("n", {}, onnx::TensorProto::INT64);
    M.node("Range", {"n", "limit", "delta"}, {"y"}, "range");
    CHECK(importText(M) ==
          "test.onnx: node 'range' (Range): qatc evaluates Range only on constants, but an "
          "input is computed at run time; if it derives from input shapes, give them with "
          "--input-shape NAME=DIMS");
  }
}
