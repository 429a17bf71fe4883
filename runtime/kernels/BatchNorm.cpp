//===- BatchNorm.cpp - batch_norm and batch_norm_scale kernels ------------===//
//
// batch_norm over [N, C, *]: training mode normalizes with the batch mean and
// biased variance (two passes, double accumulation per channel) and, when the
// executor allows state updates, moves the running statistics toward them
// with PyTorch's momentum rule and unbiased variance; inference mode uses the
// running statistics. Loops run in parallel over channels. batch_norm_scale
// is the per-channel factor weight / sqrt(running_var + eps).
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/Parallel.h"
#include "runtime/kernels/LayerSupport.h"

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// The input viewed as [Batch, Channels, Plane].
struct BnShape {
  int64_t Batch, Channels, Plane;
};

llvm::Expected<BnShape> bnShape(llvm::ArrayRef<Shape> Shapes) {
  llvm::ArrayRef<int64_t> X = Shapes[0];
  if (X.size() < 2)
    return kernelError("input must have rank at least 2, not {0}", X.size());
  static const char *Names[] = {"input", "weight", "bias", "running_mean", "running_var"};
  for (unsigned I = 1; I < 5; ++I)
    if (Shapes[I].size() != 1 || Shapes[I][0] != X[1])
      return kernelError("'{0}' must have shape [{1}], not {2}", Names[I], X[1],
                         shapeString(Shapes[I]));
  return BnShape{X[0], X[1], shapeNumel(X.drop_front(2))};
}

/// Per channel: sum over the batch and plane of F(offset) (double).
template <typename F> double channelSum(const BnShape &S, int64_t C, F &&Term) {
  double Sum = 0;
  for (int64_t B = 0; B < S.Batch; ++B) {
    int64_t Base = (B * S.Channels + C) * S.Plane;
#pragma omp simd reduction(+ : Sum)
    for (int64_t I = Base; I < Base + S.Plane; ++I)
      Sum += Term(I);
  }
  return Sum;
}

/// Grain for channel loops: enough elements per thread to be worth one.
int64_t channelGrain(const BnShape &S) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, S.Batch * S.Plane));
}

llvm::Error batchNormForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  llvm::SmallVector<Shape, 5> Shapes;
  for (const Tensor &T : A.Inputs)
    Shapes.push_back(Shape(T.shape().begin(), T.shape().end()));
  auto S = bnShape(Shapes);
  if (!S)
    return S.takeError();
  int64_t Count = S->Batch * S->Plane;
  if (A.Training && Count <= 1)
    return kernelError("training batch norm needs more than one value per channel, got input "
                       "{0}",
                       shapeString(Shapes[0]));
  double Eps = A.N.getFloat("eps"), Momentum = A.N.getFloat("momentum");
  const float *X = A.Inputs[0].f32(), *W = A.Inputs[1].f32(), *Bias = A.Inputs[2].f32();
  float *RunMean = A.Inputs[3].f32(), *RunVar = A.Inputs[4].f32();
  // The mean and 1/sqrt(var + eps) each channel is normalized with.
  Tensor Mean = Tensor::empty({S->Channels}), InvStd = Tensor::empty({S->Channels});
  float *MeanP = Mean.f32(), *InvStdP = InvStd.f32();
  Tensor Y = Tensor::empty(Shapes[0]);
  float *YP = Y.f32();
  bool Update = A.Training && A.UpdateState;
  parallelFor(S->Channels, channelGrain(*S), [&](int64_t Begin, int64_t End) {
    for (int64_t C = Begin; C < End; ++C) {
      double M, Var;
      if (A.Training) {
        M = channelSum(*S, C, [&](int64_t I) { return double(X[I]); }) / Count;
        double SumSq = channelSum(*S, C, [&](int64_t I) {
          double D = X[I] - M;
          return D * D;
        });
        Var = SumSq / Count;
        if (Update) {
          RunMean[C] = float((1 - Momentum) * RunMean[C] + Momentum * M);
          RunVar[C] = float((1 - Momentum) * RunVar[C] + Momentum * SumSq / (Count - 1));
        }
      } else {
        M = RunMean[C];
        Var = RunVar[C];
      }
      double Inv = 1.0 / std::sqrt(Var + Eps);
      MeanP[C] = float(M);
      InvStdP[C] = float(Inv);
      // y = x * Scale + Shift
      float Scale = float(W[C] * Inv), Shift = float(Bias[C] - M * W[C] * Inv);
      for (int64_t B = 0; B < S->Batch; ++B) {
        int64_t Base = (B * S->Channels + C) * S->Plane;
        for (int64_t I = Base; I < Base + S->Plane; ++I)
          YP[I] = X[I] * Scale + Shift;
      }
    }
  });
  if (A.Saved) {
    A.Saved->push_back(Mean);
    A.Saved->push_back(InvStd);
    A.Saved->push_back(Tensor::full({1}, A.Training ? 1.0f : 0.0f));
  }
  Outputs.push_back(Y);
  return llvm::Error::success();
}

llvm::Error batchNormBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &DYT = A.GradOutputs[0];
  if (!DYT.defined())
    return llvm::Error::success();
  auto S = bnShape(A.InputShapes);
  if (!S)
    return S.takeError();
  const float *X = A.Inputs[0].f32(), *W = A.Inputs[1].f32(), *DY = DYT.f32();
  const float *Mean = A.Saved[0].f32(), *InvStd = A.Saved[1].f32();
  bool Training = A.Saved[2].f32()[0] != 0;
  int64_t Count = S->Batch * S->Plane;
  Tensor DX = A.NeedsGrad[0] ? Tensor::empty(A.InputShapes[0]) : Tensor();
  Tensor DW = Tensor::empty({S->Channels}), DB = Tensor::empty({S->Channels});
  float *DWP = DW.f32(), *DBP = DB.f32();
  parallelFor(S->Channels, channelGrain(*S), [&](int64_t Begin, int64_t End) {
    for (int64_t C = Begin; C < End; ++C) {
      double M = Mean[C], Inv = InvStd[C];
      double SumDY = channelSum(*S, C, [&](int64_t I) { return double(DY[I]); });
      double SumDYXc = channelSum(*S, C, [&](int64_t I) { return DY[I] * (X[I] - M); });
      DWP[C] = float(SumDYXc * Inv);
      DBP[C] = float(SumDY);
      if (!DX.defined())
        continue;
      float *DXP = DX.f32();
      // Training: dx = (dy - mean(dy) - xhat * mean(dy * xhat)) * invstd * w.
      float Scale = float(Inv * W[C]);
      float K = Training ? float(SumDYXc * Inv * Inv / Count) : 0.0f;
      float MeanDY = Training ? float(SumDY / Count) : 0.0f;
      float Mf = float(M);
      for (int64_t B = 0; B < S->Batch; ++B) {
        int64_t Base = (B * S->Channels + C) * S->Plane;
        for (int64_t I = Base; I < Base + S->Plane; ++I)
          DXP[I] = (DY[I] - MeanDY - (X[I] - Mf) * K) * Scale;
      }
    }
  });
  Grads[0] = DX;
  if (A.NeedsGrad[1])
    Grads[1] = DW;
  if (A.NeedsGrad[2])
    Grads[2] = DB;
  return llvm::Error::success();
}

/// Only the input, weight and bias carry gradients (not the running stats).
bool batchNormDifferentiable(const Node &, unsigned I) { return I < 3; }

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

void qatc::runtime::registerBatchNormKernels(KernelTable &Table) {
  Table["batch_norm"] =
      OpKernel{batchNormForward, batchNormBackward, SavesInputs, batchNormDifferentiable};
  Table["batch_norm_scale"] = OpKernel{batchNormScaleForward, batchNormScaleBackward,
                                       SavesNothing, batchNormScaleDifferentiable};
}
