//===- CommonSubexpressionElimination.cpp - The cse pass ------------------===//
#include "passes/transforms/Transforms.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"

namespace qatc {

namespace {

/// Ops whose execution updates state while training (running statistics,
/// observers) or draws random numbers: two such nodes are never the same.
bool isStatefulOrRandom(const Node &N) {
  return N.isCallTo("batch_norm") || N.isCallTo("fake_quantize") || N.isCallTo("dropout");
}

struct NodeKey {
  const Node *N;
};

struct NodeKeyInfo {
  static NodeKey getEmptyKey() { return {llvm::DenseMapInfo<const Node *>::getEmptyKey()}; }
  static NodeKey getTombstoneKey() {
    return {llvm::DenseMapInfo<const Node *>::getTombstoneKey()};
  }
  static bool isSentinel(const NodeKey &K) {
    return K.N == getEmptyKey().N || K.N == getTombstoneKey().N;
  }
  static unsigned getHashValue(const NodeKey &K) {
    const Node &N = *K.N;
    llvm::hash_code H = llvm::hash_combine(unsigned(N.kind()), N.op(), N.param());
    for (const Use &U : N.operandUses())
      H = llvm::hash_combine(H, U.get());
    for (const NamedAttribute &A : N.attrs())
      H = llvm::hash_combine(H, llvm::StringRef(A.Name), hashValue(A.Value));
    return unsigned(H);
  }
  static bool isEqual(const NodeKey &A, const NodeKey &B) {
    if (A.N == B.N)
      return true;
    if (isSentinel(A) || isSentinel(B))
      return false;
    const Node &X = *A.N, &Y = *B.N;
    if (X.kind() != Y.kind() || X.op() != Y.op() || X.param() != Y.param() ||
        X.numOperands() != Y.numOperands() || X.attrs().size() != Y.attrs().size() ||
        X.type() != Y.type())
      return false;
    for (unsigned I = 0; I < X.numOperands(); ++I)
      if (X.operand(I) != Y.operand(I))
        return false;
    for (size_t I = 0; I < X.attrs().size(); ++I)
      if (X.attrs()[I].Name != Y.attrs()[I].Name || X.attrs()[I].Value != Y.attrs()[I].Value)
        return false;
    return true;
  }
};

class CommonSubexpressionEliminationPass : public Pass {
public:
  llvm::StringRef name() const override { return "cse"; }
  llvm::Error run(Graph &G, PassContext &Ctx) override {
    // Program order guarantees operands were already deduplicated, so equal
    // operand pointers are the only equality needed.
    llvm::DenseMap<NodeKey, Node *, NodeKeyInfo> Seen;
    for (auto It = G.nodes().begin(); It != G.nodes().end();) {
      Node &N = *It++;
      if (!(N.isCall() || N.isGetAttr()) || isStatefulOrRandom(N))
        continue;
      auto Ins = Seen.try_emplace(NodeKey{&N}, &N);
      if (Ins.second)
        continue;
      Node *Keep = Ins.first->second;
      if (Ctx.Explain)
        *Ctx.Explain << "cse: '" << N.name() << "' is the same as '" << Keep->name() << "'\n";
      N.replaceAllUsesWith(Keep);
      G.erase(&N);
    }
    return llvm::Error::success();
  }
};

} // namespace

llvm::Expected<std::unique_ptr<Pass>>
createCommonSubexpressionEliminationPass(const PassOptions &) {
  return std::make_unique<CommonSubexpressionEliminationPass>();
}

} // namespace qatc
