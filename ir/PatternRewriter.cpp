//===- PatternRewriter.cpp - Rooted rewrite patterns and their driver -----===//
#include "ir/PatternRewriter.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>

namespace qatc {

bool isTriviallyDead(const Node &N) {
  return (N.isCall() || N.isGetAttr()) && !N.hasUses();
}

/// The worklist driver behind applyPatternsGreedily.
class GreedyDriver {
public:
  GreedyDriver(Graph &G, llvm::ArrayRef<std::unique_ptr<RewritePattern>> Patterns,
               const GreedyOptions &Opts)
      : G(G), Opts(Opts), Rewriter(G, *this) {
    for (const auto &P : Patterns)
      ByOp[P->rootOp()].push_back(P.get());
    for (auto &Entry : ByOp)
      std::stable_sort(Entry.second.begin(), Entry.second.end(),
                       [](const RewritePattern *A, const RewritePattern *B) {
                         return A->benefit() > B->benefit();
                       });
  }

  llvm::Expected<bool> run() {
    for (Node &N : G.nodes())
      push(&N);
    // Pop from the front region first so that producers are simplified
    // before consumers on the first sweep.
    std::reverse(Worklist.begin(), Worklist.end());
    for (size_t I = 0; I < Worklist.size(); ++I)
      Slot[Worklist[I]] = I;
    bool Changed = false;
    size_t Rewrites = 0;
    while (!Worklist.empty()) {
      Node *N = Worklist.back();
      Worklist.pop_back();
      if (!N)
        continue;
      Slot.erase(N);
      if (isTriviallyDead(*N)) {
        eraseDead(N);
        Changed = true;
        continue;
      }
      if (!N->isCall())
        continue;
      auto It = ByOp.find(N->op()->name());
      if (It == ByOp.end())
        continue;
      for (const RewritePattern *P : It->second) {
        CurrentPattern = P;
        Rewriter.setInsertionPointBefore(N);
        Rewriter.setLoc(N->loc());
        std::string RootName = Opts.Explain ? N->name().str() : std::string();
        if (P->matchAndRewrite(N, Rewriter)) {
          if (Opts.Explain)
            *Opts.Explain << "pattern '" << P->name() << "' rewrote '" << RootName << "'\n";
          Changed = true;
          if (++Rewrites > Opts.MaxRewrites)
            return llvm::createStringError(
                llvm::inconvertibleErrorCode(),
                "pattern rewriting did not converge after %zu rewrites; a pattern set may be "
                "cyclic",
                Opts.MaxRewrites);
          break;
        }
      }
      CurrentPattern = nullptr;
    }
    return Changed;
  }

  void push(Node *N) {
    if (!N || Slot.count(N))
      return;
    Slot[N] = Worklist.size();
    Worklist.push_back(N);
  }

  void remove(Node *N) {
    auto It = Slot.find(N);
    if (It == Slot.end())
      return;
    Worklist[It->second] = nullptr;
    Slot.erase(It);
  }

  void eraseDead(Node *N) {
    llvm::SmallVector<Node *, 4> Ops = N->operands();
    remove(N);
    G.erase(N);
    for (Node *O : Ops)
      if (isTriviallyDead(*O))
        push(O);
  }

  void notifyReplaced(Node *Old, Node *New) {
    for (Node *U : Old->users())
      push(U);
    Old->replaceAllUsesWith(New);
    push(New);
    for (Node *U : New->users())
      push(U);
  }

  void notifyCreated(Node *N) { push(N); }

  void explainFailure(const Node *N, const llvm::Twine &Reason) {
    if (!Opts.Explain)
      return;
    *Opts.Explain << "pattern '" << (CurrentPattern ? CurrentPattern->name() : "?")
                  << "' did not match '" << N->name() << "': " << Reason << "\n";
  }

private:
  Graph &G;
  const GreedyOptions &Opts;
  PatternRewriter Rewriter;
  llvm::StringMap<llvm::SmallVector<const RewritePattern *, 2>> ByOp;
  std::vector<Node *> Worklist;
  llvm::DenseMap<Node *, size_t> Slot;
  const RewritePattern *CurrentPattern = nullptr;
};

void PatternRewriter::replaceNode(Node *Old, Node *New) {
  Driver.notifyReplaced(Old, New);
  eraseNode(Old);
}

void PatternRewriter::notifyNodeCreated(Node *N) { Driver.notifyCreated(N); }

void PatternRewriter::eraseNode(Node *N) {
  moveInsertionPointOffNode(N);
  Driver.eraseDead(N);
}

bool PatternRewriter::notifyMatchFailure(const Node *N, const llvm::Twine &Reason) {
  Driver.explainFailure(N, Reason);
  return false;
}

void PatternRewriter::notifyChanged(Node *N) {
  Driver.push(N);
  for (Node *U : N->users())
    Driver.push(U);
}

llvm::Expected<bool> applyPatternsGreedily(Graph &G,
                                           llvm::ArrayRef<std::unique_ptr<RewritePattern>> Patterns,
                                           const GreedyOptions &Opts) {
  return GreedyDriver(G, Patterns, Opts).run();
}

} // namespace qatc
