//===- CatchMain.cpp - Catch2 entry point for every unit test binary ------===//
//
// Runs Catch2 with its console reporter and, under `bazel test`, also writes
// a JUnit-style summary to $XML_OUTPUT_FILE so the test runner can count test
// cases (not just test binaries).
//
//===----------------------------------------------------------------------===//
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct CaseResult {
  std::string Name;
  bool Passed;
};

std::vector<CaseResult> &results() {
  static std::vector<CaseResult> R;
  return R;
}

/// Records the outcome of every test case.
struct CaseRecorder : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(Catch::TestCaseStats const &Stats) override {
    results().push_back({Stats.testInfo.name, Stats.totals.assertions.allPassed() &&
                                                  Stats.totals.testCases.failed == 0});
  }
};

std::string xmlEscape(const std::string &S) {
  std::string R;
  for (char C : S) {
    switch (C) {
    case '&': R += "&amp;"; break;
    case '<': R += "&lt;"; break;
    case '>': R += "&gt;"; break;
    case '"': R += "&quot;"; break;
    default: R += C;
    }
  }
  return R;
}

void writeJUnit(const char *Path, const char *Suite) {
  FILE *F = std::fopen(Path, "w");
  if (!F)
    return;
  size_t Failed = 0;
  for (const CaseResult &C : results())
    Failed += !C.Passed;
  std::fprintf(F, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
  std::fprintf(F, "<testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\">\n",
               xmlEscape(Suite).c_str(), results().size(), Failed);
  for (const CaseResult &C : results()) {
    std::fprintf(F, "<testcase name=\"%s\">", xmlEscape(C.Name).c_str());
    if (!C.Passed)
      std::fprintf(F, "<failure message=\"failed\"/>");
    std::fprintf(F, "</testcase>\n");
  }
  std::fprintf(F, "</testsuite>\n</testsuites>\n");
  std::fclose(F);
}

} // namespace

CATCH_REGISTER_LISTENER(CaseRecorder)

int main(int argc, char **argv) {
  int Result = Catch::Session().run(argc, argv);
  if (const char *Xml = std::getenv("XML_OUTPUT_FILE"))
    writeJUnit(Xml, argc > 0 ? argv[0] : "catch2");
  return Result;
}
