//===- MilestoneSchedule.cpp - The QAT step milestones as a state machine -===//
#include "passes/quant/MilestoneSchedule.h"

namespace qatc {

MilestoneFlags MilestoneSchedule::flagsAfter(uint64_t Count) const {
  MilestoneFlags Flags;
  if (!Steps)
    return Flags;
  const Milestones &M = *Steps;
  // Steps 0 .. Count-1 have run; milestone V fired iff one of them equals V.
  auto Fired = [&](int64_t V) { return V >= 0 && static_cast<uint64_t>(V) < Count; };
  // Observers toggle at m0 (on) and m2 (off); the later event wins, and in a
  // shared step "off" runs after "on".
  bool On = Fired(M[0]), Off = Fired(M[2]);
  Flags.ObserversEnabled = On && !(Off && M[2] >= M[0]);
  Flags.ObserversFrozen = Off && !Flags.ObserversEnabled;
  Flags.FakeQuantEnabled = Fired(M[1]);
  Flags.BatchNormFrozen = Fired(M[3]);
  return Flags;
}

} // namespace qatc
