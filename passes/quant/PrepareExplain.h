//===- PrepareExplain.h - Why prepare did or did not quantize each node -*- C++ -*-===//
//
// The `--explain` report of prepare: one line per graph input and op of the
// float graph, naming the pattern that matched, the config entry that
// applied, the fake quants inserted and why their scheme was chosen.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_PREPAREEXPLAIN_H
#define QATC_PASSES_QUANT_PREPAREEXPLAIN_H

#include "passes/quant/PlacementPlan.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace qatc {

/// The materialized plan: the fake_quantize node of each live slot (null for
/// removed ones) and the parameter prefix of each site.
struct MaterializedPlan {
  std::vector<Node *> SlotNodes;
  std::vector<std::string> SiteNames;
};

/// Prints the report for Nodes (the float graph's placeholders and calls, in
/// program order) to OS, one line each, prefixed `prepare: `.
void explainPrepare(llvm::raw_ostream &OS, llvm::ArrayRef<const Node *> Nodes,
                    const PatternMatches &Matches, const PlacementPlan &Plan,
                    const MaterializedPlan &Done);

} // namespace qatc

#endif // QATC_PASSES_QUANT_PREPAREEXPLAIN_H
