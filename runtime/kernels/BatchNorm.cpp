//===- BatchNorm.cpp - batch_norm and batch_norm_scale kernels ------------===//
//
// batch_norm over [N, C, *] runs the loops of runtime/kernels/BatchNormLoops.h
// on its stored input: training mode normalizes with the batch mean and
// biased variance and, when the executor allows state updates, moves the
// running statistics toward them with PyTorch's momentum rule and unbiased
// variance; inference mode uses the running statistics. The fused forms
// batch_norm(div(x, s)) and batch_norm(add(div(x, s), b)) of the conv + batch
// norm training tail (runtime/kernels/FusedKernels.h) run the same loops on
// x / s + b computed on the fly, and their backward folds in div's and add's
// gradients, summed as the separate kernels sum them. batch_norm_scale is
// the per-channel factor weight / sqrt(running_var + eps).
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/Simd.h"
#include "runtime/kernels/BatchNormLoops.h"
#include "runtime/kernels/FusedKernels.h"
#include "runtime/kernels/LayerSupport.h"

#include <atomic>
#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// The operands of a batch norm kernel: the input, then for the fused forms
/// batch_norm(div(x, s)) (Form 1) and batch_norm(add(div(x, s), b)) (Form 2)
/// the per-channel divisor and added bias, then from Params on weight, bias,
/// running_mean and running_var. The fused forms store the quotient x / s
/// (div's result) once, in the first pass over each channel group (into x's
/// buffer when x dies here), and keep it for backward instead of x.
template <unsigned Form> struct BnOperands {
  static constexpr bool Scaled = Form >= 1;
  static constexpr bool HasAddedBias = Form == 2;
  static constexpr unsigned Params = Form + 1;
};

/// What forward saves for backward: the mean and 1 / sqrt(var + eps) per
/// channel and a training flag, then for the fused forms the quotient, the
/// divisor, the added bias (Form 2) and the weight.
enum SavedIndex : unsigned { SavedMean, SavedInvStd, SavedTraining, SavedQuotient };

/// Channel C's value functor for the batch norm loops: x, or for the fused
/// forms q (= x / s) and q + b[c] (add's float32 sum).
template <typename Ops> struct InputValues {
  const float *X, *AddedBias;
  auto operator()(int64_t C) const {
    const float *P = X;
    float B = Ops::HasAddedBias ? AddedBias[C] : 0.0f;
    return [P, B](int64_t I) {
      if constexpr (Ops::HasAddedBias)
        return P[I] + B;
      else
        return P[I];
    };
  }
};

/// Checks the fused form's divisor and added bias: one value per channel.
llvm::Error checkPerChannel(llvm::ArrayRef<Shape> Shapes, unsigned Params, int64_t Channels) {
  for (unsigned I = 1; I < Params; ++I)
    if (shapeNumel(Shapes[I]) != Channels)
      return kernelError("the {0} {1} must hold one value per channel ({2})",
                         I == 1 ? "divisor" : "added bias", shapeString(Shapes[I]), Channels);
  return llvm::Error::success();
}

llvm::SmallVector<Shape, 7> shapesOf(llvm::ArrayRef<Tensor> Inputs) {
  llvm::SmallVector<Shape, 7> Shapes;
  for (const Tensor &T : Inputs)
    Shapes.push_back(Shape(T.shape().begin(), T.shape().end()));
  return Shapes;
}

llvm::Expected<BnShape> checkShapes(llvm::ArrayRef<Shape> Shapes, unsigned Params) {
  auto S = batchNormShape(Shapes[0], Shapes.drop_front(Params));
  if (!S)
    return S.takeError();
  if (llvm::Error E = checkPerChannel(Shapes, Params, S->Channels))
    return E;
  return *S;
}

/// Q = X / D[c] over the runs of channel group G (div's quotient; Q may be
/// X). One call covers the group, so short runs (small planes) do not each
/// pay for a call; the loops are written out (forEachRun's order) because
/// GCC compiles a lambda defined in a cloned function for the baseline
/// only.
QATC_VECTOR_CLONES void divideGroup(const BnShape &S, ChannelGroup G, const float *X,
                                    const float *D, float *Q) {
  for (int64_t B = 0; B < S.Batch; ++B)
    for (int64_t C = G.Begin; C < G.End; ++C) {
      float Divisor = D[C];
#pragma omp simd
      for (int64_t I = S.base(B, C); I < S.base(B, C) + S.Plane; ++I)
        Q[I] = X[I] / Divisor;
    }
}

/// Out = D(I) over [Begin, End); returns the NaN probe of what it stored
/// (the sum of x - x: 0 when all are finite, else NaN).
template <typename ValueFn>
QATC_VECTOR_CLONES float storeRun(ValueFn D, float *__restrict Out, int64_t Begin,
                                  int64_t End) {
  float Probe = 0;
#pragma omp simd reduction(+ : Probe)
  for (int64_t I = Begin; I < End; ++I) {
    float V = D(I);
    Out[I] = V;
    Probe += V - V;
  }
  return Probe;
}

template <typename Ops>
llvm::Error batchNormForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  auto S = checkShapes(shapesOf(A.Inputs), Ops::Params);
  if (!S)
    return S.takeError();
  if (A.Training && S->count() <= 1)
    return kernelError("training batch norm needs more than one value per channel, got input "
                       "{0}",
                       shapeString(A.Inputs[0].shape()));
  const Tensor &X = A.Inputs[0];
  Tensor Mean = Tensor::empty({S->Channels}), InvStd = Tensor::empty({S->Channels});
  Tensor Y = Tensor::empty(X.shape());
  // The quotient replaces x in x's own buffer when nothing else reads x.
  Tensor Quotient;
  if (Ops::Scaled)
    Quotient = X.ownsBufferAlone() ? X : Tensor::empty(X.shape());
  llvm::ArrayRef<Tensor> Params = A.Inputs.drop_front(Ops::Params);
  BnForward F;
  F.Training = A.Training;
  F.Update = A.Training && A.UpdateState;
  F.Eps = A.N.getFloat("eps");
  F.Momentum = A.N.getFloat("momentum");
  F.Weight = Params[0].f32();
  F.Bias = Params[1].f32();
  F.RunMean = Params[2].f32();
  F.RunVar = Params[3].f32();
  F.Mean = Mean.f32();
  F.InvStd = InvStd.f32();
  F.Y = Y.f32();
  InputValues<Ops> In{Ops::Scaled ? Quotient.f32() : X.f32(),
                      Ops::HasAddedBias ? A.Inputs[2].f32() : nullptr};
  batchNormForwardLoops(*S, F, In, [&](ChannelGroup G) {
    if constexpr (Ops::Scaled) {
      divideGroup(*S, G, X.f32(), A.Inputs[1].f32(), Quotient.f32());
    }
  });
  if (A.Saved) {
    A.Saved->push_back(Mean);
    A.Saved->push_back(InvStd);
    A.Saved->push_back(Tensor::full({1}, A.Training ? 1.0f : 0.0f));
    if (Ops::Scaled) {
      // Backward reads these; running_var is not among them (the divisor
      // is its own tensor), so later in-place updates do not matter.
      A.Saved->push_back(Quotient);
      A.Saved->append(A.Inputs.begin() + 1, A.Inputs.begin() + Ops::Params + 1);
    }
  }
  Outputs.push_back(Y);
  return llvm::Error::success();
}

/// Adds one run's sum of a fused-form divisor or bias gradient to its channel
/// total as sumToShape (Broadcast.cpp) sums the separate kernels' gradients:
/// runs of a plane in double, in batch order; single values (a plane of 1) as
/// floats in batch order; a lone value as it is.
void addRun(const BnShape &S, double &Total, double Run) {
  if (S.count() == 1)
    Total = Run;
  else if (S.Plane > 1)
    Total += Run;
  else
    Total = float(Total) + float(Run);
}

/// One run of the fused form's backward: dz = D(I); with StoreDx, div's x
/// gradient dz / s into DX; the run's sums (in double, from 0, as sumRun of
/// Broadcast.cpp) of div's divisor gradient -dz * (q / s) and of dz; the
/// NaN probe of DX into Probe.
template <bool StoreDx, typename Gradient>
void scaledGradientRun(Gradient D, const float *Q, float Sc, float *DX, int64_t Begin,
                       int64_t End, double &DivisorSum, double &BiasSum, float &Probe) {
  double RunDivisor = 0, RunBias = 0;
  float P = 0;
#pragma omp simd reduction(+ : RunDivisor, RunBias, P)
  for (int64_t I = Begin; I < End; ++I) {
    float Dz = D(I);
    if constexpr (StoreDx) {
      float V = Dz / Sc;
      DX[I] = V;
      P += V - V;
    }
    float DDivisor = -Dz * (Q[I] / Sc);
    RunDivisor += DDivisor;
    RunBias += Dz;
  }
  DivisorSum = RunDivisor;
  BiasSum = RunBias;
  Probe += P;
}

/// dx = dz / s[c] over the runs of channel group G (div's x gradient);
/// returns the NaN probe. One call covers the group (see divideGroup).
template <typename Gradient>
QATC_VECTOR_CLONES float quotientGradientGroup(const BnShape &S, ChannelGroup G,
                                               llvm::ArrayRef<Gradient> Dx, const float *Divisor,
                                               float *__restrict DX) {
  float Probe = 0;
  for (int64_t B = 0; B < S.Batch; ++B)
    for (int64_t C = G.Begin; C < G.End; ++C) {
      Gradient D = Dx[C - G.Begin];
      float Sc = Divisor[C];
#pragma omp simd reduction(+ : Probe)
      for (int64_t I = S.base(B, C); I < S.base(B, C) + S.Plane; ++I) {
        float V = D(I) / Sc;
        DX[I] = V;
        Probe += V - V;
      }
    }
  return Probe;
}

/// What the fused forms' closed-form gradients need (training mode): the
/// per-channel sums of dy * (u - mean) for the batch norm's input u, its
/// 1 / sqrt(var + eps), weight and eps.
struct ClosedForm {
  llvm::ArrayRef<double> SumDYXc;
  const float *InvStd, *Weight;
  double Eps;
};

/// Stores the input gradient and, for the fused forms, the divisor and added
/// bias gradients of one channel group.
/// In training mode (Closed given) the fused forms' divisor and bias
/// gradients come in closed form from the batch norm's sums instead of a
/// sum over every element: with batch statistics, batch norm's input
/// gradient dz sums to 0 over a channel, so add's b gets exactly 0, and
/// sum(dz * u) = w * invstd^3 * eps * sum(dy * (u - mean)), so div's s gets
/// -that / s. The separate kernels sum the same quantities element by
/// element, which leaves float32 rounding noise around these values (the
/// only place fused results differ from theirs).
/// Returns the NaN probe of the input gradient written.
template <typename Ops, typename Gradient>
float storeGradients(const BnShape &S, ChannelGroup G, llvm::ArrayRef<Gradient> Dx,
                     const float *Q, const float *Divisor, float *DX, float *DDivisor,
                     float *DAddedBias, const ClosedForm *Closed) {
  float Probe = 0;
  if constexpr (!Ops::Scaled) {
    if (DX)
      forEachRun(S, G, [&](int64_t C, int64_t Begin, int64_t End) {
        Probe += storeRun(Dx[C - G.Begin], DX, Begin, End);
      });
    return Probe;
  }
  if (Closed) {
    if (DX)
      Probe = quotientGradientGroup(S, G, Dx, Divisor, DX);
    for (int64_t C = G.Begin; C < G.End; ++C) {
      double Inv = Closed->InvStd[C];
      double SumDzU =
          Closed->Weight[C] * Inv * Inv * Inv * Closed->Eps * Closed->SumDYXc[C - G.Begin];
      if (DDivisor)
        DDivisor[C] = float(-SumDzU / Divisor[C]);
      if (DAddedBias)
        DAddedBias[C] = 0.0f;
    }
    return Probe;
  }
  // div's gradients: dz / s for x, -dz * ((x / s) / s) for s; add passes dz.
  llvm::SmallVector<double, 16> SumDivisor(G.size(), 0.0), SumBias(G.size(), 0.0);
  forEachRun(S, G, [&](int64_t C, int64_t Begin, int64_t End) {
    double RunDivisor, RunBias;
    if (DX)
      scaledGradientRun<true>(Dx[C - G.Begin], Q, Divisor[C], DX, Begin, End, RunDivisor,
                              RunBias, Probe);
    else
      scaledGradientRun<false>(Dx[C - G.Begin], Q, Divisor[C], DX, Begin, End, RunDivisor,
                               RunBias, Probe);
    addRun(S, SumDivisor[C - G.Begin], RunDivisor);
    addRun(S, SumBias[C - G.Begin], RunBias);
  });
  for (int64_t C = G.Begin; C < G.End; ++C) {
    if (DDivisor)
      DDivisor[C] = float(SumDivisor[C - G.Begin]);
    if (DAddedBias)
      DAddedBias[C] = float(SumBias[C - G.Begin]);
  }
  return Probe;
}

/// Out = the gradient Dy gated by the mask M (gatedGradient) over the runs of
/// channel group G: one contiguous span per batch. Out may be Dy.
template <GradientGate Gate>
QATC_VECTOR_CLONES void gateGroup(const BnShape &S, ChannelGroup G, const float *Dy,
                                  const uint8_t *__restrict M, float *Out) {
  for (int64_t B = 0; B < S.Batch; ++B) {
    int64_t Begin = S.base(B, G.Begin), End = S.base(B, G.End);
#pragma omp simd
    for (int64_t I = Begin; I < End; ++I)
      Out[I] = gatedGradient<Gate>(Dy[I], M[I]);
  }
}

/// A fused consumer's mask over the batch norm's output and which byte it
/// holds (gatedScaledBatchNormBackward).
struct OutputGate {
  const Tensor &Mask;
  GradientGate Kind;
};

/// Batch norm backward; with Gate, the output gradient is first gated by a
/// fused fake quant's mask, a channel group at a time (into the gradient's
/// own buffer when nothing else holds it).
template <typename Ops>
llvm::Error batchNormBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads,
                              const OutputGate *Gate) {
  const Tensor &Incoming = A.GradOutputs[0];
  if (!Incoming.defined())
    return llvm::Error::success();
  Tensor DY = !Gate || Incoming.ownsBufferAlone() ? Incoming : Tensor::empty(Incoming.shape());
  auto S = checkShapes(A.InputShapes, Ops::Params);
  if (!S)
    return S.takeError();
  auto Wanted = [&](unsigned I) {
    return A.NeedsGrad[I] ? Tensor::empty(A.InputShapes[I]) : Tensor();
  };
  Tensor DX = Wanted(0);
  Tensor DDivisor = Ops::Scaled ? Wanted(1) : Tensor();
  Tensor DAddedBias = Ops::HasAddedBias ? Wanted(2) : Tensor();
  Tensor DW = Tensor::empty({S->Channels}), DB = Tensor::empty({S->Channels});
  // The plain form reads its saved inputs, the fused forms what they saved.
  llvm::ArrayRef<Tensor> Kept = Ops::Scaled ? A.Saved.drop_front(SavedQuotient) : A.Inputs;
  BnBackward B;
  B.Training = A.Saved[SavedTraining].f32()[0] != 0;
  B.DY = DY.f32();
  B.Weight = Kept[Ops::Params].f32();
  B.Mean = A.Saved[SavedMean].f32();
  B.InvStd = A.Saved[SavedInvStd].f32();
  B.DWeight = DW.f32();
  B.DBias = DB.f32();
  auto Data = [](const Tensor &T) { return T.defined() ? T.f32() : nullptr; };
  InputValues<Ops> In{Kept[0].f32(), Ops::HasAddedBias ? Kept[2].f32() : nullptr};
  const float *Divisor = Ops::Scaled ? Kept[1].f32() : nullptr;
  std::atomic<bool> Finite{true};
  auto GateGroup = [&](ChannelGroup G) {
    if (!Gate)
      return;
    const uint8_t *M = Gate->Mask.data<uint8_t>();
    if (Gate->Kind == GradientGate::StraightThrough)
      gateGroup<GradientGate::StraightThrough>(*S, G, Incoming.f32(), M, DY.f32());
    else
      gateGroup<GradientGate::Activation>(*S, G, Incoming.f32(), M, DY.f32());
  };
  double Eps = A.N.getFloat("eps");
  batchNormBackwardLoops(
      *S, B, In, GateGroup, [&](ChannelGroup G, auto Dx, llvm::ArrayRef<double> SumDYXc) {
        ClosedForm Closed{SumDYXc, B.InvStd, B.Weight, Eps};
        if (storeGradients<Ops>(*S, G, Dx, In.X, Divisor, Data(DX), Data(DDivisor),
                                Data(DAddedBias), B.Training ? &Closed : nullptr) != 0)
          Finite = false;
      });
  // The input gradient was probed as it was written.
  if (DX.defined() && !A.GradientFinite.empty())
    A.GradientFinite[0] = Finite;
  Grads[0] = DX;
  if (Ops::Scaled)
    Grads[1] = DDivisor;
  if (Ops::HasAddedBias)
    Grads[2] = DAddedBias;
  if (A.NeedsGrad[Ops::Params])
    Grads[Ops::Params] = DW;
  if (A.NeedsGrad[Ops::Params + 1])
    Grads[Ops::Params + 1] = DB;
  return llvm::Error::success();
}

/// Every operand but the running statistics carries a gradient.
template <typename Ops> bool batchNormDifferentiable(const Node &, unsigned I) {
  return I < Ops::Params + 2;
}

template <typename Ops>
llvm::Error ungatedBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  return batchNormBackward<Ops>(A, Grads, nullptr);
}

template <unsigned Form> OpKernel batchNormKernel() {
  using Ops = BnOperands<Form>;
  return OpKernel{batchNormForward<Ops>, ungatedBackward<Ops>,
                  Ops::Scaled ? SavesNothing : SavesInputs, batchNormDifferentiable<Ops>};
}

llvm::Error batchNormScaleForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  const Tensor &W = A.Inputs[0], &V = A.Inputs[1];
  if (W.rank() != 1 || V.rank() != 1 || W.numel() != V.numel())
    return kernelError("'weight' {0} and 'running_var' {1} must be vectors of one size",
                       W.describe(), V.describe());
  // float32 with torch's operation order (weight / sqrt(running_var + eps),
  // each op rounded): the weight fake quant sees w * this factor, and one ulp
  // here can move a weight across a rounding boundary of its observer's scale.
  float Eps = float(A.N.getFloat("eps"));
  Tensor Std = Tensor::empty(W.shape()), Y = Tensor::empty(W.shape());
  for (int64_t I = 0; I < W.numel(); ++I) {
    Std.f32()[I] = std::sqrt(V.f32()[I] + Eps);
    Y.f32()[I] = W.f32()[I] / Std.f32()[I];
  }
  // Backward needs this step's running std: the batch norm of the training
  // form updates running_var in place later in the same forward.
  if (A.Saved)
    A.Saved->push_back(Std);
  Outputs.push_back(Y);
  return llvm::Error::success();
}

llvm::Error batchNormScaleBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &G = A.GradOutputs[0];
  if (!G.defined() || !A.NeedsGrad[0])
    return llvm::Error::success();
  const Tensor &Std = A.Saved[0];
  Tensor DW = Tensor::empty(Std.shape());
  for (int64_t I = 0; I < Std.numel(); ++I)
    DW.f32()[I] = G.f32()[I] / Std.f32()[I];
  Grads[0] = DW;
  return llvm::Error::success();
}

/// Only the weight carries a gradient (the running variance is state).
bool batchNormScaleDifferentiable(const Node &, unsigned I) { return I == 0; }

} // namespace

const OpKernel &qatc::runtime::scaledBatchNormKernel(bool WithAddedBias) {
  static const OpKernel Scaled = batchNormKernel<1>(), ScaledWithBias = batchNormKernel<2>();
  return WithAddedBias ? ScaledWithBias : Scaled;
}

llvm::Error qatc::runtime::gatedScaledBatchNormBackward(bool WithAddedBias, const BackwardArgs &A,
                                                       llvm::MutableArrayRef<Tensor> Grads,
                                                       const Tensor &Mask, GradientGate Gate) {
  if (A.GradOutputs[0].defined() && Mask.numel() != A.GradOutputs[0].numel())
    return kernelError("the fused fake quant's mask {0} does not match the gradient {1}",
                       Mask.describe(), A.GradOutputs[0].describe());
  OutputGate G{Mask, Gate};
  return WithAddedBias ? batchNormBackward<BnOperands<2>>(A, Grads, &G)
                       : batchNormBackward<BnOperands<1>>(A, Grads, &G);
}

void qatc::runtime::registerBatchNormKernels(KernelTable &Table) {
  Table["batch_norm"] = batchNormKernel<0>();
  Table["batch_norm_scale"] = OpKernel{batchNormScaleForward, batchNormScaleBackward,
                                       SavesNothing, batchNormScaleDifferentiable};
}
