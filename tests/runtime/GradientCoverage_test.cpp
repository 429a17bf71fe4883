//===- GradientCoverage_test.cpp - Every differentiable op, both checks ---===//
//
// Issue #5 asks for every differentiable op's gradients against PyTorch
// autograd and against finite differences. The kernel families test their
// own ops; this test holds the whole set to it: every op whose kernel has a
// backward (and getitem, which the executor routes) must have autograd
// references in the families' PyTorch fixtures and a finite-difference check,
// here or in its family's test. It adds the checks no family had: the views
// reshape, squeeze and unsqueeze, the learnable fake quant's scale where its
// input is clamped (the only place LSQ's gradient is a derivative of the
// forward), and batch_norm_scale next to a batch norm that updates the
// running variance they share. docs/runtime.md "Parity" has the table.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/testing/OpFixtures.h"
#include "runtime/kernels/testing/ParityCases.h"
#include "runtime/quant/testing/FixtureFile.h"
#include "runtime/testing/OpTester.h"

#include "ir/Builder.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

/// Ops the runtime differentiates: kernels with a backward, and getitem.
std::set<std::string> differentiableOps() {
  std::set<std::string> Ops = {"getitem"};
  for (const std::string &Op : kernelOpNames())
    if (lookupKernel(Op)->Backward)
      Ops.insert(Op);
  return Ops;
}

/// The finite-difference checks of the kernel families' own tests.
const std::map<std::string, std::string> &finiteDifferencesElsewhere() {
  static const std::map<std::string, std::string> Table = {
      {"conv1d", "convolution_test"},      {"conv2d", "convolution_test"},
      {"conv_transpose2d", "convolution_test"},
      {"linear", "linear_test"},           {"matmul", "linear_test"},
      {"batch_norm", "batch_norm_test"},   {"batch_norm_scale", "batch_norm_test"},
      {"max_pool2d", "pooling_test"},      {"avg_pool2d", "pooling_test"},
      {"adaptive_avg_pool2d", "pooling_test"},
      {"relu", "activations_test"},        {"relu6", "activations_test"},
      {"clamp", "activations_test"},       {"hardswish", "activations_test"},
      {"hardsigmoid", "activations_test"}, {"sigmoid", "activations_test"},
      {"tanh", "activations_test"},        {"silu", "activations_test"},
      {"gelu", "activations_test"},        {"leaky_relu", "activations_test"},
      {"add", "elementwise_test"},         {"sub", "elementwise_test"},
      {"mul", "elementwise_test"},         {"div", "elementwise_test"},
      {"mean", "reductions_test"},         {"softmax", "reductions_test"},
      {"cat", "layout_test"},              {"split", "layout_test"},
      {"getitem", "layout_test (split)"},  {"slice", "layout_test"},
      {"permute", "layout_test"},          {"transpose", "layout_test"},
      {"pad", "layout_test"},              {"flatten", "layout_test"},
      {"identity", "layout_test"},         {"dropout", "layout_test"},
  };
  return Table;
}

/// Per op, how many PyTorch cases give autograd gradients, from every
/// fixture file of the kernel families.
std::map<std::string, int> autogradReferences() {
  std::map<std::string, int> Count;
  for (const char *File : {"convolution", "linear", "batch_norm", "pooling"}) {
    auto Cases = readParityCases(std::string("runtime/kernels/fixtures/") + File + ".txt");
    REQUIRE_OK(Cases);
    for (const ParityCase &C : *Cases)
      Count[C.Op.Op] += !C.Grads.empty();
  }
  for (const char *File : {"elementwise", "activations", "reductions", "layout"}) {
    auto Cases = readOpFixtures(std::string("runtime/kernels/fixtures/basic/") + File + ".json");
    REQUIRE_OK(Cases);
    for (const OpFixture &C : *Cases)
      Count[C.Op.Op] += !C.Grads.empty();
  }
  // x -> mul -> add -> relu -> split -> getitem -> cat -> mean.
  auto Graph = readNamedTensors("runtime/kernels/fixtures/basic/graph.json");
  REQUIRE_OK(Graph);
  Count["getitem"] += Graph->count("grad_w");
  // Vanilla (dx) and learnable (dx, dscale, dzero_point) fake quants.
  for (const char *File : {"fake_quantize", "learnable", "observers"}) {
    auto Cases = readFixtureFile(std::string("runtime/quant/fixtures/") + File + ".txt");
    REQUIRE_OK(Cases);
    for (const FixtureCase &C : *Cases)
      Count["fake_quantize"] += C.Tensors.count("dx") || C.Tensors.count("dx0");
  }
  return Count;
}

/// Finite-difference checks no kernel family has: the view ops.
std::vector<OpCase> viewCases() {
  std::mt19937 Rng(31);
  Tensor X = randomTensor({2, 1, 3, 1}, Rng);
  return {
      {"reshape", {X}, {{"shape", Attribute(std::vector<int64_t>{3, -1})}}},
      {"squeeze", {X}, {}},
      {"squeeze", {X}, {{"dims", Attribute(std::vector<int64_t>{-1})}}},
      {"unsqueeze", {X}, {{"dim", Attribute(int64_t(2))}}},
  };
}

} // namespace

TEST_CASE("every differentiable op has PyTorch autograd references", "[runtime][parity]") {
  std::map<std::string, int> References = autogradReferences();
  for (const std::string &Op : differentiableOps()) {
    INFO(Op);
    CHECK(References[Op] > 0);
    std::printf("%-20s %3d PyTorch autograd cases\n", Op.c_str(), References[Op]);
  }
}

TEST_CASE("every differentiable op has a finite-difference check", "[runtime][parity]") {
  std::set<std::string> Here = {"fake_quantize"}; // the learnable scale, below
  for (const OpCase &C : viewCases()) {
    INFO(C.Op);
    auto R = checkGradients(C);
    REQUIRE_OK(R);
    CHECK(R->MaxError < 1e-3);
    Here.insert(C.Op);
  }
  for (const std::string &Op : differentiableOps()) {
    INFO(Op << " has no finite-difference check");
    CHECK((Here.count(Op) || finiteDifferencesElsewhere().count(Op)));
  }
}

// LSQ's scale gradient is g * d(forward)/d(scale) with g = 1/sqrt(N * qmax)
// where the input is clamped: y = (bound - zp) * scale. Inside the range it
// adds the straight-through term -x/scale, which no finite difference of the
// rounding forward sees, and the zero point's gradient is straight-through
// everywhere (the forward rounds it), so only this is checked.
TEST_CASE("the learnable scale gradient is LSQ's factor times the finite difference where "
          "the input is clamped",
          "[runtime][parity]") {
  std::mt19937 Rng(37);
  struct Form {
    const char *Scheme;
    int64_t QMin, QMax;
    bool PerChannel;
  };
  for (const Form &F : {Form{"symmetric", -128, 127, false}, Form{"symmetric", -128, 127, true},
                        Form{"affine", 0, 255, false}, Form{"affine", 0, 255, true}}) {
    DYNAMIC_SECTION(F.Scheme << (F.PerChannel ? " per channel" : " per tensor")) {
      const int64_t Channels = F.PerChannel ? 3 : 1;
      // |x| of 4 to 8 with scales near 0.01 lies far outside [qmin, qmax].
      Tensor X = randomTensor({3, 4}, Rng, 4, 8);
      for (int64_t I = 0; I < X.numel(); I += 2)
        X.f32()[I] = -X.f32()[I];
      Tensor Scale = randomTensor({Channels}, Rng, 0.008f, 0.012f);
      Tensor ZeroPoint = Tensor::full({Channels}, F.QMin < 0 ? 0.0f : 37.0f);
      llvm::SmallVector<NamedAttribute, 0> Attrs = {
          {"algorithm", Attribute("learnable")}, {"scheme", Attribute(F.Scheme)},
          {"quant_min", Attribute(F.QMin)},       {"quant_max", Attribute(F.QMax)}};
      if (F.PerChannel)
        Attrs.push_back({"axis", Attribute(int64_t(0))});
      OpCase C{"fake_quantize", {X, Scale, ZeroPoint}, Attrs};
      Tensor R = randomTensor({3, 4}, Rng);

      auto B = buildOp(C);
      REQUIRE_OK(B);
      RunOptions Record;
      Record.RecordGradients = true;
      REQUIRE_OK(B->Exec->forward({}, Record));
      REQUIRE_OK(B->Exec->backward({R}));
      const Tensor &DScale = B->Exec->gradient(B->OperandParams[1]);
      const Tensor &DX = B->Exec->gradient(B->OperandParams[0]);
      REQUIRE(DScale.defined());
      // Clamped everywhere: x gets no gradient, as its finite difference says.
      for (int64_t I = 0; I < DX.numel(); ++I)
        CHECK(DX.f32()[I] == 0.0f);

      double G = 1.0 / std::sqrt(double(X.numel()) / Channels * F.QMax);
      for (int64_t Ch = 0; Ch < Channels; ++Ch) {
        auto Objective = [&](float Delta) {
          OpCase Shifted = C;
          Shifted.Operands[1] = Tensor::empty({Channels});
          Shifted.Operands[1].copyFrom(Scale);
          Shifted.Operands[1].f32()[Ch] += Delta;
          auto Out = runOp(Shifted);
          REQUIRE_OK(Out);
          double Sum = 0;
          for (int64_t I = 0; I < R.numel(); ++I)
            Sum += double(Out->front().f32()[I]) * R.f32()[I];
          return Sum;
        };
        const float H = 1e-4f;
        double Numeric = (Objective(H) - Objective(-H)) / (2.0 * H);
        INFO("channel " << Ch << ": analytic " << DScale.f32()[Ch] << ", g " << G
                        << ", numeric " << Numeric);
        CHECK(std::fabs(DScale.f32()[Ch] / G - Numeric) <= 2e-3 * std::fabs(Numeric) + 1e-3);
      }
    }
  }
}

// The conv + batch norm training form reads running_var in batch_norm_scale
// and then updates it in the batch norm of the same forward; the gradient of
// gamma through batch_norm_scale must divide by the running std the forward
// used (torch's _forward_approximate keeps that tensor), not the updated one.
TEST_CASE("batch_norm_scale's gradient uses the running variance of its own forward",
          "[runtime][parity]") {
  Graph G("bn_scale_state");
  Builder B(G);
  auto Param = [&](llvm::StringRef Name, std::vector<float> Values) {
    Parameter *P = G.addParameter(Name, Type::tensor(DType::F32, {(int64_t)Values.size()}));
    const auto *Bytes = reinterpret_cast<const uint8_t *>(Values.data());
    P->setData(std::vector<uint8_t>(Bytes, Bytes + Values.size() * sizeof(float)));
    return B.getAttr(P);
  };
  Node *X = B.placeholder("x", Type::tensor(DType::F32, {4, 2}));
  Node *Gamma = Param("gamma", {0.5f, 2.0f}), *Beta = Param("beta", {0.1f, -0.2f});
  Node *Mean = Param("running_mean", {0.0f, 0.0f});
  Node *Var = Param("running_var", {4.0f, 0.25f});
  Node *Scale = cantFail(B.call("batch_norm_scale", {Gamma, Var}));
  Node *Scaled = cantFail(B.call("mul", {X, Scale}));
  Node *Norm = cantFail(B.call("batch_norm", {Scaled, Gamma, Beta, Mean, Var}));
  // Sum the scale into the output too, so the loss reads it directly.
  Node *Out = cantFail(B.call("add", {Norm, Scale}));
  B.output({Out});
  auto E = Executor::create(G);
  REQUIRE_OK(E);

  // x whose batch variance (about 17 and 4) is far from running_var.
  Tensor In = Tensor::fromFloats({4, 2}, {1, -2, 5, 3, -4, 0, 9, 1});
  RunOptions Run;
  Run.Training = Run.UpdateState = Run.RecordGradients = true;
  REQUIRE_OK((*E)->forward({In}, Run));
  Parameter *VarParam = G.lookupParameter("running_var");
  REQUIRE((*E)->parameter(VarParam).f32()[0] != 4.0f); // updated in place
  Tensor DOut = Tensor::full({4, 2}, 0.0f);
  for (int64_t I = 0; I < 4; ++I)
    DOut.f32()[I * 2] = DOut.f32()[I * 2 + 1] = 1.0f;
  REQUIRE_OK((*E)->backward({DOut}));

  // The batch norm normalizes x * s away, so d(loss)/d(gamma) is the batch
  // norm's own sum(dy * xhat) = 0 (dy is constant per channel) plus the add's
  // 4 per channel through s = gamma / sqrt(running_var + eps), before the update.
  const Tensor &DGamma = (*E)->gradient(G.lookupParameter("gamma"));
  float Expected[] = {4.0f / std::sqrt(4.0f + 1e-5f), 4.0f / std::sqrt(0.25f + 1e-5f)};
  for (int C = 0; C < 2; ++C) {
    INFO("channel " << C);
    CHECK(DGamma.f32()[C] == Approx(Expected[C]).epsilon(1e-5).margin(1e-5));
  }
}
