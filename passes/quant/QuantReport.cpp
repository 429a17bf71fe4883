//===- QuantReport.cpp - Per-layer quantization error of a prepared graph --===//
#include "passes/quant/QuantReport.h"

#include "ir/FakeQuantizeOperands.h"
#include "passes/quant/PreparedGraph.h"
#include "runtime/Executor.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qatc {

using runtime::Executor;
using runtime::Tensor;

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// The parameter a fake quant operand reads, when it is a get_attr with data.
const Parameter *operandParameter(const Node &FQ, unsigned Index) {
  if (Index >= FQ.numOperands())
    return nullptr;
  const Node *V = FQ.operand(Index);
  if (!V->isGetAttr() || !V->param() || V->param()->isElided())
    return nullptr;
  return V->param();
}

/// A parameter's values as floats (f32, i32, i64, i8, u8).
std::vector<float> parameterValues(const Parameter *P) {
  std::vector<float> Out;
  if (!P)
    return Out;
  auto Append = [&](auto Values) { Out.assign(Values.begin(), Values.end()); };
  switch (P->type().dtype()) {
  case DType::F32:
    Append(P->values<float>());
    break;
  case DType::I32:
    Append(P->values<int32_t>());
    break;
  case DType::I64:
    Append(P->values<int64_t>());
    break;
  case DType::I8:
    Append(P->values<int8_t>());
    break;
  case DType::U8:
    Append(P->values<uint8_t>());
    break;
  default:
    break;
  }
  return Out;
}

/// The layer a fake quant belongs to (see FakeQuantReport::Layer).
std::string layerOf(const Node &FQ, FakeQuantKind Kind) {
  if (Kind == FakeQuantKind::Weight)
    return FQ.uses().begin()->user()->name().str();
  return FQ.operand(fake_quantize_operand::Input)->name().str();
}

/// Everything about FQ that the graph itself holds.
FakeQuantReport describeFakeQuant(const Node &FQ) {
  FakeQuantReport R;
  R.Name = FQ.name().str();
  R.Kind = isWeightFakeQuant(FQ)                ? FakeQuantKind::Weight
           : FQ.operand(fake_quantize_operand::Input)->isPlaceholder() ? FakeQuantKind::Input
                                                  : FakeQuantKind::Activation;
  R.Layer = layerOf(FQ, R.Kind);
  R.Scale = parameterValues(operandParameter(FQ, fake_quantize_operand::Scale));
  R.ZeroPoint = parameterValues(operandParameter(FQ, fake_quantize_operand::ZeroPoint));
  R.QuantMin = FQ.getInt("quant_min");
  R.QuantMax = FQ.getInt("quant_max");
  R.Observer = FQ.attr("observer")->getString();
  std::vector<float> Mins = parameterValues(operandParameter(FQ, fake_quantize_operand::MinVal));
  std::vector<float> Maxs = parameterValues(operandParameter(FQ, fake_quantize_operand::MaxVal));
  // Channels never observed hold +inf / -inf.
  for (size_t C = 0; C < std::min(Mins.size(), Maxs.size()); ++C) {
    if (!std::isfinite(Mins[C]) || !std::isfinite(Maxs[C]))
      continue;
    R.ObservedMin = std::min(R.ObservedMin.value_or(Mins[C]), Mins[C]);
    R.ObservedMax = std::max(R.ObservedMax.value_or(Maxs[C]), Maxs[C]);
  }
  return R;
}

/// The graphs the report runs: both return the original outputs followed by
/// one value per fake quant (in program order); in Quantized it is the fake
/// quant with fake quant forced on, in Float the fake quant's input.
struct ReportGraphs {
  std::unique_ptr<Graph> Quantized, Float;
  size_t NumOutputs = 0;
};

ReportGraphs buildReportGraphs(const Graph &G) {
  ReportGraphs R;
  std::unique_ptr<Graph> Base = G.clone();
  std::vector<Node *> FakeQuants = Base->nodesWithOp("fake_quantize");
  Node *Out = Base->output();
  llvm::SmallVector<Node *, 16> Results = Out->operands();
  R.NumOutputs = Results.size();
  Results.append(FakeQuants.begin(), FakeQuants.end());
  Out->setOperands(Results);

  R.Quantized = Base->clone();
  for (Node *FQ : R.Quantized->nodesWithOp("fake_quantize")) {
    if (FQ->numOperands() <= fake_quantize_operand::FakeQuantEnabled || !FQ->operand(fake_quantize_operand::FakeQuantEnabled)->isGetAttr())
      continue;
    Parameter *Flag = FQ->operand(fake_quantize_operand::FakeQuantEnabled)->param();
    if (!Flag->isElided())
      std::fill(Flag->mutableBytes().begin(), Flag->mutableBytes().end(), uint8_t(1));
  }
  for (Node *FQ : FakeQuants) {
    FQ->replaceAllUsesWith(FQ->operand(fake_quantize_operand::Input));
    Base->erase(FQ);
  }
  R.Float = std::move(Base);
  return R;
}

/// Samples [Begin, End) of T.
Tensor sliceSamples(const Tensor &T, int64_t Begin, int64_t End) {
  runtime::Shape Dims(T.shape().begin(), T.shape().end());
  Dims[0] = End - Begin;
  size_t RowBytes = T.byteSize() / T.dim(0);
  return Tensor::fromBytes(Dims, T.dtype(), T.bytes().slice(Begin * RowBytes, (End - Begin) * RowBytes));
}

/// Checks the inputs against the placeholders; returns the sample count.
llvm::Expected<int64_t> checkInputs(llvm::ArrayRef<Node *> Placeholders,
                                    llvm::ArrayRef<Tensor> Inputs) {
  if (Inputs.size() != Placeholders.size())
    return makeError(llvm::formatv("the graph has {0} inputs but {1} arrays were given",
                                   Placeholders.size(), Inputs.size()));
  int64_t Samples = -1;
  for (size_t I = 0; I < Inputs.size(); ++I) {
    const Tensor &T = Inputs[I];
    llvm::StringRef Name = Placeholders[I]->name();
    if (!T.defined() || T.dtype() != DType::F32 || T.rank() == 0 || T.dim(0) == 0)
      return makeError("the data for input '" + Name +
                       "' must be a non-empty f32 array with samples along its first axis");
    if (Samples >= 0 && T.dim(0) != Samples)
      return makeError(llvm::formatv("the data for input '{0}' has {1} samples but the first "
                                     "input's has {2}",
                                     Name, T.dim(0), Samples));
    Samples = T.dim(0);
  }
  return Samples;
}

/// Samples per forward pass: a static first dimension of an input wins.
int64_t batchSizeFor(llvm::ArrayRef<Node *> Placeholders, int64_t Requested) {
  for (Node *P : Placeholders) {
    const Type &Ty = P->type();
    if (Ty.isTensor() && Ty.hasRank() && Ty.rank() > 0 && Ty.dim(0) != kDynamicDim)
      return Ty.dim(0);
  }
  return std::max<int64_t>(1, Requested);
}

/// Adds Ref against Approx to Stats; shapes must agree.
llvm::Error compare(const Tensor &Ref, const Tensor &Approx, llvm::StringRef What,
                    ErrorStats &Stats) {
  if (Ref.dtype() != DType::F32 || Approx.dtype() != DType::F32 || Ref.numel() != Approx.numel())
    return makeError("'" + What + "' differs in shape or dtype between the float and the " +
                     "fake-quant graph (" + Ref.describe() + " vs " + Approx.describe() + ")");
  Stats.add({Ref.f32(), size_t(Ref.numel())}, {Approx.f32(), size_t(Approx.numel())});
  return llvm::Error::success();
}

} // namespace

void ErrorStats::add(llvm::ArrayRef<float> Ref, llvm::ArrayRef<float> Approx) {
  assert(Ref.size() == Approx.size() && "compared tensors differ in size");
  double S = 0, N = 0, M = MaxAbsError;
  for (size_t I = 0; I < Ref.size(); ++I) {
    double R = Ref[I], D = double(Approx[I]) - R;
    S += R * R;
    N += D * D;
    M = std::max(M, std::fabs(D));
  }
  Signal += S;
  Noise += N;
  MaxAbsError = M;
  Count += Ref.size();
}

double ErrorStats::sqnrDb() const {
  if (Noise == 0)
    return std::numeric_limits<double>::infinity();
  if (Signal == 0)
    return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(Signal / Noise);
}

llvm::StringRef fakeQuantKindName(FakeQuantKind K) {
  switch (K) {
  case FakeQuantKind::Weight:
    return "weight";
  case FakeQuantKind::Input:
    return "input";
  case FakeQuantKind::Activation:
    return "activation";
  }
  return "activation";
}

int64_t QuantReport::numFlagged() const {
  return llvm::count_if(FakeQuants, [](const FakeQuantReport &F) { return F.Flagged; });
}

llvm::Expected<QuantReport> computeQuantReport(const Graph &G, llvm::ArrayRef<Tensor> Inputs,
                                               const QuantReportOptions &Opts) {
  std::vector<Node *> FakeQuants = G.nodesWithOp("fake_quantize");
  if (FakeQuants.empty()) {
    bool Finalized = !G.nodesWithOp("quantize").empty() || !G.nodesWithOp("dequantize").empty();
    return makeError(Finalized ? "the graph is finalized (it holds quantize/dequantize nodes); "
                                 "the report needs the prepared graph it came from (the output "
                                 "of qatc prepare, train or calibrate)"
                               : "the graph has no fake_quantize nodes; the report needs a "
                                 "prepared graph (the output of qatc prepare, train or "
                                 "calibrate)");
  }
  QuantReport Report;
  Report.ThresholdDb = Opts.ThresholdDb;
  for (Node *FQ : FakeQuants)
    Report.FakeQuants.push_back(describeFakeQuant(*FQ));

  ReportGraphs Graphs = buildReportGraphs(G);
  auto Quantized = Executor::create(*Graphs.Quantized);
  if (!Quantized)
    return Quantized.takeError();
  auto Float = Executor::create(*Graphs.Float);
  if (!Float)
    return Float.takeError();
  auto Samples = checkInputs((*Quantized)->inputs(), Inputs);
  if (!Samples)
    return Samples.takeError();
  Report.Samples = *Samples;
  for (Node *Out : (*Quantized)->outputs().take_front(Graphs.NumOutputs))
    Report.Outputs.emplace_back(Out->name().str(), ErrorStats());

  int64_t Batch = batchSizeFor((*Quantized)->inputs(), Opts.BatchSize);
  for (int64_t Begin = 0; Begin < *Samples; Begin += Batch) {
    int64_t End = std::min(*Samples, Begin + Batch);
    std::vector<Tensor> BatchInputs;
    for (const Tensor &T : Inputs)
      BatchInputs.push_back(sliceSamples(T, Begin, End));
    auto Q = (*Quantized)->forward(BatchInputs, runtime::RunOptions());
    if (!Q)
      return Q.takeError();
    auto F = (*Float)->forward(BatchInputs, runtime::RunOptions());
    if (!F)
      return F.takeError();
    for (size_t I = 0; I < Graphs.NumOutputs; ++I)
      if (llvm::Error E = compare((*F)[I], (*Q)[I], Report.Outputs[I].first, Report.Outputs[I].second))
        return E;
    for (size_t I = 0; I < FakeQuants.size(); ++I) {
      FakeQuantReport &R = Report.FakeQuants[I];
      // Weights are the same in every batch: count them once.
      if (R.Kind == FakeQuantKind::Weight && Begin > 0)
        continue;
      size_t Index = Graphs.NumOutputs + I;
      if (llvm::Error E = compare((*F)[Index], (*Q)[Index], R.Name, R.Error))
        return E;
    }
  }
  for (FakeQuantReport &R : Report.FakeQuants)
    R.Flagged = !(R.Error.sqnrDb() >= Opts.ThresholdDb);
  return Report;
}

} // namespace qatc
