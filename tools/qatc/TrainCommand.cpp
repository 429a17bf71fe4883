//===- TrainCommand.cpp - `qatc train`: float training and QAT ------------===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/ProgressDisplay.h"

#include "ir/GraphFile.h"
#include "runtime/Parallel.h"
#include "runtime/Trainer.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace qatc {

namespace cl = llvm::cl;
using namespace runtime;

static cl::SubCommand TrainCmd("train",
                               "Train a graph: float training, or QAT on a prepared graph");

static cl::opt<std::string> Input(cl::Positional, cl::desc("<input .qir/.qirb>"), cl::Required,
                                  cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o", cl::desc("Write the trained graph here (.qir or .qirb)"),
                                   cl::value_desc("path"), cl::Required, cl::sub(TrainCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<std::string> Data("data", cl::desc("Training data: .npz with arrays x and y"),
                                 cl::value_desc("path"), cl::Required, cl::sub(TrainCmd),
                                 cl::cat(qatcCategory()));
static cl::opt<std::string> Val("val", cl::desc("Validation data (.npz), evaluated at the end"),
                                cl::value_desc("path"), cl::sub(TrainCmd),
                                cl::cat(qatcCategory()));
static cl::opt<std::string> LossName("loss", cl::desc("cross_entropy (default) or mse"),
                                     cl::init("cross_entropy"), cl::sub(TrainCmd),
                                     cl::cat(qatcCategory()));
static cl::opt<std::string> OptimizerName("optimizer", cl::desc("sgd (default), adam or adamw"),
                                          cl::init("sgd"), cl::sub(TrainCmd),
                                          cl::cat(qatcCategory()));
static cl::opt<double> LearningRate("lr", cl::desc("Learning rate (default 0.01)"),
                                    cl::init(0.01), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<double> Momentum("momentum", cl::desc("SGD momentum (default 0)"), cl::init(0),
                                cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Nesterov("nesterov", cl::desc("Nesterov momentum (SGD)"), cl::sub(TrainCmd),
                              cl::cat(qatcCategory()));
static cl::opt<double> WeightDecay("weight-decay", cl::desc("Weight decay (default 0)"),
                                   cl::init(0), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> ScheduleName("lr-schedule",
                                         cl::desc("constant (default), step or cosine"),
                                         cl::init("constant"), cl::sub(TrainCmd),
                                         cl::cat(qatcCategory()));
static cl::opt<int64_t> StepSize("lr-step-size",
                                 cl::desc("Steps between decays of the step schedule "
                                          "(default: a third of the run)"),
                                 cl::init(0), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<double> Gamma("lr-gamma", cl::desc("Decay factor of the step schedule (0.1)"),
                             cl::init(0.1), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<int64_t> BatchSize("batch-size", cl::desc("Samples per step (default 32)"),
                                  cl::init(32), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<int64_t> Epochs("epochs", cl::desc("Passes over the data (default 1)"),
                               cl::init(1), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<int64_t> Steps("steps", cl::desc("Run length in steps (overrides --epochs)"),
                              cl::init(0), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<uint64_t> Seed("seed", cl::desc("Seed of shuffling and dropout (default 0)"),
                              cl::init(0), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<int> Threads("threads", cl::desc("Threads (default: every core)"), cl::init(0),
                            cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> CheckpointPath(
    "checkpoint", cl::desc("Checkpoint file (default: the output path + .ckpt)"),
    cl::value_desc("path"), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<int64_t> CheckpointEvery("checkpoint-every",
                                        cl::desc("Write a checkpoint every N steps"),
                                        cl::init(0), cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Resume("resume", cl::desc("Continue from the checkpoint"),
                            cl::sub(TrainCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print a JSON summary on stdout"), cl::sub(TrainCmd),
                          cl::cat(qatcCategory()));
// For crash-recovery tests: end the process abruptly (no output, exit 3)
// right after step N, as a kill would.
static cl::opt<int64_t> CrashAfterStep("crash-after-step", cl::Hidden, cl::init(0),
                                       cl::sub(TrainCmd));

cl::SubCommand &trainSubCommand() { return TrainCmd; }

void applyThreadOption(int Count) {
  if (Count > 0)
    setNumThreads(Count);
}

int runTrainCommand() {
  if (auto F = graphFormatForPath(Output); !F)
    return reportError(F.takeError(), ExitBadInput);
  if (LearningRate <= 0)
    return reportError("--lr must be positive", ExitBadInput);
  if (BatchSize < 1 || Epochs < 1 || Steps < 0 || CheckpointEvery < 0)
    return reportError("--batch-size and --epochs must be at least 1 and --steps and "
                       "--checkpoint-every not negative",
                       ExitBadInput);
  if (Momentum < 0 || WeightDecay < 0)
    return reportError("--momentum and --weight-decay must not be negative", ExitBadInput);
  if (Nesterov && Momentum <= 0)
    return reportError("--nesterov needs a positive --momentum", ExitBadInput);
  applyThreadOption(Threads);

  TrainOptions Opts;
  auto Loss = parseLossKind(LossName);
  auto Kind = parseOptimizerKind(OptimizerName);
  auto Schedule = parseScheduleKind(ScheduleName);
  if (!Loss)
    return reportError(Loss.takeError(), ExitBadInput);
  if (!Kind)
    return reportError(Kind.takeError(), ExitBadInput);
  if (!Schedule)
    return reportError(Schedule.takeError(), ExitBadInput);
  Opts.Loss = *Loss;
  Opts.Optimizer.Kind = *Kind;
  Opts.Optimizer.Momentum = Momentum;
  Opts.Optimizer.Nesterov = Nesterov;
  Opts.Optimizer.WeightDecay = WeightDecay;
  Opts.Schedule.Kind = *Schedule;
  Opts.Schedule.Base = LearningRate;
  Opts.Schedule.Gamma = Gamma;
  Opts.BatchSize = BatchSize;
  Opts.Epochs = Epochs;
  Opts.Steps = Steps;
  Opts.Seed = Seed;
  Opts.CheckpointEvery = CheckpointEvery;
  Opts.Resume = Resume;
  if (!CheckpointPath.empty() || CheckpointEvery > 0 || Resume)
    Opts.CheckpointPath = CheckpointPath.empty() ? Output + ".ckpt" : CheckpointPath.getValue();

  auto Train = Dataset::load(Data);
  if (!Train)
    return reportError(Train.takeError(), ExitBadInput);
  std::optional<Dataset> Validation;
  if (!Val.empty()) {
    auto V = Dataset::load(Val);
    if (!V)
      return reportError(V.takeError(), ExitBadInput);
    Validation = std::move(*V);
  }
  int64_t BatchesPerEpoch = (Train->size() + BatchSize - 1) / BatchSize;
  int64_t Total = Steps > 0 ? Steps : Epochs * BatchesPerEpoch;
  Opts.Schedule.StepSize = StepSize > 0 ? StepSize : std::max<int64_t>(1, Total / 3);

  std::unique_ptr<Graph> G;
  if (!Resume) {
    auto Loaded = loadVerifiedGraph(Input);
    if (!Loaded)
      return reportError(Loaded.takeError(), ExitBadInput);
    G = std::move(*Loaded);
  }
  ProgressDisplay Progress(llvm::errs());
  auto Summary = train(G, *Train, Validation ? &*Validation : nullptr, Opts,
                       [&](const StepReport &R) {
                         Progress.update(R);
                         if (R.Step == CrashAfterStep)
                           std::_Exit(3);
                       });
  Progress.finish();
  if (!Summary)
    return reportError(Summary.takeError(), ExitBadInput);
  if (llvm::Error E = writeGraphFile(*G, Output))
    return reportError(std::move(E), ExitBadInput);

  if (Json) {
    llvm::json::Object Out{{"steps", Summary->Steps},
                           {"resumed_from", Summary->ResumedFrom},
                           {"ms_per_step", Summary->MedianMsPerStep},
                           {"final_loss", Summary->FinalLoss},
                           {"samples_per_s", Summary->Samples / std::max(1e-9, Summary->Seconds)},
                           {"seconds", Summary->Seconds},
                           {"peak_tensor_bytes", int64_t(Summary->PeakTensorBytes)},
                           {"threads", int64_t(numThreads())},
                           {"output", Output.getValue()}};
    if (Summary->TrainAccuracy)
      Out["train_accuracy"] = *Summary->TrainAccuracy;
    if (Summary->Validation) {
      Out["val_loss"] = Summary->Validation->Loss;
      if (Summary->Validation->Accuracy)
        Out["val_accuracy"] = *Summary->Validation->Accuracy;
    }
    printJson(std::move(Out));
    return ExitSuccess;
  }
  llvm::errs() << llvm::formatv("trained {0} steps in {1} ({2:F2} ms/step median), final loss "
                                "{3:F4}",
                                Summary->Steps, formatDuration(Summary->Seconds),
                                Summary->MedianMsPerStep, Summary->FinalLoss);
  if (Summary->TrainAccuracy)
    llvm::errs() << llvm::formatv(", train accuracy {0:F2}%", *Summary->TrainAccuracy * 100);
  if (Summary->Validation && Summary->Validation->Accuracy)
    llvm::errs() << llvm::formatv(", validation accuracy {0:F2}%",
                                  *Summary->Validation->Accuracy * 100);
  llvm::errs() << "\nwrote " << Output << "\n";
  return ExitSuccess;
}

} // namespace qatc
