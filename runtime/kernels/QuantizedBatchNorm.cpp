//===- QuantizedBatchNorm.cpp - The training tail with its output fake quant ===//
//
// fake_quantize([relu|relu6](batch_norm([add](div(x, s), b), ...))): the
// conv + batch norm training tail followed by the fake quant of its output,
// run as one kernel (runtime/Fusion.h). Forward runs the scaled batch norm,
// then the fake quant (fused with its activation) over the batch norm's
// output in place, so the chain stores one tensor instead of two. Backward
// hands the fake quant's mask to the batch norm, which gates each channel
// group's gradient as it starts on the group: the gradient is no longer
// gated in a pass of its own and then read back from memory. Results are the
// separate kernels' bits but for the tail's closed-form gradients
// (FusedKernels.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/kernels/FusedKernels.h"

#include "llvm/ADT/SmallVector.h"

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// The chain's shape: whether the tail adds a bias, and its activation (0:
/// none, 1: relu, 2: relu6).
template <bool WithAddedBias, int Activation> struct Chain {
  /// The scaled batch norm's operands: x, s, [b,] weight, bias,
  /// running_mean, running_var.
  static constexpr unsigned BatchNormOperands = WithAddedBias ? 7 : 6;
  /// The fake quant's kernel (fused with the activation).
  static const OpKernel &fakeQuantize() {
    return Activation == 0 ? fakeQuantizeKernel()
                           : *activationFakeQuantizeKernel(Activation == 1 ? "relu" : "relu6");
  }
  static constexpr GradientGate Gate =
      Activation == 0 ? GradientGate::StraightThrough : GradientGate::Activation;
};

/// The batch_norm node of the chain rooted at the fake quant Root.
const Node &batchNormOf(const Node &Root) {
  const Node *N = Root.operand(0);
  return N->isCallTo("batch_norm") ? *N : *N->operand(0);
}

/// Saved: the fake quant's mask (undefined when it saved none), then what
/// the scaled batch norm saved.
template <typename C> llvm::Error forward(const ForwardArgs &Args, TensorList &Outputs) {
  ForwardArgs Bn{batchNormOf(Args.N), Args.Inputs.take_front(C::BatchNormOperands)};
  Bn.Training = Args.Training;
  Bn.UpdateState = Args.UpdateState;
  Bn.RandomSeed = Args.RandomSeed;
  llvm::SmallVector<Tensor, 8> BnSaved;
  Bn.Saved = Args.Saved ? &BnSaved : nullptr;
  TensorList BnOut;
  if (llvm::Error E = scaledBatchNormKernel(C::BatchNormOperands == 7).Forward(Bn, BnOut))
    return E;

  // The batch norm's output goes in alone, so the fake quant writes over it.
  llvm::SmallVector<Tensor, 7> FqInputs;
  FqInputs.push_back(std::move(BnOut.front()));
  BnOut.clear();
  FqInputs.append(Args.Inputs.begin() + C::BatchNormOperands, Args.Inputs.end());
  ForwardArgs Fq{Args.N, FqInputs};
  Fq.Training = Args.Training;
  Fq.UpdateState = Args.UpdateState;
  Fq.RandomSeed = Args.RandomSeed;
  llvm::SmallVector<Tensor, 2> FqSaved;
  Fq.Saved = Args.Saved ? &FqSaved : nullptr;
  if (llvm::Error E = C::fakeQuantize().Forward(Fq, Outputs))
    return E;
  if (Args.Saved) {
    Args.Saved->push_back(FqSaved.empty() ? Tensor() : FqSaved.front());
    Args.Saved->append(BnSaved.begin(), BnSaved.end());
  }
  return llvm::Error::success();
}

template <typename C>
llvm::Error backward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> Grads) {
  const unsigned K = C::BatchNormOperands;
  BackwardArgs Bn{batchNormOf(Args.N),
                  {},
                  Args.InputShapes.take_front(K),
                  {},
                  Args.Saved.drop_front(1),
                  Args.GradOutputs,
                  Args.NeedsGrad.take_front(K)};
  if (!Args.GradientFinite.empty())
    Bn.GradientFinite = Args.GradientFinite.take_front(K);
  const Tensor &Mask = Args.Saved.front();
  if (!Mask.defined()) // fake quant was off: its gradient is the identity
    return scaledBatchNormKernel(K == 7).Backward(Bn, Grads.take_front(K));
  return gatedScaledBatchNormBackward(K == 7, Bn, Grads.take_front(K), Mask, C::Gate);
}

/// The batch norm's differentiable operands (not the running statistics);
/// none of the vanilla fake quant's.
template <typename C> bool differentiable(const Node &, unsigned I) {
  return I < C::BatchNormOperands - 2;
}

template <bool WithAddedBias, int Activation> const OpKernel &kernel() {
  using C = Chain<WithAddedBias, Activation>;
  static const OpKernel K{forward<C>, backward<C>, SavesNothing, differentiable<C>};
  return K;
}

} // namespace

const OpKernel &qatc::runtime::quantizedBatchNormKernel(bool WithAddedBias,
                                                        llvm::StringRef Activation) {
  int Act = Activation == "relu" ? 1 : Activation == "relu6" ? 2 : 0;
  static const OpKernel *Kernels[2][3] = {
      {&kernel<false, 0>(), &kernel<false, 1>(), &kernel<false, 2>()},
      {&kernel<true, 0>(), &kernel<true, 1>(), &kernel<true, 2>()}};
  return *Kernels[WithAddedBias][Act];
}
