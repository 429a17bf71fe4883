//===- Finalize.h - From a trained prepared graph to quantized QIR -*- C++ -*-===//
//
// coremltools' LinearQuantizer.finalize (spec coreml-qat.md §3) on QIR: the
// conv + batch norm training forms fold back into one layer with a folded
// bias; every weight fake quant becomes integer data (i8/u8, 4-bit values
// for 4-bit configs) with per-channel scale and zero point behind a
// `dequantize`; every activation fake quant becomes a `quantize` /
// `dequantize` pair with its learned scale and zero point (symmetric quint8
// pairs with zero point 128 rewritten to int8 with zero point 0, spec §5.4);
// observers and the QAT state disappear. The result computes what the
// trained prepared graph computes in inference mode, and the MIL writer
// (passes/mil) lowers it to Core ML.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_PASSES_QUANT_FINALIZE_H
#define QATC_PASSES_QUANT_FINALIZE_H

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

namespace qatc {

/// What finalize did.
struct FinalizeSummary {
  unsigned BatchNormsFolded = 0;
  unsigned WeightsQuantized = 0;
  unsigned ActivationPairs = 0;
  /// Parameters before and after (observer state and float weights go).
  size_t ParameterBytesBefore = 0, ParameterBytesAfter = 0;
};

/// Finalizes G in place. G must be prepared (it holds fake quants) and carry
/// parameter data; errors name the node and say what to do.
llvm::Expected<FinalizeSummary> finalizeForDeployment(Graph &G);

} // namespace qatc

#endif // QATC_PASSES_QUANT_FINALIZE_H
