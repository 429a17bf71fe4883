//===- LinearQuantizerExample.cpp - Embedding qatc: a QAT loop of one's own ===//
//
// The C++ counterpart of coremltools' LinearQuantizer example: import a
// float model, prepare it, run a hand-written training loop (forward, loss,
// backward, optimizer step, quantizer step), finalize, and save a Core ML
// package; then load the package back and check that it computes what the
// trained model computes.
//
// The task is distillation on random inputs: the fake-quant model learns to
// reproduce the float model's outputs, so QAT visibly lowers the error that
// quantization adds.
//
//   linear_quantizer_example MODEL.onnx OUT.mlpackage [--input-shape x=?x1x20x20]
//
// Exits 0 when the deployed package matches the trained model, 1 otherwise.
//
//===----------------------------------------------------------------------===//
#include "frontend/Importer.h"
#include "runtime/Executor.h"
#include "runtime/LinearQuantizer.h"
#include "runtime/Loss.h"
#include "runtime/Optimizer.h"
#include "runtime/mil/MilImporter.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>

using namespace qatc;
using namespace qatc::runtime;

namespace {

int fail(llvm::Error E) {
  llvm::errs() << "linear_quantizer_example: " << llvm::toString(std::move(E)) << "\n";
  return 1;
}

/// A batch of standard-normal inputs shaped like the model's input, with
/// an open batch dimension set to Batch.
Tensor randomBatch(const Graph &G, int64_t Batch, std::mt19937 &Rng) {
  llvm::SmallVector<int64_t, 4> Dims;
  for (int64_t D : G.placeholders().front()->type().dims())
    Dims.push_back(D < 0 ? Batch : D);
  Tensor X = Tensor::empty(Dims);
  std::normal_distribution<float> Normal;
  for (int64_t I = 0; I < X.numel(); ++I)
    X.f32()[I] = Normal(Rng);
  return X;
}

/// The model's output on X in inference mode.
llvm::Expected<Tensor> infer(Executor &E, const Tensor &X) {
  auto Out = E.forward({X}, RunOptions());
  if (!Out)
    return Out.takeError();
  return Out->front();
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    llvm::errs() << "usage: linear_quantizer_example MODEL OUT.mlpackage "
                    "[--input-shape name=dims]\n";
    return 2;
  }
  ImportOptions Import;
  for (int I = 3; I + 1 < argc; I += 2)
    if (llvm::StringRef(argv[I]) == "--input-shape")
      if (llvm::Error E = parseInputShapeSpec(argv[I + 1], Import))
        return fail(std::move(E));

  // The float model, and a copy of it that stays float: the teacher.
  auto Float = importModel(argv[1], Import);
  if (!Float)
    return fail(Float.takeError());
  std::unique_ptr<Graph> Teacher = (*Float)->clone();
  auto TeacherExec = Executor::create(*Teacher);
  if (!TeacherExec)
    return fail(TeacherExec.takeError());

  // quantizer = LinearQuantizer(model, config); model = quantizer.prepare()
  auto Quantizer = LinearQuantizer::create(std::move(*Float), defaultLinearQuantizerConfig());
  if (!Quantizer)
    return fail(Quantizer.takeError());
  auto Model = (*Quantizer)->prepare();
  if (!Model)
    return fail(Model.takeError());
  Executor &E = *Model;
  llvm::outs() << llvm::formatv("prepared: {0} fake quants\n",
                                (*Quantizer)->prepareSummary().FakeQuants.total());

  // The training loop.
  OptimizerOptions SGD;
  SGD.Momentum = 0.9;
  Optimizer Opt(SGD);
  std::mt19937 Rng(0);
  const int Steps = 60;
  const int64_t Batch = 16;
  double FirstLoss = 0, LastLoss = 0;
  for (int Step = 0; Step < Steps; ++Step) {
    Tensor X = randomBatch((*Quantizer)->graph(), Batch, Rng);
    auto Target = infer(**TeacherExec, X);
    if (!Target)
      return fail(Target.takeError());
    (*Quantizer)->step();
    RunOptions Run;
    Run.Training = Run.UpdateState = Run.RecordGradients = true;
    Run.Seed = Step;
    auto Out = E.forward({X}, Run);
    if (!Out)
      return fail(Out.takeError());
    auto Loss = computeLoss(LossKind::MeanSquaredError, Out->front(), *Target);
    if (!Loss)
      return fail(Loss.takeError());
    if (llvm::Error Err = E.backward({Loss->Grad}))
      return fail(std::move(Err));
    Opt.step(E, /*LR=*/0.01);
    (Step == 0 ? FirstLoss : LastLoss) = Loss->Loss;
    if (Step % 20 == 0 || Step == Steps - 1)
      llvm::outs() << llvm::formatv("step {0,3}  mse against the float model {1:e3}\n", Step + 1,
                                    Loss->Loss);
  }

  // The trained fake-quant model's output on held-out inputs, then
  // model = quantizer.finalize(); save the Core ML package.
  Tensor Probe = randomBatch((*Quantizer)->graph(), 8, Rng);
  auto Trained = infer(E, Probe);
  if (!Trained)
    return fail(Trained.takeError());
  auto Final = (*Quantizer)->finalize();
  if (!Final)
    return fail(Final.takeError());
  if (llvm::Error Err = (*Quantizer)->save(argv[2]))
    return fail(std::move(Err));
  llvm::outs() << llvm::formatv("finalized: {0} weights, {1} activations quantized; wrote {2}\n",
                                Final->WeightsQuantized, Final->ActivationPairs, argv[2]);

  // Load the package back and run it on the reference executor.
  auto Deployed = mil::loadMLPackageGraph(argv[2]);
  if (!Deployed)
    return fail(Deployed.takeError());
  auto DeployedExec = Executor::create(**Deployed);
  if (!DeployedExec)
    return fail(DeployedExec.takeError());
  auto Out = infer(**DeployedExec, Probe);
  if (!Out)
    return fail(Out.takeError());
  double MaxDiff = 0, MaxRef = 0;
  for (int64_t I = 0; I < Out->numel(); ++I) {
    MaxDiff = std::max(MaxDiff, double(std::fabs(Out->f32()[I] - Trained->f32()[I])));
    MaxRef = std::max(MaxRef, double(std::fabs(Trained->f32()[I])));
  }
  llvm::outs() << llvm::formatv("first/last training mse {0:e3} / {1:e3}; deployed vs trained "
                                "max |diff| {2:e3} (max |output| {3:F3})\n",
                                FirstLoss, LastLoss, MaxDiff, MaxRef);
  // Deployed integer arithmetic may differ from fake quant by a rounding
  // step at an activation quantizer; allow about one quantization step.
  if (!(MaxDiff <= 0.02 * MaxRef + 1e-6)) {
    llvm::errs() << "linear_quantizer_example: the deployed package differs from the trained "
                    "model\n";
    return 1;
  }
  return 0;
}
