//===- QParamTensors.h - Quantization parameters held in tensors -*- C++ -*-===//
//
// The tensor side of quantization shared by the fake_quantize, quantize and
// dequantize kernels and by finalize: a tensor seen as [outer, channel,
// inner] around its quantization axis, a parallel loop over fixed segments
// of it (so reductions are the same for any thread count), scale and zero
// point tensors of any supported dtype, and running an observer on a tensor.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_QUANT_QPARAMTENSORS_H
#define QATC_RUNTIME_QUANT_QPARAMTENSORS_H

#include "runtime/Parallel.h"
#include "runtime/Simd.h"
#include "runtime/Tensor.h"
#include "runtime/quant/Observer.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

namespace qatc {
namespace runtime {
namespace quant {

/// A tensor viewed as [Outer, Channels, Inner] around its quantization axis;
/// per tensor it is one channel of all elements.
struct ChannelLayout {
  int64_t Outer = 1;
  int64_t Channels = 1;
  int64_t Inner = 1;
  /// Quantized along an axis (else per tensor).
  bool PerChannel = false;

  int64_t numel() const { return Outer * Channels * Inner; }
  /// Elements in one channel (N of the LSQ gradient scale).
  int64_t perChannel() const { return Outer * Inner; }
};

/// The layout of a tensor of shape Dims quantized along Axis (negative counts
/// from the back; none means per tensor). An axis outside the rank is an error.
llvm::Expected<ChannelLayout> channelLayout(llvm::ArrayRef<int64_t> Dims,
                                            std::optional<int64_t> Axis);

/// V rounded to an integer, half to even: std::nearbyint in the default
/// rounding mode (bit for bit, -0 and NaN included), without a library call
/// or a branch, so loops calling it vectorize: |V| + 2^23 has no fraction
/// bits when |V| < 2^23, and larger floats are integers already.
inline float roundHalfEven(float V) {
  constexpr float TwoTo23 = 8388608.0f;
  float A = std::fabs(V);
  float Rounded = (A + TwoTo23) - TwoTo23;
  return std::copysign(A < TwoTo23 ? Rounded : A, V);
}

/// V clamped to [Lo, Hi], NaN going to Lo (as torch's integer conversion of
/// NaN does); std::fmin/fmax semantics without their library calls.
inline float clampToRange(float V, float Lo, float Hi) {
  return !(V >= Lo) ? Lo : (V > Hi ? Hi : V);
}

/// Segments: each lies inside one [channel] row of Inner elements and holds at
/// most SegmentElements of them. Their bounds depend only on the layout.
inline constexpr int64_t SegmentElements = int64_t(1) << 14;

/// The number of segments covering L.
int64_t numSegments(const ChannelLayout &L);

/// Calls Fn(Segment, Channel, Begin, End) for every segment of L, in
/// parallel; [Begin, End) are flat element indices of the tensor.
template <typename F> void forEachSegment(const ChannelLayout &L, F &&Fn) {
  int64_t PerRow = (L.Inner + SegmentElements - 1) / SegmentElements;
  int64_t Length = std::min(L.Inner, SegmentElements);
  int64_t Grain = std::max<int64_t>(1, SegmentElements / std::max<int64_t>(1, Length));
  parallelFor(numSegments(L), Grain, [&](int64_t Begin, int64_t End) {
    for (int64_t S = Begin; S < End; ++S) {
      int64_t Row = S / PerRow, Piece = S % PerRow;
      int64_t First = Row * L.Inner + Piece * SegmentElements;
      int64_t Last = std::min(First + SegmentElements, (Row + 1) * L.Inner);
      Fn(S, Row % L.Channels, First, Last);
    }
  });
}

/// Checks that a scale or zero point tensor has one value per channel of L
/// (what names it in the message, e.g. "scale").
llvm::Error checkQParamSize(const Tensor &T, const ChannelLayout &L, llvm::StringRef What);

/// Checks that a zero point tensor has a dtype the kernels read: i8, u8, i32,
/// i64 or f32.
llvm::Error checkZeroPointDType(const Tensor &ZeroPoint);

/// The zero points as floats (f32 ones as stored).
llvm::SmallVector<float, 8> zeroPointValues(const Tensor &ZeroPoint);

/// The zero points as integers (f32 ones rounded half to even).
llvm::SmallVector<int64_t, 8> integerZeroPoints(const Tensor &ZeroPoint);
/// Channel's zero point as an integer (an f32 one rounded half to even).
int64_t integerZeroPoint(const Tensor &ZeroPoint, int64_t Channel);

/// Writes qparams into Scale (f32) and ZeroPoint (its own dtype), one per
/// element of Q.
void storeQParams(llvm::ArrayRef<QParams> Q, const Tensor &Scale, const Tensor &ZeroPoint);
/// Writes Channel's qparams into Scale and ZeroPoint.
void storeQParams(QParams Q, int64_t Channel, const Tensor &Scale, const Tensor &ZeroPoint);

namespace detail {

/// Min and Max of V(I) over [Begin, End) (not empty), bit for bit what
/// folding nanPropagatingMin/Max over them in order gives: NaN when any is
/// NaN, else the first value attaining the extreme (which matters for the
/// sign of a zero). The main loop vectorizes; only a zero extreme rescans.
template <typename ValueFn>
QATC_VECTOR_CLONES void runMinMax(ValueFn V, int64_t Begin, int64_t End, float &Min, float &Max) {
  float Lo = V(Begin), Hi = V(Begin);
  int Nan = 0;
#pragma omp simd reduction(min : Lo) reduction(max : Hi) reduction(| : Nan)
  for (int64_t I = Begin; I < End; ++I) {
    float X = V(I);
    Lo = X < Lo ? X : Lo;
    Hi = X > Hi ? X : Hi;
    Nan |= X != X;
  }
  if (Nan) {
    Min = Max = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  auto FirstZero = [&] {
    for (int64_t I = Begin; I < End; ++I)
      if (V(I) == 0.0f)
        return V(I);
    return 0.0f;
  };
  Min = Lo == 0 ? FirstZero() : Lo;
  Max = Hi == 0 ? FirstZero() : Hi;
}

} // namespace detail

/// Folds per-segment ranges (in segment order) into per-channel ranges.
void foldSegmentRanges(const ChannelLayout &L, llvm::ArrayRef<float> SegMin,
                       llvm::ArrayRef<float> SegMax, llvm::MutableArrayRef<float> Min,
                       llvm::MutableArrayRef<float> Max);

/// Per-channel minimum and maximum (NaN propagates, as in torch.aminmax) of
/// the values Values(C)(I) of a tensor laid out as L (not empty), where
/// Values(C) returns channel C's value functor, capturing by value.
template <typename ValuesFn>
void channelMinMaxOf(const ChannelLayout &L, ValuesFn &&Values, llvm::MutableArrayRef<float> Min,
                     llvm::MutableArrayRef<float> Max) {
  std::vector<float> SegMin(numSegments(L)), SegMax(numSegments(L));
  forEachSegment(L, [&](int64_t S, int64_t C, int64_t Begin, int64_t End) {
    detail::runMinMax(Values(C), Begin, End, SegMin[S], SegMax[S]);
  });
  foldSegmentRanges(L, SegMin, SegMax, Min, Max);
}

/// Per-channel minimum and maximum of the f32 tensor X; X must not be empty.
void channelMinMax(const Tensor &X, const ChannelLayout &L, llvm::MutableArrayRef<float> Min,
                   llvm::MutableArrayRef<float> Max);

/// The observer of Attrs given a batch's per-channel range (none for an
/// empty batch): folds it into MinVal and MaxVal, then recomputes Scale and
/// ZeroPoint from them. All four tensors have one element per channel and
/// are updated in place.
void observeRange(const FakeQuantAttrs &Attrs, llvm::ArrayRef<float> BatchMin,
                  llvm::ArrayRef<float> BatchMax, const Tensor &MinVal, const Tensor &MaxVal,
                  const Tensor &Scale, const Tensor &ZeroPoint);

/// Runs the observer of Attrs on X, as torch's FakeQuantize does when its
/// observer is enabled: observeRange with X's per-channel range.
void observe(const Tensor &X, const ChannelLayout &L, const FakeQuantAttrs &Attrs,
             const Tensor &MinVal, const Tensor &MaxVal, const Tensor &Scale,
             const Tensor &ZeroPoint);

} // namespace quant
} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_QUANT_QPARAMTENSORS_H
