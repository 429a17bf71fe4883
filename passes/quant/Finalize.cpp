//===- Finalize.cpp - From a trained prepared graph to quantized QIR ------===//

#include "passes/quant/Finalize.h"

#include "ir/Builder.h"
#include "passes/transforms/Transforms.h"
#include "runtime/ConstantEvaluator.h"
#include "runtime/quant/Observer.h"
#include "runtime/quant/QParamTensors.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::quant;

namespace {

llvm::Error finalizeError(const Node &N, const llvm::Twine &Why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::formatv("node '{0}': {1}", N.name(), Why.str()));
}

/// A new parameter named after Base (uniqued) holding T.
Parameter *addTensorParameter(Graph &G, llvm::StringRef Base, const Tensor &T) {
  Parameter *P = G.addParameter(G.uniqueParameterName(Base), Type::tensor(T.dtype(), T.shape()));
  llvm::ArrayRef<uint8_t> Bytes = T.bytes();
  P->setData(std::vector<uint8_t>(Bytes.begin(), Bytes.end()));
  return P;
}

/// "relu1.fq" -> "relu1"; names without the suffix stay.
std::string siteStem(llvm::StringRef Name) {
  Name.consume_back(".fq");
  return Name.str();
}

/// The value of parameter-backed node N as a tensor (N must read a parameter).
Tensor parameterTensor(const Node &N) {
  const Parameter *P = N.param();
  return Tensor::fromBytes(P->type().dims(), P->type().dtype(), P->bytes());
}

/// The scales and integer zero points a fake quant computes with.
struct EffectiveQParams {
  llvm::SmallVector<float, 8> Scales;
  llvm::SmallVector<int64_t, 8> ZeroPoints;
};

EffectiveQParams effectiveQParams(const Node &FQ, const FakeQuantAttrs &Attrs) {
  EffectiveQParams Q;
  Tensor Scale = parameterTensor(*FQ.operand(1));
  Tensor ZeroPoint = parameterTensor(*FQ.operand(2));
  for (int64_t I = 0; I < Scale.numel(); ++I)
    Q.Scales.push_back(Attrs.Learnable ? nanPropagatingMax(Scale.f32()[I], ScaleEps)
                                       : Scale.f32()[I]);
  if (Attrs.Learnable) {
    for (float Z : zeroPointValues(ZeroPoint))
      Q.ZeroPoints.push_back(int64_t(learnableZeroPoint(Z, Attrs.Scheme, Attrs.Range)));
  } else {
    Q.ZeroPoints = integerZeroPoints(ZeroPoint);
  }
  return Q;
}

/// The integer dtype of a range, after the zero-point-128 rewrite when
/// Shift is set: [0, 255] with every zero point 128 stores as i8 with zero
/// point 0 (values shifted by -128), which dequantizes identically.
struct Storage {
  DType Type = DType::U8;
  int64_t Shift = 0;
  unsigned Bits = 8;
};

std::optional<Storage> storageFor(QuantRange Range, llvm::ArrayRef<int64_t> ZeroPoints) {
  Storage S;
  int64_t Span = Range.Max - Range.Min;
  if (Range.Min >= -128 && Range.Max <= 127 && Range.Min < 0)
    S.Type = DType::I8;
  else if (Range.Min >= 0 && Range.Max <= 255)
    S.Type = DType::U8;
  else
    return std::nullopt;
  S.Bits = Span <= 15 ? 4 : 8;
  bool All128 = !ZeroPoints.empty() && llvm::all_of(ZeroPoints, [](int64_t Z) { return Z == 128; });
  if (S.Type == DType::U8 && Range.Min == 0 && Range.Max == 255 && All128) {
    S.Type = DType::I8;
    S.Shift = -128;
  }
  return S;
}

Tensor zeroPointTensor(llvm::ArrayRef<int64_t> ZeroPoints, const Storage &S) {
  Tensor T = Tensor::empty({(int64_t)ZeroPoints.size()}, S.Type);
  for (size_t I = 0; I < ZeroPoints.size(); ++I) {
    int64_t Z = ZeroPoints[I] + S.Shift;
    if (S.Type == DType::I8)
      T.data<int8_t>()[I] = int8_t(Z);
    else
      T.data<uint8_t>()[I] = uint8_t(Z);
  }
  return T;
}

class Finalizer {
public:
  explicit Finalizer(Graph &G) : G(G), B(G) {}

  llvm::Expected<FinalizeSummary> run() {
    FinalizeSummary Summary;
    Summary.ParameterBytesBefore = G.parameterBytes();
    if (G.nodesWithOp("fake_quantize").empty())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("graph '{0}' has no fake quants; finalize a graph made by qatc prepare "
                        "(and trained with qatc train)",
                        G.name()));
    for (const Parameter &P : G.params())
      if (P.isElided())
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "parameter '" + P.name() +
                "' has no data (elided); finalize a graph saved with its parameters (.qirb)");

    for (Node *BN : G.nodesWithOp("batch_norm"))
      if (isTrainingForm(*BN)) {
        if (llvm::Error E = foldTrainingForm(*BN))
          return std::move(E);
        ++Summary.BatchNormsFolded;
      }
    for (Node *FQ : G.nodesWithOp("fake_quantize")) {
      bool Weight = Constants.isConstant(*FQ->operand(0));
      if (llvm::Error E = Weight ? quantizeWeight(*FQ) : quantizeActivation(*FQ))
        return std::move(E);
      ++(Weight ? Summary.WeightsQuantized : Summary.ActivationPairs);
    }
    // Weights that stay float but were computed (a BN-scaled weight without
    // a fake quant, when weights are not quantized) become parameters.
    for (Node &N : G.nodes())
      if (N.isCall() && N.op()->quantRole() == QuantRole::Weighted && N.numOperands() > 1 &&
          !N.operand(1)->isGetAttr() && !N.operand(1)->isCallTo("dequantize") &&
          Constants.isConstant(*N.operand(1)))
        if (llvm::Error E = materialize(N, 1, N.name().str() + ".weight"))
          return E;

    eliminateDeadCode(G);
    for (auto It = G.params().begin(); It != G.params().end();) {
      Parameter &P = *It++;
      if (P.name().startswith("qat."))
        G.eraseParameter(&P);
    }
    Summary.ParameterBytesAfter = G.parameterBytes();
    return Summary;
  }

private:
  /// A batch norm in the conv + batch norm training form: its running_var
  /// also feeds a batch_norm_scale (docs/prepare.md).
  static bool isTrainingForm(const Node &BN) {
    for (Node *User : BN.operand(4)->users())
      if (User->isCallTo("batch_norm_scale"))
        return true;
    return false;
  }

  /// L -> div(L, reshape(S)) [-> add(., reshape(b))] -> BN becomes L with
  /// bias (b - running_mean) * S + beta, S = gamma / sqrt(running_var + eps).
  llvm::Error foldTrainingForm(Node &BN) {
    Node *In = BN.operand(0);
    Node *BiasReshape = nullptr;
    if (In->isCallTo("add")) {
      BiasReshape = In->operand(1);
      In = In->operand(0);
    }
    if (!In->isCallTo("div") || !In->operand(1)->isCallTo("reshape") ||
        !In->operand(1)->operand(0)->isCallTo("batch_norm_scale"))
      return finalizeError(BN, "its conv + batch norm training form is not the one prepare "
                               "writes (div by the reshaped batch_norm_scale); re-run prepare");
    Node *Layer = In->operand(0);
    Node *ScaleNode = In->operand(1)->operand(0);
    if (!Layer->isCall() || Layer->op()->quantRole() != QuantRole::Weighted || Layer->numOperands() != 2 ||
        !Layer->hasOneUse())
      return finalizeError(BN, "the layer of its training form is not a weighted op without a "
                               "bias and one use; re-run prepare");
    auto S = Constants.evaluate(*ScaleNode);
    if (!S)
      return S.takeError();
    Tensor Bias;
    if (BiasReshape) {
      if (!Constants.isConstant(*BiasReshape))
        return finalizeError(BN, "the bias of its training form is not a parameter");
      auto V = Constants.evaluate(*BiasReshape);
      if (!V)
        return V.takeError();
      Bias = *V;
    }
    Tensor Mean = parameterTensor(*BN.operand(3)), Beta = parameterTensor(*BN.operand(2));
    int64_t C = S->numel();
    if (Mean.numel() != C || Beta.numel() != C || (Bias.defined() && Bias.numel() != C))
      return finalizeError(BN, "its statistics and the layer's channels disagree");
    Tensor Folded = Tensor::empty({C});
    for (int64_t I = 0; I < C; ++I)
      Folded.f32()[I] =
          ((Bias.defined() ? Bias.f32()[I] : 0.0f) - Mean.f32()[I]) * S->f32()[I] + Beta.f32()[I];
    Parameter *P = addTensorParameter(G, Layer->name().str() + ".folded_bias", Folded);
    B.setInsertionPointBefore(Layer);
    Node *BiasNode = B.getAttr(P);
    Layer->setOperands({Layer->operand(0), Layer->operand(1), BiasNode});
    BN.replaceAllUsesWith(Layer);
    return llvm::Error::success();
  }

  /// Replaces operand I of N (a constant expression) by a new parameter.
  llvm::Error materialize(Node &N, unsigned I, const std::string &Name) {
    auto V = Constants.evaluate(*N.operand(I));
    if (!V)
      return V.takeError();
    Parameter *P = addTensorParameter(G, Name, *V);
    B.setInsertionPointBefore(&N);
    N.setOperand(I, B.getAttr(P));
    return llvm::Error::success();
  }

  /// FQ(w) -> dequantize(q, scale, zero_point) {axis, bits} with integer q
  /// computed exactly as the fake quant rounds.
  llvm::Error quantizeWeight(Node &FQ) {
    auto Attrs = readFakeQuantAttrs(FQ);
    if (!Attrs)
      return finalizeError(FQ, llvm::toString(Attrs.takeError()));
    auto W = Constants.evaluate(*FQ.operand(0));
    if (!W)
      return W.takeError();
    auto Layout = channelLayout(W->shape(), Attrs->Axis);
    if (!Layout)
      return finalizeError(FQ, llvm::toString(Layout.takeError()));
    EffectiveQParams Q = effectiveQParams(FQ, *Attrs);
    if ((int64_t)Q.Scales.size() != Layout->Channels)
      return finalizeError(FQ, "its scale does not have one value per channel");
    auto S = storageFor(Attrs->Range, Q.ZeroPoints);
    if (!S)
      return finalizeError(FQ, llvm::formatv("its range [{0}, {1}] does not fit 8-bit integers",
                                             Attrs->Range.Min, Attrs->Range.Max));
    Tensor Data = Tensor::empty(W->shape(), S->Type);
    float Lo = float(Attrs->Range.Min), Hi = float(Attrs->Range.Max);
    const float *In = W->f32();
    for (int64_t O = 0; O < Layout->Outer; ++O)
      for (int64_t C = 0; C < Layout->Channels; ++C) {
        float Inv = 1.0f / Q.Scales[C], Z = float(Q.ZeroPoints[C]);
        int64_t Base = (O * Layout->Channels + C) * Layout->Inner;
        for (int64_t I = Base; I < Base + Layout->Inner; ++I) {
          int64_t V = int64_t(clampToRange(Z + roundHalfEven(In[I] * Inv), Lo, Hi)) + S->Shift;
          if (S->Type == DType::I8)
            Data.data<int8_t>()[I] = int8_t(V);
          else
            Data.data<uint8_t>()[I] = uint8_t(V);
        }
      }
    Tensor Scale = Tensor::fromFloats({(int64_t)Q.Scales.size()}, Q.Scales);
    std::string Stem = weightStem(FQ);
    Parameter *DataP = addTensorParameter(G, Stem + ".quantized", Data);
    Parameter *ScaleP = addTensorParameter(G, Stem + ".scale", Scale);
    Parameter *ZeroP = addTensorParameter(G, Stem + ".zero_point",
                                          zeroPointTensor(Q.ZeroPoints, *S));
    B.setInsertionPointBefore(&FQ);
    llvm::SmallVector<NamedAttribute, 0> Attributes;
    if (Layout->PerChannel)
      Attributes.push_back({"axis", Attribute(*Attrs->Axis)});
    if (S->Bits != 8)
      Attributes.push_back({"bits", Attribute(int64_t(S->Bits))});
    auto Deq = B.call("dequantize", {B.getAttr(DataP), B.getAttr(ScaleP), B.getAttr(ZeroP)},
                      std::move(Attributes), Stem + ".dequantized");
    if (!Deq)
      return finalizeError(FQ, llvm::toString(Deq.takeError()));
    FQ.replaceAllUsesWith(*Deq);
    return llvm::Error::success();
  }

  /// "conv1.weight" for the fake quant feeding conv1's weight, else the site.
  static std::string weightStem(const Node &FQ) {
    if (FQ.hasOneUse()) {
      const Use &U = *FQ.uses().begin();
      if (U.operandNumber() == 1 && U.user()->op() &&
          U.user()->op()->quantRole() == QuantRole::Weighted)
        return U.user()->name().str() + ".weight";
    }
    return siteStem(FQ.name());
  }

  /// FQ(x) -> dequantize(quantize(x, s, zp), s, zp), one parameter pair per
  /// observer state (shared sites share it).
  llvm::Error quantizeActivation(Node &FQ) {
    auto Attrs = readFakeQuantAttrs(FQ);
    if (!Attrs)
      return finalizeError(FQ, llvm::toString(Attrs.takeError()));
    if (Attrs->Axis)
      return finalizeError(FQ, "per-channel activation quantization has no Core ML form");
    const Parameter *Site = FQ.operand(1)->param();
    auto Known = SiteParams.find(Site);
    if (Known == SiteParams.end()) {
      EffectiveQParams Q = effectiveQParams(FQ, *Attrs);
      auto S = storageFor(Attrs->Range, Q.ZeroPoints);
      if (!S || S->Bits != 8 || Q.Scales.size() != 1)
        return finalizeError(FQ, llvm::formatv("activation range [{0}, {1}] is not 8-bit per "
                                               "tensor; Core ML quantizes activations to int8 or "
                                               "uint8",
                                               Attrs->Range.Min, Attrs->Range.Max));
      std::string Stem = siteStem(Site->name().drop_back(llvm::StringRef(".scale").size()));
      ActivationSite A;
      A.Type = S->Type;
      A.Scale = addTensorParameter(G, Stem + ".quant_scale", Tensor::fromFloats({1}, Q.Scales));
      A.ZeroPoint = addTensorParameter(G, Stem + ".quant_zero_point",
                                       zeroPointTensor(Q.ZeroPoints, *S));
      Known = SiteParams.insert({Site, A}).first;
    }
    const ActivationSite &A = Known->second;
    std::string Stem = siteStem(FQ.name());
    B.setInsertionPointBefore(&FQ);
    Node *Scale = B.getAttr(A.Scale), *ZeroPoint = B.getAttr(A.ZeroPoint);
    auto Q = B.call("quantize", {FQ.operand(0), Scale, ZeroPoint}, {{"dtype", Attribute(A.Type)}},
                    Stem + ".quantized");
    if (!Q)
      return finalizeError(FQ, llvm::toString(Q.takeError()));
    auto Deq = B.call("dequantize", {*Q, Scale, ZeroPoint}, {}, Stem + ".dequantized");
    if (!Deq)
      return finalizeError(FQ, llvm::toString(Deq.takeError()));
    FQ.replaceAllUsesWith(*Deq);
    return llvm::Error::success();
  }

  struct ActivationSite {
    DType Type = DType::U8;
    Parameter *Scale = nullptr, *ZeroPoint = nullptr;
  };

  Graph &G;
  Builder B;
  ConstantEvaluator Constants;
  llvm::DenseMap<const Parameter *, ActivationSite> SiteParams;
};

} // namespace

llvm::Expected<FinalizeSummary> qatc::finalizeForDeployment(Graph &G) {
  return Finalizer(G).run();
}
