//===- PlacementPlan.h - Where prepare puts fake quants, and with which scheme -*- C++ -*-===//
//
// Decides, before the graph is touched, every fake quant prepare inserts
// (a slot: which tensor, for which pattern, which operands read it) and every
// observer state (a site: the slots that share one scale and zero point, with
// its scheme). The rules are coremltools' (spec §2.6-2.7):
//
//   * each quantized pattern puts an input fake quant on every tensor operand
//     that is not fake-quantized yet (one per tensor, reused by later
//     consumers) and one output fake quant after its last node, which all
//     users then read; weighted layers add a weight fake quant;
//   * a shared-qparams op's output fake quant joins its input's site, and cat
//     joins all its inputs' sites with its output;
//   * in symmetric mode, a site becomes affine when one of its fake quants
//     directly follows a non-negative producer (relu, relu6, any pattern
//     ending in them), follows a dropout whose input is such a fake quant, or
//     is the output of an add/mul whose inputs are all affine; a cat whose
//     inputs are not all affine clears those marks, so signed data keeps the
//     symmetric range;
//   * fixed-qparams activations (standalone or fused) give their output site
//     constant qparams;
//   * the fake quant right after a dropout whose input is fake-quantized is
//     dropped.
//
// docs/prepare.md lists where this deliberately differs from coremltools.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_PLACEMENTPLAN_H
#define QATC_PASSES_QUANT_PLACEMENTPLAN_H

#include "passes/QuantDecisions.h"
#include "passes/quant/ConfigResolver.h"
#include "passes/quant/FusionMatcher.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <utility>
#include <vector>

namespace qatc {

/// What a slot quantizes.
enum class SlotRole : uint8_t {
  /// A pattern's input that was not fake-quantized yet.
  Input,
  /// A pattern's result; every user reads the fake quant.
  Output,
  /// A weighted layer's weight.
  Weight,
};

/// Why a slot's site takes the affine scheme in symmetric mode.
enum class AffineReason : uint8_t {
  None,
  /// Right after a pattern ending in relu or relu6.
  NonNegative,
  /// After a dropout whose input fake quant is affine.
  Dropout,
  /// Output of an add or mul whose inputs are all affine.
  AffineInputs,
};

/// One fake quant to insert.
struct FakeQuantSlot {
  /// The tensor it quantizes.
  Node *Value = nullptr;
  /// Index of the pattern that asked for it.
  unsigned Pattern = 0;
  SlotRole Role = SlotRole::Input;
  /// Input and weight slots: the (user, operand number) pairs that read it.
  llvm::SmallVector<std::pair<Node *, unsigned>, 2> Uses;
  /// The output of a shared-qparams op (a child of its input's site).
  bool SharedOutput = false;
  /// Dropped because it directly follows a dropout of fake-quantized data.
  bool Removed = false;
  /// Counts as affine for add, mul and cat (coremltools' replacement marks).
  bool Marked = false;
  /// Marked for its own sake (not as a shared child); makes its site affine.
  AffineReason Reason = AffineReason::None;
  /// The node whose output made it affine (the relu, dropout, add, ...).
  const Node *ReasonNode = nullptr;
  /// The fixed-qparams activation whose output this is, or null.
  const BackendOp *Fixed = nullptr;
  /// Fixed by a standalone op (affine from the start, so it counts as an
  /// affine input of add and mul), not by an activation fused into a layer.
  bool FixedStandalone = false;
  /// The config of the slot's pattern.
  const ModuleQuantizationConfig *Config = nullptr;
};

/// One observer state and the slots sharing it.
struct SiteDecision {
  /// Live slots of the site, in creation order.
  llvm::SmallVector<unsigned, 2> Slots;
  /// Constant qparams, or null for an observed site.
  const BackendOp *Fixed = nullptr;
  QuantizationScheme Scheme = QuantizationScheme::Symmetric;
  /// The slot that made the site affine in symmetric mode, or -1.
  int AffineBy = -1;
  /// The cat that kept the site symmetric by clearing marks, or null.
  const Node *KeptSymmetricBy = nullptr;
  /// Whose observer, dtype and algorithm settings apply: the config of the
  /// first slot created for the site.
  const ModuleQuantizationConfig *Config = nullptr;
  /// A weight's site (per channel when the config says so), never shared.
  bool Weight = false;
};

/// What prepare does with one pattern.
struct PatternDecision {
  ResolvedConfig Resolved;
  /// Input and output fake quants.
  bool Activations = false;
  /// A weight fake quant.
  bool Weights = false;
  /// Rewrite conv + batch_norm into the QAT training form.
  bool ExpandBatchNorm = false;
  /// Slot of each root operand (each cat input), -1 when not quantized.
  llvm::SmallVector<int, 2> InputSlots;
  int OutputSlot = -1;
  int WeightSlot = -1;
};

/// Every fake quant and observer state prepare creates for one graph.
struct PlacementPlan {
  std::vector<PatternDecision> Patterns;
  std::vector<FakeQuantSlot> Slots;
  std::vector<SiteDecision> Sites;
  /// The site of each slot (-1 for removed slots).
  std::vector<int> SiteOfSlot;
  /// The slot that fake-quantizes a tensor for quantized consumers.
  llvm::DenseMap<const Node *, unsigned> SlotOfValue;
  /// The model-wide scheme (symmetric mode enables the affine switches).
  QuantizationScheme Scheme = QuantizationScheme::Symmetric;

  /// Plans G's fake quants for the matched patterns under Resolver's config;
  /// a pattern with a member Decisions keeps float stays float.
  static PlacementPlan build(const Graph &G, const PatternMatches &Matches,
                             const ConfigResolver &Resolver,
                             const QuantDecisions *Decisions = nullptr);
};

} // namespace qatc

#endif // QATC_PASSES_QUANT_PLACEMENTPLAN_H
