//===- Prepare.cpp - Preparing a float graph for quantization-aware training ===//
#include "passes/quant/Prepare.h"

#include "ir/Builder.h"
#include "passes/quant/ConvBatchNormTraining.h"
#include "passes/quant/FusionMatcher.h"
#include "passes/quant/PlacementPlan.h"
#include "passes/quant/PrepareExplain.h"
#include "passes/quant/PrepareHooks.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cstring>
#include <limits>
#include <optional>
#include <tuple>

namespace qatc {

namespace {

llvm::Error prepareError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message.str());
}

/// G must be a float graph without QAT state.
llvm::Error checkUnprepared(const Graph &G) {
  for (const Node &N : G.nodes())
    if (N.isCall() && N.op()->quantRole() == QuantRole::Quantization)
      return prepareError("graph '" + G.name() + "': node '" + N.name() + "' is a " + N.opName() +
                          "; prepare takes a float graph, so run it once, before finalize");
  for (llvm::StringRef Name :
       {qat_params::Step, qat_params::Milestones, qat_params::BatchNormFrozen})
    if (G.lookupParameter(Name))
      return prepareError("graph '" + G.name() + "': parameter '" + Name +
                          "' already exists; the graph has been prepared already");
  return llvm::Error::success();
}

/// The output-channel axis of a per-channel weight site, or nullopt.
std::optional<int64_t> weightAxis(const PatternMatches &Matches, const PlacementPlan &Plan,
                                  const SiteDecision &Site) {
  if (!Site.Weight || !Site.Config->WeightPerChannel)
    return std::nullopt;
  return Matches.Patterns[Plan.Slots[Site.Slots.front()].Pattern].Root->WeightAxis;
}

/// Per-channel weight fake quants need the channel count; checked before the
/// graph changes.
llvm::Error checkWeightChannels(const PatternMatches &Matches, const PlacementPlan &Plan) {
  for (const SiteDecision &Site : Plan.Sites) {
    std::optional<int64_t> Axis = weightAxis(Matches, Plan, Site);
    if (!Axis)
      continue;
    const FakeQuantSlot &Lead = Plan.Slots[Site.Slots.front()];
    const Type &T = Lead.Value->type();
    if (T.hasRank() && *Axis < int64_t(T.rank()) && T.dim(*Axis) >= 0)
      continue;
    return prepareError("node '" + Matches.Patterns[Lead.Pattern].root()->name() +
                        "': its weight " + T.str() + " has no static size on axis " +
                        llvm::Twine(*Axis) +
                        ", which per-channel fake quant needs; set weight_per_channel: false");
  }
  return llvm::Error::success();
}

/// Little-endian bytes of N copies of V.
template <typename T> std::vector<uint8_t> filled(int64_t N, T V) {
  std::vector<uint8_t> Bytes(N * sizeof(T));
  for (int64_t I = 0; I < N; ++I)
    std::memcpy(Bytes.data() + I * sizeof(T), &V, sizeof(T));
  return Bytes;
}

/// What the plan inserts, counted as countFakeQuants counts a prepared graph
/// (without walking the graph again).
FakeQuantCensus censusOf(const PlacementPlan &Plan) {
  FakeQuantCensus C;
  for (const SiteDecision &Site : Plan.Sites) {
    if (Site.Weight) {
      C.Weight += Site.Slots.size();
      continue;
    }
    C.ActivationSites += Site.Slots.size();
    ++C.ActivationUnique;
    if (Site.Fixed)
      ++C.ActivationFixed;
    else if (Site.Scheme == QuantizationScheme::Symmetric)
      ++C.ActivationSymmetric;
    else
      ++C.ActivationAffine;
  }
  return C;
}

/// Inserts the fake quants of a plan and the parameters behind them.
class Materializer {
public:
  Materializer(Graph &G, const PatternMatches &Matches, PlacementPlan &Plan,
               const EffectiveGlobalConfig &Global)
      : G(G), B(G), Matches(Matches), Plan(Plan), Global(Global),
        FakeQuantOp(OpRegistry::get().lookup("fake_quantize")) {}

  llvm::Expected<MaterializedPlan> run(size_t &Folded) {
    Flag = Global.Config.StepMilestones ? 0 : 1;
    reserveNames();
    if (auto E = foldBatchNorms(Folded))
      return E;
    createFakeQuants();
    createSites();
    addModelState();
    return std::move(Done);
  }

private:
  /// Grows the graph's name tables once for every node and parameter the
  /// plan adds (at most; a batch norm without bias adds two nodes fewer).
  void reserveNames() {
    size_t Nodes = 0, Params = 3;
    for (const PatternDecision &D : Plan.Patterns)
      Nodes += D.ExpandBatchNorm ? ConvBatchNormNewNodes : 0;
    for (const FakeQuantSlot &Slot : Plan.Slots)
      Nodes += !Slot.Removed;
    for (const SiteDecision &Site : Plan.Sites) {
      Nodes += stateSuffixes(Site).size();
      Params += stateSuffixes(Site).size();
    }
    G.reserveNames(Nodes, Params);
  }

  /// Rewrites every quantized conv + batch norm pair into the training form;
  /// the weight fake quant then reads the scaled weight.
  llvm::Error foldBatchNorms(size_t &Folded) {
    std::vector<unsigned> Folds;
    for (unsigned P = 0; P < Matches.Patterns.size(); ++P)
      if (Plan.Patterns[P].ExpandBatchNorm)
        Folds.push_back(P);
    for (unsigned I = 0; I < Folds.size(); ++I) {
      if (I + LookAhead < Folds.size())
        prefetchConvBatchNormNames(G, Matches.Patterns[Folds[I + LookAhead]].root());
      unsigned P = Folds[I];
      const PatternMatch &M = Matches.Patterns[P];
      PatternDecision &D = Plan.Patterns[P];
      auto Scaled = expandConvBatchNorm(G, M.root(), M.Root->WeightAxis, M.BatchNorm);
      if (!Scaled)
        return Scaled.takeError();
      if (D.WeightSlot >= 0)
        Plan.Slots[D.WeightSlot].Value = *Scaled;
      ++Folded;
    }
    return llvm::Error::success();
  }

  /// One fake_quantize per live slot, right after the tensor it quantizes;
  /// operands other than the input come with the site parameters.
  void createFakeQuants() {
    Done.SlotNodes.assign(Plan.Slots.size(), nullptr);
    for (unsigned S = 0; S < Plan.Slots.size(); ++S) {
      if (S + 4 * LookAhead < Plan.Slots.size() && !Plan.Slots[S + 4 * LookAhead].Removed)
        G.prefetchNodeName(joined(Plan.Slots[S + 4 * LookAhead].Value->name(), ".fq"));
      FakeQuantSlot &Slot = Plan.Slots[S];
      if (Slot.Removed)
        continue;
      B.setInsertionPointAfter(Slot.Value);
      B.setLoc(Slot.Value->loc());
      Node *FQ = B.callWithType(FakeQuantOp, {}, {}, Slot.Value->type(),
                                joined(Slot.Value->name(), ".fq"));
      if (Slot.Role == SlotRole::Output)
        Slot.Value->replaceAllUsesWith(FQ);
      else
        for (auto &[User, Operand] : Slot.Uses)
          User->setOperand(Operand, FQ);
      Done.SlotNodes[S] = FQ;
    }
  }

  /// `Base` + `Suffix` in a reused buffer (prepare creates millions of names
  /// on large graphs).
  llvm::StringRef joined(llvm::StringRef Base, llvm::StringRef Suffix) {
    NameBuffer.assign(Base.begin(), Base.end());
    NameBuffer.append(Suffix.begin(), Suffix.end());
    return NameBuffer;
  }

  /// Remembers the prefixes of parameters that already end in a state
  /// suffix: only those can collide with a site's parameters (sites are named
  /// after distinct nodes, and the suffixes end differently).
  void collectTakenSiteNames() {
    for (const Parameter &P : G.params())
      for (llvm::StringRef Suffix : StateSuffixes)
        if (P.name().endswith(Suffix))
          TakenSiteNames.insert(P.name().drop_back(Suffix.size()));
  }

  /// A parameter prefix free for every state suffix, derived from Base.
  std::string freeSiteName(llvm::StringRef Base) {
    std::string Name = Base.str();
    for (unsigned I = 1; TakenSiteNames.count(Name); ++I)
      Name = (Base + "_" + llvm::Twine(I)).str();
    return Name;
  }

  Parameter *addState(llvm::StringRef Site, llvm::StringRef Suffix, DType T, int64_t N,
                      std::vector<uint8_t> Bytes) {
    Parameter *P = G.addParameter(joined(Site, Suffix), Type::tensor(T, {N}));
    P->setData(std::move(Bytes));
    return P;
  }

  /// Creates each site's parameters right before its first fake quant, then
  /// gives every fake quant of the site its operands and attributes.
  void createSites() {
    collectTakenSiteNames();
    size_t N = Plan.Sites.size();
    std::vector<Node *> First(N);
    Done.SiteNames.resize(N);
    for (unsigned I = 0; I < N; ++I) {
      First[I] = firstFakeQuant(Plan.Sites[I]);
      Done.SiteNames[I] = freeSiteName(First[I]->name());
    }
    for (unsigned I = 0; I < N; ++I) {
      if (I + LookAhead < N)
        prefetchStateNames(Plan.Sites[I + LookAhead], Done.SiteNames[I + LookAhead]);
      createSite(Plan.Sites[I], First[I], Done.SiteNames[I]);
    }
  }

  /// The suffixes of a site's parameters, in creation order (a fixed site
  /// has no min/max).
  static llvm::ArrayRef<llvm::StringLiteral> stateSuffixes(const SiteDecision &Site) {
    return llvm::ArrayRef<llvm::StringLiteral>(StateSuffixes).take_front(Site.Fixed ? 4 : 6);
  }

  /// Prefetches the name-table slots of a site's parameters and of the
  /// get_attr nodes reading them (see Graph::prefetchNodeName).
  void prefetchStateNames(const SiteDecision &Site, llvm::StringRef Name) {
    for (llvm::StringRef Suffix : stateSuffixes(Site)) {
      llvm::StringRef State = joined(Name, Suffix);
      G.prefetchParameterName(State);
      G.prefetchNodeName(State);
    }
  }

  /// The fake quant of Site that comes first in the graph, found without
  /// renumbering the grown graph (a walk over every node, once per prepare):
  /// each fake quant sits right after the tensor it quantizes, and the
  /// tensors of a site with several slots are activations that stayed where
  /// they were when matchPatterns numbered the graph (only a weight slot,
  /// alone in its site, reads a node that folding a batch norm created, and
  /// folding moves nothing but the batch norm's parameter reads), so their
  /// orders from then still rank the fake quants. Fake quants of one tensor
  /// come newest first, hence the later slot on a tie.
  Node *firstFakeQuant(const SiteDecision &Site) const {
    unsigned First = Site.Slots.front();
    for (unsigned S : llvm::drop_begin(Site.Slots))
      if (Plan.Slots[S].Value->order() <= Plan.Slots[First].Value->order())
        First = S;
    return Done.SlotNodes[First];
  }

  /// Appends attribute Name unless it equals the fake_quantize default
  /// (canonical form).
  void addAttrUnlessDefault(llvm::SmallVectorImpl<NamedAttribute> &Attrs, llvm::StringRef Name,
                            Attribute V) const {
    const AttrSpec *S = FakeQuantOp->attrSpec(Name);
    if (S && S->Default && *S->Default == V)
      return;
    Attrs.push_back({Name.str(), std::move(V)});
  }

  void createSite(const SiteDecision &Site, Node *First, llvm::StringRef Name) {
    const ModuleQuantizationConfig &C = *Site.Config;
    const FakeQuantSlot &Lead = Plan.Slots[Site.Slots.front()];
    // checkWeightChannels made sure the size on the axis is static.
    std::optional<int64_t> Axis = weightAxis(Matches, Plan, Site);
    int64_t Channels = Axis ? Lead.Value->type().dim(*Axis) : 1;
    bool Learnable = C.Algo == Algorithm::Learnable && !Site.Fixed;
    float Scale = Site.Fixed ? float(Site.Fixed->FixedScale) : 1.0f;
    int32_t ZeroPoint = Site.Fixed ? int32_t(Site.Fixed->FixedZeroPoint) : 0;

    llvm::SmallVector<Parameter *, 6> State;
    State.push_back(
        addState(Name, qat_params::Scale, DType::F32, Channels, filled(Channels, Scale)));
    State.push_back(Learnable ? addState(Name, qat_params::ZeroPoint, DType::F32, Channels,
                                         filled(Channels, float(ZeroPoint)))
                              : addState(Name, qat_params::ZeroPoint, DType::I32, Channels,
                                         filled(Channels, ZeroPoint)));
    State.push_back(addState(Name, qat_params::ObserverEnabled, DType::U8, 1, filled(1, Flag)));
    State.push_back(addState(Name, qat_params::FakeQuantEnabled, DType::U8, 1, filled(1, Flag)));
    if (!Site.Fixed) {
      State.push_back(addState(Name, qat_params::MinVal, DType::F32, Channels,
                               filled(Channels, std::numeric_limits<float>::infinity())));
      State.push_back(addState(Name, qat_params::MaxVal, DType::F32, Channels,
                               filled(Channels, -std::numeric_limits<float>::infinity())));
    }
    // The get_attr nodes, in parameter order right before the first fake
    // quant; operand 0 is each fake quant's own input.
    B.setInsertionPointBefore(First);
    B.setLoc(First->loc());
    llvm::SmallVector<Node *, 7> Operands = {nullptr};
    for (Parameter *P : State)
      Operands.push_back(B.getAttr(P));

    // One attribute list for all fake quants of the site.
    ObserverKind Observer = Site.Weight ? C.WeightObserver : C.ActivationObserver;
    int64_t QuantMin = 0, QuantMax = 255;
    if (Site.Weight)
      std::tie(QuantMin, QuantMax) = *C.weightQuantRange();
    llvm::SmallVector<NamedAttribute, 0> Attrs;
    if (!Site.Fixed) {
      Attrs.push_back({"observer", std::string(spell(Observer))});
      addAttrUnlessDefault(Attrs, "algorithm", std::string(spell(C.Algo)));
    }
    addAttrUnlessDefault(Attrs, "scheme", std::string(spell(Site.Scheme)));
    addAttrUnlessDefault(Attrs, "quant_min", QuantMin);
    addAttrUnlessDefault(Attrs, "quant_max", QuantMax);
    if (Axis)
      Attrs.push_back({"axis", *Axis});
    for (unsigned S : Site.Slots) {
      Node *FQ = Done.SlotNodes[S];
      Operands[0] = Plan.Slots[S].Value;
      FQ->setOperands(Operands);
      FQ->setAttrs(Attrs);
    }
  }

  /// The step counter, the milestones and the batch-norm freeze flag.
  void addModelState() {
    Parameter *Step = G.addParameter(qat_params::Step, Type::tensor(DType::I64, {1}));
    Step->setData(filled<int64_t>(1, 0));
    Parameter *Frozen = G.addParameter(qat_params::BatchNormFrozen, Type::tensor(DType::U8, {1}));
    Frozen->setData(filled<uint8_t>(1, 0));
    if (const auto &M = Global.Config.StepMilestones) {
      Parameter *P = G.addParameter(qat_params::Milestones, Type::tensor(DType::I64, {4}));
      std::vector<uint8_t> Bytes(4 * sizeof(int64_t));
      std::memcpy(Bytes.data(), M->data(), Bytes.size());
      P->setData(std::move(Bytes));
    }
  }

  Graph &G;
  Builder B;
  const PatternMatches &Matches;
  PlacementPlan &Plan;
  const EffectiveGlobalConfig &Global;
  const OpInfo *FakeQuantOp;
  /// Initial observer and fake-quant flags: off when milestones schedule them.
  uint8_t Flag = 1;
  MaterializedPlan Done;
  std::string NameBuffer;
  llvm::StringSet<> TakenSiteNames;
  /// How many sites (batch norms; four times as many fake quants) ahead the
  /// loops creating nodes prefetch their names.
  static constexpr unsigned LookAhead = 4;
  /// In creation order; min/max come last, as fixed sites have none.
  static constexpr llvm::StringLiteral StateSuffixes[] = {
      qat_params::Scale,           qat_params::ZeroPoint,
      qat_params::ObserverEnabled, qat_params::FakeQuantEnabled,
      qat_params::MinVal,          qat_params::MaxVal};
};

} // namespace

llvm::Expected<PrepareSummary> prepareForQAT(Graph &G, const ConfigResolver &Resolver,
                                             const PrepareOptions &Opts) {
  if (auto E = checkUnprepared(G))
    return E;
  QuantDecisions Decisions;
  if (Opts.Decisions)
    Decisions.merge(*Opts.Decisions);
  for (const PrepareHook &H : prepareHooks())
    if (auto E = H.Run(G, Decisions))
      return E;
  std::vector<const Node *> Original;
  if (Opts.Explain)
    for (const Node &N : G.nodes())
      if (N.isCall() || N.isPlaceholder())
        Original.push_back(&N);

  PatternMatches Matches = matchPatterns(G);
  PlacementPlan Plan = PlacementPlan::build(G, Matches, Resolver, &Decisions);
  if (auto E = checkWeightChannels(Matches, Plan))
    return E;
  PrepareSummary Summary;
  Summary.Patterns = Matches.Patterns.size();
  for (const PatternDecision &D : Plan.Patterns)
    Summary.QuantizedPatterns += D.Resolved.isQuantized();
  auto Done =
      Materializer(G, Matches, Plan, Resolver.effectiveGlobal()).run(Summary.BatchNormsFolded);
  if (!Done)
    return Done.takeError();
  if (Opts.Explain)
    explainPrepare(*Opts.Explain, Original, Matches, Plan, *Done);
  Summary.FakeQuants = censusOf(Plan);
  return Summary;
}

} // namespace qatc
