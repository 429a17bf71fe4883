//===- Training_test.cpp - Optimizers, losses and schedules vs PyTorch ----===//
#include "runtime/LearningRate.h"
#include "runtime/Loss.h"
#include "runtime/NpzFile.h"
#include "runtime/Optimizer.h"

#include "tests/support/TestHelpers.h"

#include "ir/Builder.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

namespace {

NamedTensors fixture(llvm::StringRef Name) {
  auto Arrays = readNpz(("runtime/training_fixtures/" + Name).str());
  REQUIRE_OK(Arrays);
  return std::move(*Arrays);
}

const Tensor &find(const NamedTensors &Arrays, llvm::StringRef Name) {
  for (const auto &[Key, T] : Arrays)
    if (Key == Name)
      return T;
  FAIL("no array named " << Name.str());
  static Tensor None;
  return None;
}

double maxRelativeError(const Tensor &A, const Tensor &B) {
  REQUIRE(A.numel() == B.numel());
  double M = 0;
  for (int64_t I = 0; I < A.numel(); ++I)
    M = std::max(M, std::fabs(double(A.f32()[I]) - B.f32()[I]) /
                        std::max(1e-6, std::fabs(double(B.f32()[I]))));
  return M;
}

/// A graph whose only trainable parameter is `w` [5, 7]: out = w * x.
struct OneParameter {
  Graph G{"one_param"};
  Parameter *W = nullptr;
  std::unique_ptr<Executor> E;

  explicit OneParameter(const Tensor &Init) {
    Builder B(G);
    W = G.addParameter("w", Type::tensor(DType::F32, {5, 7}));
    llvm::ArrayRef<uint8_t> Bytes = Init.bytes();
    W->setData(std::vector<uint8_t>(Bytes.begin(), Bytes.end()));
    Node *X = B.placeholder("x", Type::tensor(DType::F32, {5, 7}));
    Node *Mul = cantFail(B.call("mul", {B.getAttr(W), X}));
    B.output({Mul});
    auto Exec = Executor::create(G);
    REQUIRE_OK(Exec);
    E = std::move(*Exec);
  }

  /// Makes the gradient of w equal to G (forward with x = G, backward with 1).
  void setGradient(const Tensor &Grad) {
    RunOptions Opts;
    Opts.RecordGradients = true;
    auto Out = E->forward({Grad}, Opts);
    REQUIRE_OK(Out);
    REQUIRE_OK(E->backward({Tensor::full({5, 7}, 1.0f)}));
  }
};

struct OptimizerCase {
  const char *Name;
  OptimizerOptions Opts;
  double LR;
};

} // namespace

TEST_CASE("optimizers match torch.optim over three steps", "[runtime][optimizer]") {
  NamedTensors F = fixture("optimizers.npz");
  OptimizerOptions Sgd, Momentum, Nesterov, Adam, AdamWd, AdamW;
  Momentum.Momentum = 0.9;
  Nesterov.Momentum = 0.9;
  Nesterov.Nesterov = true;
  Nesterov.WeightDecay = 1e-2;
  Adam.Kind = AdamWd.Kind = OptimizerKind::Adam;
  AdamWd.WeightDecay = 1e-2;
  AdamW.Kind = OptimizerKind::AdamW;
  AdamW.WeightDecay = 5e-2;
  for (const OptimizerCase &C : {OptimizerCase{"sgd", Sgd, 0.1},
                                 OptimizerCase{"sgd_momentum", Momentum, 0.05},
                                 OptimizerCase{"sgd_nesterov_wd", Nesterov, 0.05},
                                 OptimizerCase{"adam", Adam, 1e-2},
                                 OptimizerCase{"adam_wd", AdamWd, 1e-2},
                                 OptimizerCase{"adamw", AdamW, 1e-2}}) {
    DYNAMIC_SECTION(C.Name) {
      std::string Prefix = C.Name;
      OneParameter Model(find(F, Prefix + ".p0"));
      Optimizer Opt(C.Opts);
      for (int Step = 1; Step <= 3; ++Step) {
        Model.setGradient(find(F, Prefix + ".g" + std::to_string(Step)));
        Opt.step(*Model.E, C.LR);
        INFO("step " << Step);
        CHECK(maxRelativeError(Model.E->parameter(Model.W),
                               find(F, Prefix + ".p" + std::to_string(Step))) < 1e-5);
      }
    }
  }
}

TEST_CASE("optimizer state survives a save and load", "[runtime][optimizer]") {
  NamedTensors F = fixture("optimizers.npz");
  OptimizerOptions Opts;
  Opts.Kind = OptimizerKind::Adam;
  OneParameter A(find(F, "adam.p0")), B(find(F, "adam.p0"));
  Optimizer First(Opts);
  A.setGradient(find(F, "adam.g1"));
  First.step(*A.E, 1e-2);
  B.E->parameter(B.W).copyFrom(A.E->parameter(A.W));
  Optimizer Second(Opts);
  REQUIRE_OK(Second.loadState(First.state()));
  CHECK(Second.steps() == 1);
  A.setGradient(find(F, "adam.g2"));
  B.setGradient(find(F, "adam.g2"));
  First.step(*A.E, 1e-2);
  Second.step(*B.E, 1e-2);
  CHECK(A.E->parameter(A.W).bytes() == B.E->parameter(B.W).bytes());

  auto Bad = Second.loadState({{"w.mystery", Tensor::zeros({1})}});
  REQUIRE(!Bad.success());
  CHECK(llvm::toString(std::move(Bad)) == "unknown optimizer state entry 'w.mystery'");
}

TEST_CASE("cross entropy and MSE match PyTorch", "[runtime][loss]") {
  NamedTensors F = fixture("losses.npz");
  auto CE = computeLoss(LossKind::CrossEntropy, find(F, "logits"), find(F, "labels"));
  REQUIRE_OK(CE);
  CHECK(CE->Loss == Approx(find(F, "ce_loss").f32()[0]).epsilon(1e-6));
  CHECK(maxRelativeError(CE->Grad, find(F, "ce_grad")) < 1e-5);
  auto MSE = computeLoss(LossKind::MeanSquaredError, find(F, "pred"), find(F, "target"));
  REQUIRE_OK(MSE);
  CHECK(MSE->Loss == Approx(find(F, "mse_loss").f32()[0]).epsilon(1e-6));
  CHECK(maxRelativeError(MSE->Grad, find(F, "mse_grad")) < 1e-5);

  Tensor Labels = Tensor::zeros({6}, DType::I64);
  Labels.data<int64_t>()[2] = 5;
  auto Bad = computeLoss(LossKind::CrossEntropy, find(F, "logits"), Labels);
  REQUIRE(!Bad);
  CHECK(llvm::toString(Bad.takeError()) == "label 5 of sample 2 is outside [0, 5)");
}

TEST_CASE("learning-rate schedules", "[runtime][optimizer]") {
  LearningRateSchedule S;
  S.Base = 0.1;
  S.TotalSteps = 100;
  CHECK(S.at(57) == 0.1);
  S.Kind = ScheduleKind::Step;
  S.StepSize = 30;
  CHECK(S.at(29) == Approx(0.1));
  CHECK(S.at(30) == Approx(0.01));
  CHECK(S.at(61) == Approx(0.001));
  S.Kind = ScheduleKind::Cosine;
  CHECK(S.at(0) == Approx(0.1));
  CHECK(S.at(50) == Approx(0.05));
  CHECK(S.at(100) == Approx(0).margin(1e-12));
}
