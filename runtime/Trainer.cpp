//===- Trainer.cpp - The training loop and evaluation ---------------------===//

#include "runtime/Trainer.h"

#include "runtime/Checkpoint.h"
#include "runtime/MilestoneStepper.h"
#include "runtime/Parallel.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <chrono>
#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

namespace {

using Clock = std::chrono::steady_clock;

llvm::Error trainError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

llvm::Error checkSignature(const Executor &E) {
  if (E.inputs().size() != 1 || E.outputs().size() != 1)
    return trainError(llvm::formatv("graph '{0}' has {1} input(s) and {2} output(s); training "
                                    "and evaluation need exactly one of each",
                                    E.graph().name(), E.inputs().size(), E.outputs().size()));
  return llvm::Error::success();
}

double seconds(Clock::time_point A, Clock::time_point B) {
  return std::chrono::duration<double>(B - A).count();
}

const char *optimizerName(OptimizerKind K) {
  switch (K) {
  case OptimizerKind::SGD:
    return "sgd";
  case OptimizerKind::Adam:
    return "adam";
  case OptimizerKind::AdamW:
    return "adamw";
  }
  return "sgd";
}

/// The settings a resumed run must share with the run that wrote the
/// checkpoint for the two to end bit-identical.
llvm::json::Object runRecord(const TrainOptions &Opts, int64_t TotalSteps, int64_t Samples) {
  return llvm::json::Object{
      {"batch_size", Opts.BatchSize},
      {"seed", int64_t(Opts.Seed)},
      {"total_steps", TotalSteps},
      {"train_samples", Samples},
      {"optimizer", optimizerName(Opts.Optimizer.Kind)},
      {"threads", int64_t(numThreads())},
  };
}

llvm::Error checkResumable(llvm::StringRef Path, const llvm::json::Object &Saved,
                           const llvm::json::Object &Now) {
  for (const auto &KV : Now) {
    const llvm::json::Value *Old = Saved.get(KV.first);
    if (!Old || *Old != KV.second) {
      std::string Was, Is;
      llvm::raw_string_ostream(Was) << (Old ? *Old : llvm::json::Value(nullptr));
      llvm::raw_string_ostream(Is) << KV.second;
      return trainError(llvm::formatv("cannot resume from '{0}': it was written with {1} = {2} "
                                      "but this run has {3}; resume with the same settings",
                                      Path, KV.first.str(), Was, Is));
    }
  }
  return llvm::Error::success();
}

uint64_t stepSeed(uint64_t Seed, int64_t Step) {
  uint64_t Z = Seed * 0xD1B54A32D192ED03ull + uint64_t(Step) * 0x9E3779B97F4A7C15ull;
  Z = (Z ^ (Z >> 32)) * 0xD6E8FEB86659FD93ull;
  return Z ^ (Z >> 32);
}

} // namespace

llvm::Expected<EvalResult> runtime::evaluate(Executor &E, const Dataset &D, LossKind Loss,
                                             int64_t BatchSize) {
  if (llvm::Error Err = checkSignature(E))
    return Err;
  EvalResult R;
  double TotalLoss = 0;
  int64_t Correct = 0;
  BatchSize = std::max<int64_t>(1, BatchSize);
  for (int64_t Begin = 0; Begin < D.size(); Begin += BatchSize) {
    int64_t End = std::min(D.size(), Begin + BatchSize);
    auto [X, Y] = D.slice(Begin, End);
    auto Out = E.forward({X}, RunOptions());
    if (!Out)
      return Out.takeError();
    if (Begin == 0 && Loss == LossKind::CrossEntropy && Out->front().rank() == 2)
      if (llvm::Error Err = D.checkLabels(Out->front().dim(1)))
        return Err;
    auto L = computeLoss(Loss, Out->front(), Y, /*WantGrad=*/false);
    if (!L)
      return L.takeError();
    TotalLoss += L->Loss * (End - Begin);
    Correct += L->Correct;
  }
  R.Samples = D.size();
  R.Loss = TotalLoss / R.Samples;
  if (Loss == LossKind::CrossEntropy)
    R.Accuracy = double(Correct) / R.Samples;
  return R;
}

llvm::Expected<TrainSummary> runtime::train(std::unique_ptr<Graph> &G, const Dataset &Train,
                                            const Dataset *Validation, TrainOptions Opts,
                                            const std::function<void(const StepReport &)> &OnStep) {
  if (Opts.BatchSize < 1)
    return trainError("--batch-size must be at least 1");
  const int64_t N = Train.size();
  const int64_t BatchesPerEpoch = (N + Opts.BatchSize - 1) / Opts.BatchSize;
  const int64_t Total = Opts.Steps > 0 ? Opts.Steps : Opts.Epochs * BatchesPerEpoch;
  if (Total < 1)
    return trainError("the run has no steps; give --epochs or --steps of at least 1");
  Opts.Schedule.TotalSteps = Total;
  if (Opts.Schedule.StepSize <= 0)
    Opts.Schedule.StepSize = std::max<int64_t>(1, Total / 3);
  const int64_t Epochs = (Total + BatchesPerEpoch - 1) / BatchesPerEpoch;
  llvm::json::Object Run = runRecord(Opts, Total, N);

  Optimizer Opt(Opts.Optimizer);
  int64_t FirstStep = 0;
  if (Opts.Resume) {
    if (Opts.CheckpointPath.empty())
      return trainError("--resume needs a checkpoint path (--checkpoint)");
    auto C = readCheckpoint(Opts.CheckpointPath);
    if (!C)
      return C.takeError();
    const llvm::json::Object *Saved = C->Trainer.getObject("run");
    auto Step = C->Trainer.getInteger("step");
    if (!Saved || !Step)
      return trainError(Opts.CheckpointPath + ": trainer.json lacks 'run' or 'step'");
    if (llvm::Error E = checkResumable(Opts.CheckpointPath, *Saved, Run))
      return E;
    if (llvm::Error E = Opt.loadState(C->OptimizerState))
      return trainError(Opts.CheckpointPath + ": " + llvm::toString(std::move(E)));
    G = std::move(C->G);
    FirstStep = *Step;
  }

  auto ExecOrErr = Executor::create(*G);
  if (!ExecOrErr)
    return ExecOrErr.takeError();
  Executor &E = **ExecOrErr;
  if (llvm::Error Err = checkSignature(E))
    return Err;
  MilestoneStepper Milestones(E);

  TrainSummary Summary;
  Summary.ResumedFrom = FirstStep;
  std::vector<double> StepMs, RecentLoss;
  int64_t LastCheckpoint = -1, EpochCorrect = 0, EpochSamples = 0, EpochSteps = 0;
  double EpochLoss = 0;
  int64_t CurrentEpoch = -1;
  std::vector<int64_t> Order;
  resetPeakBufferBytes();
  auto Start = Clock::now();

  auto Stopped = [&](int64_t Step, llvm::Error Cause) -> llvm::Error {
    std::string Where = LastCheckpoint >= 0
                            ? llvm::formatv("the last good checkpoint is '{0}' (step {1})",
                                            Opts.CheckpointPath, LastCheckpoint)
                                  .str()
                            : std::string("no checkpoint was written");
    return trainError(llvm::formatv("training stopped at step {0}: {1}; {2}; lower --lr or "
                                    "check the data",
                                    Step + 1, llvm::toString(std::move(Cause)), Where));
  };

  for (int64_t Step = FirstStep; Step < Total; ++Step) {
    int64_t Epoch = Step / BatchesPerEpoch, Batch = Step % BatchesPerEpoch;
    if (Epoch != CurrentEpoch) {
      Order = Train.shuffled(Opts.Seed, Epoch);
      CurrentEpoch = Epoch;
      EpochLoss = 0;
      EpochCorrect = EpochSamples = EpochSteps = 0;
    }
    int64_t Begin = Batch * Opts.BatchSize, End = std::min(N, Begin + Opts.BatchSize);
    auto [X, Y] = Train.gather(llvm::ArrayRef<int64_t>(Order).slice(Begin, End - Begin));

    auto T0 = Clock::now();
    Milestones.step();
    RunOptions Run;
    Run.Training = Run.UpdateState = Run.RecordGradients = true;
    Run.Seed = stepSeed(Opts.Seed, Step);
    auto Out = E.forward({X}, Run);
    if (!Out)
      return Stopped(Step, Out.takeError());
    if (Step == FirstStep && Opts.Loss == LossKind::CrossEntropy && Out->front().rank() == 2) {
      if (llvm::Error Err = Train.checkLabels(Out->front().dim(1)))
        return Err;
      if (Validation)
        if (llvm::Error Err = Validation->checkLabels(Out->front().dim(1)))
          return Err;
    }
    auto L = computeLoss(Opts.Loss, Out->front(), Y);
    if (!L)
      return L.takeError();
    if (!std::isfinite(L->Loss)) {
      RunOptions Probe = Run;
      Probe.UpdateState = Probe.RecordGradients = false;
      Probe.CheckFinite = true;
      auto Again = E.forward({X}, Probe);
      llvm::Error Cause = Again ? trainError("the loss is NaN or Inf") : Again.takeError();
      return Stopped(Step, std::move(Cause));
    }
    if (llvm::Error Err = E.backward({L->Grad}))
      return Stopped(Step, std::move(Err));
    Opt.step(E, Opts.Schedule.at(Step));
    auto T1 = Clock::now();
    StepMs.push_back(seconds(T0, T1) * 1e3);

    ++EpochSteps;
    EpochLoss += L->Loss;
    EpochCorrect += L->Correct;
    EpochSamples += End - Begin;
    Summary.Samples += End - Begin;
    RecentLoss.push_back(L->Loss);
    if ((int64_t)RecentLoss.size() > BatchesPerEpoch)
      RecentLoss.erase(RecentLoss.begin());

    if (OnStep) {
      StepReport R;
      R.Step = Step + 1;
      R.TotalSteps = Total;
      R.Epoch = Epoch + 1;
      R.Epochs = Epochs;
      R.Loss = L->Loss;
      R.EpochLoss = EpochLoss / EpochSteps;
      if (Opts.Loss == LossKind::CrossEntropy)
        R.EpochAccuracy = double(EpochCorrect) / EpochSamples;
      R.ElapsedSeconds = seconds(Start, Clock::now());
      R.SamplesPerSecond = Summary.Samples / std::max(1e-9, R.ElapsedSeconds);
      OnStep(R);
    }

    bool Due = Opts.CheckpointEvery > 0 && (Step + 1) % Opts.CheckpointEvery == 0;
    if (!Opts.CheckpointPath.empty() && (Due || Step + 1 == Total)) {
      E.syncToGraph();
      llvm::json::Object Record{{"format", 1}, {"step", Step + 1}, {"run", runRecord(Opts, Total, N)}};
      if (llvm::Error Err = writeCheckpoint(Opts.CheckpointPath, *G, Opt.state(), Record))
        return Err;
      LastCheckpoint = Step + 1;
    }
  }
  E.syncToGraph();

  Summary.Steps = Total - FirstStep;
  Summary.Seconds = seconds(Start, Clock::now());
  Summary.PeakTensorBytes = peakBufferBytes();
  if (!StepMs.empty()) {
    std::vector<double> Sorted = StepMs;
    std::nth_element(Sorted.begin(), Sorted.begin() + Sorted.size() / 2, Sorted.end());
    Summary.MedianMsPerStep = Sorted[Sorted.size() / 2];
  }
  for (double V : RecentLoss)
    Summary.FinalLoss += V / RecentLoss.size();
  if (Opts.Loss == LossKind::CrossEntropy && EpochSamples)
    Summary.TrainAccuracy = double(EpochCorrect) / EpochSamples;
  if (Validation) {
    auto V = evaluate(E, *Validation, Opts.Loss);
    if (!V)
      return V.takeError();
    Summary.Validation = *V;
  }
  return Summary;
}
