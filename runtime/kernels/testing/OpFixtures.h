//===- OpFixtures.h - PyTorch reference cases of single ops (JSON) -*- C++ -*-===//
//
// Reads the cases testdata/make_basic_fixtures.py writes: one op with its
// attributes (any kind, strings included) and operands of any dtype,
// PyTorch's outputs (several for a tuple such as split's), one upstream
// gradient per output and autograd's gradient of every f32 operand. A case
// runs through the real executor (buildOp), forward and backward. Graph
// tests read plain JSON objects of named tensors.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_TESTING_OPFIXTURES_H
#define QATC_RUNTIME_KERNELS_TESTING_OPFIXTURES_H

#include "runtime/testing/OpTester.h"

#include <map>
#include <set>

namespace qatc {
namespace runtime {
namespace testing {

/// One reference case.
struct OpFixture {
  std::string Name;
  OpCase Op;
  bool Training = false;
  /// Outputs must equal PyTorch's bit for bit (layout ops).
  bool Exact = false;
  std::vector<Tensor> Outputs, GradOutputs;
  /// Expected gradient by operand index.
  std::map<unsigned, Tensor> Grads;
};

/// Reads every case of a fixture file (a path relative to the test's runfiles).
llvm::Expected<std::vector<OpFixture>> readOpFixtures(llvm::StringRef Path);

/// Reads a JSON object of named tensors (graph.json).
llvm::Expected<std::map<std::string, Tensor>> readNamedTensors(llvm::StringRef Path);

/// Runs C forward and backward and compares every number: exactly for Exact
/// outputs and non-f32 data, else with |got - want| <= Abs + Rel * |want|.
/// Returns "" when all match, else the first mismatch.
std::string checkOpFixture(const OpFixture &C, double Rel = 1e-4, double Abs = 1e-5);

/// Checks every case of a fixture file; "" when the cases cover exactly the
/// ops Ops and all match, else one line per problem.
std::string checkOpFixtureFile(llvm::StringRef Path, const std::set<std::string> &Ops);

} // namespace testing
} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_TESTING_OPFIXTURES_H
