//===- Quantization.cpp - quantize and dequantize -------------------------===//
//
// The integer ops finalize emits (no gradients):
//   quantize(x, scale, zp) {dtype, axis?}:
//     q = clamp(zp + round(x * (1 / scale)), dtype's range), u8, i8 or i32;
//   dequantize(q, scale, zp) {axis?}:  y = (q - zp) * scale in f32;
// per tensor or per channel along `axis`, with torch's float operations
// (quantize_val / dequantize_val: reciprocal scale, nearbyint, zero point
// added after rounding) so results equal torch.quantize_per_{tensor,channel}
// and Tensor.dequantize bit for bit. Values beyond the range clamp to it
// (torch 1.13's int64 conversion sends |x / scale| >= 2^63 to the minimum).
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/quant/QParamTensors.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::quant;

namespace {

/// The integer range of a quantized dtype (u8, i8, i32), or none.
std::optional<QuantRange> dtypeRange(DType T) {
  switch (T) {
  case DType::U8:
    return QuantRange{0, 255};
  case DType::I8:
    return QuantRange{-128, 127};
  case DType::I32:
    return QuantRange{std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  default:
    return std::nullopt;
  }
}

/// Checks scale and zero point against X quantized along the node's axis.
llvm::Expected<ChannelLayout> checkQParams(const Node &N, llvm::ArrayRef<Tensor> Inputs) {
  if (Inputs.size() != 3)
    return quantError(llvm::formatv("expected 3 operands, not {0}", Inputs.size()));
  std::optional<int64_t> Axis;
  if (const Attribute *A = N.attr("axis"))
    Axis = A->getInt();
  auto L = channelLayout(Inputs[0].shape(), Axis);
  if (!L)
    return L.takeError();
  if (Inputs[1].dtype() != DType::F32)
    return quantError(llvm::formatv("scale must be f32, not {0}", Inputs[1].describe()));
  if (auto E = checkQParamSize(Inputs[1], *L, "scale"))
    return E;
  if (auto E = checkZeroPointDType(Inputs[2]))
    return E;
  if (auto E = checkQParamSize(Inputs[2], *L, "zero point"))
    return E;
  return L;
}

/// Stores clamp(zp + round(x / scale)) as T.
template <typename T>
void quantizeInto(const Tensor &X, const ChannelLayout &L, const Tensor &Scale,
                  llvm::ArrayRef<int64_t> ZeroPoints, QuantRange Range, const Tensor &Q) {
  const float *In = X.f32();
  T *Out = Q.data<T>();
  double Lo = double(Range.Min), Hi = double(Range.Max);
  forEachSegment(L, [&](int64_t, int64_t C, int64_t Begin, int64_t End) {
    float Inv = 1.0f / Scale.f32()[C];
    float Z = float(ZeroPoints[C]);
    for (int64_t I = Begin; I < End; ++I) {
      float Rounded = Z + roundHalfEven(In[I] * Inv);
      // fmax sends NaN to the minimum, as torch's conversion does.
      Out[I] = T(std::fmin(std::fmax(double(Rounded), Lo), Hi));
    }
  });
}

llvm::Error quantizeForward(const ForwardArgs &Args, TensorList &Outputs) {
  auto L = checkQParams(Args.N, Args.Inputs);
  if (!L)
    return L.takeError();
  const Tensor &X = Args.Inputs[0];
  if (X.dtype() != DType::F32)
    return quantError(llvm::formatv("input must be f32, not {0}", X.describe()));
  DType Out = Args.N.attr("dtype")->getDType();
  std::optional<QuantRange> Range = dtypeRange(Out);
  if (!Range)
    return quantError(llvm::formatv("'dtype' must be u8, i8 or i32, not {0}", dtypeName(Out)));
  Tensor Q = Tensor::empty(X.shape(), Out);
  llvm::SmallVector<int64_t, 8> Zps = integerZeroPoints(Args.Inputs[2]);
  const Tensor &Scale = Args.Inputs[1];
  if (Out == DType::U8)
    quantizeInto<uint8_t>(X, *L, Scale, Zps, *Range, Q);
  else if (Out == DType::I8)
    quantizeInto<int8_t>(X, *L, Scale, Zps, *Range, Q);
  else
    quantizeInto<int32_t>(X, *L, Scale, Zps, *Range, Q);
  Outputs.push_back(Q);
  return llvm::Error::success();
}

/// (float(q) - zp) * scale into Y.
template <typename T>
void dequantizeInto(const Tensor &Q, const ChannelLayout &L, const Tensor &Scale,
                    llvm::ArrayRef<int64_t> ZeroPoints, const Tensor &Y) {
  const T *In = Q.data<T>();
  float *Out = Y.f32();
  forEachSegment(L, [&](int64_t, int64_t C, int64_t Begin, int64_t End) {
    float S = Scale.f32()[C];
    float Z = float(ZeroPoints[C]);
    for (int64_t I = Begin; I < End; ++I)
      Out[I] = (float(In[I]) - Z) * S;
  });
}

llvm::Error dequantizeForward(const ForwardArgs &Args, TensorList &Outputs) {
  auto L = checkQParams(Args.N, Args.Inputs);
  if (!L)
    return L.takeError();
  const Tensor &Q = Args.Inputs[0];
  Tensor Y = Tensor::empty(Q.shape());
  llvm::SmallVector<int64_t, 8> Zps = integerZeroPoints(Args.Inputs[2]);
  const Tensor &Scale = Args.Inputs[1];
  switch (Q.dtype()) {
  case DType::U8:
    dequantizeInto<uint8_t>(Q, *L, Scale, Zps, Y);
    break;
  case DType::I8:
    dequantizeInto<int8_t>(Q, *L, Scale, Zps, Y);
    break;
  case DType::I32:
    dequantizeInto<int32_t>(Q, *L, Scale, Zps, Y);
    break;
  default:
    return quantError(llvm::formatv("input must be u8, i8 or i32, not {0}", Q.describe()));
  }
  Outputs.push_back(Y);
  return llvm::Error::success();
}

} // namespace

void qatc::runtime::registerQuantizationKernels(KernelTable &Table) {
  Table["quantize"] = OpKernel{quantizeForward, nullptr, SavesNothing, nullptr};
  Table["dequantize"] = OpKernel{dequantizeForward, nullptr, SavesNothing, nullptr};
}
