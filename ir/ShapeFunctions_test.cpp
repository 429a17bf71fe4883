//===- ShapeFunctions_test.cpp - Tests of result-type inference -----------===//
#include "ir/OpRegistry.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

Type f32(std::initializer_list<int64_t> Dims) { return Type::tensor(DType::F32, Dims); }

/// Infers the result of Op; returns its printed type or the error text.
std::string infer(llvm::StringRef Op, std::vector<Type> Operands,
                  llvm::SmallVector<NamedAttribute, 0> Attrs = {}) {
  const OpInfo *Info = OpRegistry::get().lookup(Op);
  REQUIRE(Info);
  auto T = Info->inferType(Operands, Attrs);
  if (!T)
    return "error: " + llvm::toString(T.takeError());
  return T->str();
}

std::vector<int64_t> ints(std::initializer_list<int64_t> L) { return L; }

} // namespace

TEST_CASE("conv2d: stride, padding, dilation, groups", "[shape]") {
  CHECK(infer("conv2d", {f32({1, 3, 224, 224}), f32({64, 3, 7, 7})},
              {{"stride", ints({2, 2})}, {"padding", ints({3, 3})}}) == "f32[1, 64, 112, 112]");
  CHECK(infer("conv2d", {f32({1, 32, 56, 56}), f32({32, 1, 3, 3}), f32({32})},
              {{"groups", 32}, {"padding", ints({1, 1})}}) == "f32[1, 32, 56, 56]");
  CHECK(infer("conv2d", {f32({1, 8, 10, 10}), f32({8, 8, 3, 3})},
              {{"dilation", ints({2, 2})}}) == "f32[1, 8, 6, 6]");
  // Asymmetric padding: begins then ends.
  CHECK(infer("conv2d", {f32({1, 1, 5, 5}), f32({1, 1, 2, 2})},
              {{"padding", ints({0, 0, 1, 1})}, {"stride", ints({2, 2})}}) == "f32[1, 1, 3, 3]");
  CHECK(infer("conv2d", {f32({-1, 3, -1, 32}), f32({4, 3, 3, 3})}) == "f32[?, 4, ?, 30]");
  CHECK(infer("conv2d", {Type::unranked(DType::F32), f32({4, 3, 3, 3})}) == "f32[*]");
  CHECK(infer("conv1d", {f32({2, 4, 16}), f32({8, 4, 3})}) == "f32[2, 8, 14]");
}

TEST_CASE("conv2d errors", "[shape]") {
  CHECK(infer("conv2d", {f32({1, 4, 8, 8}), f32({8, 3, 3, 3})}) ==
        "error: input has 4 channels but weight expects 3 (= 3 x groups 1)");
  CHECK(infer("conv2d", {f32({1, 4, 8, 8}), f32({6, 1, 3, 3})}, {{"groups", 4}}) ==
        "error: weight has 6 output channels, not divisible by groups 4");
  CHECK(infer("conv2d", {f32({1, 3, 2, 2}), f32({8, 3, 3, 3})}) ==
        "error: window of size 3 (dilation 1) does not fit an input of size 2 with padding 0+0");
  CHECK(infer("conv2d", {f32({1, 3, 8}), f32({8, 3, 3, 3})}) == "error: input must have rank 4, not 3");
  CHECK(infer("conv2d", {f32({1, 3, 8, 8}), f32({8, 3, 3, 3}), f32({4})}) ==
        "error: bias must have shape [8], not f32[4]");
  CHECK(infer("conv2d", {f32({1, 3, 8, 8}), f32({8, 3, 3, 3})}, {{"stride", ints({0, 1})}}) ==
        "error: 'stride' values must be at least 1");
  CHECK(infer("conv2d", {f32({1, 3, 8, 8}), f32({8, 3, 3, 3})}, {{"padding", ints({1, 1, 1})}}) ==
        "error: padding has 3 values; expected 2 or 4");
  CHECK(infer("conv2d", {Type::tensor(DType::I8, {1, 3, 8, 8}), f32({8, 3, 3, 3})}) ==
        "error: operand 0 must have a float element type, not i8");
}

TEST_CASE("conv_transpose2d output size", "[shape]") {
  CHECK(infer("conv_transpose2d", {f32({1, 16, 7, 7}), f32({16, 8, 4, 4})},
              {{"stride", ints({2, 2})}, {"padding", ints({1, 1})}}) == "f32[1, 8, 14, 14]");
  CHECK(infer("conv_transpose2d", {f32({1, 16, 7, 7}), f32({16, 8, 3, 3})},
              {{"stride", ints({2, 2})}, {"padding", ints({1, 1})},
               {"output_padding", ints({1, 1})}}) == "f32[1, 8, 14, 14]");
  CHECK(infer("conv_transpose2d", {f32({1, 16, 7, 7}), f32({16, 8, 3, 3})},
              {{"output_padding", ints({1, 1})}}) ==
        "error: output_padding 1 must be smaller than stride or dilation");
}

TEST_CASE("linear, matmul and broadcasting", "[shape]") {
  CHECK(infer("linear", {f32({8, 512}), f32({10, 512}), f32({10})}) == "f32[8, 10]");
  CHECK(infer("linear", {f32({8, 500}), f32({10, 512})}) ==
        "error: input has 500 features but weight expects 512");
  CHECK(infer("matmul", {f32({2, 1, 3, 4}), f32({5, 4, 6})}) == "f32[2, 5, 3, 6]");
  CHECK(infer("matmul", {f32({4}), f32({4, 6})}) == "f32[6]");
  CHECK(infer("matmul", {f32({3, 4}), f32({4})}) == "f32[3]");
  CHECK(infer("matmul", {f32({3, 4}), f32({5, 6})}) == "error: inner dimensions differ: 4 and 5");
  CHECK(infer("add", {f32({8, 1, 6, 1}), f32({7, 1, 5})}) == "f32[8, 7, 6, 5]");
  CHECK(infer("mul", {f32({-1, 3}), f32({1, 3})}) == "f32[?, 3]");
  CHECK(infer("add", {f32({2, 3}), f32({4, 3})}) == "error: shapes [2, 3] and [4, 3] do not broadcast");
  CHECK(infer("sub", {f32({2}), Type::tensor(DType::I32, {2})}) ==
        "error: operands have different element types f32 and i32");
}

TEST_CASE("pooling: ceil mode, padding and defaults", "[shape]") {
  CHECK(infer("max_pool2d", {f32({1, 64, 112, 112})},
              {{"kernel_size", ints({3, 3})}, {"stride", ints({2, 2})}, {"padding", ints({1, 1})}}) ==
        "f32[1, 64, 56, 56]");
  // PyTorch: ceil_mode rounds up (squeezenet: 111 -> 55 with k3 s2).
  CHECK(infer("max_pool2d", {f32({1, 64, 111, 111})},
              {{"kernel_size", ints({3, 3})}, {"stride", ints({2, 2})}, {"ceil_mode", true}}) ==
        "f32[1, 64, 55, 55]");
  CHECK(infer("max_pool2d", {f32({1, 64, 112, 112})},
              {{"kernel_size", ints({3, 3})}, {"stride", ints({2, 2})}, {"ceil_mode", true}}) ==
        "f32[1, 64, 56, 56]");
  // The last window must start inside the input: 6, k2 s2 pad 1 ceil -> 4 not 5.
  CHECK(infer("avg_pool2d", {f32({1, 1, 6, 6})},
              {{"kernel_size", ints({2, 2})}, {"stride", ints({2, 2})}, {"padding", ints({1, 1})},
               {"ceil_mode", true}}) == "f32[1, 1, 4, 4]");
  CHECK(infer("avg_pool2d", {f32({1, 1, 8, 8})}, {{"kernel_size", ints({2, 2})}}) ==
        "f32[1, 1, 4, 4]");
  CHECK(infer("max_pool2d", {f32({1, 1, 8, 8})},
              {{"kernel_size", ints({2, 2})}, {"padding", ints({2, 2})}}) ==
        "error: padding 2 must be at most half the kernel size 2");
  CHECK(infer("adaptive_avg_pool2d", {f32({1, 512, 7, 7})}, {{"output_size", ints({1, 1})}}) ==
        "f32[1, 512, 1, 1]");
}

TEST_CASE("shape ops", "[shape]") {
  CHECK(infer("flatten", {f32({2, 3, 4, 5})}) == "f32[2, 60]");
  CHECK(infer("flatten", {f32({2, 3, 4, 5})}, {{"start_dim", 0}, {"end_dim", 1}}) ==
        "f32[6, 4, 5]");
  CHECK(infer("reshape", {f32({2, 3, 4})}, {{"shape", ints({-1, 4})}}) == "f32[6, 4]");
  CHECK(infer("reshape", {f32({2, 3, 4})}, {{"shape", ints({5, -1})}}) ==
        "error: cannot reshape 24 elements into [5, -1]");
  CHECK(infer("reshape", {f32({-1, 3})}, {{"shape", ints({-1})}}) == "f32[?]");
  CHECK(infer("permute", {f32({1, 2, 3})}, {{"dims", ints({2, 0, 1})}}) == "f32[3, 1, 2]");
  CHECK(infer("permute", {f32({1, 2, 3})}, {{"dims", ints({0, 0, 1})}}) ==
        "error: 'dims' repeats dimension 0");
  CHECK(infer("transpose", {f32({1, 2, 3})}, {{"dim0", 0}, {"dim1", -1}}) == "f32[3, 2, 1]");
  CHECK(infer("squeeze", {f32({1, 2, 1})}) == "f32[2]");
  CHECK(infer("squeeze", {f32({1, 2, 1})}, {{"dims", ints({2})}}) == "f32[1, 2]");
  CHECK(infer("squeeze", {f32({1, 2, 1})}, {{"dims", ints({1})}}) ==
        "error: cannot squeeze dim 1 of size 2");
  CHECK(infer("unsqueeze", {f32({2, 3})}, {{"dim", -1}}) == "f32[2, 3, 1]");
  CHECK(infer("mean", {f32({2, 3, 4, 4})}, {{"dims", ints({2, 3})}, {"keepdim", true}}) ==
        "f32[2, 3, 1, 1]");
  CHECK(infer("mean", {f32({2, 3})}) == "f32[]");
  CHECK(infer("cat", {f32({1, 2, 4}), f32({1, 3, 4})}, {{"dim", 1}}) == "f32[1, 5, 4]");
  CHECK(infer("cat", {f32({1, 2, 4}), f32({1, 3, 5})}, {{"dim", 1}}) ==
        "error: input 1 has size 5 in dim 2, expected 4");
  CHECK(infer("pad", {f32({1, 3, 4, 4})}, {{"pads", ints({0, 0, 1, 2, 0, 0, 1, 2})}}) ==
        "f32[1, 3, 6, 8]");
  CHECK(infer("split", {f32({1, 6, 2})}, {{"split_sizes", ints({2, 4})}, {"dim", 1}}) ==
        "(f32[1, 2, 2], f32[1, 4, 2])");
  CHECK(infer("split", {f32({1, 6, 2})}, {{"split_sizes", ints({2, 3})}, {"dim", 1}}) ==
        "error: 'split_sizes' add up to 5 but dim 1 has size 6");
  CHECK(infer("getitem", {Type::tuple({f32({1}), f32({2})})}, {{"index", 1}}) == "f32[2]");
  CHECK(infer("slice", {f32({1, 116, 28, 28})}, {{"dim", 1}, {"start", 58}, {"end", 116}}) ==
        "f32[1, 58, 28, 28]");
  CHECK(infer("slice", {f32({10})}, {{"dim", 0}, {"start", -3}, {"end", INT64_MAX}}) == "f32[3]");
  CHECK(infer("slice", {f32({10})}, {{"dim", 0}, {"start", 1}, {"end", 8}, {"step", 3}}) ==
        "f32[3]");
  CHECK(infer("slice", {f32({10})}, {{"dim", 0}, {"start", 8}, {"end", 2}}) == "f32[0]");
  CHECK(infer("slice", {f32({10})}, {{"dim", 0}, {"end", 2}, {"step", 0}}) ==
        "error: 'step' must be at least 1, not 0");
  CHECK(infer("getitem", {Type::tuple({f32({1}), f32({2})})}, {{"index", 2}}) ==
        "error: 'index' 2 is out of range for a tuple of 2");
  CHECK(infer("softmax", {f32({2, 3})}, {{"dim", 2}}) == "error: 'dim' 2 is out of range for rank 2");
  CHECK(infer("gelu", {f32({2})}, {{"approximate", "fast"}}) ==
        "error: 'approximate' must be \"none\" or \"tanh\", not \"fast\"");
}

TEST_CASE("huge sizes are an error, not an overflow", "[shape]") {
  const int64_t Big = INT64_MAX / 2;
  CHECK(infer("reshape", {f32({2})}, {{"shape", ints({Big, 4})}}) ==
        "error: the computed size overflows 64-bit integers");
  CHECK(infer("flatten", {f32({Big, 4})}, {{"start_dim", 0}}) ==
        "error: the computed size overflows 64-bit integers");
  CHECK(infer("pad", {f32({Big})}, {{"pads", ints({Big, Big})}}) ==
        "error: the computed size overflows 64-bit integers");
  CHECK(infer("cat", {f32({Big}), f32({Big + 2})}) ==
        "error: the computed size overflows 64-bit integers");
  CHECK(infer("conv2d", {f32({1, 1, 8, 8}), f32({1, 1, 3, 3})},
              {{"dilation", ints({INT64_MAX, 1})}}) ==
        "error: the computed size overflows 64-bit integers");
  CHECK(infer("conv_transpose2d", {f32({1, 1, Big, 8}), f32({1, 1, 3, 3})},
              {{"stride", ints({4, 1})}}) ==
        "error: the computed size overflows 64-bit integers");
  CHECK(infer("slice", {f32({10})}, {{"dim", 0}, {"end", 10}, {"step", INT64_MAX}}) == "f32[1]");
}

TEST_CASE("quantization ops", "[shape]") {
  Type Scalar = f32({1});
  Type Zp = Type::tensor(DType::I32, {1});
  CHECK(infer("fake_quantize", {f32({2, 3}), Scalar, Zp}) == "f32[2, 3]");
  CHECK(infer("fake_quantize", {f32({4, 3}), f32({4}), Type::tensor(DType::I32, {4})},
              {{"axis", 0}}) == "f32[4, 3]");
  CHECK(infer("fake_quantize", {f32({4, 3}), f32({3}), Type::tensor(DType::I32, {3})},
              {{"axis", 0}}) == "error: per-channel scale has 3 values but axis 0 has size 4");
  CHECK(infer("fake_quantize", {f32({4, 3}), f32({4}), Type::tensor(DType::I32, {4})}) ==
        "error: per-tensor scale and zero point must have one element, not f32[4]");
  CHECK(infer("fake_quantize", {f32({2}), Scalar, Zp}, {{"quant_min", 5}, {"quant_max", 5}}) ==
        "error: 'quant_min' 5 must be below 'quant_max' 5");
  CHECK(infer("quantize", {f32({2, 3}), Scalar, Zp}, {{"dtype", DType::I8}}) == "i8[2, 3]");
  CHECK(infer("quantize", {f32({2, 3}), Scalar, Zp}, {{"dtype", DType::F16}}) ==
        "error: 'dtype' must be u8, i8 or i32, not f16");
  CHECK(infer("dequantize", {Type::tensor(DType::U8, {2, 3}), Scalar, Zp}) == "f32[2, 3]");
  CHECK(infer("dequantize", {f32({2, 3}), Scalar, Zp}) == "error: input must be u8, i8 or i32, not f32");
}

TEST_CASE("registry: every op is complete and schemas parse", "[shape]") {
  auto Ops = OpRegistry::get().ops();
  CHECK(Ops.size() >= 40);
  for (const OpInfo *Op : Ops) {
    INFO(Op->name().str());
    CHECK(Op->shapeFn() != nullptr);
    CHECK(Op->minOperands() <= Op->maxOperands());
  }
  for (const char *Name : {"conv2d", "conv_transpose2d", "linear", "matmul", "batch_norm", "relu",
                           "relu6", "clamp", "hardswish", "hardsigmoid", "sigmoid", "tanh", "silu",
                           "gelu", "leaky_relu", "add", "sub", "mul", "div", "cat", "max_pool2d",
                           "avg_pool2d", "adaptive_avg_pool2d", "flatten", "reshape", "permute",
                           "transpose", "squeeze", "unsqueeze", "mean", "softmax", "dropout",
                           "identity", "pad", "split", "getitem", "fake_quantize", "quantize",
                           "dequantize"}) {
    INFO(Name);
    CHECK(OpRegistry::get().lookup(Name) != nullptr);
  }
  CHECK(OpRegistry::get().lookup("conv2d")->quantRole() == QuantRole::Weighted);
  CHECK(OpRegistry::get().lookup("max_pool2d")->quantRole() == QuantRole::SharedQParams);
  CHECK(OpRegistry::get().lookup("sigmoid")->quantRole() == QuantRole::FixedQParams);
  CHECK_FALSE(OpRegistry::get().lookup("quantize")->isDifferentiable());
  auto Dup = OpRegistry::get().registerOp(
      OpInfo("relu", {}, {}, nullptr, true, QuantRole::None, /*FromPlugin=*/true));
  REQUIRE(bool(Dup));
  CHECK(llvm::toString(std::move(Dup)) == "op 'relu' is already registered");

  auto Schema = parseAttrSchema("a: ints = 1,2; b: float?; c: string; d: dtype = i8");
  REQUIRE_OK(Schema);
  REQUIRE(Schema->size() == 4);
  CHECK((*Schema)[0].Default->getInts().size() == 2);
  CHECK(!(*Schema)[1].Required);
  CHECK((*Schema)[2].Required);
  CHECK((*Schema)[3].Default->getDType() == DType::I8);
  auto BadSchema = parseAttrSchema("a: widget = 3");
  REQUIRE(!BadSchema);
  CHECK(llvm::toString(BadSchema.takeError()) == "invalid op schema 'a: widget = 3': bad entry 'a: widget = 3'");
  auto BadSig = parseOperandSignature("a?, b");
  REQUIRE(!BadSig);
  CHECK(llvm::toString(BadSig.takeError()) ==
        "invalid op schema 'a?, b': a required operand follows an optional one");
}
