//===- Observer.h - Observer maths: running ranges and qparams --*- C++ -*-===//
//
// What torch.ao.quantization's observers and coremltools' EMA observer
// compute (spec coreml-qat.md §2.2-2.4), one channel at a time: how a running
// min/max absorbs a batch's min/max, and how a min/max becomes a scale and
// zero point for a scheme and integer range. The fake_quantize kernel runs it
// while training; finalize and reports reuse it on the stored min_val/max_val.
// Every operation is float32, in torch's order, so results are bit-identical.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_QUANT_OBSERVER_H
#define QATC_RUNTIME_QUANT_OBSERVER_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace qatc {
class Node;

namespace runtime {
namespace quant {

/// An error of one plain clause, as the quantization code reports them (the
/// executor prefixes the node for kernels).
llvm::Error quantError(const llvm::Twine &Message);

/// How a fake quant tracks its range (`observer` attribute).
enum class ObserverKind { Fixed, MovingAverageMinMax, MinMax, EmaMinMax };

/// How a range becomes qparams (`scheme` attribute).
enum class QScheme { Symmetric, Affine };

/// The integer range [Min, Max] of quantized values.
struct QuantRange {
  int64_t Min = 0;
  int64_t Max = 255;
  bool isSigned() const { return Min < 0; }
};

/// The attributes of a fake_quantize node, parsed.
struct FakeQuantAttrs {
  ObserverKind Observer = ObserverKind::Fixed;
  QScheme Scheme = QScheme::Affine;
  /// algorithm = "learnable" (LSQ); else vanilla torch FakeQuantize.
  bool Learnable = false;
  QuantRange Range;
  /// The per-channel axis as written (may be negative); none per tensor.
  std::optional<int64_t> Axis;
  /// Moving-average weight of a new batch (torch's averaging_constant).
  double AveragingConstant = 0.01;
  /// EMA weight of the running value (coremltools' ema_ratio).
  double EmaRatio = 0.9;

  /// True for the kinds that keep min_val and max_val.
  bool observes() const { return Observer != ObserverKind::Fixed; }
};

/// Reads the attributes of a fake_quantize node; an unknown spelling is an
/// error naming the attribute.
llvm::Expected<FakeQuantAttrs> readFakeQuantAttrs(const Node &N);

/// The smallest scale an observer returns: float32 machine epsilon (2^-23).
inline constexpr float ScaleEps = 1.1920929e-07f;

/// One channel's quantization parameters.
struct QParams {
  float Scale = 1.0f;
  int64_t ZeroPoint = 0;
};

/// True before the first observation (min_val +inf and max_val -inf).
bool isUnobserved(float MinVal, float MaxVal);

/// The zero point of the symmetric scheme: 0 for a signed range; for an
/// unsigned one 128 on [0, 255], else the midpoint rounded down (torch's
/// customised-range rule, 7 for [0, 15]).
int64_t symmetricZeroPoint(QuantRange Range);

/// torch's _calculate_qparams for one channel: the range widened to contain
/// 0; symmetric scale max(-min, max) / ((qmax - qmin) / 2), affine scale
/// (max - min) / (qmax - qmin) with zero point qmin - round(min / scale)
/// clamped to the range; scales below ScaleEps become ScaleEps. An
/// unobserved channel gives scale 1 and zero point 0.
QParams computeQParams(float MinVal, float MaxVal, QScheme Scheme, QuantRange Range);

/// Folds one batch's minimum and maximum into a channel's running MinVal and
/// MaxVal by the rule of Attrs.Observer (an unobserved channel takes the
/// batch's values; NaN propagates as in torch). Fixed observers keep them.
void updateRange(const FakeQuantAttrs &Attrs, float BatchMin, float BatchMax, float &MinVal,
                 float &MaxVal);

/// The zero point a learnable fake quant computes with: the symmetric zero
/// point, or ZeroPoint rounded half to even and clamped to the range.
float learnableZeroPoint(float ZeroPoint, QScheme Scheme, QuantRange Range);

/// The LSQ gradient scale 1 / sqrt(N * quant_max), N the elements per channel
/// (per tensor: all of them). Range.Max must be positive.
float lsqGradFactor(int64_t ElementsPerChannel, QuantRange Range);

/// Minimum and maximum that propagate NaN, as torch.min/torch.max do.
float nanPropagatingMin(float A, float B);
float nanPropagatingMax(float A, float B);

} // namespace quant
} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_QUANT_OBSERVER_H
