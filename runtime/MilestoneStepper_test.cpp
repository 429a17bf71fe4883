//===- MilestoneStepper_test.cpp - The milestone machine on a prepared graph ===//
#include "runtime/MilestoneStepper.h"

#include "ir/text/Parser.h"
#include "passes/quant/ConfigReader.h"
#include "passes/quant/Prepare.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <random>

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// conv + batch norm + relu with real parameters, prepared with Yaml.
std::unique_ptr<Graph> preparedConvBnRelu(llvm::StringRef Yaml) {
  auto G = parseGraph(R"(graph @g {
  param @w : f32[4, 3, 3, 3] = elided
  param @b : f32[4] = elided
  param @g : f32[4] = elided
  param @beta : f32[4] = elided
  param @mu : f32[4] = elided
  param @var : f32[4] = elided
  %x = placeholder : f32[?, 3, 8, 8]
  %w = get_attr @w : f32[4, 3, 3, 3]
  %b = get_attr @b : f32[4]
  %conv = conv2d(%x, %w, %b) : f32[?, 4, 6, 6]
  %g = get_attr @g : f32[4]
  %beta = get_attr @beta : f32[4]
  %mu = get_attr @mu : f32[4]
  %var = get_attr @var : f32[4]
  %bn = batch_norm(%conv, %g, %beta, %mu, %var) : f32[?, 4, 6, 6]
  %relu = relu(%bn) : f32[?, 4, 6, 6]
  output(%relu)
})",
                      "test.qir");
  REQUIRE_OK(G);
  std::mt19937 Rng(3);
  std::uniform_real_distribution<float> U(0.5f, 1.5f);
  for (Parameter &P : (*G)->params()) {
    std::vector<float> Values(P.byteSize() / 4);
    for (float &V : Values)
      V = U(Rng);
    P.setData(std::vector<uint8_t>(reinterpret_cast<uint8_t *>(Values.data()),
                                   reinterpret_cast<uint8_t *>(Values.data() + Values.size())));
  }
  auto Config = readConfigString(Yaml, ConfigFormat::YAML, "q.yaml");
  REQUIRE_OK(Config);
  auto Resolver = ConfigResolver::create(std::move(*Config));
  REQUIRE_OK(Resolver);
  REQUIRE_OK(prepareForQAT(**G, *Resolver));
  return std::move(*G);
}

uint8_t flag(Executor &E, llvm::StringRef Name) {
  const Parameter *P = E.graph().lookupParameter(Name);
  REQUIRE(P);
  return E.parameter(P).data<uint8_t>()[0];
}

} // namespace

TEST_CASE("step() fires each milestone at its count", "[runtime][milestones]") {
  auto G = preparedConvBnRelu("global_config:\n  milestones: [1, 2, 3, 4]\n");
  auto E = Executor::create(*G);
  REQUIRE_OK(E);
  MilestoneStepper S(**E);
  REQUIRE(S.isPrepared());
  REQUIRE(S.milestones());
  CHECK(*S.milestones() == std::array<int64_t, 4>{1, 2, 3, 4});
  // Sites are named after their first fake quant (docs/prepare.md).
  std::string Obs = "relu.fq.observer_enabled", Fq = "relu.fq.fake_quant_enabled";
  struct Expected {
    uint8_t Observer, FakeQuant, BnFrozen;
  };
  // Flags after each call of step(): counts 0..5 (milestones at 1, 2, 3, 4).
  const Expected After[] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0, 1, 1}, {0, 1, 1}};
  CHECK(flag(**E, Obs) == 0);
  CHECK(flag(**E, Fq) == 0);
  for (unsigned I = 0; I < 6; ++I) {
    S.step();
    INFO("after step " << I);
    CHECK(S.count() == I + 1);
    CHECK(flag(**E, Obs) == After[I].Observer);
    CHECK(flag(**E, Fq) == After[I].FakeQuant);
    CHECK(flag(**E, "qat.bn_frozen") == After[I].BnFrozen);
  }
}

TEST_CASE("without milestones everything is on and step() only counts", "[runtime][milestones]") {
  auto G = preparedConvBnRelu("{}\n");
  auto E = Executor::create(*G);
  REQUIRE_OK(E);
  MilestoneStepper S(**E);
  CHECK(!S.milestones());
  for (int I = 0; I < 3; ++I)
    S.step();
  CHECK(S.count() == 3);
  CHECK(flag(**E, "relu.fq.observer_enabled") == 1);
  CHECK(flag(**E, "relu.fq.fake_quant_enabled") == 1);
  CHECK(flag(**E, "qat.bn_frozen") == 0);
}

TEST_CASE("a frozen batch norm stops updating its running statistics", "[runtime][milestones]") {
  auto G = preparedConvBnRelu("global_config:\n  milestones: [0, 0, 5, 1]\n");
  auto E = Executor::create(*G);
  REQUIRE_OK(E);
  MilestoneStepper S(**E);
  std::mt19937 Rng(9);
  std::normal_distribution<float> N;
  Tensor X = Tensor::empty({4, 3, 8, 8});
  for (int64_t I = 0; I < X.numel(); ++I)
    X.f32()[I] = N(Rng);
  RunOptions Train;
  Train.Training = Train.UpdateState = true;
  const Tensor &Mean = (*E)->parameter(G->lookupParameter("mu"));
  std::vector<float> Before(Mean.f32(), Mean.f32() + 4);
  S.step(); // count 0: observers and fake quant on
  REQUIRE_OK((*E)->forward({X}, Train));
  std::vector<float> AfterFirst(Mean.f32(), Mean.f32() + 4);
  CHECK(AfterFirst != Before);
  S.step(); // count 1: batch norm frozen
  REQUIRE(flag(**E, "qat.bn_frozen") == 1);
  REQUIRE_OK((*E)->forward({X}, Train));
  CHECK(std::vector<float>(Mean.f32(), Mean.f32() + 4) == AfterFirst);
}
