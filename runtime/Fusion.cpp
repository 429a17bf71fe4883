//===- Fusion.cpp - Node chains the executor runs as one kernel -----------===//

#include "runtime/Fusion.h"

#include "runtime/kernels/FusedKernels.h"

using namespace qatc;
using namespace qatc::runtime;

namespace {

bool isF32Tensor(const Node &N) {
  return N.type().isTensor() && N.type().hasRank() && N.type().dtype() == DType::F32;
}

/// N is an f32 call to Op whose only use is by User.
bool isSoleInput(const Node *N, llvm::StringRef Op, const Node &User) {
  return N->isCallTo(Op) && isF32Tensor(*N) && N->hasOneUse() &&
         N->uses().begin()->user() == &User;
}

/// N has the static shape [1, Channels, 1, ...] of rank Rank.
bool isPerChannel(const Node &N, unsigned Rank, int64_t Channels) {
  if (!isF32Tensor(N) || N.type().rank() != Rank || !N.type().hasStaticShape())
    return false;
  for (unsigned D = 0; D < Rank; ++D)
    if (N.type().dim(D) != (D == 1 ? Channels : 1))
      return false;
  return true;
}

/// The conv + batch norm training tail batch_norm([add](div(x, s), b)) at
/// its batch norm Root, as a fusion rooted there.
std::optional<Fusion> scaledBatchNormTail(Node &Root) {
  if (!Root.isCallTo("batch_norm") || !isF32Tensor(Root))
    return std::nullopt;
  const Type &T = Root.type();
  if (T.rank() < 2 || T.dim(1) < 0)
    return std::nullopt;
  unsigned Rank = T.rank();
  int64_t Channels = T.dim(1);
  Node *X = Root.operand(0);
  Node *Add = nullptr;
  if (isSoleInput(X, "add", Root) && isPerChannel(*X->operand(1), Rank, Channels)) {
    Add = X;
    X = X->operand(0);
  }
  if (!isSoleInput(X, "div", Add ? *Add : Root) || !isPerChannel(*X->operand(1), Rank, Channels))
    return std::nullopt;
  Fusion F;
  F.Name = Add ? "batch_norm+add+div" : "batch_norm+div";
  F.Kernel = &scaledBatchNormKernel(Add != nullptr);
  F.Absorbed.push_back(X);
  F.Operands = {X->operand(0), X->operand(1)};
  if (Add) {
    F.Absorbed.push_back(Add);
    F.Operands.push_back(Add->operand(1));
  }
  for (unsigned I = 1; I < 5; ++I)
    F.Operands.push_back(Root.operand(I));
  return F;
}

/// A fake_quantize with a fixed or learned-by-observer (not learnable) qparams.
bool isVanillaFakeQuantize(const Node &N) {
  if (!N.isCallTo("fake_quantize") || !isF32Tensor(N))
    return false;
  const Attribute *Algorithm = N.attr("algorithm");
  return !Algorithm || Algorithm->getString() == "vanilla";
}

/// The fake quant's operands with its input replaced by Inputs.
llvm::SmallVector<Node *, 8> replaceInput(const Node &Root, llvm::ArrayRef<Node *> Inputs) {
  llvm::SmallVector<Node *, 8> Operands(Inputs.begin(), Inputs.end());
  for (unsigned I = 1; I < Root.numOperands(); ++I)
    Operands.push_back(Root.operand(I));
  return Operands;
}

/// fake_quantize([relu|relu6](tail)) with tail a scaledBatchNormTail whose
/// intermediate results have no other use, rooted at the fake quant.
std::optional<Fusion> matchQuantizedBatchNorm(Node &Root) {
  if (!isVanillaFakeQuantize(Root))
    return std::nullopt;
  Node *BatchNorm = Root.operand(0), *Activation = nullptr;
  if (isSoleInput(BatchNorm, "relu", Root) || isSoleInput(BatchNorm, "relu6", Root)) {
    Activation = BatchNorm;
    BatchNorm = Activation->operand(0);
  }
  if (!isSoleInput(BatchNorm, "batch_norm", Activation ? *Activation : Root))
    return std::nullopt;
  std::optional<Fusion> Tail = scaledBatchNormTail(*BatchNorm);
  if (!Tail)
    return std::nullopt;
  Fusion F;
  F.Name = !Activation                     ? "fake_quantize+batch_norm+div"
           : Activation->isCallTo("relu") ? "fake_quantize+relu+batch_norm+div"
                                          : "fake_quantize+relu6+batch_norm+div";
  F.Kernel = &quantizedBatchNormKernel(Tail->Absorbed.size() == 2,
                                       !Activation ? "" : Activation->opName());
  F.Absorbed = Tail->Absorbed;
  F.Absorbed.push_back(BatchNorm);
  if (Activation)
    F.Absorbed.push_back(Activation);
  F.Operands = Tail->Operands;
  for (unsigned I = 1; I < Root.numOperands(); ++I)
    F.Operands.push_back(Root.operand(I));
  return F;
}

/// The training tail at batch norm Root, unless a fake quant fuses it
/// whole (matchQuantizedBatchNorm at that fake quant).
std::optional<Fusion> matchScaledBatchNorm(Node &Root) {
  if (Root.hasOneUse()) {
    Node *User = Root.uses().begin()->user();
    if (User->hasOneUse() && (User->isCallTo("relu") || User->isCallTo("relu6")))
      User = User->uses().begin()->user();
    if (matchQuantizedBatchNorm(*User))
      return std::nullopt;
  }
  return scaledBatchNormTail(Root);
}

std::optional<Fusion> matchScaledWeight(Node &Root) {
  if (!isVanillaFakeQuantize(Root))
    return std::nullopt;
  const Attribute *Axis = Root.attr("axis");
  Node *Mul = Root.operand(0);
  if (!Axis || Axis->getInt() != 0 || !isSoleInput(Mul, "mul", Root))
    return std::nullopt;
  Node *W = Mul->operand(0), *S = Mul->operand(1);
  const Type &T = Mul->type();
  if (!isF32Tensor(*W) || W->type() != T || !isF32Tensor(*S) || !S->type().hasStaticShape() ||
      S->type().rank() != T.rank() || T.dim(0) < 0)
    return std::nullopt;
  for (unsigned D = 0; D < T.rank(); ++D)
    if (S->type().dim(D) != (D == 0 ? T.dim(0) : 1))
      return std::nullopt;
  Fusion F;
  F.Name = "fake_quantize+mul";
  F.Kernel = &scaledWeightFakeQuantizeKernel();
  F.Absorbed.push_back(Mul);
  F.Operands = replaceInput(Root, {W, S});
  return F;
}

std::optional<Fusion> matchActivation(Node &Root) {
  if (!isVanillaFakeQuantize(Root))
    return std::nullopt;
  Node *Act = Root.operand(0);
  if (!Act->isCall() || !isSoleInput(Act, Act->opName(), Root))
    return std::nullopt;
  const OpKernel *K = activationFakeQuantizeKernel(Act->opName());
  if (!K)
    return std::nullopt;
  Fusion F;
  F.Name = Act->isCallTo("relu") ? "fake_quantize+relu" : "fake_quantize+relu6";
  F.Kernel = K;
  F.Absorbed.push_back(Act);
  F.Operands = replaceInput(Root, {Act->operand(0)});
  return F;
}

} // namespace

std::optional<Fusion> runtime::matchFusion(Node &Root) {
  for (auto Match :
       {matchScaledBatchNorm, matchQuantizedBatchNorm, matchScaledWeight, matchActivation})
    if (std::optional<Fusion> F = Match(Root))
      return F;
  return std::nullopt;
}
