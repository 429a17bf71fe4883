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

std::optional<Fusion> matchScaledBatchNorm(Node &Root) {
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

} // namespace

std::optional<Fusion> runtime::matchFusion(Node &Root) { return matchScaledBatchNorm(Root); }
