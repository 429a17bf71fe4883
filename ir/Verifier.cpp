//===- Verifier.cpp - Structural and type checks of a QIR graph -----------===//
#include "ir/Verifier.h"

#include "ir/Graph.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {

namespace {

class GraphVerifier {
public:
  explicit GraphVerifier(const Graph &G) : G(G) {}

  llvm::Error run() {
    llvm::SmallPtrSet<const Parameter *, 32> OwnParams;
    for (const Parameter &P : G.params()) {
      OwnParams.insert(&P);
      if (G.lookupParameter(P.name()) != &P)
        return fail(G, "parameter '" + P.name().str() + "' is not registered under its name");
      if (!P.type().hasStaticShape())
        return fail(G, "parameter '" + P.name().str() + "' must have a static shape, not " +
                           P.type().str());
      if (!P.isElided() && P.bytes().size() != P.byteSize())
        return fail(G, llvm::formatv("parameter '{0}' holds {1} bytes but its type {2} needs {3}",
                                     P.name(), P.bytes().size(), P.type().str(), P.byteSize())
                           .str());
    }
    // In program order, each node with its operands (which come before it);
    // then in reverse, the use lists (a node's users come after it, so they
    // were just visited and are still in cache).
    G.ensureOrdered();
    const Node *Output = nullptr;
    for (const Node &N : G.nodes()) {
      if (N.graph() != &G)
        return fail(N, "belongs to another graph");
      if (Output)
        return fail(N, "comes after the output node; the output must be last");
      if (auto E = checkNode(N, OwnParams))
        return E;
      if (N.isOutput())
        Output = &N;
    }
    if (!Output)
      return fail(G, "the graph has no output node");
    for (auto It = G.nodes().rbegin(), E = G.nodes().rend(); It != E; ++It)
      if (auto Err = checkUses(*It))
        return Err;
    if (NumUses != NumOperands)
      return fail(G, llvm::formatv("use lists hold {0} uses but nodes have {1} operands",
                                   NumUses, NumOperands));
    return llvm::Error::success();
  }

private:
  llvm::Error fail(const Node &N, const llvm::Twine &Msg) {
    std::string Where = N.isOutput() ? std::string("the output node")
                                     : "node '" + N.name().str() + "'";
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "graph '" + G.name() + "': " + Where + " " + Msg);
  }
  llvm::Error fail(const Graph &, const llvm::Twine &Msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "graph '" + G.name() + "': " + Msg);
  }

  llvm::Error checkNode(const Node &N,
                        const llvm::SmallPtrSetImpl<const Parameter *> &OwnParams) {
    if (!N.isOutput() && !N.ownsName())
      return fail(N, "is not registered under its name (duplicate or stale name)");
    // Operands: defined earlier in this graph.
    for (const Use &U : N.operandUses()) {
      const Node *V = U.get();
      if (!V)
        return fail(N, llvm::formatv("has a null operand {0}", U.operandNumber()));
      if (V->graph() != &G || V->order() >= N.order())
        return fail(N, llvm::formatv("uses '{0}' before it is defined (or from another graph)",
                                     V->name()));
      if (V->isOutput())
        return fail(N, "uses the output node");
      ++NumOperands;
    }

    switch (N.kind()) {
    case NodeKind::Placeholder:
      if (N.numOperands())
        return fail(N, "is a placeholder with operands");
      if (!N.type().isTensor())
        return fail(N, "is a placeholder whose type is not a tensor");
      return llvm::Error::success();
    case NodeKind::GetAttr:
      if (N.numOperands())
        return fail(N, "is a get_attr with operands");
      if (!N.param() || !OwnParams.count(N.param()))
        return fail(N, "reads a parameter that is not in the graph");
      if (N.type() != N.param()->type())
        return fail(N, "has type " + N.type().str() + " but parameter '" +
                           N.param()->name().str() + "' has type " + N.param()->type().str());
      return llvm::Error::success();
    case NodeKind::Output:
      if (N.numOperands() == 0)
        return fail(N, "returns nothing; it needs at least one operand");
      return llvm::Error::success();
    case NodeKind::Call:
      return checkCall(N);
    }
    return llvm::Error::success();
  }

  /// Every use in N's list must be an operand slot that reads N; with the
  /// totals compared at the end this proves the lists hold every operand.
  llvm::Error checkUses(const Node &N) {
    for (const Use &U : N.uses()) {
      llvm::ArrayRef<Use> Slots = U.user() ? U.user()->operandUses() : llvm::ArrayRef<Use>();
      if (U.get() != &N || &U < Slots.begin() || &U >= Slots.end())
        return fail(N, "has a corrupt use list");
      ++NumUses;
    }
    return llvm::Error::success();
  }

  llvm::Error checkCall(const Node &N) {
    const OpInfo *Op = N.op();
    if (!Op)
      return fail(N, "is a call without an op");
    unsigned NOps = N.numOperands();
    if (NOps < Op->minOperands() || NOps > Op->maxOperands()) {
      std::string Expected =
          Op->maxOperands() == UINT_MAX
              ? llvm::formatv("at least {0}", Op->minOperands()).str()
          : Op->minOperands() == Op->maxOperands()
              ? llvm::formatv("{0}", Op->minOperands()).str()
              : llvm::formatv("{0} to {1}", Op->minOperands(), Op->maxOperands()).str();
      return fail(N, llvm::formatv("({0}) has {1} operands; expected {2}", Op->name(), NOps,
                                   Expected));
    }
    for (const NamedAttribute &A : N.attrs()) {
      const AttrSpec *S = Op->attrSpec(A.Name);
      if (!S) {
        if (Op->isFromPlugin())
          continue;
        return fail(N, llvm::formatv("({0}) has unknown attribute '{1}'", Op->name(), A.Name));
      }
      if (S->Kind != A.Value.kind())
        return fail(N, llvm::formatv("({0}) attribute '{1}' must be {2}, not {3}", Op->name(),
                                     A.Name, attrKindName(S->Kind),
                                     attrKindName(A.Value.kind())));
    }
    for (const AttrSpec &S : Op->attrs())
      if (S.Required && !N.getExplicitAttr(S.Name))
        return fail(N, llvm::formatv("({0}) is missing required attribute '{1}'", Op->name(),
                                     S.Name));
    llvm::SmallVector<Type, 4> Types;
    for (const Use &U : N.operandUses())
      Types.push_back(U.get()->type());
    auto Inferred = Op->inferType(Types, N.attrs());
    if (!Inferred)
      return fail(N, llvm::formatv("({0}): {1}", Op->name(), llvm::toString(Inferred.takeError())));
    if (!N.type().isCompatibleWith(*Inferred))
      return fail(N, llvm::formatv("({0}) has type {1} but its operands give {2}", Op->name(),
                                   N.type().str(), Inferred->str()));
    return llvm::Error::success();
  }

  const Graph &G;
  size_t NumOperands = 0;
  size_t NumUses = 0;
};

} // namespace

llvm::Error verify(const Graph &G) { return GraphVerifier(G).run(); }

} // namespace qatc
