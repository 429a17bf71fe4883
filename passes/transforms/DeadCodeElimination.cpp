//===- DeadCodeElimination.cpp - The dce pass -----------------------------===//
#include "ir/PatternRewriter.h"
#include "passes/transforms/Transforms.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace qatc {

size_t eliminateDeadCode(Graph &G) {
  // Walking backwards visits every user before its operands, so one sweep
  // removes whole dead chains.
  size_t Erased = 0;
  for (auto It = G.nodes().rbegin(); It != G.nodes().rend();) {
    Node &N = *It++;
    if (isTriviallyDead(N)) {
      G.erase(&N);
      ++Erased;
    }
  }
  llvm::SmallPtrSet<const Parameter *, 32> Read;
  for (const Node &N : G.nodes())
    if (N.param())
      Read.insert(N.param());
  for (auto It = G.params().begin(); It != G.params().end();) {
    Parameter &P = *It++;
    // Model-wide QAT state (qat.step, qat.milestones, qat.bn_frozen) is read
    // by the runtime by name, not by get_attr nodes (docs/prepare.md).
    if (!Read.count(&P) && !P.name().startswith("qat."))
      G.eraseParameter(&P);
  }
  return Erased;
}

namespace {

class DeadCodeEliminationPass : public Pass {
public:
  llvm::StringRef name() const override { return "dce"; }
  llvm::Error run(Graph &G, PassContext &) override {
    eliminateDeadCode(G);
    return llvm::Error::success();
  }
};

} // namespace

llvm::Expected<std::unique_ptr<Pass>> createDeadCodeEliminationPass(const PassOptions &) {
  return std::make_unique<DeadCodeEliminationPass>();
}

} // namespace qatc
