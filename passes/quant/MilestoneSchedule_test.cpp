//===- MilestoneSchedule_test.cpp - The step() state machine of spec 1.7 --===//
#include "passes/quant/MilestoneSchedule.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

MilestoneFlags flags(bool Observers, bool FakeQuant, bool Frozen, bool BatchNorm) {
  MilestoneFlags F;
  F.ObserversEnabled = Observers;
  F.FakeQuantEnabled = FakeQuant;
  F.ObserversFrozen = Frozen;
  F.BatchNormFrozen = BatchNorm;
  return F;
}

/// coremltools' step() replayed literally: prepare turns everything off, then
/// each call checks the four milestones against the counter, in order.
MilestoneFlags replay(const Milestones &M, uint64_t Steps) {
  MilestoneFlags F = flags(false, false, false, false);
  bool ObserversDisabledByMilestone = false;
  for (uint64_t C = 0; C < Steps; ++C) {
    int64_t Counter = static_cast<int64_t>(C);
    if (Counter == M[0]) {
      F.ObserversEnabled = true;
      ObserversDisabledByMilestone = false;
    }
    if (Counter == M[1])
      F.FakeQuantEnabled = true;
    if (Counter == M[2]) {
      F.ObserversEnabled = false;
      ObserversDisabledByMilestone = true;
    }
    if (Counter == M[3])
      F.BatchNormFrozen = true;
  }
  F.ObserversFrozen = ObserversDisabledByMilestone;
  return F;
}

} // namespace

TEST_CASE("milestones [0,1,2,3] follow test_linear_quantizer_step_mechanism", "[quant-config]") {
  MilestoneSchedule S{Milestones{0, 1, 2, 3}};
  CHECK(S.flagsAfter(0) == flags(false, false, false, false)); // after prepare
  CHECK(S.flagsAfter(1) == flags(true, false, false, false));
  CHECK(S.flagsAfter(2) == flags(true, true, false, false));
  CHECK(S.flagsAfter(3) == flags(false, true, true, false));
  CHECK(S.flagsAfter(4) == flags(false, true, true, true));
  CHECK(S.flagsAfter(1000) == flags(false, true, true, true));
}

TEST_CASE("without milestones everything is on and stays on", "[quant-config]") {
  MilestoneSchedule S;
  for (uint64_t N : {0, 1, 5, 100000})
    CHECK(S.flagsAfter(N) == flags(true, true, false, false));
}

TEST_CASE("several milestones may fire in one step", "[quant-config]") {
  // get_configs_for_qscheme in test_configure.py: one step turns both on.
  MilestoneSchedule S{Milestones{0, 0, 10, 10}};
  CHECK(S.flagsAfter(0) == flags(false, false, false, false));
  CHECK(S.flagsAfter(1) == flags(true, true, false, false));
  CHECK(S.flagsAfter(10) == flags(true, true, false, false));
  CHECK(S.flagsAfter(11) == flags(false, true, true, true));

  // Enable and disable in the same step: disable runs last.
  MilestoneSchedule Same{Milestones{3, 3, 3, 3}};
  CHECK(Same.flagsAfter(3) == flags(false, false, false, false));
  CHECK(Same.flagsAfter(4) == flags(false, true, true, true));
}

TEST_CASE("order is not checked and negative milestones never fire", "[quant-config]") {
  // The docstring's example freezes batch norm before observers stop.
  MilestoneSchedule Doc{Milestones{0, 100, 300, 200}};
  CHECK(Doc.flagsAfter(201) == flags(true, true, false, true));
  CHECK(Doc.flagsAfter(301) == flags(false, true, true, true));

  // linear_quantization.py's batches-as-epochs schedule.
  MilestoneSchedule Example{Milestones{0, 1, 2, 1}};
  CHECK(Example.flagsAfter(2) == flags(true, true, false, true));
  CHECK(Example.flagsAfter(3) == flags(false, true, true, true));

  MilestoneSchedule Never{Milestones{0, 1, -1, -1}};
  CHECK(Never.flagsAfter(1000) == flags(true, true, false, false));

  // Observers disabled before they are enabled: the later event wins.
  MilestoneSchedule Late{Milestones{5, 0, 2, -1}};
  CHECK(Late.flagsAfter(3) == flags(false, true, true, false));
  CHECK(Late.flagsAfter(6) == flags(true, true, false, false));
}

TEST_CASE("the closed form equals a literal replay of step()", "[quant-config]") {
  const int64_t Values[] = {-1, 0, 1, 2, 3, 5};
  for (int64_t A : Values)
    for (int64_t B : Values)
      for (int64_t C : Values)
        for (int64_t D : Values) {
          Milestones M{A, B, C, D};
          MilestoneSchedule S{M};
          for (uint64_t N = 0; N <= 7; ++N) {
            INFO(A << "," << B << "," << C << "," << D << " after " << N);
            CHECK(S.flagsAfter(N) == replay(M, N));
          }
        }
}
