//===- MilTarget.h - Core ML deployment targets and their versions -*- C++ -*-===//
//
// A deployment target (--target ios16|ios17|ios18) fixes the pair written into
// every ML Program: Model.specificationVersion and the MIL opset of `main`
// (7/CoreML6, 8/CoreML7, 9/CoreML8), and which quantization ops exist.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_MILTARGET_H
#define QATC_PASSES_MIL_MILTARGET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>

namespace qatc {
namespace mil {

/// The OS releases qatc can target; the order is the release order.
enum class MilTarget { IOS16, IOS17, IOS18 };

/// `ios16`, `ios17` or `ios18`.
llvm::StringRef targetName(MilTarget T);
/// Parses `ios16`, `ios17` or `ios18` (also `iOS17`); the error lists the choices.
llvm::Expected<MilTarget> parseTarget(llvm::StringRef Name);
/// Model.specificationVersion for T (7, 8 or 9).
int specificationVersion(MilTarget T);
/// The MIL opset of T ("CoreML6", "CoreML7" or "CoreML8").
llvm::StringRef opsetName(MilTarget T);
/// The target whose specification version is V and whose opset is Opset, or
/// an error when they are not one of qatc's matched pairs.
llvm::Expected<MilTarget> targetForVersion(int V, llvm::StringRef Opset);

/// True when the target has the iOS17 quantize/dequantize activation ops.
inline bool hasActivationQuantization(MilTarget T) { return T >= MilTarget::IOS17; }
/// True when weights use constexpr_blockwise_shift_scale (else
/// constexpr_affine_dequantize), which also allows 4-bit data.
inline bool hasBlockwiseShiftScale(MilTarget T) { return T >= MilTarget::IOS18; }

/// How a quantized QIR graph is written as an ML Program.
struct MilOptions {
  MilTarget Target = MilTarget::IOS17;
  /// Constants with at least this many elements go to weights/weight.bin
  /// (coremltools uses 10).
  size_t BlobThreshold = 10;
};

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_MILTARGET_H
