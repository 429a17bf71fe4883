//===- PrepareHooks.h - Callbacks every prepare runs first ------*- C++ -*-===//
//
// A prepare hook (registered by a plugin) looks at the float graph before
// prepare matches patterns and sets quantization decisions, for example
// keeping the first and last layers in float. Hooks run in registration
// order on every prepare: `qatc prepare`, the `prepare` pass, and whatever
// calls prepareForQAT. They must not change the graph.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_PREPAREHOOKS_H
#define QATC_PASSES_QUANT_PREPAREHOOKS_H

#include "ir/Graph.h"
#include "passes/QuantDecisions.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace qatc {

/// One hook: a unique name and what it runs.
struct PrepareHook {
  std::string Name;
  std::function<llvm::Error(Graph &, QuantDecisions &)> Run;
};

/// Adds a hook; fails when the name is taken.
llvm::Error addPrepareHook(PrepareHook Hook);

/// Every hook, in registration order.
const std::vector<PrepareHook> &prepareHooks();

} // namespace qatc

#endif // QATC_PASSES_QUANT_PREPAREHOOKS_H
