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
// Fused forms (runtime/kernels/FusedKernels.h) run the vanilla fake quant
// on values computed on the fly: mul(w, s) for the training form's scaled
// conv weight (backward folds in mul's gradients and recomputes the mask
// from w, s and the saved qparams) and relu/relu6 of the
// input (the mask byte also records where the activation stops the
// gradient), so neither the product nor the activation is stored.
//
// Deliberate difference: torch 1.13 converts the rounded value to int64
// before clamping, so |x / scale| >= 2^63 (and +inf) lands on qmin; here it is
// clamped first (to qmax for large positive values), as later torch does.
//
//===----------------------------------------------------------------------===//

#include "ir/FakeQuantizeOperands.h"
#include "runtime/Kernel.h"
#include "runtime/Simd.h"
#include "runtime/kernels/FusedKernels.h"
#include "runtime/kernels/GradientGates.h"
#include "runtime/kernels/LaneSum.h"
#include "runtime/kernels/ReluFormulas.h"
#include "runtime/quant/QParamTensors.h"

#include "llvm/Support/FormatVariadic.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::quant;

namespace {

using namespace qatc::fake_quantize_operand;

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

/// Elements per parallel chunk of the gradient loops.
constexpr int64_t kMaskGrain = 1 << 15;

/// The values a fake quant reads, per channel C of its layout (a functor of
/// the flat offset, capturing by value): its input; a conv weight times the
/// per-output-channel factor of the conv + batch norm training form (mul's
/// w * s, fused); or an activation of its input (fused).
struct InputValues {
  const float *X;
  auto operator()(int64_t) const {
    const float *P = X;
    return [P](int64_t I) { return P[I]; };
  }
};

struct ScaledWeightValues {
  const float *W, *Factor;
  auto operator()(int64_t C) const {
    const float *P = W;
    float F = Factor[C];
    return [P, F](int64_t I) { return P[I] * F; };
  }
};

struct Relu {
  static float value(float X) { return reluValue(X); }
  static bool passes(float X) { return reluPasses(reluValue(X)); }
};

struct Relu6 {
  static float value(float X) { return relu6Value(X); }
  static bool passes(float X) { return relu6Passes(X); }
};

template <typename Act> struct ActivatedValues {
  const float *X;
  auto operator()(int64_t) const {
    const float *P = X;
    return [P](int64_t I) { return Act::value(P[I]); };
  }
};

/// Mask writers: Mask(I, InRange) is what backward needs at I. A fake quant
/// keeps whether the rounded value was in range (its straight-through mask);
/// the fused activation keeps 0 where the activation stops the gradient,
/// else 1 + InRange.
struct StraightThroughMask {
  uint8_t operator()(int64_t, bool InRange) const { return InRange; }
};

template <typename Act> struct GatedMask {
  const float *X;
  uint8_t operator()(int64_t I, bool InRange) const {
    return Act::passes(X[I]) ? uint8_t(1 + InRange) : uint8_t(0);
  }
};

/// Fake-quantizes the values V(I) over [Begin, End) with scale S and zero
/// point Z into [Lo, Hi]; with a mask, Mask[I] = MaskOf(I, in range). Out
/// may be the buffer V and MaskOf read: element I is read before it is
/// written.
template <typename ValueFn, typename MaskFn>
QATC_VECTOR_CLONES void fakeQuantizeRun(ValueFn V, const MaskFn *MaskOf, float *Out,
                                        uint8_t *__restrict Mask, int64_t Begin, int64_t End,
                                        float S, float Z, float Lo, float Hi) {
  float Inv = 1.0f / S;
  if (MaskOf) {
    MaskFn M = *MaskOf;
#pragma omp simd
    for (int64_t I = Begin; I < End; ++I) {
      float Rounded = Z + roundHalfEven(V(I) * Inv);
      Mask[I] = M(I, (Rounded >= Lo) & (Rounded <= Hi));
      Out[I] = (clampToRange(Rounded, Lo, Hi) - Z) * S;
    }
    return;
  }
#pragma omp simd
  for (int64_t I = Begin; I < End; ++I)
    Out[I] = (clampToRange(Z + roundHalfEven(V(I) * Inv), Lo, Hi) - Z) * S;
}

/// The fake-quantized values of a tensor of shape Dims laid out as L, with
/// per-channel Scales and integer-valued ZeroPoints, in Y (allocated when
/// undefined; it may hold the values read); Mask (when defined) gets
/// MaskOf(I, in range).
template <typename ValuesFn, typename MaskFn>
Tensor fakeQuantize(llvm::ArrayRef<int64_t> Dims, const ChannelLayout &L, QuantRange Range,
                    llvm::ArrayRef<float> Scales, llvm::ArrayRef<float> ZeroPoints,
                    ValuesFn Values, MaskFn MaskOf, const Tensor &Mask, Tensor Y = Tensor()) {
  if (!Y.defined())
    Y = Tensor::empty(Dims);
  float *Out = Y.f32();
  uint8_t *M = Mask.defined() ? Mask.data<uint8_t>() : nullptr;
  float Lo = float(Range.Min), Hi = float(Range.Max);
  forEachSegment(L, [&](int64_t, int64_t C, int64_t Begin, int64_t End) {
    fakeQuantizeRun(Values(C), M ? &MaskOf : nullptr, Out, M, Begin, End, Scales[C],
                    ZeroPoints[C], Lo, Hi);
  });
  return Y;
}

/// The values themselves (fake quant disabled); Mask (when defined) gets
/// MaskOf(I, true).
template <typename ValuesFn, typename MaskFn>
Tensor passValues(llvm::ArrayRef<int64_t> Dims, const ChannelLayout &L, ValuesFn Values,
                  MaskFn MaskOf, const Tensor &Mask) {
  Tensor Y = Tensor::empty(Dims);
  float *__restrict Out = Y.f32();
  uint8_t *__restrict M = Mask.defined() ? Mask.data<uint8_t>() : nullptr;
  forEachSegment(L, [&](int64_t, int64_t C, int64_t Begin, int64_t End) {
    auto V = Values(C);
#pragma omp simd
    for (int64_t I = Begin; I < End; ++I)
      Out[I] = V(I);
    if (M)
      for (int64_t I = Begin; I < End; ++I)
        M[I] = MaskOf(I, true);
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

/// Runs the observer on the values when it is enabled and the run updates
/// state. In are the fake quant's operands.
template <typename ValuesFn>
void observeValues(const ForwardArgs &Args, llvm::ArrayRef<Tensor> In, const Config &C,
                   ValuesFn Values) {
  if (!C.Attrs.observes() || !Args.UpdateState || !flagOn(In[ObserverEnabled]))
    return;
  llvm::SmallVector<float, 8> BatchMin, BatchMax;
  if (C.Layout.numel() > 0) {
    BatchMin.resize(C.Layout.Channels);
    BatchMax.resize(C.Layout.Channels);
    channelMinMaxOf(C.Layout, Values, BatchMin, BatchMax);
  }
  observeRange(C.Attrs, BatchMin, BatchMax, In[MinVal], In[MaxVal], In[Scale], In[ZeroPoint]);
}

bool fakeQuantEnabled(llvm::ArrayRef<Tensor> In) {
  return In.size() < 5 || flagOn(In[FakeQuantEnabled]);
}

/// True when the observer runs and each channel is one contiguous row (per
/// channel along a leading axis, as conv and linear weights are quantized).
bool observesRows(const ForwardArgs &Args, llvm::ArrayRef<Tensor> In, const Config &C) {
  const ChannelLayout &L = C.Layout;
  return C.Attrs.observes() && Args.UpdateState && flagOn(In[ObserverEnabled]) &&
         L.PerChannel && L.Outer == 1 && L.numel() > 0;
}

/// Observing and fake-quantizing row by row, each row while it is in
/// cache: the row's range (its segments folded in order, as
/// channelMinMaxOf does), the channel's observer update and qparams, then
/// its values. Channels are independent, so this computes what observing
/// every channel first and then fake-quantizing does, with one pass over
/// the values instead of two.
template <typename ValuesFn, typename MaskFn>
Tensor observeAndQuantizeRows(llvm::ArrayRef<Tensor> In, const Config &C, ValuesFn Values,
                              MaskFn MaskOf, const Tensor &Mask, Tensor Y) {
  const ChannelLayout &L = C.Layout;
  if (!Y.defined())
    Y = Tensor::empty(In[Input].shape());
  float *Out = Y.f32();
  uint8_t *M = Mask.defined() ? Mask.data<uint8_t>() : nullptr;
  float *RunMin = In[MinVal].f32(), *RunMax = In[MaxVal].f32();
  float Lo = float(C.Attrs.Range.Min), Hi = float(C.Attrs.Range.Max);
  int64_t Row = L.Inner;
  parallelFor(L.Channels, std::max<int64_t>(1, SegmentElements / Row),
              [&](int64_t Begin, int64_t End) {
                for (int64_t Ch = Begin; Ch < End; ++Ch) {
                  auto V = Values(Ch);
                  float BatchMin = std::numeric_limits<float>::infinity();
                  float BatchMax = -std::numeric_limits<float>::infinity();
                  for (int64_t B = Ch * Row; B < (Ch + 1) * Row; B += SegmentElements) {
                    float SegMin, SegMax;
                    detail::runMinMax(V, B, std::min(B + SegmentElements, (Ch + 1) * Row),
                                      SegMin, SegMax);
                    BatchMin = nanPropagatingMin(BatchMin, SegMin);
                    BatchMax = nanPropagatingMax(BatchMax, SegMax);
                  }
                  updateRange(C.Attrs, BatchMin, BatchMax, RunMin[Ch], RunMax[Ch]);
                  storeQParams(computeQParams(RunMin[Ch], RunMax[Ch], C.Attrs.Scheme,
                                              C.Attrs.Range),
                               Ch, In[Scale], In[ZeroPoint]);
                  fakeQuantizeRun(V, M ? &MaskOf : nullptr, Out, M, Ch * Row, (Ch + 1) * Row,
                                  In[Scale].f32()[Ch],
                                  float(integerZeroPoint(In[ZeroPoint], Ch)), Lo, Hi);
                }
              });
  return Y;
}

/// When a recorded vanilla forward stores its mask for backward.
enum class MaskRecord {
  /// Also with fake quant disabled (MaskOf(I, true)): a fused activation's
  /// gate is still needed.
  Always,
  /// Only while fake-quantizing (disabled, the gradient passes unmasked).
  WhileQuantizing,
  /// Never: backward recomputes it.
  Never,
};

/// The vanilla (non-learnable) forward on the values of a tensor of In[0]'s
/// shape: observe, then the output and, when recording and Record says so,
/// the mask from MaskOf (with fake quant disabled: the values and
/// MaskOf(I, true)). The output overwrites In[0] when the kernel holds it
/// alone (ForwardArgs::Inputs): a buffer already in cache instead of a cold
/// one.
template <typename ValuesFn, typename MaskFn>
Tensor vanillaForward(const ForwardArgs &Args, llvm::ArrayRef<Tensor> In, const Config &C,
                      ValuesFn Values, MaskFn MaskOf, MaskRecord Record, Tensor &Mask) {
  llvm::ArrayRef<int64_t> Dims = In[Input].shape();
  bool Enabled = fakeQuantEnabled(In);
  if (Args.Saved && (Record == MaskRecord::Always ||
                     (Record == MaskRecord::WhileQuantizing && Enabled)))
    Mask = Tensor::empty(Dims, DType::U8);
  Tensor Reuse = In[Input].ownsBufferAlone() ? In[Input] : Tensor();
  if (Enabled && observesRows(Args, In, C))
    return observeAndQuantizeRows(In, C, Values, MaskOf, Mask, Reuse);
  observeValues(Args, In, C, Values);
  if (!Enabled)
    return passValues(Dims, C.Layout, Values, MaskOf, Mask);
  llvm::SmallVector<float, 8> Zps;
  for (int64_t Z : integerZeroPoints(In[ZeroPoint]))
    Zps.push_back(float(Z));
  return fakeQuantize(Dims, C.Layout, C.Attrs.Range, floatValues(In[Scale]), Zps, Values, MaskOf,
                      Mask, Reuse);
}

llvm::Error fakeQuantizeForward(const ForwardArgs &Args, TensorList &Outputs) {
  auto C = configure(Args.N, Args.Inputs);
  if (!C)
    return C.takeError();
  llvm::ArrayRef<Tensor> In = Args.Inputs;
  const Tensor &X = In[Input];
  if (!C->Attrs.Learnable || !fakeQuantEnabled(In)) {
    if (!fakeQuantEnabled(In)) { // y = x: no copy, and backward passes dy
      observeValues(Args, In, *C, InputValues{X.f32()});
      Outputs.push_back(X);
      return llvm::Error::success();
    }
    Tensor Mask;
    Outputs.push_back(vanillaForward(Args, In, *C, InputValues{X.f32()}, StraightThroughMask(),
                                     MaskRecord::WhileQuantizing, Mask));
    if (Args.Saved)
      Args.Saved->push_back(Mask);
    return llvm::Error::success();
  }

  observeValues(Args, In, *C, InputValues{X.f32()});
  llvm::SmallVector<float, 8> Zps = zeroPointValues(In[ZeroPoint]);
  for (float &Z : Zps)
    Z = learnableZeroPoint(Z, C->Attrs.Scheme, C->Attrs.Range);
  Outputs.push_back(fakeQuantize(X.shape(), C->Layout, C->Attrs.Range, learnableScales(In[Scale]),
                                 Zps, InputValues{X.f32()}, StraightThroughMask(), Tensor()));
  if (Args.Saved) {
    // The scale parameter may change before backward (a shared site's next
    // fake quant observes), so backward gets copies.
    Args.Saved->push_back(X);
    Args.Saved->push_back(In[Scale].clone());
    Args.Saved->push_back(Tensor::fromFloats({(int64_t)Zps.size()}, Zps));
  }
  return llvm::Error::success();
}

/// Out = G * (M ? 1 : 0) over N elements (Out may be G); returns the NaN
/// probe of Out (the sum of x - x: 0 when every value is finite, else NaN).
QATC_VECTOR_CLONES float maskRun(const float *G, const uint8_t *__restrict M, float *Out,
                                 int64_t N) {
  float Probe = 0;
#pragma omp simd reduction(+ : Probe)
  for (int64_t I = 0; I < N; ++I) {
    float V = straightThroughGradient(G[I], M[I]);
    Out[I] = V;
    Probe += V - V;
  }
  return Probe;
}

/// Runs Run(Begin, End), which returns a NaN probe, over [0, N) in parallel;
/// true when every value it wrote is finite.
template <typename RunFn> bool probedParallelFor(int64_t N, RunFn &&Run) {
  std::atomic<bool> Finite{true};
  parallelFor(N, kMaskGrain, [&](int64_t Begin, int64_t End) {
    if (Run(Begin, End) != 0)
      Finite = false;
  });
  return Finite;
}

/// Tells the executor that gradient I holds no NaN or Inf.
void noteFinite(const BackwardArgs &Args, unsigned I, bool Finite) {
  if (!Args.GradientFinite.empty())
    Args.GradientFinite[I] = Finite;
}

/// A tensor for an input gradient computed element by element from the
/// output gradient Dy: Dy itself when nothing else uses its buffer (the
/// executor drops it after this backward), else a new one. Writing in place
/// saves a cold buffer's worth of memory traffic and footprint.
Tensor gradientBuffer(const Tensor &Dy) {
  return Dy.ownsBufferAlone() ? Dy : Tensor::empty(Dy.shape());
}

/// dx = dy where Mask is set, else 0 (torch's dY * mask).
Tensor maskedGradient(const BackwardArgs &Args, const Tensor &Dy, const Tensor &Mask) {
  Tensor Dx = gradientBuffer(Dy);
  const float *G = Dy.f32();
  const uint8_t *M = Mask.data<uint8_t>();
  float *Out = Dx.f32();
  noteFinite(Args, Input, probedParallelFor(Dx.numel(), [&](int64_t Begin, int64_t End) {
               return maskRun(G + Begin, M + Begin, Out + Begin, End - Begin);
             }));
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
      GradInputs[Input] = maskedGradient(Args, Dy, Args.Saved[0]);
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

/// What the fused scaled weight's forward saves for backward: w and s, then
/// (when fake quant was on) copies of the scale and zero point it quantized
/// with, from which backward recomputes the straight-through mask instead
/// of reading a stored one (a byte per weight written and read back).
enum ScaledWeightSaved : unsigned { SavedWeight, SavedFactor, SavedScale, SavedZeroPoint };

/// fake_quantize(mul(w, s)) with s one factor per output channel (axis 0):
/// operands w, s, then the fake quant's from its scale on. Neither the
/// product nor a mask is stored.
llvm::Error scaledWeightForward(const ForwardArgs &Args, TensorList &Outputs) {
  llvm::SmallVector<Tensor, 7> In(Args.Inputs.begin(), Args.Inputs.end());
  In.erase(In.begin() + 1); // the fake quant's own operands, on w
  auto C = configure(Args.N, In);
  if (!C)
    return C.takeError();
  const Tensor &W = In[Input], &Factor = Args.Inputs[1];
  if (!C->Layout.PerChannel || C->Layout.Outer != 1 || Factor.dtype() != DType::F32 ||
      Factor.numel() != C->Layout.Channels)
    return quantError(llvm::formatv("the weight factor {0} must be f32 with one value per output "
                                    "channel of the weight {1}, quantized along axis 0",
                                    Factor.describe(), W.describe()));
  Tensor NoMask;
  Outputs.push_back(vanillaForward(Args, In, *C, ScaledWeightValues{W.f32(), Factor.f32()},
                                   StraightThroughMask(), MaskRecord::Never, NoMask));
  if (Args.Saved) {
    Args.Saved->push_back(W);
    Args.Saved->push_back(Factor);
    if (fakeQuantEnabled(In)) {
      // The observer has just rewritten them; a later step changes them.
      Args.Saved->push_back(In[Scale].clone());
      llvm::SmallVector<float, 8> Zps;
      for (int64_t Z : integerZeroPoints(In[ZeroPoint]))
        Zps.push_back(float(Z));
      Args.Saved->push_back(Tensor::fromFloats({C->Layout.Channels}, Zps));
    }
  }
  return llvm::Error::success();
}

/// One output channel's quantization as the forward ran it: whether w * f
/// rounded at this row's scale and zero point lay inside [Lo, Hi] is the
/// straight-through mask, recomputed with the forward's float operations.
struct RowQuantization {
  float Factor, Inv, Zero, Lo, Hi;
  float passes(float W) const {
    float Rounded = Zero + roundHalfEven(W * Factor * Inv);
    return (Rounded >= Lo) & (Rounded <= Hi) ? 1.0f : 0.0f;
  }
};

/// Backward of [Begin, End) of one output channel's row, a chunk at a time
/// in one element-wise loop: the product gradient dp = dy * mask (dy
/// without a mask), mul's weight gradient dw = dp * s into DW (with StoreDw;
/// DW may be G, each element read before it is written) and, with WantSum,
/// mul's factor gradient, the sum of dp * w in double in LaneSum's order (as
/// sumRun of Broadcast.cpp adds the separate kernels' product); returns the
/// sum and adds dw's NaN probe to Probe.
template <bool HasMask, bool StoreDw>
QATC_VECTOR_CLONES double scaledWeightRun(const float *G, const float *W, RowQuantization Q,
                                          float *DW, int64_t Begin, int64_t End, bool WantSum,
                                          float &Probe) {
  constexpr int64_t Chunk = 256; // a multiple of four
  float Products[Chunk];
  LaneSum Sum;
  float P = 0;
  for (int64_t B = Begin; B < End; B += Chunk) {
    int64_t N = std::min(Chunk, End - B);
#pragma omp simd reduction(+ : P)
    for (int64_t K = 0; K < N; ++K) {
      float Wk = W[B + K];
      float Dp = HasMask ? G[B + K] * Q.passes(Wk) : G[B + K];
      Products[K] = Dp * Wk;
      if constexpr (StoreDw) {
        float Dw = Dp * Q.Factor;
        DW[B + K] = Dw;
        P += Dw - Dw;
      }
    }
    if (WantSum)
      Sum.add(Products, N);
  }
  Probe += P;
  return WantSum ? Sum.total() : 0.0;
}

llvm::Error scaledWeightBackward(const BackwardArgs &Args,
                                 llvm::MutableArrayRef<Tensor> GradInputs) {
  const Tensor &Dy = Args.GradOutputs[0];
  if (!Dy.defined())
    return llvm::Error::success();
  const Tensor &W = Args.Saved[SavedWeight], &Factor = Args.Saved[SavedFactor];
  bool HasMask = Args.Saved.size() > SavedScale;
  auto Attrs = readFakeQuantAttrs(Args.N);
  if (!Attrs)
    return Attrs.takeError();
  int64_t Rows = Factor.numel(), Row = W.numel() / std::max<int64_t>(1, Rows);
  // mul's factor gradient is summed as sumToShape sums it: a row at once,
  // or for a single row (the whole tensor) in blocks added in order.
  int64_t Block = Rows == 1 ? kMaskGrain : std::max<int64_t>(1, Row);
  Tensor DW = Args.NeedsGrad[0] ? gradientBuffer(Dy).view(W.shape()) : Tensor();
  Tensor DS = Args.NeedsGrad[1] ? Tensor::empty(Args.InputShapes[1]) : Tensor();
  const float *G = Dy.f32(), *WP = W.f32(), *S = Factor.f32();
  const float *Scales = HasMask ? Args.Saved[SavedScale].f32() : nullptr;
  const float *Zeros = HasMask ? Args.Saved[SavedZeroPoint].f32() : nullptr;
  float *DWP = DW.defined() ? DW.f32() : nullptr;
  std::atomic<bool> Finite{true};
  bool WantSum = DS.defined() && Row > 1;
  auto Run = [&](const RowQuantization &Q, int64_t B, int64_t E, float &Probe) {
    if (HasMask)
      return DWP ? scaledWeightRun<true, true>(G, WP, Q, DWP, B, E, WantSum, Probe)
                 : scaledWeightRun<true, false>(G, WP, Q, DWP, B, E, WantSum, Probe);
    return DWP ? scaledWeightRun<false, true>(G, WP, Q, DWP, B, E, WantSum, Probe)
               : scaledWeightRun<false, false>(G, WP, Q, DWP, B, E, WantSum, Probe);
  };
  parallelFor(Rows, std::max<int64_t>(1, kMaskGrain / std::max<int64_t>(1, Row)),
              [&](int64_t Begin, int64_t End) {
                float Probe = 0;
                for (int64_t R = Begin; R < End; ++R) {
                  RowQuantization Q{S[R], 0.0f, 0.0f, float(Attrs->Range.Min),
                                    float(Attrs->Range.Max)};
                  if (HasMask) {
                    Q.Inv = 1.0f / Scales[R];
                    Q.Zero = Zeros[R];
                  }
                  // A one-element row: sumToShape returns the product as it
                  // is (read before dw may overwrite dy in place).
                  float Dp = Row == 1 ? (HasMask ? G[R] * Q.passes(WP[R]) : G[R]) : 0.0f;
                  double Sum = 0;
                  for (int64_t B = R * Row; B < (R + 1) * Row; B += Block)
                    Sum += Run(Q, B, std::min(B + Block, (R + 1) * Row), Probe);
                  if (DS.defined())
                    DS.f32()[R] = Row == 1 ? Dp * WP[R] : float(Sum);
                }
                if (Probe != 0)
                  Finite = false;
              });
  GradInputs[0] = DW;
  GradInputs[1] = DS;
  noteFinite(Args, 0, Finite);
  return llvm::Error::success();
}

/// The weight and its factor carry gradients, not the fake quant's state.
bool scaledWeightDifferentiable(const Node &, unsigned I) { return I < 2; }

/// fake_quantize(Act(x)): operands as fake_quantize's, on x. The activation's
/// result is never stored; backward saves one byte per element (0: the
/// activation stops the gradient, 1: outside the quantization range, 2:
/// passes).
template <typename Act>
llvm::Error activationForward(const ForwardArgs &Args, TensorList &Outputs) {
  auto C = configure(Args.N, Args.Inputs);
  if (!C)
    return C.takeError();
  const float *X = Args.Inputs[Input].f32();
  Tensor Mask;
  Outputs.push_back(vanillaForward(Args, Args.Inputs, *C, ActivatedValues<Act>{X},
                                   GatedMask<Act>{X}, MaskRecord::Always, Mask));
  if (Args.Saved)
    Args.Saved->push_back(Mask);
  return llvm::Error::success();
}

/// dx = 0 where the activation stops the gradient, else dy * in range: the
/// fake quant's masked gradient, then the activation's.
QATC_VECTOR_CLONES float gatedRun(const float *G, const uint8_t *__restrict M, float *Out,
                                  int64_t N) {
  float Probe = 0;
#pragma omp simd reduction(+ : Probe)
  for (int64_t I = 0; I < N; ++I) {
    float V = activationGradient(G[I], M[I]);
    Out[I] = V;
    Probe += V - V;
  }
  return Probe;
}

llvm::Error activationBackward(const BackwardArgs &Args,
                               llvm::MutableArrayRef<Tensor> GradInputs) {
  const Tensor &Dy = Args.GradOutputs[0];
  if (!Dy.defined() || !Args.NeedsGrad[Input])
    return llvm::Error::success();
  Tensor Dx = gradientBuffer(Dy);
  const float *G = Dy.f32();
  const uint8_t *M = Args.Saved[0].data<uint8_t>();
  float *Out = Dx.f32();
  noteFinite(Args, Input, probedParallelFor(Dx.numel(), [&](int64_t Begin, int64_t End) {
               return gatedRun(G + Begin, M + Begin, Out + Begin, End - Begin);
             }));
  GradInputs[Input] = Dx;
  return llvm::Error::success();
}

bool inputOnlyDifferentiable(const Node &, unsigned I) { return I == Input; }

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

const OpKernel &qatc::runtime::scaledWeightFakeQuantizeKernel() {
  static const OpKernel K{scaledWeightForward, scaledWeightBackward, SavesNothing,
                          scaledWeightDifferentiable};
  return K;
}

const OpKernel *qatc::runtime::activationFakeQuantizeKernel(llvm::StringRef Activation) {
  static const OpKernel Relu{activationForward<::Relu>, activationBackward, SavesNothing,
                             inputOnlyDifferentiable};
  static const OpKernel Relu6{activationForward<::Relu6>, activationBackward, SavesNothing,
                              inputOnlyDifferentiable};
  if (Activation == "relu")
    return &Relu;
  if (Activation == "relu6")
    return &Relu6;
  return nullptr;
}

const OpKernel &qatc::runtime::fakeQuantizeKernel() {
  static const OpKernel K{fakeQuantizeForward, fakeQuantizeBackward, SavesNothing,
                          fakeQuantizeDifferentiable};
  return K;
}

void qatc::runtime::registerFakeQuantizeKernels(KernelTable &Table) {
  Table["fake_quantize"] = fakeQuantizeKernel();
}
