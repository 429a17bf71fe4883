//===- MilestoneSchedule.h - The QAT step milestones as a state machine -*- C++ -*-===//
//
// coremltools' LinearQuantizer.step() (spec §1.7): with milestones
// m = [m0, m1, m2, m3], prepare turns every observer and fake quant off, and
// step number c (counting from 0) checks, in this order and by exact
// equality: c == m0 enables observers, c == m1 enables fake quant, c == m2
// disables observers, c == m3 freezes batch norm statistics. Several can fire
// in one step; a value the counter never reaches (say -1) never fires; the
// order of the values is not checked. Without milestones everything is on
// from the start and step() changes nothing.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_MILESTONESCHEDULE_H
#define QATC_PASSES_QUANT_MILESTONESCHEDULE_H

#include "passes/quant/QuantizationConfig.h"

namespace qatc {

/// The training-time switches after some number of steps.
struct MilestoneFlags {
  bool ObserversEnabled = true;
  bool FakeQuantEnabled = true;
  /// Milestone 2 turned observers off and they stay off: qparams are final.
  bool ObserversFrozen = false;
  /// Batch norm uses and keeps its running statistics.
  bool BatchNormFrozen = false;

  bool operator==(const MilestoneFlags &O) const {
    return ObserversEnabled == O.ObserversEnabled && FakeQuantEnabled == O.FakeQuantEnabled &&
           ObserversFrozen == O.ObserversFrozen && BatchNormFrozen == O.BatchNormFrozen;
  }
};

/// The schedule of one model (the effective global config's milestones).
struct MilestoneSchedule {
  std::optional<Milestones> Steps;

  /// The flags after Count calls of step() that followed prepare.
  MilestoneFlags flagsAfter(uint64_t Count) const;
};

} // namespace qatc

#endif // QATC_PASSES_QUANT_MILESTONESCHEDULE_H
