//===- PreparedGraph.h - Conventions of a graph prepared for QAT -*- C++ -*-===//
//
// What prepare leaves in a graph for the runtime, finalize and `qatc stats`:
// the parameter names of the observer state behind each fake quant (a
// "site", shared by every fake quant that reads the same scale) and of the
// model-wide QAT state, and a census of the fake quants. docs/prepare.md
// describes the prepared form in full.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_PREPAREDGRAPH_H
#define QATC_PASSES_QUANT_PREPAREDGRAPH_H

#include "ir/Graph.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <cstdint>

namespace qatc {

/// Names of the parameters holding QAT state.
namespace qat_params {
/// Suffixes of a site's parameters, appended to the site name.
inline constexpr llvm::StringLiteral Scale = ".scale";
inline constexpr llvm::StringLiteral ZeroPoint = ".zero_point";
inline constexpr llvm::StringLiteral ObserverEnabled = ".observer_enabled";
inline constexpr llvm::StringLiteral FakeQuantEnabled = ".fake_quant_enabled";
inline constexpr llvm::StringLiteral MinVal = ".min_val";
inline constexpr llvm::StringLiteral MaxVal = ".max_val";
/// Model-wide state: the step counter (i64[1]), the milestones (i64[4],
/// absent when there are none) and the batch-norm freeze flag (u8[1]).
inline constexpr llvm::StringLiteral Step = "qat.step";
inline constexpr llvm::StringLiteral Milestones = "qat.milestones";
inline constexpr llvm::StringLiteral BatchNormFrozen = "qat.bn_frozen";
} // namespace qat_params

/// True for a fake_quantize whose every use is the weight operand of a
/// weighted layer (conv, conv_transpose, linear).
bool isWeightFakeQuant(const Node &FQ);

/// The identity of FQ's observer state: the parameter its scale operand
/// reads, or the scale node itself when it is not a get_attr.
const void *fakeQuantSite(const Node &FQ);

/// The fake quants of a graph, counted as `qatc stats` reports them.
struct FakeQuantCensus {
  /// Activation fake_quantize nodes.
  int64_t ActivationSites = 0;
  /// Distinct observer states among them.
  int64_t ActivationUnique = 0;
  /// Distinct activation states by kind: observed symmetric, observed
  /// affine, fixed qparams (these three add up to ActivationUnique).
  int64_t ActivationSymmetric = 0;
  int64_t ActivationAffine = 0;
  int64_t ActivationFixed = 0;
  /// Weight fake_quantize nodes.
  int64_t Weight = 0;
  /// Every fake_quantize node.
  int64_t total() const { return ActivationSites + Weight; }
};

/// Counts the fake quants of G.
FakeQuantCensus countFakeQuants(const Graph &G);

/// The census as `qatc stats` and `qatc prepare --json` print it:
/// activation_sites, activation_unique, activation_symmetric, activation_affine,
/// activation_fixed and weight.
llvm::json::Object fakeQuantCensusJson(const FakeQuantCensus &C);

} // namespace qatc

#endif // QATC_PASSES_QUANT_PREPAREDGRAPH_H
