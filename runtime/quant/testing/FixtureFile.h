//===- FixtureFile.h - Reads the PyTorch quantization fixtures --*- C++ -*-===//
//
// Test support: parses the text files runtime/quant/testdata/
// make_quant_fixtures.py writes (named cases of ints, floats, strings and
// exact tensors) into runtime Tensors, and compares tensors bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_QUANT_TESTING_FIXTUREFILE_H
#define QATC_RUNTIME_QUANT_TESTING_FIXTUREFILE_H

#include "runtime/Tensor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace qatc {
namespace runtime {
namespace testing {

/// One `case ... end` block.
struct FixtureCase {
  std::string Name;
  llvm::StringMap<int64_t> Ints;
  llvm::StringMap<double> Floats;
  llvm::StringMap<std::string> Strings;
  llvm::StringMap<Tensor> Tensors;

  /// The tensor Key; a missing key aborts with the case and key named.
  const Tensor &tensor(llvm::StringRef Key) const;
  /// The int Key, or Default when absent.
  int64_t getInt(llvm::StringRef Key, int64_t Default) const;
};

/// Reads every case of a fixture file; errors name the file and line.
llvm::Expected<std::vector<FixtureCase>> readFixtureFile(llvm::StringRef Path);

/// Whether A and B have the same shape and bit-identical f32 elements; on a
/// mismatch Why says where ("element 7: 0x3f800000 vs 0x3f800001").
bool bitEqual(const Tensor &A, const Tensor &B, std::string &Why);

/// Largest |A - B| over the largest |B| (or 1 when B is all zeros).
double relativeError(const Tensor &A, const Tensor &B);

} // namespace testing
} // namespace runtime
} // namespace qatc

/// Checks that tensors A and B are bit-identical, showing the first mismatch.
#define CHECK_BITS(A, B)                                                                           \
  do {                                                                                             \
    std::string Why_;                                                                              \
    bool Same_ = ::qatc::runtime::testing::bitEqual(A, B, Why_);                                   \
    INFO(#A " vs " #B ": " << Why_);                                                               \
    CHECK(Same_);                                                                                  \
  } while (false)

#endif // QATC_RUNTIME_QUANT_TESTING_FIXTUREFILE_H
