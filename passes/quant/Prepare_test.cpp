//===- Prepare_test.cpp - prepareForQAT on built and random graphs --------===//
#include "passes/quant/Prepare.h"

#include "ir/Builder.h"
#include "ir/Verifier.h"
#include "ir/text/Parser.h"
#include "passes/quant/ConfigReader.h"
#include "tests/support/RandomGraph.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using namespace qatc;

namespace {

ConfigResolver resolverFor(llvm::StringRef Yaml) {
  auto C = readConfigString(Yaml, ConfigFormat::YAML, "q.yaml");
  REQUIRE_OK(C);
  auto R = ConfigResolver::create(std::move(*C));
  REQUIRE_OK(R);
  return std::move(*R);
}

std::unique_ptr<Graph> parse(llvm::StringRef Text) {
  auto G = parseGraph(Text, "test.qir");
  REQUIRE_OK(G);
  return std::move(*G);
}

/// Prepares G and checks that the summary counts what the graph now holds.
void prepareOk(Graph &G, const ConfigResolver &R) {
  auto S = prepareForQAT(G, R);
  REQUIRE_OK(S);
  FakeQuantCensus C = countFakeQuants(G);
  CHECK(S->FakeQuants.ActivationSites == C.ActivationSites);
  CHECK(S->FakeQuants.ActivationUnique == C.ActivationUnique);
  CHECK(S->FakeQuants.ActivationSymmetric == C.ActivationSymmetric);
  CHECK(S->FakeQuants.ActivationAffine == C.ActivationAffine);
  CHECK(S->FakeQuants.ActivationFixed == C.ActivationFixed);
  CHECK(S->FakeQuants.Weight == C.Weight);
}

template <typename T> T scalarOf(const Graph &G, llvm::StringRef Param) {
  const Parameter *P = G.lookupParameter(Param);
  REQUIRE(P);
  REQUIRE(P->bytes().size() >= sizeof(T));
  T V;
  std::memcpy(&V, P->bytes().data(), sizeof(T));
  return V;
}

const char *ConvBnRelu = R"(graph @g {
  param @w : f32[4, 3, 3, 3] = elided
  param @b : f32[4] = elided
  param @g : f32[4] = elided
  param @beta : f32[4] = elided
  param @mu : f32[4] = elided
  param @var : f32[4] = elided
  %x = placeholder : f32[1, 3, 8, 8]
  %w = get_attr @w : f32[4, 3, 3, 3]
  %b = get_attr @b : f32[4]
  %conv = conv2d(%x, %w, %b) : f32[1, 4, 6, 6]
  %g = get_attr @g : f32[4]
  %beta = get_attr @beta : f32[4]
  %mu = get_attr @mu : f32[4]
  %var = get_attr @var : f32[4]
  %bn = batch_norm(%conv, %g, %beta, %mu, %var) : f32[1, 4, 6, 6]
  %relu = relu(%bn) : f32[1, 4, 6, 6]
  %pool = max_pool2d(%relu) {kernel_size = [2, 2]} : f32[1, 4, 3, 3]
  output(%pool)
})";

} // namespace

TEST_CASE("conv + batch norm + relu: training form, sites and state", "[prepare]") {
  auto G = parse(ConvBnRelu);
  ConfigResolver R = resolverFor("{}");
  auto S = prepareForQAT(*G, R);
  REQUIRE_OK(S);
  REQUIRE_OK(verify(*G));
  CHECK(S->Patterns == 2);
  CHECK(S->QuantizedPatterns == 2);
  CHECK(S->BatchNormsFolded == 1);
  CHECK(S->FakeQuants.ActivationSites == 3);
  CHECK(S->FakeQuants.ActivationUnique == 2);
  CHECK(S->FakeQuants.ActivationAffine == 1);
  CHECK(S->FakeQuants.ActivationSymmetric == 1);
  CHECK(S->FakeQuants.Weight == 1);

  // The conv reads the fake-quantized scaled weight and no bias; the batch
  // norm reads the conv output divided by gamma' plus the bias.
  Node *Conv = G->lookupNode("conv");
  REQUIRE(Conv->numOperands() == 2);
  Node *WeightFQ = Conv->operand(1);
  CHECK(WeightFQ->name() == "conv.weight_scaled.fq");
  CHECK(WeightFQ->getInt("axis") == 0);
  CHECK(WeightFQ->operand(0)->isCallTo("mul"));
  Node *BN = G->lookupNode("bn");
  CHECK(BN->operand(0)->name() == "conv.with_bias");
  CHECK(BN->operand(0)->operand(0)->isCallTo("div"));
  // batch_norm_scale and the batch norm read the same running_var node.
  Node *Scale = G->lookupNode("conv.bn_scale");
  REQUIRE(Scale);
  CHECK(Scale->operand(1) == BN->operand(4));
  CHECK(Scale->operand(0) == BN->operand(1));

  // The pool shares the relu's site: its fake quant reads the same scale.
  Node *PoolFQ = G->output()->operand(0);
  CHECK(PoolFQ->name() == "pool.fq");
  CHECK(PoolFQ->operand(1)->param()->name() == "relu.fq.scale");

  // Initial state: scale 1, zero point 0, not observed, everything on.
  CHECK(scalarOf<float>(*G, "relu.fq.scale") == 1.0f);
  CHECK(scalarOf<int32_t>(*G, "relu.fq.zero_point") == 0);
  CHECK(std::isinf(scalarOf<float>(*G, "relu.fq.min_val")));
  CHECK(scalarOf<float>(*G, "relu.fq.min_val") > 0);
  CHECK(scalarOf<float>(*G, "relu.fq.max_val") < 0);
  CHECK(scalarOf<uint8_t>(*G, "relu.fq.observer_enabled") == 1);
  CHECK(scalarOf<uint8_t>(*G, "relu.fq.fake_quant_enabled") == 1);
  CHECK(G->lookupParameter("conv.weight_scaled.fq.scale")->type().str() == "f32[4]");
  CHECK(scalarOf<int64_t>(*G, "qat.step") == 0);
  CHECK(scalarOf<uint8_t>(*G, "qat.bn_frozen") == 0);
  CHECK_FALSE(G->lookupParameter("qat.milestones"));
}

TEST_CASE("milestones start with every flag off and are recorded", "[prepare]") {
  auto G = parse(ConvBnRelu);
  ConfigResolver R = resolverFor("global_config: {milestones: [0, 1, 2, -1]}");
  prepareOk(*G, R);
  CHECK(scalarOf<uint8_t>(*G, "x.fq.observer_enabled") == 0);
  CHECK(scalarOf<uint8_t>(*G, "conv.weight_scaled.fq.fake_quant_enabled") == 0);
  const Parameter *M = G->lookupParameter("qat.milestones");
  REQUIRE(M);
  CHECK(M->values<int64_t>().vec() == std::vector<int64_t>{0, 1, 2, -1});
}

TEST_CASE("fixed-qparams sites hold their constants and no running range", "[prepare]") {
  auto G = parse(R"(graph @g {
    %x = placeholder : f32[2]
    %t = tanh(%x) : f32[2]
    output(%t)
  })");
  ConfigResolver R = resolverFor("global_config: {algorithm: learnable}");
  prepareOk(*G, R);
  REQUIRE_OK(verify(*G));
  CHECK(scalarOf<float>(*G, "t.fq.scale") == 2.0f / 256);
  CHECK(scalarOf<int32_t>(*G, "t.fq.zero_point") == 128);
  CHECK_FALSE(G->lookupParameter("t.fq.min_val"));
  Node *FQ = G->output()->operand(0);
  CHECK(FQ->numOperands() == 5);
  CHECK(FQ->attr("algorithm")->getString() == "vanilla");
  // The learnable input site has a trainable f32 zero point.
  CHECK(G->lookupParameter("x.fq.zero_point")->type().str() == "f32[1]");
}

TEST_CASE("prepare refuses a graph that is already prepared", "[prepare]") {
  auto G = parse(ConvBnRelu);
  ConfigResolver R = resolverFor("{}");
  prepareOk(*G, R);
  auto Again = prepareForQAT(*G, R);
  REQUIRE(!Again);
  CHECK(llvm::toString(Again.takeError()) ==
        "graph 'g': node 'x.fq' is a fake_quantize; prepare takes a float graph, so run it "
        "once, before finalize");

  auto H = parse(R"(graph @h {
    param @qat.step : i64[1] = elided
    %x = placeholder : f32[2]
    output(%x)
  })");
  auto E = prepareForQAT(*H, R);
  REQUIRE(!E);
  CHECK(llvm::toString(E.takeError()) ==
        "graph 'h': parameter 'qat.step' already exists; the graph has been prepared already");
}

TEST_CASE("site parameter names avoid existing parameters", "[prepare]") {
  auto G = parse(R"(graph @g {
    param @x.fq.min_val : f32[1] = elided
    %x = placeholder : f32[2]
    %r = relu(%x) : f32[2]
    output(%r)
  })");
  ConfigResolver R = resolverFor("{}");
  prepareOk(*G, R);
  REQUIRE_OK(verify(*G));
  CHECK(G->lookupParameter("x.fq_1.scale"));
  CHECK(G->lookupNode("x.fq")->operand(1)->param()->name() == "x.fq_1.scale");
}

TEST_CASE("plugin ops are quantized by their registry role", "[prepare]") {
  if (!OpRegistry::get().lookup("test_prepare_act"))
    REQUIRE_OK(OpRegistry::get().registerOp(OpInfo("test_prepare_act", {{"input"}}, {},
                                                   OpRegistry::get().lookup("relu")->shapeFn(),
                                                   true, QuantRole::Activation, true)));
  auto G = parse(R"(graph @g {
    %x = placeholder : f32[2]
    %a = test_prepare_act(%x) : f32[2]
    output(%a)
  })");
  ConfigResolver R = resolverFor("{}");
  auto S = prepareForQAT(*G, R);
  REQUIRE_OK(S);
  CHECK(S->FakeQuants.ActivationSites == 2);
}

TEST_CASE("prepare leaves every random graph valid", "[prepare][property]") {
  ConfigResolver Symmetric = resolverFor("{}");
  ConfigResolver Mixed =
      resolverFor("global_config: {quantization_scheme: affine, milestones: [0, 1, 2, 3]}\n"
                  "module_type_configs: {relu: null, Linear: {weight_dtype: qint4, "
                  "quantization_scheme: affine}}");
  for (uint64_t Seed = 1; Seed <= 200; ++Seed) {
    INFO("seed " << Seed);
    auto G = testing::makeRandomGraph(Seed, 40);
    auto H = G->clone();
    prepareOk(*G, Symmetric);
    REQUIRE_OK(verify(*G));
    prepareOk(*H, Mixed);
    REQUIRE_OK(verify(*H));
  }
}

TEST_CASE("a per-channel weight needs a static channel count", "[prepare]") {
  const char *Text = R"(graph @g {
    %x = placeholder : f32[1, 3, 4, 4]
    %w = placeholder : f32[?, 3, 1, 1]
    %conv = conv2d(%x, %w) : f32[1, ?, 4, 4]
    output(%conv)
  })";
  auto G = parse(Text);
  ConfigResolver R = resolverFor("{}");
  auto S = prepareForQAT(*G, R);
  REQUIRE(!S);
  CHECK(llvm::toString(S.takeError()) ==
        "node 'conv': its weight f32[?, 3, 1, 1] has no static size on axis 0, which "
        "per-channel fake quant needs; set weight_per_channel: false");
  CHECK(G->nodesWithOp("fake_quantize").empty());
  CHECK_FALSE(G->lookupParameter("qat.step"));

  auto H = parse(Text);
  prepareOk(*H, resolverFor("global_config: {weight_per_channel: false}"));
  CHECK(H->lookupParameter("w.fq.scale")->type().str() == "f32[1]");
}
