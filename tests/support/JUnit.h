//===- JUnit.h - JUnit XML summaries for Bazel's test runner ----*- C++ -*-===//
//
// Bazel gives every test $XML_OUTPUT_FILE; a JUnit file there with one
// <testcase> per case lets tools/count_test_results.py count cases rather
// than test binaries. Shared by the Catch2 main and the custom test drivers.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_TESTS_SUPPORT_JUNIT_H
#define QATC_TESTS_SUPPORT_JUNIT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace qatc {
namespace testing {

/// The outcome of one test case.
struct JUnitCase {
  std::string Name;
  bool Passed = true;
  /// Why it failed (empty for a passed case or when there is nothing to say).
  std::string Message;
};

/// Writes Cases as one test suite named Suite to Path; does nothing when the
/// file cannot be created.
void writeJUnit(llvm::StringRef Path, llvm::StringRef Suite, llvm::ArrayRef<JUnitCase> Cases);

} // namespace testing
} // namespace qatc

#endif // QATC_TESTS_SUPPORT_JUNIT_H
