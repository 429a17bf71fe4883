//===- TestFiles.h - Files and directories for the export tests -*- C++ -*-===//
//
// Test-only helpers shared by the writer, reader and round-trip tests: a
// fresh directory under $TEST_TMPDIR, and whole-file reads and writes that
// fail the running Catch2 test on error.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_TESTING_TESTFILES_H
#define QATC_PASSES_MIL_TESTING_TESTFILES_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace qatc {
namespace mil {
namespace testing {

/// An empty directory $TEST_TMPDIR/Name (/tmp when unset), made anew.
std::string freshDir(llvm::StringRef Name);
/// A's path joined with B.
std::string joinPath(llvm::StringRef A, llvm::StringRef B);
/// The bytes of a file (the test fails when it cannot be read).
std::string readFile(llvm::StringRef Path);
/// Replaces a file's contents (the test fails when it cannot be written).
void writeFile(llvm::StringRef Path, llvm::StringRef Bytes);

} // namespace testing
} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_TESTING_TESTFILES_H
