//===- OpTester.h - Run one op through the executor, check gradients -*- C++ -*-===//
//
// Test support for kernel families: builds a one-node graph whose operands
// are graph parameters (so every f32 operand gets a gradient), runs it
// forward and backward through the real Executor, and compares analytic
// gradients with central finite differences.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_TESTING_OPTESTER_H
#define QATC_RUNTIME_TESTING_OPTESTER_H

#include "runtime/Executor.h"

#include "ir/Attribute.h"

#include <random>
#include <string>
#include <vector>

namespace qatc {
namespace runtime {
namespace testing {

/// One op applied to concrete operands.
struct OpCase {
  std::string Op;
  std::vector<Tensor> Operands;
  llvm::SmallVector<NamedAttribute, 0> Attrs;
};

/// The graph, its executor and the parameter behind each operand.
struct BuiltOp {
  std::unique_ptr<Graph> G;
  std::unique_ptr<Executor> Exec;
  std::vector<Parameter *> OperandParams;
  Node *Call = nullptr;
};

/// A new parameter of G named Name holding a copy of T.
Parameter *addTensorParameter(Graph &G, llvm::StringRef Name, const Tensor &T);

/// Builds the one-op graph (result type inferred by the op's shape function).
llvm::Expected<BuiltOp> buildOp(const OpCase &Case);

/// Runs Case forward; the result is the op's outputs (tuple elements for split).
llvm::Expected<TensorList> runOp(const OpCase &Case, const RunOptions &Opts = {});

/// Result of a gradient check.
struct GradCheckResult {
  /// Largest |analytic - numeric| / max(1, |numeric|) over every checked element.
  double MaxError = 0;
  /// Where it happened, for messages ("operand 1 element 7: analytic ..., numeric ...").
  std::string Worst;
};

/// Compares d(sum(out * R))/d(operand) with central differences (step Eps)
/// for every f32 operand the op differentiates; R is a fixed random weighting
/// of the outputs. Runs in the given mode (training for batch norm).
llvm::Expected<GradCheckResult> checkGradients(const OpCase &Case, double Eps = 1e-3,
                                               bool Training = false);

/// A tensor of uniform values in [Lo, Hi) from Rng.
Tensor randomTensor(llvm::ArrayRef<int64_t> Shape, std::mt19937 &Rng, float Lo = -1,
                    float Hi = 1);

/// Largest element-wise |A - B|; A and B must have equal sizes.
double maxAbsDiff(const Tensor &A, const Tensor &B);

} // namespace testing
} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_TESTING_OPTESTER_H
