//===- FakeQuantize.cpp - fake_quantize: observers, vanilla and LSQ -------===//
//
// fake_quantize(x, scale, zero_point[, observer_enabled, fake_quant_enabled
// [, min_val, max_val]]), the op prepare inserts (docs/prepare.md).
//
// Forward, as torch's FakeQuantize: when observer_enabled is set and the run
// updates state, the observer folds x's range into min_val/max_val and
// rewrites scale and zero_point in place (runtime/quant/QParamTensors.h).
// When fake_quant_enabled is set (or absent),
//   y = (clamp(zp + round(x * (1 / scale)), qmin, qmax) - zp) * scale
// per tensor or per channel along `axis`, in float32 with torch's operation
// order (reciprocal scale, nearbyint, zero point added after rounding), so
// results are bit-identical to torch.fake_quantize_per_{tensor,channel}_affine;
// otherwise y = x. algorithm = learnable (coremltools' LearnableFakeQuantize)
// computes with max(scale, eps) and a rounded, clamped zero point (the
// symmetric one for scheme = symmetric).
//
// Backward: x gets the straight-through gradient where the rounded value lay
// inside [qmin, qmax] (torch's cached mask). Learnable scale and (affine)
// zero point get torch's _fake_quantize_learnable_per_{tensor,channel}_affine
// gradients scaled by 1 / sqrt(N * qmax); with fake quant disabled they get
// zeros, as coremltools' `x + 0 * scale + 0 * zp` does.
//
// Deliberate difference: torch 1.13 converts the rounded value to int64
// before clamping, so |x / scale| >= 2^63 (and +inf) lands on qmin; here it is
// clamped first (to qmax for large positive values), as later torch does.
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/quant/QParamTensors.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <vector>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::quant;

namespace {

enum OperandIndex : unsigned {
  Input = 0,
  Scale = 1,
  ZeroPoint = 2,
  ObserverEnabled = 3,
  FakeQuantEnabled = 4,
  MinVal = 5,
  MaxVal = 6,
};

/// The parsed attributes and the input's channel layout.
struct Config {
  FakeQuantAttrs Attrs;
  ChannelLayout Layout;
};

/// Checks a u8 flag operand.
llvm::Error checkFlag(const Tensor &T, llvm::StringRef Name) {
  if (T.dtype() != DType::U8 || T.numel() != 1)
    return quantError(
        llvm::formatv("'{0}' must be a u8 tensor of one element, not {1}", Name, T.describe()));
  return llvm::Error::success();
}

/// Parses the attributes and checks every operand against the input.
llvm::Expected<Config> configure(const Node &N, llvm::ArrayRef<Tensor> Inputs) {
  Config C;
  auto Attrs = readFakeQuantAttrs(N);
  if (!Attrs)
    return Attrs.takeError();
  C.Attrs = *Attrs;
  size_t Count = Inputs.size();
  if (Count != 3 && Count != 5 && Count != 7)
    return quantError(llvm::formatv("expected 3, 5 or 7 operands, not {0}", Count));
  if (C.Attrs.observes() != (Count == 7))
    return quantError("min_val and max_val are needed exactly when the observer is not fixed");
  const Tensor &X = Inputs[Input];
  if (X.dtype() != DType::F32)
    return quantError(llvm::formatv("input must be f32, not {0}", X.describe()));
  auto Layout = channelLayout(X.shape(), C.Attrs.Axis);
  if (!Layout)
    return Layout.takeError();
  C.Layout = *Layout;
  if (Inputs[Scale].dtype() != DType::F32)
    return quantError(llvm::formatv("scale must be f32, not {0}", Inputs[Scale].describe()));
  if (auto E = checkQParamSize(Inputs[Scale], C.Layout, "scale"))
    return E;
  if (auto E = checkZeroPointDType(Inputs[ZeroPoint]))
    return E;
  if (auto E = checkQParamSize(Inputs[ZeroPoint], C.Layout, "zero point"))
    return E;
  if (Count >= 5) {
    if (auto E = checkFlag(Inputs[ObserverEnabled], "observer_enabled"))
      return E;
    if (auto E = checkFlag(Inputs[FakeQuantEnabled], "fake_quant_enabled"))
      return E;
  }
  for (unsigned I : {MinVal, MaxVal}) {
    if (I >= Count)
      continue;
    const char *Name = I == MinVal ? "min_val" : "max_val";
    if (Inputs[I].dtype() != DType::F32)
      return quantError(llvm::formatv("{0} must be f32, not {1}", Name, Inputs[I].describe()));
    if (auto E = checkQParamSize(Inputs[I], C.Layout, Name))
      return E;
  }
  if (C.Attrs.Learnable && C.Attrs.Range.Max <= 0)
    return quantError(llvm::formatv("a learnable fake quant needs 'quant_max' above 0, not {0}",
                                    C.Attrs.Range.Max));
  return C;
}

bool flagOn(const Tensor &Flag) { return Flag.data<uint8_t>()[0] != 0; }

/// Fake-quantizes N floats with scale S and zero point Z into [Lo, Hi]; with
/// WithMask, Mask gets 1 where the rounded value was in range.
template <bool WithMask>
void fakeQuantizeRun(const float *__restrict In, float *__restrict Out, uint8_t *__restrict Mask,
                     int64_t N, float S, float Z, float Lo, float Hi) {
  float Inv = 1.0f / S;
#pragma omp simd
  for (int64_t I = 0; I < N; ++I) {
    float Rounded = Z + roundHalfEven(In[I] * Inv);
    Out[I] = (clampToRange(Rounded, Lo, Hi) - Z) * S;
    if constexpr (WithMask)
      Mask[I] = (Rounded >= Lo) & (Rounded <= Hi);
  }
}

/// The fake-quantized X with per-channel Scales and integer-valued
/// ZeroPoints; Mask (when defined) gets 1 where the rounded value was in range.
Tensor fakeQuantize(const Tensor &X, const ChannelLayout &L, QuantRange Range,
                    llvm::ArrayRef<float> Scales, llvm::ArrayRef<float> ZeroPoints,
                    const Tensor &Mask) {
  Tensor Y = Tensor::empty(X.shape());
  const float *In = X.f32();
  float *Out = Y.f32();
  uint8_t *M = Mask.defined() ? Mask.data<uint8_t>() : nullptr;
  float Lo = float(Range.Min), Hi = float(Range.Max);
  forEachSegment(L, [&](int64_t, int64_t C, int64_t Begin, int64_t End) {
    if (M)
      fakeQuantizeRun<true>(In + Begin, Out + Begin, M + Begin, End - Begin, Scales[C],
                            ZeroPoints[C], Lo, Hi);
    else
      fakeQuantizeRun<false>(In + Begin, Out + Begin, nullptr, End - Begin, Scales[C],
                             ZeroPoints[C], Lo, Hi);
  });
  return Y;
}

llvm::SmallVector<float, 8> floatValues(const Tensor &T) {
  return llvm::SmallVector<float, 8>(T.f32(), T.f32() + T.numel());
}

/// The scale a learnable fake quant computes with: max(scale, eps).
llvm::SmallVector<float, 8> learnableScales(const Tensor &RawScale) {
  llvm::SmallVector<float, 8> S = floatValues(RawScale);
  for (float &V : S)
    V = nanPropagatingMax(V, ScaleEps);
  return S;
}

llvm::Error fakeQuantizeForward(const ForwardArgs &Args, TensorList &Outputs) {
  auto C = configure(Args.N, Args.Inputs);
  if (!C)
    return C.takeError();
  llvm::ArrayRef<Tensor> In = Args.Inputs;
  const Tensor &X = In[Input];
  if (C->Attrs.observes() && Args.UpdateState && flagOn(In[ObserverEnabled]))
    observe(X, C->Layout, C->Attrs, In[MinVal], In[MaxVal], In[Scale], In[ZeroPoint]);
  if (In.size() >= 5 && !flagOn(In[FakeQuantEnabled])) {
    Outputs.push_back(X);
    return llvm::Error::success();
  }

  if (C->Attrs.Learnable) {
    llvm::SmallVector<float, 8> Zps = zeroPointValues(In[ZeroPoint]);
    for (float &Z : Zps)
      Z = learnableZeroPoint(Z, C->Attrs.Scheme, C->Attrs.Range);
    Outputs.push_back(
        fakeQuantize(X, C->Layout, C->Attrs.Range, learnableScales(In[Scale]), Zps, Tensor()));
    if (Args.Saved) {
      // The scale parameter may change before backward (a shared site's next
      // fake quant observes), so backward gets copies.
      Args.Saved->push_back(X);
      Args.Saved->push_back(In[Scale].clone());
      Args.Saved->push_back(Tensor::fromFloats({(int64_t)Zps.size()}, Zps));
    }
    return llvm::Error::success();
  }

  llvm::SmallVector<float, 8> Zps;
  for (int64_t Z : integerZeroPoints(In[ZeroPoint]))
    Zps.push_back(float(Z));
  Tensor Mask = Args.Saved ? Tensor::empty(X.shape(), DType::U8) : Tensor();
  Outputs.push_back(fakeQuantize(X, C->Layout, C->Attrs.Range, floatValues(In[Scale]), Zps, Mask));
  if (Args.Saved)
    Args.Saved->push_back(Mask);
  return llvm::Error::success();
}

/// Out = G * (M ? 1 : 0) over N elements.
void maskRun(const float *__restrict G, const uint8_t *__restrict M, float *__restrict Out,
             int64_t N) {
#pragma omp simd
  for (int64_t I = 0; I < N; ++I)
    Out[I] = G[I] * (M[I] ? 1.0f : 0.0f);
}

/// dx = dy where Mask is set, else 0 (torch's dY * mask).
Tensor maskedGradient(const Tensor &Dy, const Tensor &Mask) {
  Tensor Dx = Tensor::empty(Dy.shape());
  const float *G = Dy.f32();
  const uint8_t *M = Mask.data<uint8_t>();
  float *Out = Dx.f32();
  parallelFor(Dx.numel(), 1 << 15, [&](int64_t Begin, int64_t End) {
    maskRun(G + Begin, M + Begin, Out + Begin, End - Begin);
  });
  return Dx;
}

/// The LSQ backward of torch's fake_quantize_learnable_{tensor,channel}_grad
/// kernels: dx into GradInputs[Input], per-channel sums of the scale and zero
/// point gradients (in double, over fixed segments) into the others.
void learnableBackward(const BackwardArgs &Args, const Config &C,
                       llvm::MutableArrayRef<Tensor> GradInputs) {
  const Tensor &X = Args.Saved[0], &RawScale = Args.Saved[1], &ZpUsed = Args.Saved[2];
  const Tensor &Dy = Args.GradOutputs[0];
  const ChannelLayout &L = C.Layout;
  QuantRange Range = C.Attrs.Range;
  llvm::SmallVector<float, 8> Scales = learnableScales(RawScale);
  const float *Zps = ZpUsed.f32();
  float Factor = lsqGradFactor(L.perChannel(), Range);
  float Lo = float(Range.Min), Hi = float(Range.Max);

  Tensor Dx = Args.NeedsGrad[Input] ? Tensor::empty(X.shape()) : Tensor();
  float *DxOut = Dx.defined() ? Dx.f32() : nullptr;
  std::vector<double> SegScale(numSegments(L)), SegZp(numSegments(L));
  std::vector<int64_t> SegChannel(numSegments(L));
  const float *In = X.f32(), *G = Dy.f32();
  forEachSegment(L, [&](int64_t S, int64_t Ch, int64_t Begin, int64_t End) {
    float Sc = Scales[Ch], Z = Zps[Ch];
    float Inv = 1.0f / Sc;
    float BelowScale = Lo - Z, AboveScale = Hi - Z;
    double SumScale = 0, SumZp = 0;
    for (int64_t I = Begin; I < End; ++I) {
      // torch's grad kernels add the zero point before rounding; its AVX2
      // build contracts x * inv + zp and (q - zp) * scale - x into fused
      // multiply-adds, which std::fma reproduces.
      float Q = roundHalfEven(std::fma(In[I], Inv, Z));
      bool Inside = Q >= Lo && Q <= Hi;
      if (DxOut)
        DxOut[I] = G[I] * (Inside ? 1.0f : 0.0f);
      if (Inside) {
        SumScale += G[I] * std::fma(Q - Z, Sc, -In[I]) * Inv * Factor;
      } else {
        // NaN counts as below the range, as torch's int64 conversion makes it.
        SumScale += (G[I] * (Q > Hi ? AboveScale : BelowScale)) * Factor;
        SumZp += G[I] * -1.0f * Sc * Factor;
      }
    }
    SegScale[S] = SumScale;
    SegZp[S] = SumZp;
    SegChannel[S] = Ch;
  });
  std::vector<double> ChScale(L.Channels, 0.0), ChZp(L.Channels, 0.0);
  for (size_t S = 0; S < SegScale.size(); ++S) {
    ChScale[SegChannel[S]] += SegScale[S];
    ChZp[SegChannel[S]] += SegZp[S];
  }

  GradInputs[Input] = Dx;
  if (Args.NeedsGrad[Scale]) {
    Tensor Ds = Tensor::empty(Args.InputShapes[Scale]);
    for (int64_t Ch = 0; Ch < L.Channels; ++Ch)
      // max(scale, eps) passes no gradient where scale < eps.
      Ds.f32()[Ch] = RawScale.f32()[Ch] >= ScaleEps ? float(ChScale[Ch]) : 0.0f;
    GradInputs[Scale] = Ds;
  }
  if (Args.NeedsGrad[ZeroPoint]) {
    Tensor Dz = Tensor::empty(Args.InputShapes[ZeroPoint]);
    for (int64_t Ch = 0; Ch < L.Channels; ++Ch)
      Dz.f32()[Ch] = float(ChZp[Ch]);
    GradInputs[ZeroPoint] = Dz;
  }
}

llvm::Error fakeQuantizeBackward(const BackwardArgs &Args,
                                 llvm::MutableArrayRef<Tensor> GradInputs) {
  const Tensor &Dy = Args.GradOutputs[0];
  if (!Dy.defined())
    return llvm::Error::success();
  if (Args.Saved.empty()) { // fake quant was disabled: y = x + 0 * scale + 0 * zp
    GradInputs[Input] = Dy;
    for (unsigned I : {Scale, ZeroPoint})
      if (Args.NeedsGrad[I])
        GradInputs[I] = Tensor::zeros(Args.InputShapes[I]);
    return llvm::Error::success();
  }
  if (Args.Saved.size() == 1) {
    if (Args.NeedsGrad[Input])
      GradInputs[Input] = maskedGradient(Dy, Args.Saved[0]);
    return llvm::Error::success();
  }
  Config C;
  auto Attrs = readFakeQuantAttrs(Args.N);
  if (!Attrs)
    return Attrs.takeError();
  C.Attrs = *Attrs;
  auto Layout = channelLayout(Args.Saved[0].shape(), C.Attrs.Axis);
  if (!Layout)
    return Layout.takeError();
  C.Layout = *Layout;
  learnableBackward(Args, C, GradInputs);
  return llvm::Error::success();
}

/// The input always; scale for learnable fake quants, and their zero point
/// for the affine scheme (symmetric zero points are fixed); never the flags
/// or the running range.
bool fakeQuantizeDifferentiable(const Node &N, unsigned I) {
  if (I == Input)
    return true;
  if (N.attr("algorithm")->getString() != "learnable")
    return false;
  if (I == Scale)
    return true;
  return I == ZeroPoint && N.attr("scheme")->getString() == "affine";
}

} // namespace

void qatc::runtime::registerFakeQuantizeKernels(KernelTable &Table) {
  Table["fake_quantize"] =
      OpKernel{fakeQuantizeForward, fakeQuantizeBackward, SavesNothing, fakeQuantizeDifferentiable};
}
