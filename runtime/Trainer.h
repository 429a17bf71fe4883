//===- Trainer.h - The training loop and evaluation -------------*- C++ -*-===//
//
// `qatc train` and `qatc eval` as library calls. train() runs mini-batch
// training of a one-input, one-output graph (float or prepared for QAT):
// per step the milestone machine steps (prepared graphs), forward records
// gradients, the loss and its gradient come from runtime/Loss.h, backward
// fills parameter gradients, the optimizer updates. Batches follow a
// permutation fixed by (seed, epoch); dropout seeds come from (seed, step);
// with the same thread count a run resumed from a checkpoint ends
// bit-identical to an uninterrupted one. A NaN or Inf stops training with
// the step and the first offending node named; the last checkpoint stays.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_TRAINER_H
#define QATC_RUNTIME_TRAINER_H

#include "runtime/Dataset.h"
#include "runtime/Executor.h"
#include "runtime/LearningRate.h"
#include "runtime/Loss.h"
#include "runtime/Optimizer.h"

#include <functional>
#include <optional>

namespace qatc {
namespace runtime {

/// Settings of one training run.
struct TrainOptions {
  LossKind Loss = LossKind::CrossEntropy;
  OptimizerOptions Optimizer;
  /// Kind, base rate and step settings; TotalSteps is filled in by train().
  LearningRateSchedule Schedule;
  int64_t BatchSize = 32;
  int64_t Epochs = 1;
  /// When positive, the run length in steps (overrides Epochs).
  int64_t Steps = 0;
  uint64_t Seed = 0;
  /// Where checkpoints go (empty: none) and how often, in steps.
  std::string CheckpointPath;
  int64_t CheckpointEvery = 0;
  /// Continue from CheckpointPath instead of the given graph.
  bool Resume = false;
};

/// Loss and accuracy over a dataset.
struct EvalResult {
  double Loss = 0;
  /// Fraction of correct argmax predictions (cross entropy only).
  std::optional<double> Accuracy;
  int64_t Samples = 0;
};

/// What the progress display gets after every step.
struct StepReport {
  int64_t Step = 0, TotalSteps = 0, Epoch = 0, Epochs = 0;
  double Loss = 0;
  /// Mean loss and accuracy over the current epoch so far.
  double EpochLoss = 0;
  std::optional<double> EpochAccuracy;
  double SamplesPerSecond = 0, ElapsedSeconds = 0;
};

/// The outcome of train().
struct TrainSummary {
  int64_t Steps = 0;
  /// The step the run resumed from (0 for a fresh run).
  int64_t ResumedFrom = 0;
  double MedianMsPerStep = 0;
  /// Mean loss over the last epoch's worth of steps.
  double FinalLoss = 0;
  std::optional<double> TrainAccuracy;
  std::optional<EvalResult> Validation;
  double Seconds = 0;
  int64_t Samples = 0;
  /// The tensor high-water mark during training, in bytes.
  size_t PeakTensorBytes = 0;
};

/// Evaluates G (inference mode, observers not updated) on D.
llvm::Expected<EvalResult> evaluate(Executor &E, const Dataset &D, LossKind Loss,
                                    int64_t BatchSize = 256);

/// Trains G in place (with Resume, G is first replaced by the checkpoint's
/// graph). OnStep, when set, is called after every step.
llvm::Expected<TrainSummary> train(std::unique_ptr<Graph> &G, const Dataset &Train,
                                   const Dataset *Validation, TrainOptions Opts,
                                   const std::function<void(const StepReport &)> &OnStep = {});

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_TRAINER_H
