//===- CatchMain.cpp - Catch2 entry point for every unit test binary ------===//
//
// Runs Catch2 with its console reporter and, under `bazel test`, also writes
// a JUnit-style summary to $XML_OUTPUT_FILE so the test runner can count test
// cases (not just test binaries).
//
//===----------------------------------------------------------------------===//
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "tests/support/JUnit.h"

#include <cstdlib>
#include <vector>

namespace {

std::vector<qatc::testing::JUnitCase> &results() {
  static std::vector<qatc::testing::JUnitCase> R;
  return R;
}

/// Records the outcome of every test case.
struct CaseRecorder : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(Catch::TestCaseStats const &Stats) override {
    results().push_back({Stats.testInfo.name, Stats.totals.assertions.allPassed() &&
                                                  Stats.totals.testCases.failed == 0,
                         ""});
  }
};

} // namespace

CATCH_REGISTER_LISTENER(CaseRecorder)

int main(int argc, char **argv) {
  int Result = Catch::Session().run(argc, argv);
  if (const char *Xml = std::getenv("XML_OUTPUT_FILE"))
    qatc::testing::writeJUnit(Xml, argc > 0 ? argv[0] : "catch2", results());
  return Result;
}
