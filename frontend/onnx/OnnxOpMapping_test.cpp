//===- OnnxOpMapping_test.cpp - One test per ONNX op mapping --------------===//
//
// Each test imports a one- or two-node model and checks the QIR calls the
// mapping produced, including attribute corner cases (padding forms,
// auto_pad, groups, dilation, ceil mode, count_include_pad, transposes).
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxTestModel.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::testing;

namespace {

using Ints = std::vector<int64_t>;

/// A model with input x of XDims and output y.
OnnxTestModel model(Ints XDims, int64_t Opset = 13) {
  OnnxTestModel M(Opset);
  M.input("x", std::move(XDims)).output("y");
  return M;
}

/// The error of a model, without the "test.onnx: node 'n' (Op): " prefix.
std::string nodeError(const OnnxTestModel &M) {
  std::string E = importText(M);
  size_t Colon = E.find("): ");
  return Colon == std::string::npos ? E : E.substr(Colon + 3);
}

} // namespace

TEST_CASE("onnx Conv: padding, strides, groups, dilation", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 8, 8});
  M.weight("w", {4, 2, 3, 3});
  SECTION("symmetric padding and stride") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv")
        .attr("pads", Ints{1, 1, 1, 1})
        .attr("strides", Ints{2, 2});
    CHECK(importCalls(M) ==
          "%conv = conv2d(%x, %w) {padding = [1, 1], stride = [2, 2]} : f32[1, 4, 4, 4]\n");
  }
  SECTION("asymmetric padding: begins then ends") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("pads", Ints{0, 1, 2, 3});
    CHECK(importCalls(M) == "%conv = conv2d(%x, %w) {padding = [0, 1, 2, 3]} : f32[1, 4, 8, 10]\n");
  }
  SECTION("auto_pad SAME_UPPER puts the odd pixel at the end") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv")
        .attr("auto_pad", std::string("SAME_UPPER"))
        .attr("strides", Ints{2, 2});
    CHECK(importCalls(M) ==
          "%conv = conv2d(%x, %w) {padding = [0, 0, 1, 1], stride = [2, 2]} : f32[1, 4, 4, 4]\n");
  }
  SECTION("auto_pad SAME_LOWER puts it at the beginning") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv")
        .attr("auto_pad", std::string("SAME_LOWER"))
        .attr("strides", Ints{2, 2});
    CHECK(importCalls(M) ==
          "%conv = conv2d(%x, %w) {padding = [1, 1, 0, 0], stride = [2, 2]} : f32[1, 4, 4, 4]\n");
  }
  SECTION("auto_pad SAME with stride 1 is symmetric") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("auto_pad", std::string("SAME_UPPER"));
    CHECK(importCalls(M) == "%conv = conv2d(%x, %w) {padding = [1, 1]} : f32[1, 4, 8, 8]\n");
  }
  SECTION("auto_pad VALID") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("auto_pad", std::string("VALID"));
    CHECK(importCalls(M) == "%conv = conv2d(%x, %w) : f32[1, 4, 6, 6]\n");
  }
  SECTION("groups and bias") {
    OnnxTestModel G = model({1, 2, 8, 8});
    G.weight("w", {4, 1, 3, 3}).weight("b", {4});
    G.node("Conv", {"x", "w", "b"}, {"y"}, "conv").attr("group", int64_t(2));
    CHECK(importCalls(G) == "%conv = conv2d(%x, %w, %b) {groups = 2} : f32[1, 4, 6, 6]\n");
  }
  SECTION("dilation") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("dilations", Ints{2, 2});
    CHECK(importCalls(M) == "%conv = conv2d(%x, %w) {dilation = [2, 2]} : f32[1, 4, 4, 4]\n");
  }
  SECTION("default attributes are left out") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv")
        .attr("dilations", Ints{1, 1})
        .attr("group", int64_t(1))
        .attr("kernel_shape", Ints{3, 3})
        .attr("pads", Ints{0, 0, 0, 0})
        .attr("strides", Ints{1, 1});
    CHECK(importCalls(M) == "%conv = conv2d(%x, %w) : f32[1, 4, 6, 6]\n");
  }
  SECTION("auto_pad SAME needs static spatial dims") {
    OnnxTestModel D = model({1, 2, -1, 8});
    D.weight("w", {4, 2, 3, 3});
    D.node("Conv", {"x", "w"}, {"y"}, "conv").attr("auto_pad", std::string("SAME_UPPER"));
    CHECK(nodeError(D) == "auto_pad SAME_UPPER needs static spatial input dims, but the input is "
                          "f32[1, 2, ?, 8]; give the input shapes with --input-shape NAME=DIMS");
  }
  SECTION("kernel_shape must match the weight") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("kernel_shape", Ints{5, 5});
    CHECK(nodeError(M) == "'kernel_shape' does not match the weight f32[4, 2, 3, 3]");
  }
  SECTION("3-D convolution") {
    OnnxTestModel D = model({1, 2, 4, 4, 4});
    D.weight("w", {4, 2, 3, 3, 3});
    D.node("Conv", {"x", "w"}, {"y"}, "conv");
    CHECK(nodeError(D) ==
          "only 1-D and 2-D convolutions are supported, but the weight is f32[4, 2, 3, 3, 3]");
  }
  SECTION("bad auto_pad") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("auto_pad", std::string("SAME"));
    CHECK(nodeError(M) ==
          "'auto_pad' value 'SAME' is not one of NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  }
  SECTION("out-of-range attribute") {
    M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("strides", Ints{0, 1});
    CHECK(nodeError(M) == "'strides' value 0 is out of range");
  }
}

TEST_CASE("onnx Conv: 1-D", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 10});
  M.weight("w", {4, 2, 3});
  M.node("Conv", {"x", "w"}, {"y"}, "conv").attr("pads", Ints{1, 1});
  CHECK(importCalls(M) == "%conv = conv1d(%x, %w) {padding = [1]} : f32[1, 4, 10]\n");
}

TEST_CASE("onnx ConvTranspose", "[onnx][ops]") {
  OnnxTestModel M = model({1, 4, 5, 5});
  M.weight("w", {4, 2, 3, 3});
  SECTION("strides, pads and output_padding") {
    M.node("ConvTranspose", {"x", "w"}, {"y"}, "up")
        .attr("strides", Ints{2, 2})
        .attr("pads", Ints{1, 1, 1, 1})
        .attr("output_padding", Ints{1, 1});
    CHECK(importCalls(M) == "%up = conv_transpose2d(%x, %w) {output_padding = [1, 1], padding = "
                            "[1, 1], stride = [2, 2]} : f32[1, 2, 10, 10]\n");
  }
  SECTION("output_shape gives the padding") {
    M.node("ConvTranspose", {"x", "w"}, {"y"}, "up")
        .attr("strides", Ints{2, 2})
        .attr("output_shape", Ints{10, 10});
    CHECK(importCalls(M) == "%up = conv_transpose2d(%x, %w) {padding = [1, 1, 0, 0], stride = "
                            "[2, 2]} : f32[1, 2, 10, 10]\n");
  }
  SECTION("groups") {
    M.node("ConvTranspose", {"x", "w"}, {"y"}, "up").attr("group", int64_t(2));
    CHECK(importCalls(M) == "%up = conv_transpose2d(%x, %w) {groups = 2} : f32[1, 4, 7, 7]\n");
  }
}

TEST_CASE("onnx Gemm", "[onnx][ops]") {
  OnnxTestModel M = model({2, 3});
  SECTION("transB=1 is linear") {
    M.weight("fc.weight", {4, 3}).weight("fc.bias", {4});
    M.node("Gemm", {"x", "fc.weight", "fc.bias"}, {"y"}, "/fc/Gemm")
        .attr("alpha", 1.0f)
        .attr("beta", 1.0f)
        .attr("transB", int64_t(1));
    CHECK(importText(M) == R"(graph @test {
  param @fc.weight : f32[4, 3] = elided
  param @fc.bias : f32[4] = elided
  %x = placeholder : f32[2, 3]
  %fc.weight = get_attr @fc.weight : f32[4, 3]
  %fc.bias = get_attr @fc.bias : f32[4]
  %fc = linear(%x, %fc.weight, %fc.bias) : f32[2, 4]
  output(%fc)
}
)");
  }
  SECTION("transB=0 transposes the initializer into a new parameter") {
    M.weight("w", {3, 4});
    M.node("Gemm", {"x", "w"}, {"y"}, "/fc/Gemm");
    CHECK(importCalls(M) == "%fc = linear(%x, %fc.weight) : f32[2, 4]\n");
    auto G = M.import();
    REQUIRE_OK(G);
    llvm::ArrayRef<float> W = (*G)->lookupParameter("fc.weight")->values<float>();
    CHECK(std::vector<float>(W.begin(), W.begin() + 6) == std::vector<float>{0, 4, 8, 1, 5, 9});
  }
  SECTION("a [1, N] constant bias becomes [N]") {
    M.weight("w", {4, 3}).weight("onnx::Gemm_2", {1, 4});
    M.node("Gemm", {"x", "w", "onnx::Gemm_2"}, {"y"}, "/fc/Gemm").attr("transB", int64_t(1));
    CHECK(importText(M).find("param @fc.bias : f32[4]") != std::string::npos);
    CHECK(importCalls(M) == "%fc = linear(%x, %w, %fc.bias) : f32[2, 4]\n");
  }
  SECTION("alpha, beta and transA spell out the general form") {
    OnnxTestModel T = model({3, 2});
    T.weight("w", {4, 3}).weight("b", {4});
    T.node("Gemm", {"x", "w", "b"}, {"y"}, "gemm")
        .attr("alpha", 2.0f)
        .attr("beta", 0.5f)
        .attr("transA", int64_t(1))
        .attr("transB", int64_t(1));
    CHECK(importCalls(T) == "%gemm = permute(%x) {dims = [1, 0]} : f32[2, 3]\n"
                            "%gemm_1 = matmul(%gemm, %gemm_1.rhs) : f32[2, 4]\n"
                            "%gemm_2 = mul(%gemm_1, %gemm_2.rhs) : f32[2, 4]\n"
                            "%gemm_3 = mul(%b, %gemm_3.rhs) : f32[4]\n"
                            "%gemm_4 = add(%gemm_2, %gemm_3) : f32[2, 4]\n");
  }
}

TEST_CASE("onnx MatMul", "[onnx][ops]") {
  OnnxTestModel M = model({2, 3});
  M.weight("w", {3, 5});
  M.node("MatMul", {"x", "w"}, {"y"}, "/MatMul");
  CHECK(importCalls(M) == "%matmul = matmul(%x, %w) : f32[2, 5]\n");
}

TEST_CASE("onnx BatchNormalization: PyTorch's momentum and eps", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 4, 4});
  for (const char *P : {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"})
    M.weight(P, {2});
  Ints Unused;
  auto Node = [&]() {
    return M.node("BatchNormalization", {"x", "bn.weight", "bn.bias", "bn.running_mean",
                                          "bn.running_var"},
                  {"y"}, "/bn/BatchNormalization");
  };
  SECTION("PyTorch defaults (momentum 0.9 in ONNX) are left out") {
    Node().attr("epsilon", 1e-5f).attr("momentum", 0.9f);
    CHECK(importCalls(M) == "%bn = batch_norm(%x, %bn.weight, %bn.bias, %bn.running_mean, "
                            "%bn.running_var) : f32[1, 2, 4, 4]\n");
  }
  SECTION("other values: momentum 1 - m on the decimal value, eps as written") {
    Node().attr("epsilon", 1e-3f).attr("momentum", 0.99f);
    CHECK(importCalls(M) == "%bn = batch_norm(%x, %bn.weight, %bn.bias, %bn.running_mean, "
                            "%bn.running_var) {eps = 0.001, momentum = 0.01} : f32[1, 2, 4, 4]\n");
  }
  SECTION("training mode") {
    Node().attr("training_mode", int64_t(1));
    CHECK(nodeError(M) == "training-mode BatchNormalization is not supported; export the model "
                          "in eval mode (training=TrainingMode.PRESERVE keeps batch norm)");
  }
}

TEST_CASE("onnx activations", "[onnx][ops]") {
  for (auto [OnnxOp, QirOp] : {std::pair("Relu", "relu"), std::pair("Sigmoid", "sigmoid"),
                               std::pair("Tanh", "tanh"), std::pair("HardSwish", "hardswish")}) {
    OnnxTestModel M = model({2, 3}, 14);
    M.node(OnnxOp, {"x"}, {"y"}, "act");
    CHECK(importCalls(M) == "%act = " + std::string(QirOp) + "(%x) : f32[2, 3]\n");
  }
}

TEST_CASE("onnx LeakyRelu", "[onnx][ops]") {
  OnnxTestModel M = model({2, 3});
  SECTION("default slope") {
    M.node("LeakyRelu", {"x"}, {"y"}, "act").attr("alpha", 0.01f);
    CHECK(importCalls(M) == "%act = leaky_relu(%x) : f32[2, 3]\n");
  }
  SECTION("other slope") {
    M.node("LeakyRelu", {"x"}, {"y"}, "act").attr("alpha", 0.2f);
    CHECK(importCalls(M) == "%act = leaky_relu(%x) {negative_slope = 0.2} : f32[2, 3]\n");
  }
}

TEST_CASE("onnx HardSigmoid", "[onnx][ops]") {
  OnnxTestModel M = model({2, 3});
  SECTION("PyTorch's hardsigmoid") {
    M.node("HardSigmoid", {"x"}, {"y"}, "act").attr("alpha", float(1.0 / 6.0));
    CHECK(importCalls(M) == "%act = hardsigmoid(%x) : f32[2, 3]\n");
  }
  SECTION("other coefficients") {
    M.node("HardSigmoid", {"x"}, {"y"}, "act");
    CHECK(nodeError(M) == "HardSigmoid with alpha 0.2 and beta 0.5 is not supported; qatc "
                          "imports PyTorch's hardsigmoid (alpha 1/6, beta 0.5)");
  }
}

TEST_CASE("onnx Clip", "[onnx][ops]") {
  OnnxTestModel M = model({2, 3});
  M.node("Constant", {}, {"lo"}, "c0").attr("value", floatTensor({}, {0.0f}));
  M.node("Constant", {}, {"hi"}, "c1").attr("value", floatTensor({}, {6.0f}));
  SECTION("both bounds from Constant nodes") {
    M.node("Clip", {"x", "lo", "hi"}, {"y"}, "/act/Clip");
    CHECK(importCalls(M) == "%act = clamp(%x) {max = 6.0, min = 0.0} : f32[2, 3]\n");
  }
  SECTION("only a maximum") {
    M.node("Clip", {"x", "", "hi"}, {"y"}, "/act/Clip");
    CHECK(importCalls(M) == "%act = clamp(%x) {max = 6.0} : f32[2, 3]\n");
  }
  SECTION("a bound computed at run time") {
    M.node("Clip", {"x", "x"}, {"y"}, "/act/Clip");
    CHECK(nodeError(M) == "the 'min' input must be a constant, but it is computed at run time; "
                          "if it derives from input shapes, give them with --input-shape "
                          "NAME=DIMS");
  }
}

TEST_CASE("onnx Softmax", "[onnx][ops]") {
  SECTION("opset 13: any axis") {
    OnnxTestModel M = model({2, 5});
    M.node("Softmax", {"x"}, {"y"}, "sm").attr("axis", int64_t(1));
    CHECK(importCalls(M) == "%sm = softmax(%x) {dim = 1} : f32[2, 5]\n");
    OnnxTestModel D = model({2, 5});
    D.node("Softmax", {"x"}, {"y"}, "sm");
    CHECK(importCalls(D) == "%sm = softmax(%x) : f32[2, 5]\n");
  }
  SECTION("opset 11: the default axis 1 is the last one of a matrix") {
    OnnxTestModel M = model({2, 5}, 11);
    M.node("Softmax", {"x"}, {"y"}, "sm");
    CHECK(importCalls(M) == "%sm = softmax(%x) {dim = 1} : f32[2, 5]\n");
  }
  SECTION("opset 11: other axes flatten") {
    OnnxTestModel M = model({2, 5, 3}, 11);
    M.node("Softmax", {"x"}, {"y"}, "sm");
    CHECK(nodeError(M) == "Softmax before opset 13 over axis 1 of a rank-3 input is not "
                          "supported; re-export with opset 13 or later");
  }
}

TEST_CASE("onnx element-wise arithmetic with constant operands", "[onnx][ops]") {
  for (auto [OnnxOp, QirOp] : {std::pair("Add", "add"), std::pair("Sub", "sub"),
                               std::pair("Mul", "mul"), std::pair("Div", "div")}) {
    OnnxTestModel M = model({2, 3});
    M.weight("onnx::Op_1", {3});
    M.node(OnnxOp, {"x", "onnx::Op_1"}, {"y"}, "/block/" + std::string(OnnxOp));
    std::string Q = QirOp;
    // The only op of module `block`: named by the module path.
    CHECK(importText(M) == "graph @test {\n  param @block.rhs : f32[3] = elided\n"
                           "  %x = placeholder : f32[2, 3]\n"
                           "  %block.rhs = get_attr @block.rhs : f32[3]\n"
                           "  %block = " + Q + "(%x, %block.rhs) : f32[2, 3]\n"
                           "  output(%block)\n}\n");
  }
}

TEST_CASE("onnx MaxPool", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 8, 8});
  SECTION("stride equal to the kernel is left out") {
    M.node("MaxPool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{2, 2})
        .attr("strides", Ints{2, 2})
        .attr("pads", Ints{0, 0, 0, 0})
        .attr("ceil_mode", int64_t(0));
    CHECK(importCalls(M) == "%pool = max_pool2d(%x) {kernel_size = [2, 2]} : f32[1, 2, 4, 4]\n");
  }
  SECTION("ONNX's default stride 1 is explicit") {
    M.node("MaxPool", {"x"}, {"y"}, "pool").attr("kernel_shape", Ints{2, 2});
    CHECK(importCalls(M) ==
          "%pool = max_pool2d(%x) {kernel_size = [2, 2], stride = [1, 1]} : f32[1, 2, 7, 7]\n");
  }
  SECTION("padding") {
    M.node("MaxPool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{3, 3})
        .attr("strides", Ints{2, 2})
        .attr("pads", Ints{1, 1, 1, 1});
    CHECK(importCalls(M) == "%pool = max_pool2d(%x) {kernel_size = [3, 3], padding = [1, 1], "
                            "stride = [2, 2]} : f32[1, 2, 4, 4]\n");
  }
  SECTION("ceil mode") {
    M.node("MaxPool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{3, 3})
        .attr("strides", Ints{2, 2})
        .attr("ceil_mode", int64_t(1));
    CHECK(importCalls(M) == "%pool = max_pool2d(%x) {ceil_mode = true, kernel_size = [3, 3], "
                            "stride = [2, 2]} : f32[1, 2, 4, 4]\n");
  }
  SECTION("dilation") {
    M.node("MaxPool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{2, 2})
        .attr("dilations", Ints{2, 2});
    CHECK(importCalls(M) == "%pool = max_pool2d(%x) {dilation = [2, 2], kernel_size = [2, 2], "
                            "stride = [1, 1]} : f32[1, 2, 6, 6]\n");
  }
  SECTION("1-D pooling") {
    M.node("MaxPool", {"x"}, {"y"}, "pool").attr("kernel_shape", Ints{2});
    CHECK(nodeError(M) == "only 2-D pooling is supported, but 'kernel_shape' has 1 values");
  }
}

TEST_CASE("onnx AveragePool", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 7, 7});
  SECTION("count_include_pad=0 (ONNX's default) with padding") {
    M.node("AveragePool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{3, 3})
        .attr("pads", Ints{1, 1, 1, 1});
    CHECK(importCalls(M) == "%pool = avg_pool2d(%x) {count_include_pad = false, kernel_size = "
                            "[3, 3], padding = [1, 1], stride = [1, 1]} : f32[1, 2, 7, 7]\n");
  }
  SECTION("count_include_pad=1 is PyTorch's default") {
    M.node("AveragePool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{3, 3})
        .attr("strides", Ints{3, 3})
        .attr("pads", Ints{1, 1, 1, 1})
        .attr("count_include_pad", int64_t(1));
    CHECK(importCalls(M) ==
          "%pool = avg_pool2d(%x) {kernel_size = [3, 3], padding = [1, 1]} : f32[1, 2, 3, 3]\n");
  }
  SECTION("without padding count_include_pad does not matter") {
    M.node("AveragePool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{2, 2})
        .attr("strides", Ints{2, 2})
        .attr("ceil_mode", int64_t(1));
    CHECK(importCalls(M) ==
          "%pool = avg_pool2d(%x) {ceil_mode = true, kernel_size = [2, 2]} : f32[1, 2, 4, 4]\n");
  }
  SECTION("auto_pad SAME_UPPER") {
    M.node("AveragePool", {"x"}, {"y"}, "pool")
        .attr("kernel_shape", Ints{2, 2})
        .attr("strides", Ints{2, 2})
        .attr("auto_pad", std::string("SAME_UPPER"));
    CHECK(importCalls(M) == "%pool = avg_pool2d(%x) {count_include_pad = false, kernel_size = "
                            "[2, 2], padding = [0, 0, 1, 1]} : f32[1, 2, 4, 4]\n");
  }
}

TEST_CASE("onnx global pooling and ReduceMean", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 8, 8});
  SECTION("GlobalAveragePool") {
    M.node("GlobalAveragePool", {"x"}, {"y"}, "/avgpool/GlobalAveragePool");
    CHECK(importCalls(M) ==
          "%avgpool = adaptive_avg_pool2d(%x) {output_size = [1, 1]} : f32[1, 2, 1, 1]\n");
  }
  SECTION("GlobalMaxPool") {
    M.node("GlobalMaxPool", {"x"}, {"y"}, "gmp");
    CHECK(importCalls(M) == "%gmp = max_pool2d(%x) {kernel_size = [8, 8]} : f32[1, 2, 1, 1]\n");
  }
  SECTION("ReduceMean without keepdims") {
    M.node("ReduceMean", {"x"}, {"y"}, "/ReduceMean")
        .attr("axes", Ints{2, 3})
        .attr("keepdims", int64_t(0));
    CHECK(importCalls(M) == "%mean = mean(%x) {dims = [2, 3]} : f32[1, 2]\n");
  }
  SECTION("ReduceMean keeps dims by default") {
    M.node("ReduceMean", {"x"}, {"y"}, "/ReduceMean").attr("axes", Ints{-1});
    CHECK(importCalls(M) == "%mean = mean(%x) {dims = [-1], keepdim = true} : f32[1, 2, 8, 1]\n");
  }
}

TEST_CASE("onnx Flatten", "[onnx][ops]") {
  OnnxTestModel M = model({2, 3, 4});
  SECTION("axis 1 is flatten") {
    M.node("Flatten", {"x"}, {"y"}, "/Flatten").attr("axis", int64_t(1));
    CHECK(importCalls(M) == "%flatten = flatten(%x) : f32[2, 12]\n");
  }
  SECTION("axis 0") {
    M.node("Flatten", {"x"}, {"y"}, "/Flatten").attr("axis", int64_t(0));
    CHECK(importCalls(M) == "%reshape = reshape(%x) {shape = [1, 24]} : f32[1, 24]\n");
  }
  SECTION("axis -1 with a dynamic batch") {
    OnnxTestModel D = model({-1, 3, 4});
    D.node("Flatten", {"x"}, {"y"}, "/Flatten").attr("axis", int64_t(-1));
    CHECK(importCalls(D) == "%reshape = reshape(%x) {shape = [-1, 4]} : f32[?, 4]\n");
  }
}

TEST_CASE("onnx Reshape: 0 copies the input dim, -1 stays", "[onnx][ops]") {
  SECTION("0 and -1") {
    OnnxTestModel M = model({2, 3, 4});
    M.ints("shape", {0, -1});
    M.node("Reshape", {"x", "shape"}, {"y"}, "/Reshape");
    CHECK(importCalls(M) == "%reshape = reshape(%x) {shape = [2, -1]} : f32[2, 12]\n");
  }
  SECTION("a dynamic dim copied by 0 becomes -1") {
    OnnxTestModel M = model({-1, 3, 4});
    M.ints("shape", {0, 12});
    M.node("Reshape", {"x", "shape"}, {"y"}, "/Reshape");
    CHECK(importCalls(M) == "%reshape = reshape(%x) {shape = [-1, 12]} : f32[?, 12]\n");
  }
  SECTION("two unknown dims") {
    OnnxTestModel M = model({-1, 3, 4});
    M.ints("shape", {0, -1});
    M.node("Reshape", {"x", "shape"}, {"y"}, "/Reshape");
    CHECK(nodeError(M) == "shape entry 0 copies the dynamic dim 0 of f32[?, 3, 4]; give the "
                          "input shapes with --input-shape NAME=DIMS");
  }
  SECTION("shape computed at run time") {
    OnnxTestModel M = model({2});
    M.input("s", {1}, onnx::TensorProto::INT64);
    M.node("Reshape", {"x", "s"}, {"y"}, "/Reshape");
    CHECK(nodeError(M) == "the 'shape' input must be a constant, but it is computed at run time; "
                          "if it derives from input shapes, give them with --input-shape "
                          "NAME=DIMS");
  }
}

TEST_CASE("onnx Transpose is permute", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 3});
  SECTION("perm") {
    M.node("Transpose", {"x"}, {"y"}, "/Transpose").attr("perm", Ints{0, 2, 1});
    CHECK(importCalls(M) == "%permute = permute(%x) {dims = [0, 2, 1]} : f32[1, 3, 2]\n");
  }
  SECTION("negative dims are normalized") {
    M.node("Transpose", {"x"}, {"y"}, "/Transpose").attr("perm", Ints{0, -1, -2});
    CHECK(importCalls(M) == "%permute = permute(%x) {dims = [0, 2, 1]} : f32[1, 3, 2]\n");
  }
  SECTION("default: reversed") {
    M.node("Transpose", {"x"}, {"y"}, "/Transpose");
    CHECK(importCalls(M) == "%permute = permute(%x) {dims = [2, 1, 0]} : f32[3, 2, 1]\n");
  }
}

TEST_CASE("onnx Concat", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2});
  M.weight("onnx::Concat_1", {1, 3});
  M.node("Concat", {"x", "onnx::Concat_1"}, {"y"}, "/Concat").attr("axis", int64_t(1));
  CHECK(importText(M) == R"(graph @test {
  param @cat.inputs : f32[1, 3] = elided
  %x = placeholder : f32[1, 2]
  %cat.inputs = get_attr @cat.inputs : f32[1, 3]
  %cat = cat(%x, %cat.inputs) {dim = 1} : f32[1, 5]
  output(%cat)
}
)");
}

TEST_CASE("onnx Split is split + getitem", "[onnx][ops]") {
  SECTION("sizes as an input (opset 13)") {
    OnnxTestModel M = model({1, 6});
    M.output("z");
    M.ints("sizes", {2, 4});
    M.node("Split", {"x", "sizes"}, {"y", "z"}, "/Split").attr("axis", int64_t(1));
    CHECK(importCalls(M) == "%split = split(%x) {dim = 1, split_sizes = [2, 4]} : (f32[1, 2], "
                            "f32[1, 4])\n"
                            "%getitem = getitem(%split) {index = 0} : f32[1, 2]\n"
                            "%getitem_1 = getitem(%split) {index = 1} : f32[1, 4]\n");
  }
  SECTION("sizes as an attribute (opset 11)") {
    OnnxTestModel M = model({6}, 11);
    M.output("z");
    M.node("Split", {"x"}, {"y", "z"}, "/Split").attr("split", Ints{1, 5});
    CHECK(importCalls(M) == "%split = split(%x) {split_sizes = [1, 5]} : (f32[1], f32[5])\n"
                            "%getitem = getitem(%split) {index = 0} : f32[1]\n"
                            "%getitem_1 = getitem(%split) {index = 1} : f32[5]\n");
  }
  SECTION("equal parts") {
    OnnxTestModel M = model({1, 6});
    M.output("z").output("w");
    M.node("Split", {"x"}, {"y", "z", "w"}, "/Split").attr("axis", int64_t(-1));
    CHECK(importCalls(M) == "%split = split(%x) {dim = -1, split_sizes = [2, 2, 2]} : (f32[1, 2], "
                            "f32[1, 2], f32[1, 2])\n"
                            "%getitem = getitem(%split) {index = 0} : f32[1, 2]\n"
                            "%getitem_1 = getitem(%split) {index = 1} : f32[1, 2]\n"
                            "%getitem_2 = getitem(%split) {index = 2} : f32[1, 2]\n");
  }
}

TEST_CASE("onnx Slice with constant bounds", "[onnx][ops]") {
  OnnxTestModel M = model({2, 10});
  SECTION("one axis with a step") {
    M.ints("starts", {1}).ints("ends", {8}).ints("axes", {1}).ints("steps", {2});
    M.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, "sl");
    CHECK(importCalls(M) ==
          "%sl = slice(%x) {dim = 1, end = 8, start = 1, step = 2} : f32[2, 4]\n");
  }
  SECTION("several axes chain slices") {
    M.ints("starts", {0, 2}).ints("ends", {1, INT64_MAX});
    M.node("Slice", {"x", "starts", "ends"}, {"y"}, "sl");
    CHECK(importCalls(M) == "%sl = slice(%x) {dim = 0, end = 1} : f32[1, 10]\n"
                            "%sl_1 = slice(%sl) {dim = 1, end = 9223372036854775807, start = 2} "
                            ": f32[1, 8]\n");
  }
  SECTION("negative steps") {
    M.ints("starts", {-1}).ints("ends", {-11}).ints("axes", {1}).ints("steps", {-1});
    M.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, "sl");
    CHECK(nodeError(M) == "slice step -1 is not supported; qatc imports steps from 1 to 2^30");
  }
  SECTION("bounds of different lengths") {
    M.ints("starts", {0, 1}).ints("ends", {1});
    M.node("Slice", {"x", "starts", "ends"}, {"y"}, "sl");
    CHECK(nodeError(M) == "starts, ends, axes and steps must have the same length");
  }
}

TEST_CASE("onnx Squeeze and Unsqueeze", "[onnx][ops]") {
  SECTION("Squeeze with axes as an input") {
    OnnxTestModel M = model({1, 3, 1});
    M.ints("axes", {0});
    M.node("Squeeze", {"x", "axes"}, {"y"}, "sq");
    CHECK(importCalls(M) == "%sq = squeeze(%x) {dims = [0]} : f32[3, 1]\n");
  }
  SECTION("Squeeze of every size-1 dim") {
    OnnxTestModel M = model({1, 3, 1});
    M.node("Squeeze", {"x"}, {"y"}, "sq");
    CHECK(importCalls(M) == "%sq = squeeze(%x) : f32[3]\n");
  }
  SECTION("Squeeze with axes as an attribute (opset 11)") {
    OnnxTestModel M = model({1, 3, 1}, 11);
    M.node("Squeeze", {"x"}, {"y"}, "sq").attr("axes", Ints{2});
    CHECK(importCalls(M) == "%sq = squeeze(%x) {dims = [2]} : f32[1, 3]\n");
  }
  SECTION("Unsqueeze of several axes, negative ones counted in the result") {
    OnnxTestModel M = model({3});
    M.ints("axes", {-1, 0});
    M.node("Unsqueeze", {"x", "axes"}, {"y"}, "us");
    CHECK(importCalls(M) == "%us = unsqueeze(%x) {dim = 0} : f32[1, 3]\n"
                            "%us_1 = unsqueeze(%us) {dim = 2} : f32[1, 3, 1]\n");
  }
  SECTION("Unsqueeze with axes as an attribute (opset 11)") {
    OnnxTestModel M = model({3}, 11);
    M.node("Unsqueeze", {"x"}, {"y"}, "us").attr("axes", Ints{1});
    CHECK(importCalls(M) == "%us = unsqueeze(%x) {dim = 1} : f32[3, 1]\n");
  }
}

TEST_CASE("onnx Pad", "[onnx][ops]") {
  OnnxTestModel M = model({1, 2, 3, 3});
  M.ints("pads", {0, 0, 1, 2, 0, 0, 1, 2});
  SECTION("constant with a value") {
    M.node("Constant", {}, {"v"}, "c").attr("value", floatTensor({}, {0.5f}));
    M.node("Pad", {"x", "pads", "v"}, {"y"}, "pad");
    CHECK(importCalls(M) == "%pad = pad(%x) {pads = [0, 0, 1, 2, 0, 0, 1, 2], value = 0.5} : "
                            "f32[1, 2, 5, 7]\n");
  }
  SECTION("edge is replicate") {
    M.node("Pad", {"x", "pads"}, {"y"}, "pad").attr("mode", std::string("edge"));
    CHECK(importCalls(M) == "%pad = pad(%x) {mode = \"replicate\", pads = [0, 0, 1, 2, 0, 0, 1, "
                            "2]} : f32[1, 2, 5, 7]\n");
  }
  SECTION("reflect") {
    M.node("Pad", {"x", "pads"}, {"y"}, "pad").attr("mode", std::string("reflect"));
    CHECK(importCalls(M) == "%pad = pad(%x) {mode = \"reflect\", pads = [0, 0, 1, 2, 0, 0, 1, "
                            "2]} : f32[1, 2, 5, 7]\n");
  }
  SECTION("wrap") {
    M.node("Pad", {"x", "pads"}, {"y"}, "pad").attr("mode", std::string("wrap"));
    CHECK(nodeError(M) ==
          "Pad mode 'wrap' is not supported; qatc imports constant, reflect and edge");
  }
}

TEST_CASE("onnx Identity, Dropout and same-type Cast disappear", "[onnx][ops]") {
  OnnxTestModel M = model({2, 3});
  M.node("Identity", {"x"}, {"a"}, "id");
  M.node("Dropout", {"a"}, {"b"}, "drop");
  M.node("Cast", {"b"}, {"c"}, "cast").attr("to", int64_t(onnx::TensorProto::FLOAT));
  M.node("Relu", {"c"}, {"y"}, "r");
  CHECK(importCalls(M) == "%r = relu(%x) : f32[2, 3]\n");
  SECTION("training-mode Dropout") {
    OnnxTestModel T = model({2, 3});
    T.initializer("t", [] {
      onnx::TensorProto B;
      B.set_data_type(onnx::TensorProto::BOOL);
      B.set_raw_data(std::string(1, '\1'));
      return B;
    }());
    T.node("Dropout", {"x", "", "t"}, {"y"}, "drop");
    CHECK(nodeError(T) ==
          "training-mode Dropout is not supported; export the model in eval mode");
  }
  SECTION("Cast to another type") {
    OnnxTestModel T = model({2, 3});
    T.node("Cast", {"x"}, {"y"}, "cast").attr("to", int64_t(onnx::TensorProto::INT64));
    CHECK(nodeError(T) == "Cast from f32 to INT64 is not supported (QIR has no cast op; qatc "
                          "folds casts of integer and float32 constants)");
  }
}

TEST_CASE("onnx Gather of one index from a run-time tensor", "[onnx][ops]") {
  OnnxTestModel M = model({2, 5});
  SECTION("scalar index: slice and squeeze") {
    M.initializer("i", int64Tensor({}, {3}));
    M.node("Gather", {"x", "i"}, {"y"}, "g").attr("axis", int64_t(1));
    CHECK(importCalls(M) == "%g = slice(%x) {dim = 1, end = 4, start = 3} : f32[2, 1]\n"
                            "%g_1 = squeeze(%g) {dims = [1]} : f32[2]\n");
  }
  SECTION("a one-element index list keeps the dim") {
    M.initializer("i", int64Tensor({1}, {-1}));
    M.node("Gather", {"x", "i"}, {"y"}, "g").attr("axis", int64_t(1));
    CHECK(importCalls(M) == "%g = slice(%x) {dim = 1, end = 5, start = 4} : f32[2, 1]\n");
  }
  SECTION("several indices") {
    M.initializer("i", int64Tensor({2}, {0, 1}));
    M.node("Gather", {"x", "i"}, {"y"}, "g");
    CHECK(nodeError(M) == "Gather from a tensor computed at run time is supported only with one "
                          "integer index");
  }
}
