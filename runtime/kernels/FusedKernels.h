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

/// fake_quantize(mul(w, s), ...) with s one factor per output channel
/// ([O, 1, ...]) and a vanilla fake quant along axis 0: the scaled conv
/// weight of the training form. Operands: w, s, then the fake quant's from
/// its scale on; the node passed to it is the fake_quantize.
const OpKernel &scaledWeightFakeQuantizeKernel();

/// fake_quantize(Activation(x), ...) for a vanilla fake quant, where
/// Activation is "relu" or "relu6" (null for others). Operands: the fake
/// quant's, with x for its input; the node passed to it is the
/// fake_quantize.
const OpKernel *activationFakeQuantizeKernel(llvm::StringRef Activation);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_FUSEDKERNELS_H
