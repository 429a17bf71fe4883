//===- Finalize_test.cpp - finalize computes what the trained graph computes ===//
#include "passes/quant/Finalize.h"

#include "ir/Verifier.h"
#include "ir/text/Parser.h"
#include "passes/quant/ConfigReader.h"
#include "passes/quant/Prepare.h"
#include "runtime/Executor.h"
#include "runtime/MilestoneStepper.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// conv-bn-relu, conv-bn (+ residual add), relu, max pool, flatten, linear:
/// the training form with and without a conv bias, shared and affine sites.
const char *Model = R"(graph @m {
  param @c1.weight : f32[8, 3, 3, 3] = elided
  param @c1.bias : f32[8] = elided
  param @bn1.weight : f32[8] = elided
  param @bn1.bias : f32[8] = elided
  param @bn1.running_mean : f32[8] = elided
  param @bn1.running_var : f32[8] = elided
  param @c2.weight : f32[8, 8, 3, 3] = elided
  param @bn2.weight : f32[8] = elided
  param @bn2.bias : f32[8] = elided
  param @bn2.running_mean : f32[8] = elided
  param @bn2.running_var : f32[8] = elided
  param @fc.weight : f32[5, 128] = elided
  param @fc.bias : f32[5] = elided
  %x = placeholder : f32[?, 3, 8, 8]
  %c1.weight = get_attr @c1.weight : f32[8, 3, 3, 3]
  %c1.bias = get_attr @c1.bias : f32[8]
  %c1 = conv2d(%x, %c1.weight, %c1.bias) {padding = [1, 1]} : f32[?, 8, 8, 8]
  %bn1.weight = get_attr @bn1.weight : f32[8]
  %bn1.bias = get_attr @bn1.bias : f32[8]
  %bn1.running_mean = get_attr @bn1.running_mean : f32[8]
  %bn1.running_var = get_attr @bn1.running_var : f32[8]
  %bn1 = batch_norm(%c1, %bn1.weight, %bn1.bias, %bn1.running_mean, %bn1.running_var) : f32[?, 8, 8, 8]
  %relu1 = relu(%bn1) : f32[?, 8, 8, 8]
  %c2.weight = get_attr @c2.weight : f32[8, 8, 3, 3]
  %c2 = conv2d(%relu1, %c2.weight) {padding = [1, 1]} : f32[?, 8, 8, 8]
  %bn2.weight = get_attr @bn2.weight : f32[8]
  %bn2.bias = get_attr @bn2.bias : f32[8]
  %bn2.running_mean = get_attr @bn2.running_mean : f32[8]
  %bn2.running_var = get_attr @bn2.running_var : f32[8]
  %bn2 = batch_norm(%c2, %bn2.weight, %bn2.bias, %bn2.running_mean, %bn2.running_var) : f32[?, 8, 8, 8]
  %add = add(%bn2, %relu1) : f32[?, 8, 8, 8]
  %relu2 = relu(%add) : f32[?, 8, 8, 8]
  %pool = max_pool2d(%relu2) {kernel_size = [2, 2]} : f32[?, 8, 4, 4]
  %flatten = flatten(%pool) : f32[?, 128]
  %fc.weight = get_attr @fc.weight : f32[5, 128]
  %fc.bias = get_attr @fc.bias : f32[5]
  %fc = linear(%flatten, %fc.weight, %fc.bias) : f32[?, 5]
  output(%fc)
})";

Tensor randomInput(std::mt19937 &Rng, int64_t Batch) {
  std::normal_distribution<float> N;
  Tensor X = Tensor::empty({Batch, 3, 8, 8});
  for (int64_t I = 0; I < X.numel(); ++I)
    X.f32()[I] = N(Rng);
  return X;
}

/// The model with random parameters (variances positive), prepared with
/// Yaml and trained for a few steps of observation so that every observer
/// and running statistic holds real values.
std::unique_ptr<Graph> trainedPrepared(llvm::StringRef Yaml) {
  auto G = parseGraph(Model, "m.qir");
  REQUIRE_OK(G);
  std::mt19937 Rng(5);
  std::uniform_real_distribution<float> U(-0.5f, 0.5f), Pos(0.5f, 1.5f);
  for (Parameter &P : (*G)->params()) {
    std::vector<float> V(P.byteSize() / 4);
    bool Positive = P.name().endswith("running_var") || P.name().endswith("bn1.weight");
    for (float &F : V)
      F = Positive ? Pos(Rng) : U(Rng);
    P.setData(std::vector<uint8_t>(reinterpret_cast<uint8_t *>(V.data()),
                                   reinterpret_cast<uint8_t *>(V.data() + V.size())));
  }
  auto Config = readConfigString(Yaml, ConfigFormat::YAML, "q.yaml");
  REQUIRE_OK(Config);
  auto Resolver = ConfigResolver::create(std::move(*Config));
  REQUIRE_OK(Resolver);
  REQUIRE_OK(prepareForQAT(**G, *Resolver));
  auto E = Executor::create(**G);
  REQUIRE_OK(E);
  MilestoneStepper Steps(**E);
  RunOptions Train;
  Train.Training = Train.UpdateState = true;
  for (int I = 0; I < 6; ++I) {
    Steps.step();
    REQUIRE_OK((*E)->forward({randomInput(Rng, 16)}, Train));
  }
  (*E)->syncToGraph();
  return std::move(*G);
}

Tensor run(Graph &G, const Tensor &X) {
  auto E = Executor::create(G);
  REQUIRE_OK(E);
  auto Out = (*E)->forward({X}, RunOptions());
  REQUIRE_OK(Out);
  return Out->front();
}

unsigned countOps(const Graph &G, llvm::StringRef Op) { return G.nodesWithOp(Op).size(); }

} // namespace

TEST_CASE("finalized graphs compute what the trained prepared graph computes", "[finalize]") {
  // Milestones freeze observers (m2 = 3) and batch norm (m3 = 4) during the
  // six steps, as a finished QAT run would have them.
  for (const char *Yaml : {"global_config:\n  milestones: [0, 0, 3, 4]\n",
                           "global_config:\n  quantization_scheme: affine\n  milestones: [0, 1, "
                           "3, 4]\n  weight_dtype: quint8\n",
                           "global_config:\n  weight_dtype: qint4\n  milestones: [0, 0, 3, 4]\n"}) {
    DYNAMIC_SECTION(Yaml) {
      auto Prepared = trainedPrepared(Yaml);
      auto Final = Prepared->clone();
      auto Summary = finalizeForDeployment(*Final);
      REQUIRE_OK(Summary);
      REQUIRE_OK(verify(*Final));
      CHECK(Summary->BatchNormsFolded == 2);
      CHECK(Summary->WeightsQuantized == 3);
      CHECK(Summary->ActivationPairs == countOps(*Final, "quantize"));
      CHECK(countOps(*Final, "fake_quantize") == 0);
      CHECK(countOps(*Final, "batch_norm") == 0);
      CHECK(countOps(*Final, "batch_norm_scale") == 0);
      CHECK(countOps(*Final, "dequantize") == 3 + countOps(*Final, "quantize"));
      CHECK(!Final->lookupParameter("qat.step"));
      for (const Parameter &P : Final->params()) {
        INFO(P.name().str());
        CHECK(!P.name().contains("min_val"));
        CHECK(!P.name().contains("observer_enabled"));
      }
      CHECK(Summary->ParameterBytesAfter < Summary->ParameterBytesBefore);

      std::mt19937 Rng(11);
      Tensor X = randomInput(Rng, 8);
      Tensor A = run(*Prepared, X), B = run(*Final, X);
      REQUIRE(A.numel() == B.numel());
      double MaxDiff = 0, MaxAbs = 0;
      for (int64_t I = 0; I < A.numel(); ++I) {
        MaxDiff = std::max(MaxDiff, double(std::fabs(A.f32()[I] - B.f32()[I])));
        MaxAbs = std::max(MaxAbs, double(std::fabs(A.f32()[I])));
      }
      INFO("max |prepared - finalized| = " << MaxDiff << " of max |output| " << MaxAbs);
      // Folding reorders float operations (conv / s * s, the bias), which
      // can flip a rounding in an activation quantizer: allow one step of
      // the output quantizer at most.
      CHECK(MaxDiff <= 0.02 * MaxAbs);
    }
  }
}

TEST_CASE("4-bit weights are marked and stay in their range", "[finalize]") {
  auto G = trainedPrepared("global_config:\n  weight_dtype: qint4\n");
  REQUIRE_OK(finalizeForDeployment(*G));
  for (Node *D : G->nodesWithOp("dequantize")) {
    const Parameter *Data = D->operand(0)->param();
    if (!Data || Data->type().dtype() != DType::I8 || !D->getExplicitAttr("axis"))
      continue;
    CHECK(D->getInt("bits") == 4);
    for (int8_t V : Data->values<int8_t>()) {
      CHECK(V >= -8);
      CHECK(V <= 7);
    }
  }
}

TEST_CASE("symmetric uint8 activations become int8 with zero point 0", "[finalize]") {
  auto G = trainedPrepared("{}\n");
  REQUIRE_OK(finalizeForDeployment(*G));
  // The graph input's site is symmetric quint8 (zero point 128): int8 now.
  Node *Q = G->lookupNode("x.quantized");
  REQUIRE(Q);
  CHECK(Q->attr("dtype")->getDType() == DType::I8);
  CHECK(Q->operand(2)->param()->values<int8_t>()[0] == 0);
  // relu1's site is affine (after a ReLU): uint8 with its zero point.
  Node *R = G->lookupNode("relu1.quantized");
  REQUIRE(R);
  CHECK(R->attr("dtype")->getDType() == DType::U8);
}

TEST_CASE("finalize errors name the problem", "[finalize]") {
  auto Float = parseGraph(Model, "m.qir");
  REQUIRE_OK(Float);
  auto E = finalizeForDeployment(**Float);
  REQUIRE(!E);
  CHECK(llvm::toString(E.takeError()) ==
        "graph 'm' has no fake quants; finalize a graph made by qatc prepare (and trained with "
        "qatc train)");
  auto Prepared = parseGraph(Model, "m.qir");
  REQUIRE_OK(Prepared);
  auto Resolver = ConfigResolver::create(defaultLinearQuantizerConfig());
  REQUIRE_OK(Resolver);
  REQUIRE_OK(prepareForQAT(**Prepared, *Resolver));
  auto Elided = finalizeForDeployment(**Prepared);
  REQUIRE(!Elided);
  CHECK(llvm::StringRef(llvm::toString(Elided.takeError())).contains("has no data (elided)"));
}
