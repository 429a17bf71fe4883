//===- Optimizer.h - SGD, Adam and AdamW with PyTorch's update rules -*- C++ -*-===//
//
// Updates an executor's trainable parameters in place from the gradients of
// the last backward pass, with exactly the update order of torch.optim (SGD
// with momentum, dampening 0 and optional Nesterov; Adam with L2 weight
// decay; AdamW with decoupled decay). Parameters without a gradient are
// skipped, as PyTorch skips a None grad. The per-parameter state can be saved
// and restored for checkpoints.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_OPTIMIZER_H
#define QATC_RUNTIME_OPTIMIZER_H

#include "runtime/Executor.h"
#include "runtime/NpzFile.h"

#include "llvm/ADT/StringMap.h"

namespace qatc {
namespace runtime {

/// The optimizers by name.
enum class OptimizerKind { SGD, Adam, AdamW };

/// "sgd", "adam" or "adamw".
llvm::Expected<OptimizerKind> parseOptimizerKind(llvm::StringRef Name);

/// Hyper-parameters (the learning rate comes with each step).
struct OptimizerOptions {
  OptimizerKind Kind = OptimizerKind::SGD;
  double Momentum = 0;
  bool Nesterov = false;
  double WeightDecay = 0;
  double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;
};

/// One optimizer over one executor's trainable parameters.
class Optimizer {
public:
  explicit Optimizer(OptimizerOptions Opts) : Opts(Opts) {}

  /// Applies one update with learning rate LR.
  void step(Executor &E, double LR);
  /// Steps taken so far.
  int64_t steps() const { return Steps; }

  /// The state as named tensors ("<param>.momentum_buffer", "<param>.exp_avg",
  /// "<param>.exp_avg_sq", and "optimizer.steps").
  NamedTensors state() const;
  /// Restores state() output; errors name the mismatching entry.
  llvm::Error loadState(const NamedTensors &State);

private:
  struct Slot {
    Tensor Momentum, ExpAvg, ExpAvgSq;
    int64_t Steps = 0;
  };
  OptimizerOptions Opts;
  llvm::StringMap<Slot> Slots;
  int64_t Steps = 0;
};

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_OPTIMIZER_H
