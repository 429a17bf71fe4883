//===- QParamTensors.cpp - Quantization parameters held in tensors --------===//

#include "runtime/quant/QParamTensors.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>
#include <vector>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::quant;

namespace {

/// Element I of an integer or f32 tensor.
double valueAt(const Tensor &T, int64_t I) {
  switch (T.dtype()) {
  case DType::I8:
    return T.data<int8_t>()[I];
  case DType::U8:
    return T.data<uint8_t>()[I];
  case DType::I32:
    return T.data<int32_t>()[I];
  case DType::I64:
    return double(T.data<int64_t>()[I]);
  case DType::F32:
    return T.f32()[I];
  default:
    llvm_unreachable("zero point dtype not checked");
  }
}

/// Calls Fn(I, Value) for each element of an integer or f32 tensor.
template <typename F> void forEachValue(const Tensor &T, F &&Fn) {
  for (int64_t I = 0; I < T.numel(); ++I)
    Fn(I, valueAt(T, I));
}

} // namespace

llvm::Expected<ChannelLayout> quant::channelLayout(llvm::ArrayRef<int64_t> Dims,
                                                   std::optional<int64_t> Axis) {
  ChannelLayout L;
  if (!Axis) {
    L.Inner = shapeNumel(Dims);
    return L;
  }
  int64_t Rank = Dims.size();
  int64_t A = *Axis < 0 ? *Axis + Rank : *Axis;
  if (A < 0 || A >= Rank)
    return quantError(
        llvm::formatv("'axis' {0} is out of range for an input of rank {1}", *Axis, Rank));
  L.PerChannel = true;
  L.Outer = shapeNumel(Dims.take_front(A));
  L.Channels = Dims[A];
  L.Inner = shapeNumel(Dims.drop_front(A + 1));
  return L;
}

int64_t quant::numSegments(const ChannelLayout &L) {
  return L.Outer * L.Channels * ((L.Inner + SegmentElements - 1) / SegmentElements);
}

llvm::Error quant::checkQParamSize(const Tensor &T, const ChannelLayout &L, llvm::StringRef What) {
  if (T.numel() == L.Channels)
    return llvm::Error::success();
  if (!L.PerChannel)
    return quantError(
        llvm::formatv("per-tensor {0} must have one element, not {1}", What, T.numel()));
  return quantError(llvm::formatv("{0} has {1} values but the input has {2} channels along "
                                  "'axis'",
                                  What, T.numel(), L.Channels));
}

llvm::Error quant::checkZeroPointDType(const Tensor &ZeroPoint) {
  switch (ZeroPoint.dtype()) {
  case DType::I8:
  case DType::U8:
  case DType::I32:
  case DType::I64:
  case DType::F32:
    return llvm::Error::success();
  default:
    return quantError(llvm::formatv("zero point must be i8, u8, i32, i64 or f32, not {0}",
                                    dtypeName(ZeroPoint.dtype())));
  }
}

llvm::SmallVector<float, 8> quant::zeroPointValues(const Tensor &ZeroPoint) {
  llvm::SmallVector<float, 8> Values(ZeroPoint.numel());
  forEachValue(ZeroPoint, [&](int64_t I, double V) { Values[I] = float(V); });
  return Values;
}

int64_t quant::integerZeroPoint(const Tensor &ZeroPoint, int64_t Channel) {
  return int64_t(std::nearbyint(valueAt(ZeroPoint, Channel)));
}

llvm::SmallVector<int64_t, 8> quant::integerZeroPoints(const Tensor &ZeroPoint) {
  llvm::SmallVector<int64_t, 8> Values(ZeroPoint.numel());
  for (int64_t I = 0; I < ZeroPoint.numel(); ++I)
    Values[I] = integerZeroPoint(ZeroPoint, I);
  return Values;
}

void quant::storeQParams(QParams Q, int64_t Channel, const Tensor &Scale,
                         const Tensor &ZeroPoint) {
  Scale.f32()[Channel] = Q.Scale;
  int64_t Z = Q.ZeroPoint;
  switch (ZeroPoint.dtype()) {
  case DType::I8:
    ZeroPoint.data<int8_t>()[Channel] = int8_t(Z);
    break;
  case DType::U8:
    ZeroPoint.data<uint8_t>()[Channel] = uint8_t(Z);
    break;
  case DType::I32:
    ZeroPoint.data<int32_t>()[Channel] = int32_t(Z);
    break;
  case DType::I64:
    ZeroPoint.data<int64_t>()[Channel] = Z;
    break;
  case DType::F32:
    ZeroPoint.f32()[Channel] = float(Z);
    break;
  default:
    llvm_unreachable("zero point dtype not checked");
  }
}

void quant::storeQParams(llvm::ArrayRef<QParams> Q, const Tensor &Scale, const Tensor &ZeroPoint) {
  assert(Scale.numel() == (int64_t)Q.size() && ZeroPoint.numel() == (int64_t)Q.size() &&
         "one scale and zero point per channel");
  for (size_t C = 0; C < Q.size(); ++C)
    storeQParams(Q[C], C, Scale, ZeroPoint);
}

void quant::channelMinMax(const Tensor &X, const ChannelLayout &L, llvm::MutableArrayRef<float> Min,
                          llvm::MutableArrayRef<float> Max) {
  assert(X.numel() > 0 && X.numel() == L.numel() && "observing an empty or mismatched tensor");
  const float *P = X.f32();
  channelMinMaxOf(
      L, [P](int64_t) { return [P](int64_t I) { return P[I]; }; }, Min, Max);
}

void quant::foldSegmentRanges(const ChannelLayout &L, llvm::ArrayRef<float> SegMin,
                              llvm::ArrayRef<float> SegMax, llvm::MutableArrayRef<float> Min,
                              llvm::MutableArrayRef<float> Max) {
  std::fill(Min.begin(), Min.end(), std::numeric_limits<float>::infinity());
  std::fill(Max.begin(), Max.end(), -std::numeric_limits<float>::infinity());
  int64_t PerRow = (L.Inner + SegmentElements - 1) / SegmentElements;
  for (size_t S = 0; S < SegMin.size(); ++S) {
    int64_t C = (int64_t(S) / PerRow) % L.Channels;
    Min[C] = nanPropagatingMin(Min[C], SegMin[S]);
    Max[C] = nanPropagatingMax(Max[C], SegMax[S]);
  }
}

void quant::observeRange(const FakeQuantAttrs &Attrs, llvm::ArrayRef<float> BatchMin,
                         llvm::ArrayRef<float> BatchMax, const Tensor &MinVal,
                         const Tensor &MaxVal, const Tensor &Scale, const Tensor &ZeroPoint) {
  int64_t C = MinVal.numel();
  assert(MaxVal.numel() == C && "one running range per channel");
  for (size_t I = 0; I < BatchMin.size(); ++I)
    updateRange(Attrs, BatchMin[I], BatchMax[I], MinVal.f32()[I], MaxVal.f32()[I]);
  llvm::SmallVector<QParams, 8> Q(C);
  for (int64_t I = 0; I < C; ++I)
    Q[I] = computeQParams(MinVal.f32()[I], MaxVal.f32()[I], Attrs.Scheme, Attrs.Range);
  storeQParams(Q, Scale, ZeroPoint);
}

void quant::observe(const Tensor &X, const ChannelLayout &L, const FakeQuantAttrs &Attrs,
                    const Tensor &MinVal, const Tensor &MaxVal, const Tensor &Scale,
                    const Tensor &ZeroPoint) {
  int64_t C = L.Channels;
  assert(MinVal.numel() == C && MaxVal.numel() == C && "one running range per channel");
  llvm::SmallVector<float, 8> BatchMin, BatchMax;
  if (X.numel() > 0) {
    BatchMin.resize(C);
    BatchMax.resize(C);
    channelMinMax(X, L, BatchMin, BatchMax);
  }
  observeRange(Attrs, BatchMin, BatchMax, MinVal, MaxVal, Scale, ZeroPoint);
}
