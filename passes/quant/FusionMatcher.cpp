//===- FusionMatcher.cpp - Finding the quantization patterns of a graph ---===//
#include "passes/quant/FusionMatcher.h"

namespace qatc {

std::string PatternMatch::describe() const {
  std::string S;
  for (const Node *M : Members)
    S += (S.empty() ? "" : "+") + M->opName().str();
  return S;
}

namespace {

/// N's only consumer, when N has exactly one use and it is operand 0 of a call.
Node *soleConsumer(const Node *N) {
  if (!N->hasOneUse())
    return nullptr;
  const Use &U = *N->uses().begin();
  if (U.operandNumber() != 0 || !U.user()->isCall())
    return nullptr;
  return U.user();
}

/// The number of output channels of a weighted layer whose batch norm can be
/// folded into its weight, or -1 when the shapes do not allow it.
int64_t foldableChannels(const Node *Layer, const BackendOp &Row) {
  if (Layer->numOperands() < 2)
    return -1;
  const Type &W = Layer->operand(1)->type();
  const Type &Out = Layer->type();
  if (!W.isTensor() || !W.hasStaticShape() || !Out.isTensor() || !Out.hasRank() || Out.rank() < 2 ||
      Row.WeightAxis >= int64_t(W.rank()))
    return -1;
  // Grouped transposed convolutions spread output channels over groups, so
  // a per-channel factor on weight axis 1 would not line up.
  if (const Attribute *Groups = Layer->attr("groups");
      Groups && Row.WeightAxis != 0 && Groups->getInt() != 1)
    return -1;
  // BatchNorm1d after a linear layer normalizes features only for [N, C].
  if (Layer->isCallTo("linear") && Out.rank() != 2)
    return -1;
  int64_t C = W.dim(Row.WeightAxis);
  if (Out.dim(1) >= 0 && Out.dim(1) != C)
    return -1;
  return C;
}

/// True when BN can be fused into Layer: its per-channel operands match the
/// layer's channels and exist before the layer, where the folded weight is
/// computed.
bool canFuseBatchNorm(const Node *Layer, const BackendOp &Row, const Node *BN) {
  int64_t C = foldableChannels(Layer, Row);
  if (C < 0)
    return false;
  for (unsigned I = 1; I < BN->numOperands(); ++I) {
    const Node *P = BN->operand(I);
    const Type &T = P->type();
    if (!T.isTensor() || !T.hasRank() || T.rank() != 1 || T.dim(0) != C)
      return false;
  }
  for (unsigned I : {1u, 4u}) {
    const Node *P = BN->operand(I);
    if (!P->isGetAttr() && P->order() > Layer->order())
      return false;
  }
  return true;
}

class Matcher {
public:
  explicit Matcher(const Graph &G) : G(G) {}

  PatternMatches run() {
    G.ensureOrdered();
    for (const Node &N : G.nodes()) {
      if (!N.isCall() || Result.PatternOf.count(&N))
        continue;
      const BackendOp &Row = backendOp(*N.op());
      switch (Row.Kind) {
      case PatternKind::Float:
      case PatternKind::ScaleOnly: break;
      case PatternKind::Weighted: matchWeighted(const_cast<Node *>(&N), Row); break;
      case PatternKind::Binary: matchBinary(const_cast<Node *>(&N), Row); break;
      case PatternKind::Norm: matchNorm(const_cast<Node *>(&N), Row); break;
      case PatternKind::Activation:
      case PatternKind::FixedQParams:
      case PatternKind::SharedQParams: add(start(const_cast<Node *>(&N), Row)); break;
      }
    }
    return std::move(Result);
  }

private:
  PatternMatch start(Node *Root, const BackendOp &Row) {
    PatternMatch M;
    M.Members.push_back(Root);
    M.Root = &Row;
    return M;
  }

  void add(PatternMatch M) {
    unsigned Index = Result.Patterns.size();
    for (Node *Member : M.Members)
      Result.PatternOf[Member] = Index;
    Result.Patterns.push_back(std::move(M));
  }

  /// Appends the activation consuming M's last member, if it may fuse: any
  /// activation when the table fuses one here (TableFuses), else one a
  /// plugin added for M's root op (addFusion).
  void maybeFuseActivation(PatternMatch &M, bool TableFuses) {
    Node *Act = soleConsumer(M.last());
    if (!Act || Result.PatternOf.count(Act))
      return;
    const BackendOp &ActRow = backendOp(*Act->op());
    if (!ActRow.isFusableActivation())
      return;
    if (!TableFuses && !hasAddedFusion(M.root()->opName(), Act->opName()))
      return;
    M.Members.push_back(Act);
    M.Activation = Act;
    M.ActivationRow = &ActRow;
  }

  void matchWeighted(Node *Layer, const BackendOp &Row) {
    PatternMatch M = start(Layer, Row);
    if (Row.FusesBatchNorm) {
      Node *BN = soleConsumer(Layer);
      if (BN && BN->isCallTo("batch_norm") && !Result.PatternOf.count(BN) &&
          canFuseBatchNorm(Layer, Row, BN)) {
        M.Members.push_back(BN);
        M.BatchNorm = BN;
      }
    }
    maybeFuseActivation(M, Row.FusesActivation && (!M.BatchNorm || Row.ActAfterBatchNorm));
    add(std::move(M));
  }

  void matchBinary(Node *Op, const BackendOp &Row) {
    PatternMatch M = start(Op, Row);
    maybeFuseActivation(M, Row.FusesActivation);
    add(std::move(M));
  }

  void matchNorm(Node *BN, const BackendOp &Row) {
    PatternMatch M = start(BN, Row);
    // BNReLU2d and BNReLU3d: batch norm over 4-D or 5-D inputs, then relu.
    const Type &T = BN->type();
    Node *Act = soleConsumer(BN);
    if (Act && Act->isCallTo("relu") && !Result.PatternOf.count(Act) && T.isTensor() &&
        T.hasRank() && (T.rank() == 4 || T.rank() == 5)) {
      M.Members.push_back(Act);
      M.Activation = Act;
      M.ActivationRow = &backendOp(*Act->op());
    } else {
      maybeFuseActivation(M, false);
    }
    add(std::move(M));
  }

  const Graph &G;
  PatternMatches Result;
};

} // namespace

PatternMatches matchPatterns(const Graph &G) { return Matcher(G).run(); }

} // namespace qatc
