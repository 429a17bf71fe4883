//===- ConstantEvaluator.h - Values of parameter-only subgraphs --*- C++ -*-===//
//
// Computes the value of a node whose operands lead only to parameters (a
// BN-scaled weight, a reshaped bias) with the runtime's own kernels in
// inference mode, so passes that fold such subgraphs (finalize) get exactly
// the numbers training computed.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_CONSTANTEVALUATOR_H
#define QATC_RUNTIME_CONSTANTEVALUATOR_H

#include "runtime/Tensor.h"

#include "ir/Graph.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

namespace qatc {
namespace runtime {

/// Evaluates constant nodes of one graph, remembering every value computed.
class ConstantEvaluator {
public:
  /// True when N's value depends only on parameters (get_attr leaves) through
  /// stateless ops. Memoized; iterative, so long graphs do not recurse deeply.
  bool isConstant(const Node &N);
  /// The value of constant node N; an error names the node (elided
  /// parameter, missing kernel, kernel failure).
  llvm::Expected<Tensor> evaluate(const Node &N);

private:
  llvm::DenseMap<const Node *, Tensor> Values;
  llvm::DenseMap<const Node *, bool> Constant;
};

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_CONSTANTEVALUATOR_H
