//===- FusionMatcher.h - Finding the quantization patterns of a graph -*- C++ -*-===//
//
// Groups the nodes of a float graph into the patterns prepare quantizes as
// one unit (spec §2.5 G): a linear chain layer -> [batch_norm] -> [activation]
// or binary op -> [activation], where each intermediate result has exactly one
// use; every other quantizable op is a pattern of its own. Plugins may let
// more activations end a pattern (addFusion in BackendPatterns.h). Matching
// walks the graph once in program order, so a node joins the first pattern
// that can claim it.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_FUSIONMATCHER_H
#define QATC_PASSES_QUANT_FUSIONMATCHER_H

#include "ir/Graph.h"
#include "passes/quant/BackendPatterns.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace qatc {

/// One pattern: the nodes quantized as one unit.
struct PatternMatch {
  /// Members in data-flow order; the first is the root (the layer, binary
  /// op, batch norm or standalone op).
  llvm::SmallVector<Node *, 3> Members;
  /// The root's row of the backend pattern table.
  const BackendOp *Root = nullptr;
  /// The fused batch_norm of a weighted pattern, or null.
  Node *BatchNorm = nullptr;
  /// The fused activation (the last member), or null.
  Node *Activation = nullptr;
  /// The activation's row, or null.
  const BackendOp *ActivationRow = nullptr;

  Node *root() const { return Members.front(); }
  Node *last() const { return Members.back(); }
  /// The members' ops joined by `+` (`conv2d+batch_norm+relu`).
  std::string describe() const;
};

/// Every pattern of a graph, in program order of their roots.
struct PatternMatches {
  std::vector<PatternMatch> Patterns;
  /// The pattern each claimed node belongs to.
  llvm::DenseMap<const Node *, unsigned> PatternOf;

  /// The pattern N belongs to, or null.
  const PatternMatch *find(const Node *N) const {
    auto It = PatternOf.find(N);
    return It == PatternOf.end() ? nullptr : &Patterns[It->second];
  }
};

/// Matches the patterns of G (a float graph). Float and scale-only ops
/// belong to no pattern.
PatternMatches matchPatterns(const Graph &G);

} // namespace qatc

#endif // QATC_PASSES_QUANT_FUSIONMATCHER_H
