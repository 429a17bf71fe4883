//===- Fusion_test.cpp - Fused node chains give the separate kernels' bits ===//
//
// The conv + batch norm training-form tail, batch_norm(add(div(conv, s), b)),
// is built with and without the added bias and run for two training steps
// (batch statistics, running statistics updated in place), then with batch
// norm frozen, by an executor that fuses it and one that does not: outputs,
// every parameter gradient and every parameter must agree bit for bit, on
// shapes with a plane, without one (1x1) and with a batch of one. Checked
// passes (CheckFinite) name the node inside a chain that produced a NaN.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"
#include "runtime/testing/OpTester.h"

#include "ir/Builder.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

/// The graph builder, failing the test on errors.
struct TailBuilder {
  Builder B;
  Node *call(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
             llvm::SmallVector<NamedAttribute, 0> Attrs = {}) {
    return llvm::cantFail(B.call(Op, Operands, std::move(Attrs)));
  }
  Node *perChannel(Node *X, int64_t C) {
    return call("reshape", {X}, {{"shape", Attribute(std::vector<int64_t>{1, C, 1, 1})}});
  }
};

/// mean(batch_norm([add](div(conv2d(x, w), s), b)) * r), s = batch_norm_scale
/// of the batch norm's weight and running variance, as prepare writes it.
std::unique_ptr<Graph> trainingFormTail(int64_t N, int64_t C, int64_t H, bool WithBias,
                                        std::mt19937 &Rng) {
  auto G = std::make_unique<Graph>("tail");
  TailBuilder T{Builder(*G)};
  Node *X = T.B.placeholder("x", Type::tensor(DType::F32, {N, 3, H, H}));
  Node *R = T.B.placeholder("r", Type::tensor(DType::F32, {N, C, H, H}));
  auto Param = [&](llvm::StringRef Name, llvm::ArrayRef<int64_t> Shape, float Lo, float Hi) {
    return T.B.getAttr(addTensorParameter(*G, Name, randomTensor(Shape, Rng, Lo, Hi)));
  };
  Node *Conv = T.call("conv2d", {X, Param("w", {C, 3, 3, 3}, -1, 1)},
                      {{"padding", Attribute(std::vector<int64_t>{1, 1})}});
  Node *Weight = Param("bn.weight", {C}, 0.5f, 1.5f);
  Node *RunVar = Param("bn.running_var", {C}, 0.5f, 2);
  Node *Scale = T.call("batch_norm_scale", {Weight, RunVar});
  Node *Z = T.call("div", {Conv, T.perChannel(Scale, C)});
  if (WithBias)
    Z = T.call("add", {Z, T.perChannel(Param("conv.bias", {C}, -1, 1), C)});
  Node *Y = T.call("batch_norm", {Z, Weight, Param("bn.bias", {C}, -1, 1),
                                  Param("bn.running_mean", {C}, -1, 1), RunVar});
  T.B.output({T.call("mean", {T.call("mul", {Y, R})})});
  addTensorParameter(*G, "qat.bn_frozen", Tensor::zeros({1}, DType::U8));
  return G;
}

bool sameBits(const Tensor &A, const Tensor &B) {
  return A.defined() == B.defined() && (!A.defined() || (A.byteSize() == B.byteSize() &&
                                                         std::memcmp(A.raw(), B.raw(),
                                                                     A.byteSize()) == 0));
}

/// Runs the same steps on a fused and an unfused executor of two copies of
/// one graph and checks every result for equal bits.
void checkFusedMatchesUnfused(int64_t N, int64_t C, int64_t H, bool WithBias) {
  std::mt19937 Rng(7);
  std::unique_ptr<Graph> Graphs[2] = {trainingFormTail(N, C, H, WithBias, Rng), nullptr};
  Rng.seed(7);
  Graphs[1] = trainingFormTail(N, C, H, WithBias, Rng);
  ExecutorOptions Unfused;
  Unfused.Fuse = false;
  auto Fused = Executor::create(*Graphs[0]);
  auto Plain = Executor::create(*Graphs[1], Unfused);
  REQUIRE_OK(Fused);
  REQUIRE_OK(Plain);
  CHECK((*Fused)->numFusions() == 1);
  CHECK((*Plain)->numFusions() == 0);
  Executor *E[2] = {Fused->get(), Plain->get()};
  for (int Step = 0; Step < 3; ++Step) {
    INFO("step " << Step);
    // The last step runs with batch norm frozen (running statistics).
    if (Step == 2)
      for (Executor *Ex : E)
        Ex->parameter(Ex->graph().lookupParameter("qat.bn_frozen")).data<uint8_t>()[0] = 1;
    Tensor X = randomTensor({N, 3, H, H}, Rng, -2, 2), R = randomTensor({N, C, H, H}, Rng);
    RunOptions Opts;
    Opts.Training = Opts.UpdateState = Opts.RecordGradients = true;
    TensorList Out[2];
    for (int I = 0; I < 2; ++I) {
      auto O = E[I]->forward({X, R}, Opts);
      REQUIRE_OK(O);
      Out[I] = *O;
      REQUIRE_OK(E[I]->backward({Tensor::full({}, 1.0f)}));
    }
    CHECK(sameBits(Out[0].front(), Out[1].front()));
    for (unsigned P = 0; P < Graphs[0]->params().size(); ++P) {
      const Parameter &A = *std::next(Graphs[0]->params().begin(), P);
      const Parameter *B = Graphs[1]->lookupParameter(A.name());
      INFO("parameter " << A.name().str());
      CHECK(sameBits(E[0]->parameter(&A), E[1]->parameter(B)));
      CHECK(sameBits(E[0]->gradient(&A), E[1]->gradient(B)));
    }
  }
}

} // namespace

TEST_CASE("the fused training-form tail gives the separate kernels' bits", "[fusion]") {
  SECTION("with the conv bias") { checkFusedMatchesUnfused(3, 4, 5, true); }
  SECTION("without a bias") { checkFusedMatchesUnfused(3, 4, 5, false); }
  SECTION("1x1 planes") { checkFusedMatchesUnfused(4, 3, 1, true); }
  SECTION("a batch of one") { checkFusedMatchesUnfused(1, 2, 4, true); }
  SECTION("large enough for several threads") { checkFusedMatchesUnfused(8, 16, 24, true); }
}

TEST_CASE("a checked forward pass names the node inside a fused chain", "[fusion]") {
  std::mt19937 Rng(3);
  std::unique_ptr<Graph> G = trainingFormTail(2, 3, 4, true, Rng);
  auto E = Executor::create(*G);
  REQUIRE_OK(E);
  REQUIRE((*E)->numFusions() == 1);
  // A zero batch norm weight makes the divisor 0: div produces Inf.
  (*E)->parameter(G->lookupParameter("bn.weight")).zero();
  RunOptions Opts;
  Opts.Training = true;
  Opts.CheckFinite = true;
  auto Out = (*E)->forward({randomTensor({2, 3, 4, 4}, Rng), randomTensor({2, 3, 4, 4}, Rng)},
                           Opts);
  REQUIRE_FALSE(bool(Out));
  std::string Message = llvm::toString(Out.takeError());
  CHECK(llvm::StringRef(Message).contains("(div) produced NaN or Inf"));
}
