//===- PrepareExplain.cpp - Why prepare did or did not quantize each node -===//
#include "passes/quant/PrepareExplain.h"

#include "ir/Attribute.h"

namespace qatc {

namespace {

class Explainer {
public:
  Explainer(llvm::raw_ostream &OS, const PatternMatches &Matches, const PlacementPlan &Plan,
            const MaterializedPlan &Done)
      : OS(OS), Matches(Matches), Plan(Plan), Done(Done) {}

  void explain(const Node &N) {
    OS << "prepare: " << N.name() << ": ";
    if (N.isPlaceholder())
      explainInput(N);
    else if (const PatternMatch *M = Matches.find(&N))
      explainMember(N, *M);
    else
      explainFloat(N);
    OS << "\n";
  }

private:
  void explainInput(const Node &N) {
    auto It = Plan.SlotOfValue.find(&N);
    if (It == Plan.SlotOfValue.end()) {
      OS << "graph input; not fake-quantized (no quantized op reads it)";
      return;
    }
    OS << "graph input; fake quant ";
    slot(It->second);
  }

  void explainMember(const Node &N, const PatternMatch &M) {
    unsigned Index = Matches.PatternOf.lookup(&N);
    if (M.root() != &N) {
      OS << "fused into " << M.root()->name() << " (" << M.describe() << ")";
      return;
    }
    const PatternDecision &D = Plan.Patterns[Index];
    OS << M.describe() << " (" << patternKindName(M.Root->Kind) << ")";
    const ResolvedConfig &R = D.Resolved;
    if (!R.isQuantized() && R.Source == ConfigSource::Decision) {
      OS << " not quantized: kept in float by " << R.describe();
      via(R, N);
      return;
    }
    if (!R.isQuantized()) {
      OS << " not quantized: " << R.describe() << " is null";
      via(R, N);
      return;
    }
    OS << " quantized by " << R.describe();
    via(R, N);
    if (D.ExpandBatchNorm)
      OS << "; batch norm " << M.BatchNorm->name() << " folded into the weight for training";
    if (D.WeightSlot >= 0) {
      OS << "; weight ";
      slot(D.WeightSlot);
    } else if (M.Root->Kind == PatternKind::Weighted) {
      OS << "; weight stays float (weight_dtype float32)";
    }
    if (!D.Activations) {
      OS << "; activations stay float (activation_dtype float32)";
      return;
    }
    for (int S : D.InputSlots) {
      if (S < 0 || !Done.SlotNodes[S])
        continue;
      OS << "; input ";
      if (Plan.Slots[S].Pattern != Index) {
        OS << Done.SlotNodes[S]->name() << " (already fake-quantized)";
        continue;
      }
      slot(S);
    }
    if (D.OutputSlot >= 0) {
      OS << "; output ";
      slot(D.OutputSlot);
    }
  }

  /// Names the member whose name entry decided, when it is not the root.
  void via(const ResolvedConfig &R, const Node &Root) {
    if (!R.MatchedLayer.empty() && R.MatchedLayer != Root.name())
      OS << " (through " << R.MatchedLayer << ")";
  }

  void explainFloat(const Node &N) {
    const BackendOp &Row = backendOp(*N.op());
    if (Row.Kind == PatternKind::ScaleOnly) {
      auto Out = Plan.SlotOfValue.find(&N);
      OS << "not quantized (dropout only scales)";
      if (Out != Plan.SlotOfValue.end() && Plan.Slots[Out->second].Removed)
        OS << "; the fake quant after it was dropped because its input is fake-quantized";
      return;
    }
    if (!Row.FloatReason.empty())
      OS << "not quantized: " << Row.FloatReason;
    else
      OS << "not quantized: no quantization pattern for op " << N.opName();
  }

  /// `name (settings)` of a slot's fake quant.
  void slot(unsigned S) {
    const Node *FQ = Done.SlotNodes[S];
    const SiteDecision &Site = Plan.Sites[Plan.SiteOfSlot[S]];
    const std::string &SiteName = Done.SiteNames[Plan.SiteOfSlot[S]];
    const ModuleQuantizationConfig &C = *Site.Config;
    OS << FQ->name() << " (";
    if (SiteName != FQ->name())
      OS << "shares " << SiteName << ", ";
    if (Site.Fixed) {
      OS << "fixed qparams: scale ";
      printFloat(OS, Site.Fixed->FixedScale);
      OS << ", zero point " << Site.Fixed->FixedZeroPoint << " of " << Site.Fixed->Op << ")";
      return;
    }
    if (Site.Weight) {
      auto [Min, Max] = *C.weightQuantRange();
      if (FQ->getExplicitAttr("axis"))
        OS << "per channel on axis " << FQ->getInt("axis");
      else
        OS << "per tensor";
      OS << ", " << spell(C.WeightType) << " [" << Min << ", " << Max << "], " << spell(Site.Scheme)
         << ", " << spell(C.WeightObserver) << ", " << spell(C.Algo) << ")";
      return;
    }
    OS << "quint8, " << spell(Site.Scheme);
    if (Site.AffineBy >= 0 && Plan.Scheme == QuantizationScheme::Symmetric) {
      const FakeQuantSlot &By = Plan.Slots[Site.AffineBy];
      switch (By.Reason) {
      case AffineReason::NonNegative: OS << " after non-negative " << By.ReasonNode->name(); break;
      case AffineReason::Dropout: OS << " passed through dropout " << By.ReasonNode->name(); break;
      case AffineReason::AffineInputs:
        OS << " as " << By.ReasonNode->name() << " combines affine inputs";
        break;
      case AffineReason::None: break;
      }
    } else if (Site.KeptSymmetricBy) {
      OS << " because " << Site.KeptSymmetricBy->name() << " concatenates signed data";
    }
    OS << ", " << spell(C.ActivationObserver) << ", " << spell(C.Algo) << ")";
  }

  llvm::raw_ostream &OS;
  const PatternMatches &Matches;
  const PlacementPlan &Plan;
  const MaterializedPlan &Done;
};

} // namespace

void explainPrepare(llvm::raw_ostream &OS, llvm::ArrayRef<const Node *> Nodes,
                    const PatternMatches &Matches, const PlacementPlan &Plan,
                    const MaterializedPlan &Done) {
  Explainer E(OS, Matches, Plan, Done);
  for (const Node *N : Nodes)
    E.explain(*N);
}

} // namespace qatc
