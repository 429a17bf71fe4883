//===- JUnit.cpp - JUnit XML summaries for Bazel's test runner ------------===//
#include "tests/support/JUnit.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {
namespace testing {

/// S with XML's special characters escaped (for attribute values).
static std::string xmlEscape(llvm::StringRef S) {
  std::string R;
  for (char C : S) {
    switch (C) {
    case '&': R += "&amp;"; break;
    case '<': R += "&lt;"; break;
    case '>': R += "&gt;"; break;
    case '"': R += "&quot;"; break;
    case '\n': R += "&#10;"; break;
    default: R += C;
    }
  }
  return R;
}

void writeJUnit(llvm::StringRef Path, llvm::StringRef Suite, llvm::ArrayRef<JUnitCase> Cases) {
  std::error_code EC;
  llvm::raw_fd_ostream OS(Path, EC, llvm::sys::fs::OF_Text);
  if (EC)
    return;
  size_t Failed = 0;
  for (const JUnitCase &C : Cases)
    Failed += !C.Passed;
  OS << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  OS << "<testsuite name=\"" << xmlEscape(Suite) << "\" tests=\"" << Cases.size()
     << "\" failures=\"" << Failed << "\">\n";
  for (const JUnitCase &C : Cases) {
    OS << "<testcase name=\"" << xmlEscape(C.Name) << "\">";
    if (!C.Passed)
      OS << "<failure message=\"" << xmlEscape(C.Message.empty() ? "failed" : C.Message)
         << "\"/>";
    OS << "</testcase>\n";
  }
  OS << "</testsuite>\n</testsuites>\n";
}

} // namespace testing
} // namespace qatc
