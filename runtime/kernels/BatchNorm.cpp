//===- BatchNorm.cpp - batch_norm and batch_norm_scale kernels ------------===//
//
// batch_norm over [N, C, *] runs the loops of runtime/kernels/BatchNormLoops.h
// on its stored input: training mode normalizes with the batch mean and
// biased variance and, when the executor allows state updates, moves the
// running statistics toward them with PyTorch's momentum rule and unbiased
// variance; inference mode uses the running statistics. batch_norm_scale is
// the per-channel factor weight / sqrt(running_var + eps).
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/kernels/BatchNormLoops.h"
#include "runtime/kernels/LayerSupport.h"

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

namespace {

llvm::Error batchNormForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  auto S = batchNormShape(A.Inputs[0].shape(), A.Inputs.drop_front());
  if (!S)
    return S.takeError();
  if (A.Training && S->count() <= 1)
    return kernelError("training batch norm needs more than one value per channel, got input "
                       "{0}",
                       shapeString(A.Inputs[0].shape()));
  Tensor Mean = Tensor::empty({S->Channels}), InvStd = Tensor::empty({S->Channels});
  Tensor Y = Tensor::empty(A.Inputs[0].shape());
  BnForward F;
  F.Training = A.Training;
  F.Update = A.Training && A.UpdateState;
  F.Eps = A.N.getFloat("eps");
  F.Momentum = A.N.getFloat("momentum");
  F.Weight = A.Inputs[1].f32();
  F.Bias = A.Inputs[2].f32();
  F.RunMean = A.Inputs[3].f32();
  F.RunVar = A.Inputs[4].f32();
  F.Mean = Mean.f32();
  F.InvStd = InvStd.f32();
  F.Y = Y.f32();
  const float *X = A.Inputs[0].f32();
  batchNormForwardLoops(*S, F, [X](int64_t) { return [X](int64_t I) { return X[I]; }; });
  if (A.Saved) {
    A.Saved->push_back(Mean);
    A.Saved->push_back(InvStd);
    A.Saved->push_back(Tensor::full({1}, A.Training ? 1.0f : 0.0f));
  }
  Outputs.push_back(Y);
  return llvm::Error::success();
}

llvm::Error batchNormBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &DY = A.GradOutputs[0];
  if (!DY.defined())
    return llvm::Error::success();
  auto S = batchNormShape(A.InputShapes[0], A.InputShapes.drop_front());
  if (!S)
    return S.takeError();
  Tensor DX = A.NeedsGrad[0] ? Tensor::empty(A.InputShapes[0]) : Tensor();
  Tensor DW = Tensor::empty({S->Channels}), DB = Tensor::empty({S->Channels});
  BnBackward B;
  B.Training = A.Saved[2].f32()[0] != 0;
  B.DY = DY.f32();
  B.Weight = A.Inputs[1].f32();
  B.Mean = A.Saved[0].f32();
  B.InvStd = A.Saved[1].f32();
  B.DWeight = DW.f32();
  B.DBias = DB.f32();
  const float *X = A.Inputs[0].f32();
  float *__restrict DXP = DX.defined() ? DX.f32() : nullptr;
  batchNormBackwardLoops(
      *S, B, [X](int64_t) { return [X](int64_t I) { return X[I]; }; },
      [&](ChannelGroup G, auto Dx) {
        if (!DXP)
          return;
        forEachRun(*S, G, [&](int64_t C, int64_t Begin, int64_t End) {
          auto D = Dx[C - G.Begin];
#pragma omp simd
          for (int64_t I = Begin; I < End; ++I)
            DXP[I] = D(I);
        });
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
