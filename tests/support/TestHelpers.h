//===- TestHelpers.h - Catch2 helpers for llvm::Error and Expected -*- C++ -*-===//
//
// REQUIRE_OK/CHECK_OK accept an llvm::Error or llvm::Expected and, when it
// holds an error, fail with the error's message shown.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_TESTS_SUPPORT_TESTHELPERS_H
#define QATC_TESTS_SUPPORT_TESTHELPERS_H

#include "llvm/Support/Error.h"

#include <string>

namespace qatc {
namespace testing {

/// The error's message, or "" on success (consumes the error).
inline std::string errorText(llvm::Error E) { return E ? llvm::toString(std::move(E)) : ""; }

/// The error's message, or "" when E holds a value (the value stays).
template <typename T> std::string errorText(llvm::Expected<T> &E) {
  return E ? "" : llvm::toString(E.takeError());
}

/// The error's message, or "" for a temporary Expected holding a value.
template <typename T> std::string errorText(llvm::Expected<T> &&E) {
  return E ? "" : llvm::toString(E.takeError());
}

} // namespace testing
} // namespace qatc

#define REQUIRE_OK(X) REQUIRE(::qatc::testing::errorText(X) == "")
#define CHECK_OK(X) CHECK(::qatc::testing::errorText(X) == "")

#endif // QATC_TESTS_SUPPORT_TESTHELPERS_H
