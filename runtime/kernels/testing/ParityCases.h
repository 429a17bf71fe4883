//===- ParityCases.h - PyTorch reference cases for kernel tests -*- C++ -*-===//
//
// Reads the cases testdata/make_dense_fixtures.py writes (one op with its
// attributes and operands, PyTorch's output, an upstream gradient, autograd's
// operand gradients and, for stateful ops, the operands after the forward
// pass) and checks the runtime against them through the real executor.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_TESTING_PARITYCASES_H
#define QATC_RUNTIME_KERNELS_TESTING_PARITYCASES_H

#include "runtime/testing/OpTester.h"

#include <map>

namespace qatc {
namespace runtime {
namespace testing {

/// One reference case.
struct ParityCase {
  std::string Name;
  OpCase Op;
  bool Training = false, UpdateState = false;
  Tensor Output, GradOutput;
  /// Expected gradient by operand index.
  std::map<unsigned, Tensor> Grads;
  /// Expected operand value after the forward pass (running statistics).
  std::map<unsigned, Tensor> States;
};

/// An ints attribute value, for OpCase attribute lists.
inline Attribute ints(std::vector<int64_t> Values) { return Attribute(std::move(Values)); }

/// Reads every case of a fixture file (a path relative to the test's runfiles).
llvm::Expected<std::vector<ParityCase>> readParityCases(llvm::StringRef Path);

/// Runs C forward (and backward from its upstream gradient) and compares
/// each number with |got - want| <= Abs + Rel * |want|. Returns "" when all
/// match, else a description of the first mismatch.
std::string checkParity(const ParityCase &C, double Rel = 1e-4, double Abs = 1e-5);

/// Checks every case of a fixture file; returns "" when the file holds at
/// least MinCases cases and all match, else one line per problem.
std::string checkParityFile(llvm::StringRef Path, size_t MinCases);

/// checkGradients (central differences) as a test verdict: "" when the
/// largest error is below Tolerance, else the error and where it is.
std::string checkFiniteDifferences(const OpCase &C, bool Training = false,
                                   double Tolerance = 1e-2);

} // namespace testing
} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_TESTING_PARITYCASES_H
