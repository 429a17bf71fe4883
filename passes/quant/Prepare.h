//===- Prepare.h - Preparing a float graph for quantization-aware training -*- C++ -*-===//
//
// prepare: match the backend patterns (conv/linear [+ batch norm] [+ act],
// binary op [+ act], activations, shared- and fixed-qparams ops), resolve one
// config per pattern, and insert fake_quantize nodes where coremltools'
// LinearQuantizer puts them, with their observer state in graph parameters,
// conv + batch norm in the training form, and the QAT step milestones.
// docs/prepare.md describes the result and every difference from coremltools.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_PREPARE_H
#define QATC_PASSES_QUANT_PREPARE_H

#include "ir/Graph.h"
#include "passes/QuantDecisions.h"
#include "passes/quant/ConfigResolver.h"
#include "passes/quant/PreparedGraph.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {

/// Options of prepareForQAT.
struct PrepareOptions {
  /// When set, one line per node says why it was or was not quantized: the
  /// pattern that matched and the config entry that applied.
  llvm::raw_ostream *Explain = nullptr;
  /// Nodes to keep in float whatever the config says (from earlier passes);
  /// the registered prepare hooks (PrepareHooks.h) add theirs.
  const QuantDecisions *Decisions = nullptr;
};

/// What prepare did to a graph.
struct PrepareSummary {
  /// Patterns matched, and how many of them a config quantizes.
  size_t Patterns = 0;
  size_t QuantizedPatterns = 0;
  /// Conv + batch norm pairs rewritten into the training form.
  size_t BatchNormsFolded = 0;
  /// The fake quants inserted.
  FakeQuantCensus FakeQuants;
};

/// Prepares the float graph G for QAT under Resolver's config, after running
/// the prepare hooks. Fails before touching G when G already holds
/// quantization ops or QAT state, or a hook fails.
llvm::Expected<PrepareSummary> prepareForQAT(Graph &G, const ConfigResolver &Resolver,
                                             const PrepareOptions &Opts = {});

} // namespace qatc

#endif // QATC_PASSES_QUANT_PREPARE_H
