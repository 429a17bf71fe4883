//===- FusedKernels.h - Kernels of node chains the executor fuses -*- C++ -*-===//
//
// Kernels that run a chain of QIR nodes as one: the executor's fusions
// (runtime/Fusion.h) match the chains at plan time and call these instead of
// the nodes' own kernels, so the chain's intermediate tensors are never
// stored and each element is visited in fewer passes. Every kernel computes
// exactly what the separate kernels compute, operation for operation.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_FUSEDKERNELS_H
#define QATC_RUNTIME_KERNELS_FUSEDKERNELS_H

#include "runtime/Kernel.h"

namespace qatc {
namespace runtime {

/// batch_norm(div(x, s), weight, bias, running_mean, running_var), or with
/// WithAddedBias batch_norm(add(div(x, s), b), ...): the tail of the conv +
/// batch norm training form (docs/prepare.md), with s and b one value per
/// channel. Operands: x, s, [b,] weight, bias, running_mean, running_var;
/// the node passed to it is the batch_norm (eps, momentum).
const OpKernel &scaledBatchNormKernel(bool WithAddedBias);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_FUSEDKERNELS_H
