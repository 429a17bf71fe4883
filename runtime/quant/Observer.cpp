//===- Observer.cpp - Observer maths: running ranges and qparams ----------===//

#include "runtime/quant/Observer.h"

#include "ir/Node.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::quant;

llvm::Error quant::quantError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

namespace {

/// The string attribute Name, or an error naming it when it is missing.
llvm::Expected<llvm::StringRef> stringAttr(const Node &N, llvm::StringRef Name) {
  const Attribute *A = N.attr(Name);
  if (!A || A->kind() != AttrKind::String)
    return quantError(llvm::formatv("attribute '{0}' must be a string", Name));
  return llvm::StringRef(A->getString());
}

} // namespace

llvm::Expected<FakeQuantAttrs> quant::readFakeQuantAttrs(const Node &N) {
  FakeQuantAttrs A;
  auto Observer = stringAttr(N, "observer");
  if (!Observer)
    return Observer.takeError();
  auto Kind = llvm::StringSwitch<std::optional<ObserverKind>>(*Observer)
                  .Case("fixed", ObserverKind::Fixed)
                  .Case("moving_average_min_max", ObserverKind::MovingAverageMinMax)
                  .Case("min_max", ObserverKind::MinMax)
                  .Case("ema_min_max", ObserverKind::EmaMinMax)
                  .Default(std::nullopt);
  if (!Kind)
    return quantError(llvm::formatv("unknown observer \"{0}\"", *Observer));
  A.Observer = *Kind;

  auto Scheme = stringAttr(N, "scheme");
  if (!Scheme)
    return Scheme.takeError();
  if (*Scheme != "symmetric" && *Scheme != "affine")
    return quantError(llvm::formatv("unknown scheme \"{0}\"", *Scheme));
  A.Scheme = *Scheme == "symmetric" ? QScheme::Symmetric : QScheme::Affine;

  auto Algorithm = stringAttr(N, "algorithm");
  if (!Algorithm)
    return Algorithm.takeError();
  if (*Algorithm != "vanilla" && *Algorithm != "learnable")
    return quantError(llvm::formatv("unknown algorithm \"{0}\"", *Algorithm));
  A.Learnable = *Algorithm == "learnable";

  A.Range.Min = N.getInt("quant_min");
  A.Range.Max = N.getInt("quant_max");
  if (A.Range.Min >= A.Range.Max)
    return quantError(
        llvm::formatv("'quant_min' {0} must be below 'quant_max' {1}", A.Range.Min, A.Range.Max));
  if (const Attribute *Axis = N.attr("axis"))
    A.Axis = Axis->getInt();
  A.AveragingConstant = N.getFloat("averaging_constant");
  A.EmaRatio = N.getFloat("ema_ratio");
  return A;
}

bool quant::isUnobserved(float MinVal, float MaxVal) {
  return MinVal == std::numeric_limits<float>::infinity() &&
         MaxVal == -std::numeric_limits<float>::infinity();
}

float quant::nanPropagatingMin(float A, float B) {
  if (std::isnan(A) || std::isnan(B))
    return std::numeric_limits<float>::quiet_NaN();
  return B < A ? B : A;
}

float quant::nanPropagatingMax(float A, float B) {
  if (std::isnan(A) || std::isnan(B))
    return std::numeric_limits<float>::quiet_NaN();
  return B > A ? B : A;
}

int64_t quant::symmetricZeroPoint(QuantRange Range) {
  if (Range.isSigned())
    return 0;
  if (Range.Min == 0 && Range.Max == 255)
    return 128;
  return (Range.Min + Range.Max) / 2;
}

QParams quant::computeQParams(float MinVal, float MaxVal, QScheme Scheme, QuantRange Range) {
  QParams Q;
  if (isUnobserved(MinVal, MaxVal))
    return Q;
  float MinNeg = nanPropagatingMin(MinVal, 0.0f);
  float MaxPos = nanPropagatingMax(MaxVal, 0.0f);
  if (Scheme == QScheme::Symmetric) {
    float AbsMax = nanPropagatingMax(-MinNeg, MaxPos);
    // torch divides by the Python float (qmax - qmin) / 2, cast to float32.
    float HalfSpan = float(double(Range.Max - Range.Min) / 2);
    Q.Scale = nanPropagatingMax(AbsMax / HalfSpan, ScaleEps);
    Q.ZeroPoint = symmetricZeroPoint(Range);
    return Q;
  }
  Q.Scale = nanPropagatingMax((MaxPos - MinNeg) / float(Range.Max - Range.Min), ScaleEps);
  float ZeroPoint = float(Range.Min) - std::nearbyint(MinNeg / Q.Scale);
  // fmax/fmin send NaN to the lower bound.
  Q.ZeroPoint = int64_t(std::fmin(std::fmax(ZeroPoint, float(Range.Min)), float(Range.Max)));
  return Q;
}

void quant::updateRange(const FakeQuantAttrs &Attrs, float BatchMin, float BatchMax, float &MinVal,
                        float &MaxVal) {
  switch (Attrs.Observer) {
  case ObserverKind::Fixed:
    return;
  case ObserverKind::MinMax:
    MinVal = nanPropagatingMin(BatchMin, MinVal);
    MaxVal = nanPropagatingMax(BatchMax, MaxVal);
    return;
  case ObserverKind::MovingAverageMinMax:
  case ObserverKind::EmaMinMax:
    break;
  }
  if (isUnobserved(MinVal, MaxVal)) {
    MinVal = BatchMin;
    MaxVal = BatchMax;
    return;
  }
  if (Attrs.Observer == ObserverKind::MovingAverageMinMax) {
    // torch: v + c * (batch - v), with the Python float c cast to float32.
    float C = float(Attrs.AveragingConstant);
    MinVal = MinVal + C * (BatchMin - MinVal);
    MaxVal = MaxVal + C * (BatchMax - MaxVal);
    return;
  }
  // coremltools: v * r + batch * (1 - r), both weights Python floats.
  float Old = float(Attrs.EmaRatio), New = float(1.0 - Attrs.EmaRatio);
  MinVal = MinVal * Old + BatchMin * New;
  MaxVal = MaxVal * Old + BatchMax * New;
}

float quant::learnableZeroPoint(float ZeroPoint, QScheme Scheme, QuantRange Range) {
  if (Scheme == QScheme::Symmetric)
    return float(symmetricZeroPoint(Range));
  return std::fmin(std::fmax(std::nearbyint(ZeroPoint), float(Range.Min)), float(Range.Max));
}

float quant::lsqGradFactor(int64_t ElementsPerChannel, QuantRange Range) {
  assert(Range.Max > 0 && "the LSQ gradient scale needs a positive quant_max");
  return float(1.0 / std::sqrt(double(ElementsPerChannel) * double(Range.Max)));
}
