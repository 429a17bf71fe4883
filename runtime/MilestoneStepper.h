//===- MilestoneStepper.h - coremltools' step() on a prepared graph -*- C++ -*-===//
//
// A prepared graph records the milestone machine of spec §1.7 in parameters
// (docs/prepare.md): the counter `qat.step`, the optional `qat.milestones`
// [m0, m1, m2, m3], every fake quant's observer_enabled and
// fake_quant_enabled flags, and `qat.bn_frozen`. step() is LinearQuantizer's
// step(): at counter c, c == m0 enables observers, c == m1 enables fake
// quant, c == m2 disables observers, c == m3 freezes batch norm; then c
// grows. The trainer calls it once before every training step.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_MILESTONESTEPPER_H
#define QATC_RUNTIME_MILESTONESTEPPER_H

#include "runtime/Executor.h"

#include <array>
#include <optional>

namespace qatc {
namespace runtime {

/// Steps the milestone machine on an executor's parameter tensors.
class MilestoneStepper {
public:
  /// Finds the QAT state of E's graph (none for a float graph).
  explicit MilestoneStepper(Executor &E);

  /// True when the graph has fake quants or a step counter.
  bool isPrepared() const { return Counter.defined() || !ObserverFlags.empty(); }
  /// Applies the milestones due at the current count, then increments it.
  void step();
  /// Calls of step() so far (qat.step).
  int64_t count() const { return Counter.defined() ? Counter.data<int64_t>()[0] : 0; }
  /// The milestones, when the graph has them.
  std::optional<std::array<int64_t, 4>> milestones() const { return Steps; }

private:
  void setFlags(llvm::ArrayRef<Tensor> Flags, uint8_t Value);
  Tensor Counter, BnFrozen;
  std::optional<std::array<int64_t, 4>> Steps;
  std::vector<Tensor> ObserverFlags, FakeQuantFlags;
};

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_MILESTONESTEPPER_H
