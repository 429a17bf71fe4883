//===- Fusion_test.cpp - Fused node chains give the separate kernels' bits ===//
//
// The conv + batch norm training form as prepare writes it, with a weight
// fake quant on mul(w, s), the tail batch_norm([add](div(conv, s), b)), an
// activation and its fake quant, is run by an executor that fuses its chains
// and one that does not, for four training steps: all enabled (twice), fake
// quant disabled, then observers disabled and batch norm frozen. Outputs,
// every parameter gradient and every parameter (observer state and running
// statistics included) must agree bit for bit (but for the gradients the
// fused tail takes in closed form with batch statistics, which agree to
// float32 rounding noise), with and without the conv
// bias, for relu, relu6 and no activation, on shapes with a plane, without
// one (1x1), with a batch of one, and large enough for several threads.
// Checked passes (CheckFinite) name the node inside a chain that made a NaN.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"
#include "runtime/testing/OpTester.h"

#include "ir/Builder.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

/// What one test graph has.
struct FormOptions {
  int64_t N = 3, C = 4, H = 5;
  bool WithBias = true;
  /// "relu", "relu6" or "" (the batch norm's output is quantized directly).
  std::string Activation = "relu";
  /// The range of the batch norm's weights: negative ones reverse the
  /// order of a channel's outputs, which the fused fake quant's observer
  /// must follow.
  float WeightLo = 0.5f, WeightHi = 1.5f;
};

/// A u8 flag tensor.
Tensor flag(bool On) {
  Tensor T = Tensor::empty({1}, DType::U8);
  T.data<uint8_t>()[0] = On;
  return T;
}

/// Builds the graph, failing the test on errors.
struct FormBuilder {
  Graph &G;
  Builder B;
  std::mt19937 &Rng;

  Node *call(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
             llvm::SmallVector<NamedAttribute, 0> Attrs = {}) {
    return llvm::cantFail(B.call(Op, Operands, std::move(Attrs)));
  }
  Node *reshape(Node *X, std::vector<int64_t> Shape) {
    return call("reshape", {X}, {{"shape", Attribute(std::move(Shape))}});
  }
  Node *param(llvm::StringRef Name, const Tensor &T) {
    return B.getAttr(addTensorParameter(G, Name, T));
  }
  Node *random(llvm::StringRef Name, llvm::ArrayRef<int64_t> Shape, float Lo, float Hi) {
    return param(Name, randomTensor(Shape, Rng, Lo, Hi));
  }
  /// A moving-average fake quant with its observer state, per channel along
  /// axis 0 with Channels > 0, else per tensor.
  Node *fakeQuantize(llvm::StringRef Name, Node *X, int64_t Channels) {
    int64_t K = std::max<int64_t>(1, Channels);
    float Inf = std::numeric_limits<float>::infinity();
    std::string P = Name.str();
    llvm::SmallVector<Node *, 7> Ops = {
        X,
        param(P + ".scale", Tensor::full({K}, 1.0f)),
        param(P + ".zero_point", Tensor::zeros({K}, DType::I32)),
        param(P + ".observer_enabled", flag(true)),
        param(P + ".fake_quant_enabled", flag(true)),
        param(P + ".min_val", Tensor::full({K}, Inf)),
        param(P + ".max_val", Tensor::full({K}, -Inf))};
    llvm::SmallVector<NamedAttribute, 0> Attrs = {
        {"observer", Attribute(std::string("moving_average_min_max"))}};
    if (Channels > 0) {
      Attrs.push_back({"axis", Attribute(int64_t(0))});
      Attrs.push_back({"quant_min", Attribute(int64_t(-128))});
      Attrs.push_back({"quant_max", Attribute(int64_t(127))});
      Attrs.push_back({"scheme", Attribute(std::string("symmetric"))});
    }
    return call("fake_quantize", Ops, std::move(Attrs));
  }
};

/// mean(fq(act(batch_norm([add](div(conv2d(x, fq(w * s')), s), b)))) * r),
/// s = batch_norm_scale of the batch norm's weight and running variance.
std::unique_ptr<Graph> trainingForm(const FormOptions &O, std::mt19937 &Rng) {
  auto G = std::make_unique<Graph>("form");
  FormBuilder F{*G, Builder(*G), Rng};
  int64_t N = O.N, C = O.C, H = O.H;
  Node *X = F.B.placeholder("x", Type::tensor(DType::F32, {N, 3, H, H}));
  Node *R = F.B.placeholder("r", Type::tensor(DType::F32, {N, C, H, H}));
  Node *Weight = F.random("bn.weight", {C}, O.WeightLo, O.WeightHi);
  Node *RunVar = F.random("bn.running_var", {C}, 0.5f, 2);
  Node *Scale = F.call("batch_norm_scale", {Weight, RunVar});
  Node *W = F.call("mul", {F.random("w", {C, 3, 3, 3}, -1, 1), F.reshape(Scale, {C, 1, 1, 1})});
  Node *Conv = F.call("conv2d", {X, F.fakeQuantize("w.fq", W, C)},
                      {{"padding", Attribute(std::vector<int64_t>{1, 1})}});
  Node *Z = F.call("div", {Conv, F.reshape(Scale, {1, C, 1, 1})});
  if (O.WithBias)
    Z = F.call("add", {Z, F.reshape(F.random("conv.bias", {C}, -1, 1), {1, C, 1, 1})});
  Node *Y = F.call("batch_norm", {Z, Weight, F.random("bn.bias", {C}, -1, 1),
                                  F.random("bn.running_mean", {C}, -1, 1), RunVar});
  if (!O.Activation.empty())
    Y = F.call(O.Activation, {Y});
  Y = F.fakeQuantize("act.fq", Y, 0);
  F.B.output({F.call("mean", {F.call("mul", {Y, R})})});
  addTensorParameter(*G, "qat.bn_frozen", flag(false));
  return G;
}

bool sameBits(const Tensor &A, const Tensor &B) {
  return A.defined() == B.defined() && (!A.defined() || (A.byteSize() == B.byteSize() &&
                                                         std::memcmp(A.raw(), B.raw(),
                                                                     A.byteSize()) == 0));
}

/// Every element of A within 1e-7 + 1e-5 |b| of B's (rounding noise of a
/// sum of a few hundred float32 terms).
bool closeTo(const Tensor &A, const Tensor &B) {
  if (!A.defined() || !B.defined() || A.numel() != B.numel())
    return false;
  for (int64_t I = 0; I < A.numel(); ++I)
    if (!(std::fabs(A.f32()[I] - B.f32()[I]) <= 1e-7f + 1e-5f * std::fabs(B.f32()[I])))
      return false;
  return true;
}

/// Sets every parameter whose name ends with Suffix to the u8 flag On.
void setFlags(Executor &E, llvm::StringRef Suffix, bool On) {
  for (Parameter &P : E.graph().params())
    if (P.name().endswith(Suffix))
      E.parameter(&P).data<uint8_t>()[0] = On;
}

/// Runs the same steps on a fused and an unfused executor of two copies of
/// one graph and checks every result for equal bits.
void checkFusedMatchesUnfused(const FormOptions &O, unsigned ExpectedFusions) {
  std::mt19937 Rng(7);
  std::unique_ptr<Graph> Graphs[2] = {trainingForm(O, Rng), nullptr};
  Rng.seed(7);
  Graphs[1] = trainingForm(O, Rng);
  ExecutorOptions Unfused;
  Unfused.Fuse = false;
  auto Fused = Executor::create(*Graphs[0]);
  auto Plain = Executor::create(*Graphs[1], Unfused);
  REQUIRE_OK(Fused);
  REQUIRE_OK(Plain);
  CHECK((*Fused)->numFusions() == ExpectedFusions);
  CHECK((*Plain)->numFusions() == 0);
  Executor *E[2] = {Fused->get(), Plain->get()};
  for (int Step = 0; Step < 4; ++Step) {
    INFO("step " << Step);
    for (Executor *Ex : E) {
      setFlags(*Ex, "fake_quant_enabled", Step != 2);
      setFlags(*Ex, "observer_enabled", Step != 3);
      setFlags(*Ex, "bn_frozen", Step == 3);
    }
    Tensor X = randomTensor({O.N, 3, O.H, O.H}, Rng, -2, 2);
    Tensor R = randomTensor({O.N, O.C, O.H, O.H}, Rng);
    RunOptions Opts;
    Opts.Training = Opts.UpdateState = Opts.RecordGradients = true;
    TensorList Out[2];
    for (int I = 0; I < 2; ++I) {
      auto Result = E[I]->forward({X, R}, Opts);
      REQUIRE_OK(Result);
      Out[I] = *Result;
      REQUIRE_OK(E[I]->backward({Tensor::full({}, 1.0f)}));
    }
    CHECK(sameBits(Out[0].front(), Out[1].front()));
    for (const Parameter &A : Graphs[0]->params()) {
      const Parameter *B = Graphs[1]->lookupParameter(A.name());
      INFO("parameter " << A.name().str());
      CHECK(sameBits(E[0]->parameter(&A), E[1]->parameter(B)));
      // With batch statistics the fused tail gives s (batch_norm_scale of
      // bn.weight) and b (conv.bias) their gradients in closed form, where
      // the separate kernels leave float32 rounding noise (b's exact
      // gradient is 0): those agree to the noise, everything else bit for
      // bit.
      bool ClosedForm = Step != 3 && (A.name() == "bn.weight" || A.name() == "conv.bias");
      if (ClosedForm)
        CHECK(closeTo(E[0]->gradient(&A), E[1]->gradient(B)));
      else
        CHECK(sameBits(E[0]->gradient(&A), E[1]->gradient(B)));
    }
  }
}

} // namespace

TEST_CASE("fused training-form chains give the separate kernels' bits", "[fusion]") {
  FormOptions O;
  // Two fusions: the scaled weight's fake quant, and the tail with its
  // activation and output fake quant.
  SECTION("relu, with the conv bias") { checkFusedMatchesUnfused(O, 2); }
  SECTION("relu6, without a bias") {
    O.Activation = "relu6";
    O.WithBias = false;
    checkFusedMatchesUnfused(O, 2);
  }
  SECTION("no activation") {
    O.Activation = "";
    checkFusedMatchesUnfused(O, 2);
  }
  SECTION("1x1 planes") {
    O.N = 4, O.C = 3, O.H = 1;
    checkFusedMatchesUnfused(O, 2);
  }
  SECTION("a batch of one") {
    O.N = 1, O.C = 2, O.H = 4;
    checkFusedMatchesUnfused(O, 2);
  }
  SECTION("large enough for several threads") {
    O.N = 8, O.C = 16, O.H = 24;
    checkFusedMatchesUnfused(O, 2);
  }
  SECTION("batch norm weights of both signs") {
    O.WeightLo = -1.5f;
    for (const char *Act : {"relu", "relu6", ""}) {
      INFO("activation '" << Act << "'");
      O.Activation = Act;
      checkFusedMatchesUnfused(O, 2);
    }
  }
  SECTION("negative batch norm weights, no activation") {
    O.WeightLo = -1.5f, O.WeightHi = -0.5f;
    O.Activation = "";
    checkFusedMatchesUnfused(O, 2);
  }
}

TEST_CASE("a checked forward pass names the node inside a fused chain", "[fusion]") {
  std::mt19937 Rng(3);
  FormOptions O;
  std::unique_ptr<Graph> G = trainingForm(O, Rng);
  auto E = Executor::create(*G);
  REQUIRE_OK(E);
  REQUIRE((*E)->numFusions() == 2);
  // A zero batch norm weight makes the divisor 0: div produces NaN or Inf
  // (the weight fake quant before it sees zeros and stays finite).
  (*E)->parameter(G->lookupParameter("bn.weight")).zero();
  RunOptions Opts;
  Opts.Training = true;
  Opts.CheckFinite = true;
  auto Out = (*E)->forward(
      {randomTensor({O.N, 3, O.H, O.H}, Rng), randomTensor({O.N, O.C, O.H, O.H}, Rng)}, Opts);
  REQUIRE_FALSE(bool(Out));
  CHECK(llvm::StringRef(llvm::toString(Out.takeError())).contains("(div) produced NaN or Inf"));
}
