//===- GradientGates.h - How a fake quant's mask gates its gradient -*- C++ -*-===//
//
// The fake quant kernels save one byte per element for backward: the plain
// fake quant whether the rounded value lay in range (its straight-through
// mask), the fused activation + fake quant 0 where the activation stops the
// gradient, else 1 + in range. These are the formulas that turn the
// incoming gradient and that byte into the input gradient, shared by the
// fake quant kernels and by the batch norm that applies a fused consumer's
// mask inside its own backward loops, so both give the same bits.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_GRADIENTGATES_H
#define QATC_RUNTIME_KERNELS_GRADIENTGATES_H

#include <cstdint>

namespace qatc {
namespace runtime {

/// Which byte a fake quant saved.
enum class GradientGate {
  /// 1 in range, 0 outside (torch's dY * mask).
  StraightThrough,
  /// 0: the activation stops the gradient; 1: outside the range; 2: passes.
  Activation,
};

/// dy * mask.
inline float straightThroughGradient(float G, uint8_t M) { return G * (M ? 1.0f : 0.0f); }

/// The fake quant's masked gradient, then the activation's.
inline float activationGradient(float G, uint8_t M) {
  int State = M; // an int, or GCC leaves loops of this scalar
  float Masked = G * (State == 2 ? 1.0f : 0.0f);
  return State == 0 ? 0.0f : Masked;
}

template <GradientGate Gate> inline float gatedGradient(float G, uint8_t M) {
  return Gate == GradientGate::StraightThrough ? straightThroughGradient(G, M)
                                               : activationGradient(G, M);
}

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_GRADIENTGATES_H
