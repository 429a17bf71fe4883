//===- LearningRate.h - Learning-rate schedules per step --------*- C++ -*-===//
//
// `--lr-schedule`: constant; step (multiply by gamma every step_size steps,
// as torch.optim.lr_scheduler.StepLR stepped per batch); cosine (annealing
// from the base rate to 0 over the run, CosineAnnealingLR with T_max = total
// steps, eta_min = 0).
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_LEARNINGRATE_H
#define QATC_RUNTIME_LEARNINGRATE_H

#include "llvm/Support/Error.h"

#include <cstdint>

namespace qatc {
namespace runtime {

/// The schedules by name.
enum class ScheduleKind { Constant, Step, Cosine };

/// "constant", "step" or "cosine".
llvm::Expected<ScheduleKind> parseScheduleKind(llvm::StringRef Name);

/// A schedule over a run of TotalSteps steps.
struct LearningRateSchedule {
  ScheduleKind Kind = ScheduleKind::Constant;
  double Base = 0.01;
  /// Steps between decays of the step schedule; 0: a third of the run.
  int64_t StepSize = 0;
  double Gamma = 0.1;
  int64_t TotalSteps = 1;

  /// The rate for step Step (counting from 0).
  double at(int64_t Step) const;
};

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_LEARNINGRATE_H
