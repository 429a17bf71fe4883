//===- Canonicalize.cpp - The canonicalize pass and its patterns ----------===//
//
// Local simplifications that leave the graph in the canonical form the
// quantization passes expect: no identity or inference-time dropout, one
// reshape where several were chained, no layout ops that do nothing, clamp
// ranges that are relu or relu6 spelled as such, SiLU/Hardswish fused back
// from their exported decompositions, and chunk-like slices as one split.
//
//===----------------------------------------------------------------------===//
#include "ir/PatternRewriter.h"
#include "passes/transforms/Transforms.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

namespace qatc {

namespace {

/// Replaces a node by its first operand when the types agree exactly.
bool forwardOperand(Node *N, PatternRewriter &R) {
  Node *In = N->operand(0);
  if (In->type() != N->type())
    return R.notifyMatchFailure(N, "its input type " + In->type().str() +
                                       " differs from its result type " + N->type().str());
  R.replaceNode(N, In);
  return true;
}

/// identity(x) -> x.
struct DropIdentity : RewritePattern {
  DropIdentity() : RewritePattern("identity", 1, "drop-identity") {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override { return forwardOperand(N, R); }
};

/// dropout(x) -> x in inference graphs, and always when p == 0.
struct DropDropout : RewritePattern {
  explicit DropDropout(bool Training)
      : RewritePattern("dropout", 1, "drop-dropout"), Training(Training) {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    if (Training && N->getFloat("p") != 0.0)
      return R.notifyMatchFailure(N, "dropout is active while training");
    return forwardOperand(N, R);
  }
  bool Training;
};

/// Ops that only reinterpret the shape of a contiguous tensor.
bool isReshapeLike(const Node *N) {
  return N->isCallTo("reshape") || N->isCallTo("flatten") || N->isCallTo("squeeze") ||
         N->isCallTo("unsqueeze");
}

/// A reshape-like op whose static result shape equals its input's -> input
/// (reshape to the same shape, flatten of an already flat tensor, ...).
struct DropNoopReshape : RewritePattern {
  DropNoopReshape(llvm::StringRef Op) : RewritePattern(Op, 2, ("drop-noop-" + Op).str()) {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    if (!N->type().hasStaticShape())
      return R.notifyMatchFailure(N, "its result shape is not static");
    return forwardOperand(N, R);
  }
};

/// A reshape-like op of a reshape-like op: back to the original shape -> x;
/// otherwise reshape(reshape-like(x)) -> reshape(x).
struct FoldReshapeChain : RewritePattern {
  FoldReshapeChain(llvm::StringRef Op)
      : RewritePattern(Op, 1, ("fold-" + Op + "-chain").str()) {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    Node *In = N->operand(0);
    if (!In->isCall() || !isReshapeLike(In))
      return R.notifyMatchFailure(N, "its input is not a reshape, flatten, squeeze or unsqueeze");
    Node *Source = In->operand(0);
    if (N->type().hasStaticShape() && N->type() == Source->type()) {
      R.replaceNode(N, Source);
      return true;
    }
    if (!N->isCallTo("reshape"))
      return R.notifyMatchFailure(N, "only a reshape can absorb the reshape before it");
    N->setOperand(0, Source);
    R.notifyChanged(N);
    if (!In->hasUses())
      R.eraseNode(In);
    return true;
  }
};

/// permute with the identity permutation -> x; permute(permute(x)) -> permute(x).
struct SimplifyPermute : RewritePattern {
  SimplifyPermute() : RewritePattern("permute", 1, "simplify-permute") {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    llvm::ArrayRef<int64_t> P = N->getInts("dims");
    int64_t Rank = P.size();
    auto Norm = [Rank](int64_t D) { return D < 0 ? D + Rank : D; };
    bool Identity = true;
    for (int64_t I = 0; I < Rank; ++I)
      Identity &= Norm(P[I]) == I;
    if (Identity)
      return forwardOperand(N, R);
    Node *In = N->operand(0);
    if (!In->isCallTo("permute"))
      return R.notifyMatchFailure(N, "not an identity permutation and its input is no permute");
    llvm::ArrayRef<int64_t> Q = In->getInts("dims");
    std::vector<int64_t> Composed(Rank);
    for (int64_t I = 0; I < Rank; ++I) {
      int64_t Q1 = Q[Norm(P[I])];
      Composed[I] = Q1 < 0 ? Q1 + Rank : Q1;
    }
    N->setAttr("dims", Attribute(std::move(Composed)));
    N->setOperand(0, In->operand(0));
    R.notifyChanged(N);
    if (!In->hasUses())
      R.eraseNode(In);
    return true;
  }
};

/// transpose(x, d, d) -> x.
struct DropNoopTranspose : RewritePattern {
  DropNoopTranspose() : RewritePattern("transpose", 1, "drop-noop-transpose") {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    const Type &T = N->operand(0)->type();
    if (!T.hasRank())
      return R.notifyMatchFailure(N, "its input rank is unknown");
    int64_t Rank = T.rank();
    int64_t A = N->getInt("dim0"), B = N->getInt("dim1");
    if ((A + Rank) % Rank != (B + Rank) % Rank)
      return R.notifyMatchFailure(N, "it swaps two different dims");
    return forwardOperand(N, R);
  }
};

/// clamp(x, 0, 6) -> relu6(x); clamp(x, 0, none) -> relu(x).
struct ClampToRelu : RewritePattern {
  ClampToRelu() : RewritePattern("clamp", 1, "clamp-to-relu") {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    const Attribute *Min = N->attr("min"), *Max = N->attr("max");
    if (!Min || Min->asDouble() != 0.0)
      return R.notifyMatchFailure(N, "its minimum is not 0");
    const char *Op = nullptr;
    if (!Max || std::isinf(Max->asDouble()))
      Op = "relu";
    else if (Max->asDouble() == 6.0)
      Op = "relu6";
    else
      return R.notifyMatchFailure(N, "its maximum is neither 6 nor unbounded");
    auto New = R.call(Op, {N->operand(0)}, {}, R.graph().uniqueName(N->name().str() + "." + Op));
    if (!New) {
      llvm::consumeError(New.takeError());
      return R.notifyMatchFailure(N, "the replacement does not type-check");
    }
    std::string Name = N->name().str();
    R.replaceNode(N, *New);
    R.graph().rename(*New, Name);
    return true;
  }
};

/// mul(x, sigmoid(x)) -> silu(x) and mul(x, hardsigmoid(x)) -> hardswish(x),
/// the decompositions ONNX exporters write for SiLU and Hardswish. The fused
/// node takes the gate's name (the first op of the decomposed module).
struct FuseGatedActivation : RewritePattern {
  FuseGatedActivation() : RewritePattern("mul", 1, "fuse-gated-activation") {}
  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    for (unsigned GateIdx = 0; GateIdx < 2; ++GateIdx) {
      Node *Gate = N->operand(GateIdx), *X = N->operand(1 - GateIdx);
      const char *Fused = Gate->isCallTo("sigmoid")       ? "silu"
                          : Gate->isCallTo("hardsigmoid") ? "hardswish"
                                                          : nullptr;
      if (!Fused || Gate->operand(0) != X || N->type() != X->type())
        continue;
      auto New = R.call(Fused, {X}, {}, R.graph().uniqueName(N->name().str() + "." + Fused));
      if (!New) {
        llvm::consumeError(New.takeError());
        return R.notifyMatchFailure(N, "the fused activation does not type-check");
      }
      std::string Name = Gate->hasOneUse() ? Gate->name().str() : N->name().str();
      R.replaceNode(N, *New);
      if (!Gate->hasUses())
        R.eraseNode(Gate);
      R.graph().rename(*New, Name);
      return true;
    }
    return R.notifyMatchFailure(N, "it is not x * sigmoid(x) or x * hardsigmoid(x)");
  }
};

/// Slices of one value along one dim that exactly tile it (ONNX's form of
/// torch.chunk) -> one split and a getitem per slice, as TorchScript has it.
struct SlicesToSplit : RewritePattern {
  SlicesToSplit() : RewritePattern("slice", 1, "slices-to-split") {}

  struct Piece {
    Node *Slice;
    int64_t Start, End;
  };

  bool matchAndRewrite(Node *N, PatternRewriter &R) const override {
    Node *X = N->operand(0);
    const Type &T = X->type();
    if (!T.hasStaticShape())
      return R.notifyMatchFailure(N, "its input shape is not static");
    int64_t Rank = T.rank();
    auto dimOf = [Rank](const Node *S) {
      int64_t D = S->getInt("dim");
      return D < 0 ? D + Rank : D;
    };
    int64_t Dim = dimOf(N), Size = T.dim(Dim);
    auto clampIndex = [Size](int64_t I) {
      if (I < 0)
        I += Size;
      return std::min(std::max<int64_t>(I, 0), Size);
    };
    std::vector<Piece> Pieces;
    for (Node *U : X->users()) {
      if (!U->isCallTo("slice") || dimOf(U) != Dim)
        continue;
      if (U->getInt("step") != 1)
        return R.notifyMatchFailure(N, "a sibling slice has a step other than 1");
      Pieces.push_back({U, clampIndex(U->getInt("start")), clampIndex(U->getInt("end"))});
    }
    std::sort(Pieces.begin(), Pieces.end(),
              [](const Piece &A, const Piece &B) { return A.Start < B.Start; });
    int64_t Next = 0;
    for (const Piece &P : Pieces) {
      if (P.Start != Next || P.End <= P.Start)
        return R.notifyMatchFailure(N, "the slices of its input do not tile the dim exactly");
      Next = P.End;
    }
    if (Pieces.size() < 2 || Next != Size)
      return R.notifyMatchFailure(N, "the slices of its input do not cover the whole dim");
    std::vector<int64_t> Sizes;
    for (const Piece &P : Pieces)
      Sizes.push_back(P.End - P.Start);
    // Slices named by module (`stage2.1.slice`, `stage2.1.slice_1`) become
    // `stage2.1.split` and `stage2.1.getitem[_N]`, the names a TorchScript
    // chunk in that module gets; other names are kept for the getitems.
    llvm::StringRef First = Pieces.front().Slice->name();
    std::optional<std::string> Module;
    if (First.endswith(".slice"))
      Module = First.drop_back(strlen(".slice")).str();
    R.setInsertionPointAfter(X);
    auto Split = R.call("split", {X},
                        {{"dim", Dim}, {"split_sizes", Attribute(std::move(Sizes))}},
                        Module ? *Module + ".split" : First.str() + ".split");
    if (!Split) {
      llvm::consumeError(Split.takeError());
      return R.notifyMatchFailure(N, "the split does not type-check");
    }
    // The builder keeps inserting after the last node it created.
    for (size_t I = 0; I < Pieces.size(); ++I) {
      std::string Name = Pieces[I].Slice->name().str();
      if (Module)
        Name = *Module + ".getitem" + (I ? "_" + std::to_string(I) : std::string());
      auto Item = R.call("getitem", {*Split}, {{"index", int64_t(I)}}, Name + ".item");
      if (!Item) {
        llvm::consumeError(Item.takeError());
        return R.notifyMatchFailure(N, "a getitem does not type-check");
      }
      R.replaceNode(Pieces[I].Slice, *Item);
      if (!R.graph().lookupNode(Name))
        R.graph().rename(*Item, Name);
    }
    return true;
  }
};

class CanonicalizePass : public Pass {
public:
  explicit CanonicalizePass(bool Training) : Training(Training) {}
  llvm::StringRef name() const override { return "canonicalize"; }
  llvm::Error run(Graph &G, PassContext &Ctx) override {
    std::vector<std::unique_ptr<RewritePattern>> Patterns;
    Patterns.push_back(std::make_unique<DropIdentity>());
    Patterns.push_back(std::make_unique<DropDropout>(Training));
    for (const char *Op : {"reshape", "flatten", "squeeze", "unsqueeze"}) {
      Patterns.push_back(std::make_unique<DropNoopReshape>(Op));
      Patterns.push_back(std::make_unique<FoldReshapeChain>(Op));
    }
    Patterns.push_back(std::make_unique<SimplifyPermute>());
    Patterns.push_back(std::make_unique<DropNoopTranspose>());
    Patterns.push_back(std::make_unique<ClampToRelu>());
    Patterns.push_back(std::make_unique<FuseGatedActivation>());
    Patterns.push_back(std::make_unique<SlicesToSplit>());
    GreedyOptions Opts;
    Opts.Explain = Ctx.Explain;
    auto Changed = applyPatternsGreedily(G, Patterns, Opts);
    if (!Changed)
      return Changed.takeError();
    return llvm::Error::success();
  }

private:
  bool Training;
};

} // namespace

llvm::Expected<std::unique_ptr<Pass>> createCanonicalizePass(const PassOptions &Opts) {
  auto Training = getBoolOption(Opts, "canonicalize", "training", false);
  if (!Training)
    return Training.takeError();
  return std::make_unique<CanonicalizePass>(*Training);
}

} // namespace qatc
