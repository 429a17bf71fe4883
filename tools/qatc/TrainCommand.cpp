//===- TrainCommand.cpp - `qatc train`: float training and QAT ------------===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/ProgressDisplay.h"
#include "tools/qatc/ThreadsFlag.h"
#include "tools/qatc/TrainingFlags.h"

#include "ir/GraphFile.h"
#include "runtime/Parallel.h"
#include "runtime/Trainer.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace qatc {

namespace cl = llvm::cl;
using namespace runtime;

cl::SubCommand &trainSubCommand() {
  static cl::SubCommand Cmd("train", "Train a graph: float training, or QAT on a prepared graph");
  return Cmd;
}
static cl::SubCommand &TrainCmd = trainSubCommand();

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

int runTrainCommand() {
  if (auto F = graphFormatForPath(Output); !F)
    return reportError(F.takeError(), ExitBadInput);
  auto Opts = trainOptionsFromFlags();
  if (!Opts)
    return reportError(Opts.takeError(), ExitBadInput);
  if (llvm::Error E = applyThreadsFlag())
    return reportError(std::move(E), ExitBadInput);
  if (CheckpointEvery < 0)
    return reportError("--checkpoint-every must not be negative", ExitBadInput);

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
  Opts->CheckpointEvery = CheckpointEvery;
  Opts->Resume = Resume;
  if (!CheckpointPath.empty() || CheckpointEvery > 0 || Resume)
    Opts->CheckpointPath = CheckpointPath.empty() ? Output + ".ckpt" : CheckpointPath.getValue();

  std::unique_ptr<Graph> G;
  if (!Resume) {
    auto Loaded = loadVerifiedGraph(Input);
    if (!Loaded)
      return reportError(Loaded.takeError(), ExitBadInput);
    G = std::move(*Loaded);
  }
  ProgressDisplay Progress(llvm::errs());
  auto Summary = train(G, *Train, Validation ? &*Validation : nullptr, *Opts,
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
