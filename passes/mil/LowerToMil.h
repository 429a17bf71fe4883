//===- LowerToMil.h - Quantized QIR to a Core ML ML Program -----*- C++ -*-===//
//
// Lowers a quantized QIR graph (the output of finalize: float ops, weights as
// dequantize of integer parameters, activations as quantize/dequantize
// pairs) to a Core ML Model holding an ML Program, plus the weight.bin image
// its blob values refer to. The mapping of every QIR op is in
// docs/coreml.md; ops MIL cannot express are all listed in one error.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_LOWERTOMIL_H
#define QATC_PASSES_MIL_LOWERTOMIL_H

#include "passes/mil/MilTarget.h"

#include "ir/Graph.h"

#include "proto/coreml/Model.pb.h"

#include "llvm/Support/Error.h"

#include <string>

namespace qatc {
namespace mil {

/// A lowered model: the Model message and the weight.bin image.
struct LoweredModel {
  CoreML::Specification::Model Model;
  std::string Weights;
};

/// Lowers G for Opts.Target. Errors name the node and say what to do.
llvm::Expected<LoweredModel> lowerToMil(const Graph &G, const MilOptions &Opts = {});

/// The version string qatc writes into model metadata.
inline constexpr const char *kQatcVersion = "0.1.0";

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_LOWERTOMIL_H
