//===- LayerSupport.h - Checks and window geometry of dense-layer kernels -*- C++ -*-===//
//
// Shared by the convolution, linear, batch norm and pooling families: the
// kernel error helper, the f32 operand check, and PyTorch's output-size
// formula of sliding windows, ceil mode included (padding attributes expand
// with shape::expandPadding of ir/ShapeFunctions.h).
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_LAYERSUPPORT_H
#define QATC_RUNTIME_KERNELS_LAYERSUPPORT_H

#include "runtime/Tensor.h"

#include "ir/ShapeFunctions.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {
namespace runtime {

/// A kernel error: one plain clause (the executor prefixes the node).
template <typename... Ts> llvm::Error kernelError(const char *Fmt, Ts &&...Vals) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::formatv(Fmt, std::forward<Ts>(Vals)...).str());
}

/// Fails unless every operand holds f32 data (the layers compute in f32).
inline llvm::Error requireF32Operands(llvm::ArrayRef<Tensor> Operands) {
  for (size_t I = 0; I < Operands.size(); ++I)
    if (Operands[I].dtype() != DType::F32)
      return kernelError("operand {0} is {1}; these kernels compute in f32", I,
                         Operands[I].describe());
  return llvm::Error::success();
}

/// Output size of a window of size K (dilation Dil, stride S) sliding over
/// In elements padded by PB and PE; 0 when no window fits. In ceil mode the
/// last window must start inside the input or its begin padding (PyTorch).
inline int64_t windowOutputSize(int64_t In, int64_t K, int64_t S, int64_t PB, int64_t PE,
                                int64_t Dil, bool Ceil) {
  int64_t Span = In + PB + PE - Dil * (K - 1) - 1;
  if (Span < 0 || S < 1)
    return 0;
  int64_t Out = (Ceil ? (Span + S - 1) / S : Span / S) + 1;
  if (Ceil && (Out - 1) * S >= In + PB)
    --Out;
  return Out;
}

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_LAYERSUPPORT_H
