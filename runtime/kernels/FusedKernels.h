//===- FusedKernels.h - Kernels of node chains the executor fuses -*- C++ -*-===//
//
// Kernels that run a chain of QIR nodes as one: the executor's fusions
// (runtime/Fusion.h) match the chains at plan time and call these instead of
// the nodes' own kernels, so the chain's intermediate tensors are never
// stored and each element is visited in fewer passes. Every kernel computes
// exactly what the separate kernels compute, operation for operation, with
// one exception: in training mode the batch norm tail's divisor and added
// bias gradients come in closed form from the batch norm's own sums (exact
// where the separate kernels' element-by-element sums leave rounding
// noise; BatchNorm.cpp, storeGradients).
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_FUSEDKERNELS_H
#define QATC_RUNTIME_KERNELS_FUSEDKERNELS_H

#include "runtime/Kernel.h"
#include "runtime/kernels/GradientGates.h"

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

/// fake_quantize(Activation(tail), ...) with tail the scaledBatchNormKernel
/// chain, Activation "relu", "relu6" or "" (none) and a vanilla fake quant:
/// the training tail with the fake quant of its output. Operands: the
/// scaled batch norm's, then the fake quant's from its scale on; the node
/// passed to it is the fake_quantize. The fake quant writes over the batch
/// norm's output, and backward applies its mask inside the batch norm's own
/// loops instead of in a pass of its own.
const OpKernel &quantizedBatchNormKernel(bool WithAddedBias, llvm::StringRef Activation);

/// fake_quantize's own kernel.
const OpKernel &fakeQuantizeKernel();

/// The backward of scaledBatchNormKernel(WithAddedBias) when its output
/// gradient reaches it through a fake quant that saved Mask (Gate says
/// which byte): the batch norm gates each channel group's gradient as it
/// starts on the group.
llvm::Error gatedScaledBatchNormBackward(bool WithAddedBias, const BackwardArgs &A,
                                         llvm::MutableArrayRef<Tensor> Grads,
                                         const Tensor &Mask, GradientGate Gate);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_FUSEDKERNELS_H
