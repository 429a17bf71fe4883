//===- QatStepParity_test.cpp - Two QAT steps of the digits CNN vs PyTorch -===//
//
// The digits CNN exported by tests/runtime/qat_step_reference.py is imported
// (dynamic batch), prepared with coremltools' default config and trained for
// two SGD steps (lr 0.1, momentum 0.9, cross entropy) exactly as `qatc train`
// steps: milestone step, forward in training mode updating state and
// recording gradients, loss, backward, optimizer step. After each step the
// loss, the logits, the gradient of every trainable parameter and every
// parameter (weights, batch-norm running statistics, observer scale, zero
// point, min and max) are compared with torch's prepare_qat_fx model run on
// the same weights and batches. docs/runtime.md "Parity" has the figures.
//
//===----------------------------------------------------------------------===//
#include "frontend/Importer.h"
#include "passes/quant/ConfigResolver.h"
#include "passes/quant/Prepare.h"
#include "passes/quant/QuantizationConfig.h"
#include "runtime/Loss.h"
#include "runtime/MilestoneStepper.h"
#include "runtime/NpzFile.h"
#include "runtime/Optimizer.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <map>

using namespace qatc;
using namespace qatc::runtime;

namespace {

const char *const FixtureDir = "tests/qat_step_reference/";

/// Element-wise tolerance: |got - want| <= Rel * |want| + Abs.
struct Tolerance {
  double Rel = 0, Abs = 0;
};

/// The largest errors seen per quantity class, for the summary.
struct ErrorTable {
  struct Entry {
    /// Largest |got - want| / |want| over elements with |want| at least 1% of
    /// their tensor's largest |want| (smaller ones are sums that cancel).
    double MaxRelative = 0;
    /// Largest max|got - want| / max|want| of one tensor.
    double MaxScaled = 0;
    double MaxAbsolute = 0;
    std::string Where;
    int64_t Elements = 0, Exact = 0;
  };
  std::map<std::string, Entry> Classes;

  void print() const {
    std::printf("%-22s %8s %8s %11s %11s %11s  %s\n", "quantity", "elements", "exact",
                "max rel", "max scaled", "max abs", "worst relative");
    for (const auto &[Name, E] : Classes)
      std::printf("%-22s %8lld %8lld %11.3g %11.3g %11.3g  %s\n", Name.c_str(),
                  (long long)E.Elements, (long long)E.Exact, E.MaxRelative, E.MaxScaled,
                  E.MaxAbsolute, E.Where.c_str());
  }
};

const Tensor *lookup(const NamedTensors &Arrays, llvm::StringRef Name) {
  for (const auto &[Key, T] : Arrays)
    if (Key == Name)
      return &T;
  return nullptr;
}

const Tensor &expect(const NamedTensors &Arrays, llvm::StringRef Name) {
  const Tensor *T = lookup(Arrays, Name);
  if (!T)
    FAIL("the reference has no array named " << Name.str());
  return *T;
}

double element(const Tensor &T, int64_t I) {
  switch (T.dtype()) {
  case DType::F32:
    return T.f32()[I];
  case DType::I32:
    return T.data<int32_t>()[I];
  case DType::I64:
    return (double)T.data<int64_t>()[I];
  default:
    FAIL("unexpected dtype in a compared tensor");
    return 0;
  }
}

/// Compares Got with Want element-wise under Tol, recording the errors under
/// Class.
void compare(ErrorTable &Table, const std::string &Class, const std::string &Name,
             const Tensor &Got, const Tensor &Want, Tolerance Tol) {
  INFO(Name);
  REQUIRE(Got.numel() == Want.numel());
  ErrorTable::Entry &E = Table.Classes[Class];
  double WantMax = 0, DiffMax = 0;
  for (int64_t I = 0; I < Want.numel(); ++I)
    WantMax = std::max(WantMax, std::fabs(element(Want, I)));
  int64_t Bad = 0;
  std::string FirstBad;
  for (int64_t I = 0; I < Got.numel(); ++I) {
    double G = element(Got, I), W = element(Want, I), Diff = std::fabs(G - W);
    ++E.Elements;
    E.Exact += Diff == 0;
    DiffMax = std::max(DiffMax, Diff);
    if (std::fabs(W) >= 0.01 * WantMax && W != 0 && Diff / std::fabs(W) > E.MaxRelative) {
      E.MaxRelative = Diff / std::fabs(W);
      E.Where = Name + "[" + std::to_string(I) + "]";
    }
    if (!(Diff <= Tol.Rel * std::fabs(W) + Tol.Abs) && Bad++ == 0)
      FirstBad = "element " + std::to_string(I) + ": qatc " + std::to_string(G) + ", torch " +
                 std::to_string(W);
  }
  E.MaxAbsolute = std::max(E.MaxAbsolute, DiffMax);
  if (WantMax > 0)
    E.MaxScaled = std::max(E.MaxScaled, DiffMax / WantMax);
  INFO(Bad << " elements out of tolerance; first: " << FirstBad);
  CHECK(Bad == 0);
}

/// The f32 value of a one-element reference array.
double scalar(const NamedTensors &Arrays, llvm::StringRef Name) {
  const Tensor &T = expect(Arrays, Name);
  REQUIRE(T.numel() == 1);
  return element(T, 0);
}

/// The quantity class of a parameter after a step, by its name.
std::string parameterClass(llvm::StringRef Name) {
  if (Name.endswith(".scale"))
    return "observer scale";
  if (Name.endswith(".zero_point"))
    return "observer zero point";
  if (Name.endswith(".min_val") || Name.endswith(".max_val"))
    return "observer min/max";
  if (Name.contains("running_"))
    return "running statistics";
  return "updated parameters";
}

/// Observer state must agree to 1e-6 relative (the bound); the zero
/// points exactly. Parameters after the step inherit the gradients' bound.
Tolerance parameterTolerance(llvm::StringRef Name) {
  std::string Class = parameterClass(Name);
  if (Class == "observer zero point")
    return {0, 0};
  if (Class == "updated parameters")
    return {1e-4, 1e-7};
  return {1e-6, 1e-7};
}

} // namespace

TEST_CASE("two QAT steps of the digits CNN match torch's prepare_qat_fx model",
          "[runtime][parity]") {
  auto RefOrErr = readNpz(std::string(FixtureDir) + "qat_step.npz");
  REQUIRE_OK(RefOrErr);
  const NamedTensors &Ref = *RefOrErr;

  ImportOptions Import;
  REQUIRE_OK(parseInputShapeSpec("x=?x1x8x8", Import));
  auto G = importModel(std::string(FixtureDir) + "digits.bn.onnx", Import);
  REQUIRE_OK(G);
  auto Resolver = ConfigResolver::create(defaultLinearQuantizerConfig());
  REQUIRE_OK(Resolver);
  auto Summary = prepareForQAT(**G, *Resolver);
  REQUIRE_OK(Summary);
  REQUIRE(Summary->BatchNormsFolded == 2);

  auto ExecOrErr = Executor::create(**G);
  REQUIRE_OK(ExecOrErr);
  Executor &E = **ExecOrErr;
  MilestoneStepper Milestones(E);
  REQUIRE(Milestones.isPrepared());
  OptimizerOptions SgdMomentum;
  SgdMomentum.Momentum = 0.9;
  Optimizer Opt(SgdMomentum);

  // The weights and biases of conv1, bn1, conv2, bn2 and fc, as in torch.
  CHECK(E.trainableParameters().size() == 10);

  ErrorTable Table;
  for (int Step = 1; Step <= 2; ++Step) {
    std::string S = std::to_string(Step), Prefix = "step" + S + ".";
    INFO("step " << Step);
    Tensor X = expect(Ref, "x" + S), Y = expect(Ref, "y" + S);

    Milestones.step();
    RunOptions Run;
    Run.Training = Run.UpdateState = Run.RecordGradients = true;
    auto Out = E.forward({X}, Run);
    REQUIRE_OK(Out);
    compare(Table, "logits", Prefix + "logits", Out->front(), expect(Ref, Prefix + "logits"),
            {1e-4, 1e-6});
    auto Loss = computeLoss(LossKind::CrossEntropy, Out->front(), Y);
    REQUIRE_OK(Loss);
    {
      double Want = scalar(Ref, Prefix + "loss");
      Tensor GotT = Tensor::full({1}, (float)Loss->Loss), WantT = Tensor::full({1}, (float)Want);
      compare(Table, "loss", Prefix + "loss", GotT, WantT, {1e-4, 0});
    }
    REQUIRE_OK(E.backward({Loss->Grad}));

    for (const Parameter *P : E.trainableParameters()) {
      std::string Name = P->name().str();
      const Tensor &Got = E.gradient(P);
      REQUIRE(Got.defined());
      // The conv biases feed a batch norm in training mode, whose batch mean
      // removes any per-channel constant: their exact gradient is 0 and both
      // sides hold float32 rounding noise around it (torch ~1e-8).
      bool CancelledByBatchNorm = Name == "conv1.bias" || Name == "conv2.bias";
      compare(Table, CancelledByBatchNorm ? "gradients (exactly 0)" : "gradients",
              Prefix + "grad." + Name, Got, expect(Ref, Prefix + "grad." + Name),
              CancelledByBatchNorm ? Tolerance{0, 1e-6} : Tolerance{1e-4, 1e-6});
    }
    Opt.step(E, 0.1);

    // Every f32/i32 parameter of the prepared graph, trainable or state.
    int Compared = 0;
    for (const Parameter &P : (*G)->params()) {
      if (P.name().startswith("qat.") || P.name().endswith("_enabled"))
        continue;
      std::string Name = P.name().str();
      compare(Table, parameterClass(Name), Prefix + "after." + Name, E.parameter(&P),
              expect(Ref, Prefix + "after." + Name), parameterTolerance(Name));
      ++Compared;
    }
    // 14 model parameters and buffers, 7 observer sites x 4 tensors.
    CHECK(Compared == 14 + 7 * 4);
    CHECK(Milestones.count() == Step);
  }
  Table.print();
}
