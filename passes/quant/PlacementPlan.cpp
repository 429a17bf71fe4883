//===- PlacementPlan.cpp - Where prepare puts fake quants, and with which scheme ===//
#include "passes/quant/PlacementPlan.h"

#include "llvm/ADT/STLExtras.h"

namespace qatc {

namespace {

/// True for an operand a fake quant can apply to: a float tensor that is not a
/// one-element constant (coremltools never observes Python scalars, which
/// QIR keeps as parameters).
bool isQuantizableOperand(const Node *V, bool AllowScalarConstant) {
  const Type &T = V->type();
  if (!T.isTensor() || !isFloatDType(T.dtype()))
    return false;
  if (!AllowScalarConstant && V->isGetAttr() && T.numElements().value_or(2) <= 1)
    return false;
  return true;
}

class Planner {
public:
  Planner(const Graph &G, const PatternMatches &Matches, const ConfigResolver &Resolver,
          const QuantDecisions *Decisions)
      : G(G), Matches(Matches), Resolver(Resolver), Decisions(Decisions) {}

  PlacementPlan run() {
    Plan.Scheme = Resolver.effectiveGlobal().Config.Scheme;
    decide();
    place();
    dropAfterDropout();
    collectSites();
    if (Plan.Scheme == QuantizationScheme::Symmetric) {
      markNonNegative();
      markCombinations();
    }
    finishSites();
    return std::move(Plan);
  }

private:
  // Union-find over slots: the site of a slot is its root.
  unsigned find(unsigned S) {
    while (Parent[S] != S)
      S = Parent[S] = Parent[Parent[S]];
    return S;
  }
  void unite(unsigned A, unsigned B) {
    A = find(A);
    B = find(B);
    // The earlier slot stays the root, so a site's first slot is its root.
    if (A != B)
      Parent[std::max(A, B)] = std::min(A, B);
  }

  unsigned newSlot(Node *Value, unsigned Pattern, SlotRole Role) {
    FakeQuantSlot S;
    S.Value = Value;
    S.Pattern = Pattern;
    S.Role = Role;
    S.Config = Plan.Patterns[Pattern].Resolved.Config;
    Plan.Slots.push_back(std::move(S));
    Parent.push_back(Parent.size());
    return Plan.Slots.size() - 1;
  }

  /// True when a quantization decision keeps a member of M in float; R
  /// then names it (the root's decision first, as name entries are matched).
  bool decidedFloat(const PatternMatch &M, ResolvedConfig &R) const {
    if (!Decisions || Decisions->empty())
      return false;
    for (const Node *N : M.Members)
      if (const std::string *By = Decisions->floatDecision(N->name())) {
        R.Config = nullptr;
        R.Source = ConfigSource::Decision;
        R.Key = *By;
        R.MatchedLayer = N->name();
        return true;
      }
    return false;
  }

  /// Resolves every pattern's config.
  void decide() {
    llvm::SmallVector<LayerRef, 3> Refs;
    for (const PatternMatch &M : Matches.Patterns) {
      Refs.clear();
      for (const Node *N : M.Members)
        Refs.push_back({N->name(), N->opName()});
      PatternDecision D;
      if (!decidedFloat(M, D.Resolved))
        D.Resolved = Refs.size() == 1 ? Resolver.resolve(Refs.front()) : Resolver.resolveGroup(Refs);
      const ModuleQuantizationConfig *C = D.Resolved.Config;
      D.Activations = C && C->quantizesActivations();
      bool Weighted = M.Root->Kind == PatternKind::Weighted;
      D.Weights = C && Weighted && C->quantizesWeights() && M.root()->numOperands() >= 2 &&
                  isQuantizableOperand(M.root()->operand(1), true);
      D.ExpandBatchNorm = C && M.BatchNorm;
      Plan.Patterns.push_back(std::move(D));
    }
  }

  /// The slot fake-quantizing operand Index of User, creating or extending one.
  int inputSlot(unsigned Pattern, Node *User, unsigned Index, bool AllowScalarConstant) {
    Node *V = User->operand(Index);
    if (!isQuantizableOperand(V, AllowScalarConstant))
      return -1;
    auto It = Plan.SlotOfValue.find(V);
    if (It != Plan.SlotOfValue.end()) {
      FakeQuantSlot &S = Plan.Slots[It->second];
      if (S.Role == SlotRole::Input)
        S.Uses.push_back({User, Index});
      return It->second;
    }
    unsigned S = newSlot(V, Pattern, SlotRole::Input);
    Plan.Slots[S].Uses.push_back({User, Index});
    Plan.SlotOfValue[V] = S;
    return S;
  }

  /// Creates the slots of every pattern, in program order of their roots
  /// (producers before consumers, so a tensor is fake-quantized once).
  void place() {
    for (unsigned P = 0; P < Matches.Patterns.size(); ++P) {
      const PatternMatch &M = Matches.Patterns[P];
      PatternDecision &D = Plan.Patterns[P];
      Node *Root = M.root();
      PatternKind Kind = M.Root->Kind;
      if (D.Activations) {
        unsigned NumInputs = Kind == PatternKind::Binary ||
                                     (Kind == PatternKind::SharedQParams && Root->isCallTo("cat"))
                                 ? Root->numOperands()
                                 : std::min(1u, Root->numOperands());
        for (unsigned I = 0; I < NumInputs; ++I)
          D.InputSlots.push_back(inputSlot(P, Root, I, Kind != PatternKind::Binary));
      }
      if (D.Weights) {
        unsigned W = newSlot(Root->operand(1), P, SlotRole::Weight);
        Plan.Slots[W].Uses.push_back({Root, 1});
        D.WeightSlot = W;
      }
      if (!D.Activations || !isQuantizableOperand(M.last(), true))
        continue;
      unsigned Out = newSlot(M.last(), P, SlotRole::Output);
      Plan.SlotOfValue[M.last()] = Out;
      D.OutputSlot = Out;
      FakeQuantSlot &S = Plan.Slots[Out];
      if (Kind == PatternKind::SharedQParams) {
        S.SharedOutput = true;
        for (int In : D.InputSlots)
          if (In >= 0)
            unite(In, Out);
      } else if (Kind == PatternKind::FixedQParams) {
        S.Fixed = M.Root;
        S.FixedStandalone = true;
      } else if (M.ActivationRow && M.ActivationRow->Kind == PatternKind::FixedQParams) {
        S.Fixed = M.ActivationRow;
      }
    }
  }

  /// coremltools removes the fake quant right after a dropout whose input is
  /// fake-quantized: in inference dropout is the identity, and requantizing
  /// the train-time 1/(1-p) scaling only costs accuracy.
  void dropAfterDropout() {
    for (const Node &N : G.nodes()) {
      if (!N.isCall() || backendOp(*N.op()).Kind != PatternKind::ScaleOnly)
        continue;
      if (!Plan.SlotOfValue.count(N.operand(0)))
        continue;
      auto It = Plan.SlotOfValue.find(&N);
      if (It != Plan.SlotOfValue.end())
        Plan.Slots[It->second].Removed = true;
    }
  }

  void collectSites() {
    Members.assign(Plan.Slots.size(), {});
    for (unsigned S = 0; S < Plan.Slots.size(); ++S)
      Members[find(S)].push_back(S);
  }

  /// Marks slot S affine for its own sake; its site's shared-op outputs count
  /// as affine too (coremltools repoints them to the replacement).
  void mark(unsigned S, AffineReason Why, const Node *ByNode) {
    FakeQuantSlot &Slot = Plan.Slots[S];
    Slot.Marked = true;
    Slot.Reason = Why;
    Slot.ReasonNode = ByNode;
    for (unsigned C : Members[find(S)])
      if (Plan.Slots[C].SharedOutput)
        Plan.Slots[C].Marked = true;
  }

  /// True when pattern M ends in an op whose output is never negative.
  static bool endsNonNegative(const PatternMatch &M) {
    return (M.Activation ? *M.ActivationRow : *M.Root).NonNegative;
  }

  /// The fake quant that directly follows pattern P's result and is its only
  /// user: P's output slot or, when P stays float, its consumers' input slot
  /// (coremltools looks at the op type, not at whether it is quantized).
  int nextSlot(unsigned P) {
    const PatternDecision &D = Plan.Patterns[P];
    if (D.OutputSlot >= 0)
      return D.OutputSlot;
    const Node *Last = Matches.Patterns[P].last();
    auto It = Plan.SlotOfValue.find(Last);
    if (It != Plan.SlotOfValue.end() && Plan.Slots[It->second].Uses.size() == Last->numUses())
      return It->second;
    return -1;
  }

  /// The slot operand I of User reads, or -1.
  int operandSlot(const Node *User, unsigned I) const {
    auto It = Plan.SlotOfValue.find(User->operand(I));
    if (It == Plan.SlotOfValue.end())
      return -1;
    const FakeQuantSlot &S = Plan.Slots[It->second];
    if (S.Role == SlotRole::Output ||
        llvm::is_contained(S.Uses, std::make_pair(const_cast<Node *>(User), I)))
      return It->second;
    return -1;
  }

  /// Whether operand I of User counts as affine for add, mul and cat: a
  /// marked or fixed standalone fake quant, or (unquantized) the result of
  /// a non-negative pattern.
  bool isAffineOperand(const Node *User, unsigned I) const {
    int S = operandSlot(User, I);
    if (S >= 0)
      return Plan.Slots[S].Marked || Plan.Slots[S].FixedStandalone;
    const Node *V = User->operand(I);
    const PatternMatch *M = Matches.find(V);
    return M && M->last() == V && endsNonNegative(*M);
  }

  /// Symmetric mode, first pass in program order: outputs of non-negative
  /// patterns, and dropout passing such an output through.
  void markNonNegative() {
    for (const Node &N : G.nodes()) {
      if (!N.isCall())
        continue;
      if (const PatternMatch *M = Matches.find(&N)) {
        if (M->last() != &N || !endsNonNegative(*M))
          continue;
        if (int Next = nextSlot(Matches.PatternOf.lookup(&N)); Next >= 0)
          mark(Next, AffineReason::NonNegative, &N);
        continue;
      }
      if (backendOp(*N.op()).Kind != PatternKind::ScaleOnly)
        continue;
      auto In = Plan.SlotOfValue.find(N.operand(0));
      auto Out = Plan.SlotOfValue.find(&N);
      if (In == Plan.SlotOfValue.end() || Out == Plan.SlotOfValue.end() ||
          !Plan.Slots[In->second].Marked)
        continue;
      // Only when the fake quant is the dropout's one user.
      if (Plan.Slots[Out->second].Uses.size() == N.numUses())
        mark(Out->second, AffineReason::Dropout, &N);
    }
  }

  /// Symmetric mode, second pass in program order: add and mul of affine
  /// inputs become affine; a cat of mixed inputs clears its inputs' marks.
  void markCombinations() {
    for (unsigned P = 0; P < Matches.Patterns.size(); ++P) {
      const PatternMatch &M = Matches.Patterns[P];
      const Node *Root = M.root();
      bool IsCat = Root->isCallTo("cat");
      if (!(M.Root->Combination && !M.Activation) && !IsCat)
        continue;
      bool AllAffine = true;
      for (unsigned I = 0; I < Root->numOperands(); ++I)
        AllAffine &= isAffineOperand(Root, I);
      if (!IsCat) {
        if (int Next = nextSlot(P); AllAffine && Next >= 0)
          mark(Next, AffineReason::AffineInputs, Root);
        continue;
      }
      if (AllAffine)
        continue;
      for (unsigned I = 0; I < Root->numOperands(); ++I) {
        int S = operandSlot(Root, I);
        if (S < 0)
          continue;
        Plan.Slots[S].Marked = false;
        Plan.Slots[S].Reason = AffineReason::None;
        ClearedBy[find(S)] = Root;
      }
    }
  }

  /// Turns every union of live slots into a site.
  void finishSites() {
    Plan.SiteOfSlot.assign(Plan.Slots.size(), -1);
    for (unsigned Root = 0; Root < Plan.Slots.size(); ++Root) {
      if (find(Root) != Root)
        continue;
      SiteDecision Site;
      const FakeQuantSlot *Entry = nullptr;
      bool AllFixed = true;
      for (unsigned S : Members[Root]) {
        const FakeQuantSlot &Slot = Plan.Slots[S];
        if (Slot.Reason != AffineReason::None && Site.AffineBy < 0)
          Site.AffineBy = S;
        if (Slot.Removed)
          continue;
        Site.Slots.push_back(S);
        if (Slot.SharedOutput)
          continue;
        // A cat may join a fixed output with observed ones; constants that
        // cannot hold for every input give way to an observer.
        if (!Slot.Fixed || (Entry && (Entry->Fixed->FixedScale != Slot.Fixed->FixedScale ||
                                      Entry->Fixed->FixedZeroPoint != Slot.Fixed->FixedZeroPoint)))
          AllFixed = false;
        if (!Entry)
          Entry = &Slot;
      }
      if (Site.Slots.empty())
        continue;
      const FakeQuantSlot &First = Plan.Slots[Site.Slots.front()];
      Site.Config = First.Config;
      Site.Weight = First.Role == SlotRole::Weight;
      if (Entry && AllFixed) {
        Site.Fixed = Entry->Fixed;
        Site.Scheme = QuantizationScheme::Affine;
        Site.AffineBy = -1;
      } else if (Plan.Scheme == QuantizationScheme::Affine || Site.AffineBy >= 0) {
        Site.Scheme = QuantizationScheme::Affine;
      } else {
        Site.Scheme = QuantizationScheme::Symmetric;
        Site.KeptSymmetricBy = ClearedBy.lookup(Root);
      }
      if (Site.Weight)
        Site.Scheme = First.Config->Scheme;
      for (unsigned S : Site.Slots)
        Plan.SiteOfSlot[S] = Plan.Sites.size();
      Plan.Sites.push_back(std::move(Site));
    }
  }

  const Graph &G;
  const PatternMatches &Matches;
  const ConfigResolver &Resolver;
  const QuantDecisions *Decisions;
  PlacementPlan Plan;
  std::vector<unsigned> Parent;
  std::vector<llvm::SmallVector<unsigned, 2>> Members;
  llvm::DenseMap<unsigned, const Node *> ClearedBy;
};

} // namespace

PlacementPlan PlacementPlan::build(const Graph &G, const PatternMatches &Matches,
                                   const ConfigResolver &Resolver,
                                   const QuantDecisions *Decisions) {
  return Planner(G, Matches, Resolver, Decisions).run();
}

} // namespace qatc
