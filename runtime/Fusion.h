//===- Fusion.h - Node chains the executor runs as one kernel ---*- C++ -*-===//
//
// At plan time the executor asks matchFusion() about every node. A match is a
// chain of nodes ending at that node (the root) whose intermediate results
// have no other use: the executor skips the absorbed nodes and runs the
// fused kernel (runtime/kernels/FusedKernels.h) at the root on the chain's
// outside operands, so the intermediates are never stored and backward
// visits each element in fewer passes. The graph itself is not changed, and
// results are those of the separate kernels.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_FUSION_H
#define QATC_RUNTIME_FUSION_H

#include "runtime/Kernel.h"

#include "ir/Node.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace qatc {
namespace runtime {

/// One fused chain.
struct Fusion {
  /// What the profile calls it, e.g. "batch_norm+add+div".
  const char *Name = nullptr;
  const OpKernel *Kernel = nullptr;
  /// The chain's nodes before the root; none of them is executed.
  llvm::SmallVector<Node *, 4> Absorbed;
  /// The operands of the fused kernel, in its order.
  llvm::SmallVector<Node *, 8> Operands;
};

/// The fusion rooted at Root, if a pattern matches. Patterns:
///  * batch_norm(add(div(x, s), b)) and batch_norm(div(x, s)), s and b of
///    shape [1, C, 1, ...]: the tail of the conv + batch norm training form;
///  * fake_quantize(mul(w, s)), s of shape [O, 1, ...] and the fake quant
///    per channel along axis 0: the training form's scaled weight;
///  * fake_quantize(relu(x)) and fake_quantize(relu6(x));
///  * fake_quantize of that tail, directly or through relu or relu6 (the
///    whole chain is one fusion then, rooted at the fake quant).
/// Fake quants are vanilla (not learnable).
std::optional<Fusion> matchFusion(Node &Root);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_FUSION_H
