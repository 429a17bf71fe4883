//===- BackendPatterns_test.cpp - The backend pattern table and the matcher ===//
#include "passes/quant/BackendPatterns.h"
#include "passes/quant/FusionMatcher.h"

#include "ir/text/Parser.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

const BackendOp &row(llvm::StringRef Op) {
  const OpInfo *Info = OpRegistry::get().lookup(Op);
  REQUIRE(Info);
  return backendOp(*Info);
}

/// The role a table kind corresponds to in the registry.
QuantRole roleOf(PatternKind K) {
  switch (K) {
  case PatternKind::Weighted: return QuantRole::Weighted;
  case PatternKind::Binary: return QuantRole::Binary;
  case PatternKind::Norm: return QuantRole::Norm;
  case PatternKind::Activation: return QuantRole::Activation;
  case PatternKind::FixedQParams: return QuantRole::FixedQParams;
  case PatternKind::SharedQParams: return QuantRole::SharedQParams;
  case PatternKind::ScaleOnly:
  case PatternKind::Float: return QuantRole::None;
  }
  return QuantRole::None;
}

std::unique_ptr<Graph> parse(llvm::StringRef Text) {
  auto G = parseGraph(Text, "test.qir");
  REQUIRE_OK(G);
  return std::move(*G);
}

/// Each pattern as `op+op`, in order.
std::vector<std::string> patterns(const Graph &G) {
  std::vector<std::string> R;
  for (const PatternMatch &M : matchPatterns(G).Patterns)
    R.push_back(M.describe());
  return R;
}

} // namespace

TEST_CASE("every table row names a registered op and agrees with its role", "[prepare]") {
  for (const BackendOp &Row : backendPatternTable()) {
    INFO(Row.Op.str());
    const OpInfo *Info = OpRegistry::get().lookup(Row.Op);
    REQUIRE(Info);
    CHECK(&backendOp(*Info) == &Row);
    CHECK_FALSE(Row.FromRegistry);
    // Float rows override a role on purpose and must say why.
    if (Row.Kind == PatternKind::Float)
      CHECK_FALSE(Row.FloatReason.empty());
    else
      CHECK(Info->quantRole() == roleOf(Row.Kind));
  }
}

TEST_CASE("every built-in op with a quantization role has a row", "[prepare]") {
  for (const OpInfo *Op : OpRegistry::get().ops()) {
    if (Op->isFromPlugin() || Op->quantRole() == QuantRole::None ||
        Op->quantRole() == QuantRole::Quantization)
      continue;
    INFO(Op->name().str());
    CHECK_FALSE(backendOp(*Op).FromRegistry);
  }
}

TEST_CASE("rows carry coremltools' facts", "[prepare]") {
  CHECK(row("conv_transpose2d").WeightAxis == 1);
  CHECK(row("conv2d").WeightAxis == 0);
  CHECK(row("linear").FusesBatchNorm);
  CHECK_FALSE(row("linear").ActAfterBatchNorm);
  CHECK(row("conv2d").ActAfterBatchNorm);
  CHECK(row("add").Combination);
  CHECK_FALSE(row("matmul").Combination);
  CHECK_FALSE(row("sub").FusesActivation);
  CHECK(row("relu").NonNegative);
  CHECK(row("relu6").NonNegative);
  CHECK_FALSE(row("leaky_relu").NonNegative);
  CHECK(row("tanh").FixedScale == 2.0 / 256);
  CHECK(row("tanh").FixedZeroPoint == 128);
  CHECK(row("softmax").FixedScale == 1.0 / 256);
  CHECK(row("mean").Kind == PatternKind::Float);
  CHECK(row("dropout").Kind == PatternKind::ScaleOnly);
  CHECK(row("div").Kind == PatternKind::Float);
  CHECK(row("div").FromRegistry);
}

TEST_CASE("plugin ops take the behaviour of their registry role", "[prepare]") {
  REQUIRE_OK(OpRegistry::get().registerOp(
      OpInfo("test_swish", {{"input"}}, {}, nullptr, true, QuantRole::Activation, true)));
  const BackendOp &R = row("test_swish");
  CHECK(R.FromRegistry);
  CHECK(R.Kind == PatternKind::Activation);
  CHECK(R.isFusableActivation());
}

TEST_CASE("the matcher fuses single-use chains in program order", "[prepare]") {
  auto G = parse(R"(graph @g {
    param @w : f32[4, 3, 1, 1] = elided
    param @c : f32[4] = elided
    %x = placeholder : f32[1, 3, 2, 2]
    %w = get_attr @w : f32[4, 3, 1, 1]
    %c = get_attr @c : f32[4]
    %conv = conv2d(%x, %w) : f32[1, 4, 2, 2]
    %bn = batch_norm(%conv, %c, %c, %c, %c) : f32[1, 4, 2, 2]
    %act = hardswish(%bn) : f32[1, 4, 2, 2]
    %conv2 = conv2d(%x, %w) : f32[1, 4, 2, 2]
    %relu = relu(%conv2) : f32[1, 4, 2, 2]
    %other = sigmoid(%conv2) : f32[1, 4, 2, 2]
    %sum = add(%act, %relu) : f32[1, 4, 2, 2]
    %gelu = gelu(%sum) : f32[1, 4, 2, 2]
    %diff = sub(%gelu, %other) : f32[1, 4, 2, 2]
    %r2 = relu(%diff) : f32[1, 4, 2, 2]
    %flat = flatten(%r2) : f32[1, 16]
    %div = div(%flat, %flat) : f32[1, 16]
    output(%div)
  })");
  CHECK(patterns(*G) == std::vector<std::string>{"conv2d+batch_norm+hardswish", "conv2d", "relu",
                                                 "sigmoid", "add+gelu", "sub", "relu", "flatten"});
}

TEST_CASE("batch norm fuses only when its parameters fit the layer", "[prepare]") {
  // A computed running_var after the conv cannot be folded into the weight.
  auto G = parse(R"(graph @g {
    param @w : f32[4, 3, 1, 1] = elided
    param @c : f32[4] = elided
    %x = placeholder : f32[1, 3, 2, 2]
    %w = get_attr @w : f32[4, 3, 1, 1]
    %conv = conv2d(%x, %w) : f32[1, 4, 2, 2]
    %c = get_attr @c : f32[4]
    %var = relu(%c) : f32[4]
    %bn = batch_norm(%conv, %c, %c, %c, %var) : f32[1, 4, 2, 2]
    output(%bn)
  })");
  CHECK(patterns(*G) == std::vector<std::string>{"conv2d", "relu", "batch_norm"});

  // Grouped transposed convolutions keep their batch norm apart; a linear
  // layer on 3-D input too (BatchNorm1d would normalize another axis).
  auto H = parse(R"(graph @h {
    param @w : f32[4, 2, 1, 1] = elided
    param @c : f32[4] = elided
    param @l : f32[4, 4] = elided
    %x = placeholder : f32[1, 4, 2, 2]
    %w = get_attr @w : f32[4, 2, 1, 1]
    %c = get_attr @c : f32[4]
    %up = conv_transpose2d(%x, %w) {groups = 2} : f32[1, 4, 2, 2]
    %bn = batch_norm(%up, %c, %c, %c, %c) : f32[1, 4, 2, 2]
    %s = placeholder : f32[2, 4, 4]
    %l = get_attr @l : f32[4, 4]
    %fc = linear(%s, %l) : f32[2, 4, 4]
    %bn2 = batch_norm(%fc, %c, %c, %c, %c) : f32[2, 4, 4]
    output(%bn, %bn2)
  })");
  CHECK(patterns(*H) ==
        std::vector<std::string>{"conv_transpose2d", "batch_norm", "linear", "batch_norm"});
}
