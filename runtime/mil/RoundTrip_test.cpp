//===- RoundTrip_test.cpp - QIR -> .mlpackage -> reference executor -------===//
//
// Every op case, a float CNN and quantized CNNs are written as packages,
// read back, converted and executed; the outputs must equal those of the
// runtime executing the QIR graph: bit for bit for float ops, exactly for
// quantize/dequantize (with power-of-two scales, where Core ML's x / s and
// QIR's x * (1 / s) agree). The quantize semantics test shows where they
// differ and that the executor follows Core ML.
//
//===----------------------------------------------------------------------===//
#include "runtime/mil/MilImporter.h"

#include "passes/mil/MLPackageWriter.h"
#include "passes/mil/testing/TestFiles.h"
#include "passes/mil/testing/TestGraphs.h"
#include "runtime/Executor.h"

#include "tests/support/TestHelpers.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using namespace qatc;
using namespace qatc::mil;
using namespace qatc::mil::testing;
using runtime::Tensor;

namespace {

/// Random inputs for G's placeholders (dynamic dims become Batch).
std::vector<Tensor> inputsFor(const Graph &G, unsigned Seed, int64_t Batch = 3) {
  std::vector<Tensor> In;
  for (Node *P : G.placeholders()) {
    std::vector<int64_t> Dims;
    for (int64_t D : P->type().dims())
      Dims.push_back(D < 0 ? Batch : D);
    In.push_back(Tensor::fromFloats(Dims, randomData(Dims, Seed++)));
  }
  return In;
}

std::vector<Tensor> run(Graph &G, const std::vector<Tensor> &In) {
  auto E = runtime::Executor::create(G);
  REQUIRE_OK(E);
  auto R = (*E)->forward(In, runtime::RunOptions());
  REQUIRE_OK(R);
  return std::vector<Tensor>(R->begin(), R->end());
}

/// The graph G becomes after a trip through a package written for T.
std::unique_ptr<Graph> throughPackage(const Graph &G, MilTarget T, llvm::StringRef Dir) {
  MilOptions O;
  O.Target = T;
  std::string Pkg = (Dir + "/" + G.name() + ".mlpackage").str();
  REQUIRE_OK(writeMLPackage(G, Pkg, O));
  auto Back = loadMLPackageGraph(Pkg);
  REQUIRE_OK(Back);
  return std::move(*Back);
}

/// Number of elements whose bits differ (shapes and dtypes must agree).
int64_t bitMismatches(const Tensor &A, const Tensor &B) {
  REQUIRE(A.dtype() == B.dtype());
  REQUIRE(std::vector<int64_t>(A.shape().begin(), A.shape().end()) ==
          std::vector<int64_t>(B.shape().begin(), B.shape().end()));
  size_t W = dtypeSize(A.dtype());
  int64_t N = 0;
  const uint8_t *PA = static_cast<const uint8_t *>(A.raw());
  const uint8_t *PB = static_cast<const uint8_t *>(B.raw());
  for (int64_t I = 0; I < A.numel(); ++I)
    N += std::memcmp(PA + I * W, PB + I * W, W) != 0;
  return N;
}

void checkSameOutputs(Graph &G, Graph &Back, unsigned Seed) {
  std::vector<Tensor> In = inputsFor(G, Seed);
  std::vector<Tensor> Want = run(G, In);
  std::vector<Tensor> Got = run(Back, In);
  REQUIRE(Got.size() == Want.size());
  for (size_t I = 0; I < Want.size(); ++I) {
    INFO("output " << I);
    CHECK(bitMismatches(Got[I], Want[I]) == 0);
  }
}

} // namespace

TEST_CASE("every op case runs bit-exactly through a package", "[mil][roundtrip]") {
  std::string Dir = freshDir("ops");
  for (OpCase &C : opCases()) {
    for (MilTarget T : {MilTarget::IOS17, MilTarget::IOS18}) {
      INFO("case " << C.Name << " target " << targetName(T).str());
      std::unique_ptr<Graph> Back = throughPackage(*C.G, T, Dir);
      // Inputs and outputs keep their names.
      REQUIRE(Back->placeholders().size() == C.G->placeholders().size());
      for (size_t I = 0; I < Back->placeholders().size(); ++I)
        CHECK(Back->placeholders()[I]->name() == C.G->placeholders()[I]->name());
      checkSameOutputs(*C.G, *Back, 11);
    }
  }
}

TEST_CASE("a float CNN runs bit-exactly, with a dynamic batch too", "[mil][roundtrip]") {
  std::string Dir = freshDir("float_cnn");
  for (bool Dynamic : {false, true}) {
    std::unique_ptr<Graph> G = floatCnn(Dynamic);
    for (MilTarget T : {MilTarget::IOS16, MilTarget::IOS17, MilTarget::IOS18}) {
      std::unique_ptr<Graph> Back = throughPackage(*G, T, Dir);
      CHECK(Back->placeholders()[0]->name() == "input_1");
      CHECK(Back->placeholders()[0]->type().dim(0) == (Dynamic ? kDynamicDim : 2));
      CHECK(Back->output()->operand(0)->name() == "fc");
      checkSameOutputs(*G, *Back, 5);
    }
  }
}

TEST_CASE("quantized CNNs run exactly through a package", "[mil][roundtrip]") {
  std::string Dir = freshDir("quantized_cnn");
  struct Case {
    int Bits;
    MilTarget T;
  } Cases[] = {{8, MilTarget::IOS17}, {8, MilTarget::IOS18}, {4, MilTarget::IOS18}};
  for (const Case &C : Cases) {
    INFO(C.Bits << "-bit, " << targetName(C.T).str());
    std::unique_ptr<Graph> G = quantizedCnn(C.Bits, /*PowerOfTwoScales=*/true, true);
    std::unique_ptr<Graph> Back = throughPackage(*G, C.T, Dir);
    // The constexpr weights came back as dequantize of integer parameters.
    unsigned Dequantize = 0, Quantize = 0;
    for (Node &N : Back->nodes()) {
      Dequantize += N.isCallTo("dequantize");
      Quantize += N.isCallTo("quantize");
    }
    CHECK(Dequantize == 4 + 3);
    CHECK(Quantize == 4);
    if (C.Bits == 4)
      CHECK(Back->lookupNode("conv1_weight_dq")->getInt("bits") == 4);
    checkSameOutputs(*G, *Back, 9);
    // The quantized values themselves are exercised: outputs are on the grid.
    std::vector<Tensor> Out = run(*Back, inputsFor(*G, 9));
    const float *P = Out[0].f32();
    for (int64_t I = 0; I < Out[0].numel(); ++I) {
      float Steps = P[I] / 0.0625f;
      CHECK(Steps == std::nearbyint(Steps));
    }
  }
}

TEST_CASE("quantize follows Core ML: round(x / scale), not x * (1 / scale)", "[mil][roundtrip]") {
  // Inputs where the two differ for scale 0.1: x / s lands on a tie or
  // across one that x * (1 / s) does not.
  const float S = 0.1f, Inv = 1.0f / S;
  std::vector<float> Diverging;
  for (int K = -120; K <= 120 && Diverging.size() < 8; ++K) {
    float X = (float(K) + 0.5f) * S;
    for (float Y : {X, std::nextafter(X, 1e9f), std::nextafter(X, -1e9f)})
      if (std::nearbyint(Y / S) != std::nearbyint(Y * Inv))
        Diverging.push_back(Y);
  }
  REQUIRE(Diverging.size() >= 2);
  int64_t N = int64_t(Diverging.size());

  GraphMaker M("divergent", 1);
  Node *X = M.input("x", {N});
  Node *Sc = M.floats("s", {1}, {S});
  Node *Z = M.ints("z", DType::I8, {1}, {0});
  Node *Q = M.call("quantize", {X, Sc, Z}, {{"dtype", DType::I8}}, "q");
  M.output({M.call("dequantize", {Q, Sc, Z}, {}, "dq")});
  std::unique_ptr<Graph> G = M.take();
  std::unique_ptr<Graph> Back = throughPackage(*G, MilTarget::IOS17, freshDir("divergent"));
  std::vector<Tensor> In = {Tensor::fromFloats({N}, Diverging)};
  std::vector<Tensor> Qir = run(*G, In), Core = run(*Back, In);
  for (int64_t I = 0; I < N; ++I) {
    float CoreML = float(std::nearbyint(Diverging[I] / S)) * S;
    float Torch = float(std::nearbyint(Diverging[I] * Inv)) * S;
    INFO("x = " << Diverging[I]);
    CHECK(Core[0].f32()[I] == CoreML);
    CHECK(Qir[0].f32()[I] == Torch);
    CHECK(CoreML != Torch);
  }
}

TEST_CASE("quantize clips to the full range and rounds half to even", "[mil][roundtrip]") {
  GraphMaker M("clip", 1);
  Node *X = M.input("x", {8});
  Node *Sc = M.floats("s", {1}, {0.5f});
  Node *Z = M.ints("z", DType::U8, {1}, {10});
  Node *Q = M.call("quantize", {X, Sc, Z}, {{"dtype", DType::U8}}, "q");
  M.output({M.call("dequantize", {Q, Sc, Z}, {}, "dq")});
  std::unique_ptr<Graph> G = M.take();
  std::unique_ptr<Graph> Back = throughPackage(*G, MilTarget::IOS18, freshDir("clip"));
  std::vector<float> In = {-100.0f, -5.0f, -4.75f, 0.25f, 0.75f, 1.25f, 122.5f, 1e6f};
  std::vector<Tensor> Out = run(*Back, {Tensor::fromFloats({8}, In)});
  // q = clip(rne(x / 0.5) + 10, 0, 255); y = (q - 10) * 0.5
  std::vector<float> Want = {-5.0f, -5.0f, -5.0f, 0.0f, 1.0f, 1.0f, 122.5f, 122.5f};
  for (size_t I = 0; I < Want.size(); ++I)
    CHECK(Out[0].f32()[I] == Want[I]);
}
