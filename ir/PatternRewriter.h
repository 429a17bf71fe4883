//===- PatternRewriter.h - Rooted rewrite patterns and their driver -*- C++ -*-===//
//
// A rewrite pattern is rooted on one op and has a benefit. The greedy driver
// applies patterns over a worklist until nothing changes, erasing nodes that
// become dead. A pattern that does not match may say why, which the driver
// reports when asked (debuggable fusions).
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_PATTERNREWRITER_H
#define QATC_IR_PATTERNREWRITER_H

#include "ir/Builder.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace qatc {

class GreedyDriver;

/// A Builder that also replaces and erases nodes, keeping the driver's
/// worklist informed.
class PatternRewriter : public Builder {
public:
  /// Replaces every use of Old by New and erases Old.
  void replaceNode(Node *Old, Node *New);
  /// Erases a node that has no uses.
  void eraseNode(Node *N);
  /// Records why a pattern did not match N; returns false for `return
  /// rewriter.notifyMatchFailure(...)`.
  bool notifyMatchFailure(const Node *N, const llvm::Twine &Reason);
  /// Marks N as changed in place (its users are revisited).
  void notifyChanged(Node *N);

protected:
  void notifyNodeCreated(Node *N) override;

private:
  friend class GreedyDriver;
  PatternRewriter(Graph &G, GreedyDriver &D) : Builder(G), Driver(D) {}
  GreedyDriver &Driver;
};

/// A rewrite rooted on calls of one op.
class RewritePattern {
public:
  RewritePattern(llvm::StringRef RootOp, unsigned Benefit, llvm::StringRef Name)
      : RootOp(RootOp.str()), Benefit(Benefit), Name(Name.str()) {}
  virtual ~RewritePattern() = default;

  llvm::StringRef rootOp() const { return RootOp; }
  unsigned benefit() const { return Benefit; }
  llvm::StringRef name() const { return Name; }

  /// Tries to rewrite Root (a call of rootOp()). Returns true if it changed
  /// the graph; otherwise it must leave the graph untouched.
  virtual bool matchAndRewrite(Node *Root, PatternRewriter &Rewriter) const = 0;

private:
  std::string RootOp;
  unsigned Benefit;
  std::string Name;
};

/// Options of the greedy driver.
struct GreedyOptions {
  /// Rewrites allowed before the driver gives up (guards against cycles).
  size_t MaxRewrites = 10'000'000;
  /// If set, match failures and applied patterns are described here.
  llvm::raw_ostream *Explain = nullptr;
};

/// Applies Patterns to G until no pattern applies. Returns whether anything
/// changed, or an error if the rewrite budget ran out.
llvm::Expected<bool> applyPatternsGreedily(Graph &G,
                                           llvm::ArrayRef<std::unique_ptr<RewritePattern>> Patterns,
                                           const GreedyOptions &Opts = {});

/// True for call and get_attr nodes without uses, which can be erased.
bool isTriviallyDead(const Node &N);

} // namespace qatc

#endif // QATC_IR_PATTERNREWRITER_H
