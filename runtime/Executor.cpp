//===- Executor.cpp - Forward and reverse-mode execution of QIR -----------===//

#include "runtime/Executor.h"

#include "runtime/Fusion.h"
#include "runtime/Parallel.h"
#include "runtime/Simd.h"

#include "ir/Verifier.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>

using namespace qatc;
using namespace qatc::runtime;

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// "node 'conv1' (conv2d): " + the kernel's message.
llvm::Error inNode(const Node &N, llvm::Error E) {
  if (!E)
    return llvm::Error::success();
  std::string Message = llvm::toString(std::move(E));
  return makeError(llvm::formatv("node '{0}' ({1}): {2}", N.name(), N.opName(), Message));
}

bool operandDifferentiable(const Node &N, const OpKernel *K, unsigned I) {
  if (N.isCallTo("getitem"))
    return true;
  if (!K || !K->Backward)
    return false;
  if (K->Differentiable)
    return K->Differentiable(N, I);
  const Type &T = N.operand(I)->type();
  return !T.isTensor() || T.dtype() == DType::F32;
}

/// Out-of-place Acc + G (Acc may be shared with other gradients).
Tensor addGradients(const Tensor &Acc, const Tensor &G) {
  if (!Acc.defined())
    return G;
  if (!G.defined())
    return Acc;
  assert(Acc.numel() == G.numel() && "accumulating gradients of different sizes");
  Tensor Sum = Tensor::empty(Acc.shape());
  const float *A = Acc.f32(), *B = G.f32();
  float *S = Sum.f32();
  parallelFor(Sum.numel(), 1 << 15, [&](int64_t Begin, int64_t End) {
    for (int64_t I = Begin; I < End; ++I)
      S[I] = A[I] + B[I];
  });
  return Sum;
}

/// The sum of x - x over N floats: 0 when all are finite, NaN otherwise (a
/// sum vectorizes; a branch per element does not).
QATC_VECTOR_CLONES float nonFiniteProbe(const float *P, int64_t N) {
  float Sum = 0;
#pragma omp simd reduction(+ : Sum)
  for (int64_t I = 0; I < N; ++I)
    Sum += P[I] - P[I];
  return Sum;
}

/// No element of T is NaN or Inf.
bool allFinite(const Tensor &T) {
  if (!T.defined() || T.dtype() != DType::F32)
    return true;
  const float *P = T.f32();
  std::atomic<bool> Finite{true};
  parallelFor(T.numel(), 1 << 16, [&](int64_t Begin, int64_t End) {
    if (nonFiniteProbe(P + Begin, End - Begin) != 0)
      Finite = false;
  });
  return Finite;
}

/// SplitMix64: decorrelates (seed, node) pairs for random kernels.
uint64_t mixSeed(uint64_t Seed, uint64_t Index) {
  uint64_t Z = Seed + 0x9E3779B97F4A7C15ull * (Index + 1);
  Z = (Z ^ (Z >> 30)) * 0xBF58476D1CE4E5B9ull;
  Z = (Z ^ (Z >> 27)) * 0x94D049BB133111EBull;
  return Z ^ (Z >> 31);
}

using ProfileClock = std::chrono::steady_clock;

double msSince(ProfileClock::time_point Start) {
  return std::chrono::duration<double, std::milli>(ProfileClock::now() - Start).count();
}

/// QATC_PROFILE set to anything but "" or "0".
bool profilingRequested() {
  const char *V = std::getenv("QATC_PROFILE");
  return V && *V && llvm::StringRef(V) != "0";
}

} // namespace

llvm::Expected<std::unique_ptr<Executor>> Executor::create(Graph &G,
                                                           const ExecutorOptions &Opts) {
  std::unique_ptr<Executor> E(new Executor(G, Opts));
  if (llvm::Error Err = E->plan())
    return Err;
  E->Profiling = profilingRequested();
  return E;
}

Executor::~Executor() {
  if (Profiling && ProfiledForwards > 0)
    printProfile();
}

void Executor::printProfile() const {
  struct Row {
    llvm::StringRef Op;
    ProfileEntry E;
  };
  std::vector<Row> Rows;
  for (const auto &KV : Profile)
    Rows.push_back({KV.getKey(), KV.getValue()});
  std::sort(Rows.begin(), Rows.end(), [](const Row &A, const Row &B) {
    double TA = A.E.ForwardMs + A.E.BackwardMs, TB = B.E.ForwardMs + B.E.BackwardMs;
    return TA != TB ? TA > TB : A.Op < B.Op;
  });
  double Fwd = std::max<int64_t>(1, ProfiledForwards);
  double Bwd = std::max<int64_t>(1, ProfiledBackwards);
  llvm::raw_ostream &OS = llvm::errs();
  OS << llvm::formatv("QATC_PROFILE graph '{0}': {1} forward and {2} backward passes (the "
                      "first of each left out), {3} threads; milliseconds per pass\n",
                      G.name(), ProfiledForwards, ProfiledBackwards, numThreads());
  OS << llvm::formatv("{0,-32} {1,7} {2,9} {3,9} {4,9}\n", "op", "calls", "forward", "backward",
                      "total");
  double SumF = 0, SumB = 0;
  for (const Row &R : Rows) {
    double F = R.E.ForwardMs / Fwd, B = R.E.BackwardMs / Bwd;
    SumF += F;
    SumB += B;
    OS << llvm::formatv("{0,-32} {1,7:F1} {2,9:F3} {3,9:F3} {4,9:F3}\n", R.Op,
                        R.E.ForwardCalls / Fwd, F, B, F + B);
  }
  OS << llvm::formatv("{0,-32} {1,7} {2,9:F3} {3,9:F3} {4,9:F3}\n", "total", "", SumF, SumB,
                      SumF + SumB);
}

llvm::Error Executor::plan() {
  if (llvm::Error E = verify(G))
    return E;

  for (Parameter &P : G.params()) {
    if (P.isElided())
      return makeError(llvm::formatv(
          "parameter '{0}' has no data (elided); execute a graph saved with its parameters "
          "(.qirb, or .qir printed without --elide-params)",
          P.name()));
    ParamIndexOf[&P] = Params.size();
    Params.push_back(&P);
    ParamTensors.push_back(Tensor::fromBytes(P.type().dims(), P.type().dtype(), P.bytes()));
  }
  ParamGrads.assign(Params.size(), Tensor());
  if (Parameter *Frozen = G.lookupParameter("qat.bn_frozen"))
    BnFrozenParam = ParamIndexOf[Frozen];

  for (Node &N : G.nodes()) {
    IndexOf[&N] = Nodes.size();
    NodeInfo Info;
    Info.N = &N;
    Info.Label = N.opName();
    Info.LastUse = Nodes.size();
    for (Node *Op : N.operands())
      Info.Operands.push_back(IndexOf.lookup(Op));
    if (N.isPlaceholder()) {
      Placeholders.push_back(&N);
    } else if (N.isGetAttr()) {
      Info.ParamIndex = ParamIndexOf.lookup(N.param());
    } else if (N.isOutput()) {
      for (Node *Op : N.operands())
        OutputNodes.push_back(Op);
    } else if (!N.isCallTo("getitem")) {
      Info.Kernel = lookupKernel(N.opName());
      if (!Info.Kernel)
        return makeError(llvm::formatv(
            "node '{0}': the runtime has no kernel for op '{1}'; the ops it can execute are "
            "listed in docs/runtime.md",
            N.name(), N.opName()));
    }
    if (N.isCallTo("batch_norm")) {
      for (Node *User : N.operand(4)->users())
        Info.FreezableBatchNorm |= User->isCallTo("batch_norm_scale");
    }
    Nodes.push_back(std::move(Info));
  }

  // A parameter is trainable when it is f32 and some use differentiates it.
  std::vector<bool> IsTrainable(Params.size(), false);
  for (NodeInfo &Info : Nodes) {
    if (Info.ParamIndex < 0 || Params[Info.ParamIndex]->type().dtype() != DType::F32)
      continue;
    for (Use &U : Info.N->uses()) {
      const NodeInfo &User = Nodes[IndexOf[U.user()]];
      if (User.N->isCall() && operandDifferentiable(*User.N, User.Kernel, U.operandNumber()))
        IsTrainable[Info.ParamIndex] = true;
    }
  }
  for (unsigned I = 0; I < Params.size(); ++I)
    if (IsTrainable[I])
      Trainable.push_back(Params[I]);

  if (BuildOpts.Fuse) {
    FusedNodes = Nodes;
    Fusions = applyFusions(FusedNodes);
    if (!Fusions)
      FusedNodes.clear();
  }
  finishPlan(Nodes, IsTrainable);
  if (!FusedNodes.empty())
    finishPlan(FusedNodes, IsTrainable);
  Records.resize(Nodes.size());
  return llvm::Error::success();
}

unsigned Executor::applyFusions(std::vector<NodeInfo> &Plan) {
  std::vector<bool> InFusion(Plan.size(), false);
  unsigned Count = 0;
  for (NodeInfo &Root : Plan) {
    if (!Root.Kernel)
      continue;
    std::optional<Fusion> F = matchFusion(*Root.N);
    if (!F)
      continue;
    unsigned RootIndex = IndexOf[Root.N];
    bool Overlaps = InFusion[RootIndex];
    for (Node *A : F->Absorbed)
      Overlaps |= InFusion[IndexOf[A]];
    if (Overlaps)
      continue;
    InFusion[RootIndex] = true;
    for (Node *A : F->Absorbed) {
      NodeInfo &Info = Plan[IndexOf[A]];
      InFusion[IndexOf[A]] = true;
      // A fused batch norm still freezes with the model's batch norms.
      Root.FreezableBatchNorm |= Info.FreezableBatchNorm;
      Info.Absorbed = true;
      Info.Kernel = nullptr;
      Info.Operands.clear();
    }
    Root.Kernel = F->Kernel;
    Root.Label = F->Name;
    Root.Operands.clear();
    for (Node *Op : F->Operands)
      Root.Operands.push_back(IndexOf[Op]);
    ++Count;
  }
  return Count;
}

void Executor::finishPlan(std::vector<NodeInfo> &Plan, const std::vector<bool> &IsTrainable) {
  for (NodeInfo &Info : Plan)
    for (unsigned Op : Info.Operands)
      Plan[Op].LastUse = std::max<unsigned>(Plan[Op].LastUse, IndexOf[Info.N]);
  for (NodeInfo &Info : Plan) {
    if (Info.ParamIndex >= 0) {
      Info.RequiresGrad = IsTrainable[Info.ParamIndex];
      continue;
    }
    if (!Info.N->isCall() || Info.Absorbed)
      continue;
    for (unsigned I = 0; I < Info.Operands.size(); ++I) {
      bool Needs = Plan[Info.Operands[I]].RequiresGrad &&
                   operandDifferentiable(*Info.N, Info.Kernel, I);
      Info.OperandNeedsGrad.push_back(Needs);
      Info.RequiresGrad |= Needs;
    }
  }
}

llvm::Expected<TensorList> Executor::forward(llvm::ArrayRef<Tensor> Inputs,
                                             const RunOptions &Opts) {
  if (Inputs.size() != Placeholders.size())
    return makeError(llvm::formatv("graph '{0}' takes {1} input(s) but {2} were given",
                                   G.name(), Placeholders.size(), Inputs.size()));
  for (unsigned I = 0; I < Inputs.size(); ++I) {
    const Type &T = Placeholders[I]->type();
    const Tensor &X = Inputs[I];
    bool Matches = X.defined() && T.isTensor() && X.dtype() == T.dtype() &&
                   (!T.hasRank() || X.rank() == T.rank());
    for (unsigned D = 0; Matches && T.hasRank() && D < T.rank(); ++D)
      Matches = T.dims()[D] < 0 || T.dims()[D] == X.dim(D);
    if (!Matches)
      return makeError(llvm::formatv("input '{0}' is {1} but the graph expects {2}",
                                     Placeholders[I]->name(), X.describe(), T.str()));
  }

  bool BnFrozen = BnFrozenParam >= 0 && ParamTensors[BnFrozenParam].data<uint8_t>()[0] != 0;
  bool WantGrads = Opts.RecordGradients;
  // The first pass (primitive creation, first allocations) is not profiled.
  bool ProfileThisPass = Profiling && ForwardPasses++ > 0;
  HaveRecord = false;
  // Checked passes run node by node, so that the first bad node is named.
  std::vector<NodeInfo> &Plan = Opts.CheckFinite || FusedNodes.empty() ? Nodes : FusedNodes;
  RecordedPlan = &Plan;
  std::vector<TensorList> Values(Plan.size());
  TensorList Results;
  unsigned NextInput = 0;
  llvm::SmallVector<Tensor, 4> Args;
  for (unsigned I = 0; I < Plan.size(); ++I) {
    NodeInfo &Info = Plan[I];
    Node &N = *Info.N;
    Records[I] = Record();
    if (Info.Absorbed) {
      continue;
    } else if (N.isPlaceholder()) {
      Values[I].push_back(Inputs[NextInput++]);
    } else if (N.isGetAttr()) {
      Values[I].push_back(ParamTensors[Info.ParamIndex]);
    } else if (N.isOutput()) {
      for (unsigned Op : Info.Operands)
        Results.push_back(Values[Op].front());
    } else if (!Info.Kernel) { // getitem
      TensorList &Tuple = Values[Info.Operands[0]];
      int64_t Index = N.getInt("index");
      if (Index < 0 || Index >= (int64_t)Tuple.size())
        return makeError(llvm::formatv("node '{0}' (getitem): index {1} is out of range for "
                                       "a tuple of {2}",
                                       N.name(), Index, Tuple.size()));
      Values[I].push_back(Tuple[Index]);
    } else {
      Args.clear();
      for (unsigned Op : Info.Operands)
        Args.push_back(Values[Op].front());
      // A value read for the last time leaves the table now: Args then
      // holds its only reference (two, so no kernel writes into it, when
      // it is read twice), and the kernel may write into its buffer
      // (ForwardArgs::Inputs).
      for (unsigned Op : Info.Operands)
        if (Plan[Op].LastUse == I)
          Values[Op].clear();
      bool Recording = WantGrads && Info.RequiresGrad;
      ForwardArgs FA{N, Args};
      FA.Training = Opts.Training && !(Info.FreezableBatchNorm && BnFrozen);
      FA.UpdateState = Opts.UpdateState;
      FA.Saved = Recording ? &Records[I].Saved : nullptr;
      FA.RandomSeed = mixSeed(Opts.Seed, I);
      ProfileClock::time_point Start;
      if (ProfileThisPass)
        Start = ProfileClock::now();
      if (llvm::Error E = inNode(N, Info.Kernel->Forward(FA, Values[I])))
        return E;
      if (ProfileThisPass) {
        ProfileEntry &P = Profile[Info.Label];
        P.ForwardMs += msSince(Start);
        ++P.ForwardCalls;
      }
      if (Opts.CheckFinite)
        for (const Tensor &Out : Values[I])
          if (!allFinite(Out))
            return makeError(llvm::formatv("node '{0}' ({1}) produced NaN or Inf", N.name(),
                                           N.opName()));
      if (Recording) {
        Record &R = Records[I];
        R.Valid = true;
        for (const Tensor &A : Args)
          R.InputShapes.push_back(Shape(A.shape().begin(), A.shape().end()));
        if (Info.Kernel->Saves & SavesInputs)
          R.Inputs.assign(Args.begin(), Args.end());
        else
          R.Inputs.resize(Args.size());
        if (Info.Kernel->Saves & SavesOutputs)
          R.Outputs = Values[I];
      }
    }
    for (unsigned Op : Info.Operands)
      if (Plan[Op].LastUse == I)
        Values[Op].clear();
    if (Info.LastUse == I)
      Values[I].clear();
  }
  HaveRecord = WantGrads;
  ProfiledForwards += ProfileThisPass;
  return Results;
}

llvm::Error Executor::backward(llvm::ArrayRef<Tensor> GradOutputs, bool CheckFinite) {
  if (!HaveRecord)
    return makeError("backward needs a forward pass run with RecordGradients");
  HaveRecord = false;
  if (GradOutputs.size() != OutputNodes.size())
    return makeError(llvm::formatv("backward got {0} output gradient(s) for {1} output(s)",
                                   GradOutputs.size(), OutputNodes.size()));
  for (Tensor &T : ParamGrads)
    T = Tensor();
  bool ProfileThisPass = Profiling && BackwardPasses++ > 0;
  std::vector<NodeInfo> &Plan = *RecordedPlan;
  std::vector<TensorList> Grads(Plan.size());
  for (unsigned I = 0; I < OutputNodes.size(); ++I) {
    TensorList &Slot = Grads[IndexOf[OutputNodes[I]]];
    if (Slot.empty())
      Slot.resize(1);
    Slot[0] = addGradients(Slot[0], GradOutputs[I]);
  }

  llvm::SmallVector<Tensor, 4> InGrads;
  llvm::SmallVector<bool, 4> Finite;
  for (unsigned I = Plan.size(); I-- > 0;) {
    NodeInfo &Info = Plan[I];
    TensorList G = std::move(Grads[I]);
    Grads[I].clear();
    Record R = std::move(Records[I]);
    Records[I] = Record();
    if (!Info.RequiresGrad || G.empty())
      continue;
    Node &N = *Info.N;
    if (Info.ParamIndex >= 0) {
      ParamGrads[Info.ParamIndex] = addGradients(ParamGrads[Info.ParamIndex], G.front());
      continue;
    }
    if (!Info.Kernel) { // getitem: route into the tuple's element slot
      unsigned Tuple = Info.Operands[0];
      size_t Arity = Plan[Tuple].N->type().isTuple()
                         ? Plan[Tuple].N->type().elements().size()
                         : 1;
      TensorList &Slot = Grads[Tuple];
      if (Slot.size() < Arity)
        Slot.resize(Arity);
      int64_t Index = N.getInt("index");
      Slot[Index] = addGradients(Slot[Index], G.front());
      continue;
    }
    if (!R.Valid)
      continue;
    size_t NumOutputs = std::max<size_t>(1, R.Outputs.size());
    if (N.type().isTuple())
      NumOutputs = std::max(NumOutputs, N.type().elements().size());
    G.resize(std::max(G.size(), NumOutputs));
    InGrads.assign(Info.Operands.size(), Tensor());
    Finite.assign(Info.Operands.size(), false);
    BackwardArgs BA{N, R.Inputs, R.InputShapes, R.Outputs, R.Saved, G, Info.OperandNeedsGrad};
    if (CheckFinite)
      BA.GradientFinite = Finite;
    ProfileClock::time_point Start;
    if (ProfileThisPass)
      Start = ProfileClock::now();
    if (llvm::Error E = inNode(N, Info.Kernel->Backward(BA, InGrads)))
      return E;
    if (ProfileThisPass) {
      Profile[Info.Label].BackwardMs += msSince(Start);
      Start = ProfileClock::now();
    }
    for (unsigned Op = 0; Op < Info.Operands.size(); ++Op) {
      if (!Info.OperandNeedsGrad[Op] || !InGrads[Op].defined())
        continue;
      if (InGrads[Op].numel() != shapeNumel(R.InputShapes[Op]))
        return makeError(llvm::formatv("node '{0}' ({1}): the gradient of operand {2} is {3} "
                                       "but the operand is {4}; this is a kernel bug",
                                       N.name(), N.opName(), Op, InGrads[Op].describe(),
                                       shapeString(R.InputShapes[Op])));
      if (CheckFinite && !Finite[Op] && !allFinite(InGrads[Op]))
        return makeError(llvm::formatv(
            "node '{0}' ({1}): the gradient of operand {2} ('{3}') contains NaN or Inf",
            N.name(), N.opName(), Op, N.operand(Op)->name()));
      TensorList &Slot = Grads[Info.Operands[Op]];
      if (Slot.empty())
        Slot.resize(1);
      Tensor Shaped = InGrads[Op].view(R.InputShapes[Op]);
      Slot[0] = addGradients(Slot[0], Shaped);
    }
    if (ProfileThisPass)
      Profile["(gradient checks, sums)"].BackwardMs += msSince(Start);
  }
  ProfiledBackwards += ProfileThisPass;
  return llvm::Error::success();
}

const Tensor &Executor::parameter(const Parameter *P) const {
  return ParamTensors[ParamIndexOf.lookup(P)];
}

const Tensor &Executor::gradient(const Parameter *P) const {
  return ParamGrads[ParamIndexOf.lookup(P)];
}

void Executor::syncToGraph() {
  for (unsigned I = 0; I < Params.size(); ++I) {
    llvm::ArrayRef<uint8_t> Bytes = ParamTensors[I].bytes();
    Params[I]->setData(std::vector<uint8_t>(Bytes.begin(), Bytes.end()));
  }
}

void Executor::reloadFromGraph() {
  for (unsigned I = 0; I < Params.size(); ++I)
    ParamTensors[I].copyFrom(Tensor::fromBytes(Params[I]->type().dims(),
                                               Params[I]->type().dtype(), Params[I]->bytes()));
}
