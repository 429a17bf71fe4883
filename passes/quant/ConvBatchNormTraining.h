//===- ConvBatchNormTraining.h - The QAT training form of conv + batch norm -*- C++ -*-===//
//
// PyTorch's ConvBn QAT modules (spec §2.8) written out in QIR ops, so the
// runtime and autograd need no fused kernel. For a layer L (conv1d, conv2d,
// conv_transpose2d or linear) feeding batch norm BN:
//
//   %L.bn_scale        = batch_norm_scale(%BN.weight, %BN.running_var) {eps}
//   %L.bn_scale_weight = reshape(%L.bn_scale) {shape = [C, 1, ...]}  (C on the weight's
//                                                                     output-channel axis)
//   %L.weight_scaled   = mul(%L.weight, %L.bn_scale_weight)
//   %L                 = conv2d(%input, %L.weight_scaled)            (no bias)
//   %L.bn_scale_out    = reshape(%L.bn_scale) {shape = [1, C, 1, ...]}
//   %L.unscaled        = div(%L, %L.bn_scale_out)
//   %L.bias_out        = reshape(%L.bias) {shape = [1, C, 1, ...]}   (only with a bias)
//   %L.with_bias       = add(%L.unscaled, %L.bias_out)               (only with a bias)
//   %BN                = batch_norm(%L.with_bias or %L.unscaled, ...) (unchanged otherwise)
//
// Prepare then puts the weight fake quant between %L.weight_scaled and %L.
// docs/prepare.md specifies the form for finalize and the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_CONVBATCHNORMTRAINING_H
#define QATC_PASSES_QUANT_CONVBATCHNORMTRAINING_H

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

namespace qatc {

/// Rewrites Layer -> BN (BN being Layer's only user) into the training form
/// above. WeightAxis is the weight's output-channel axis. Returns the scaled
/// weight node, which Layer now reads as its weight.
llvm::Expected<Node *> expandConvBatchNorm(Graph &G, Node *Layer, int64_t WeightAxis, Node *BN);

/// The most nodes expandConvBatchNorm adds (with a bias; two fewer without).
inline constexpr unsigned ConvBatchNormNewNodes = 7;

/// Prefetches the names expandConvBatchNorm will give the nodes around Layer
/// (see Graph::prefetchNodeName); a loop expanding many layers calls it a few
/// layers ahead.
void prefetchConvBatchNormNames(const Graph &G, const Node *Layer);

} // namespace qatc

#endif // QATC_PASSES_QUANT_CONVBATCHNORMTRAINING_H
