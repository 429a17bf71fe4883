//===- ConvBatchNormTraining.cpp - The QAT training form of conv + batch norm ===//
#include "passes/quant/ConvBatchNormTraining.h"

#include "ir/Builder.h"

#include "llvm/ADT/SmallString.h"

#include <vector>

namespace qatc {

namespace {

/// A shape of Rank ones with C at Axis: broadcasts a per-channel vector.
std::vector<int64_t> channelShape(unsigned Rank, int64_t Axis, int64_t C) {
  std::vector<int64_t> Shape(Rank, 1);
  Shape[Axis] = C;
  return Shape;
}

/// Makes operand I of BN available before Layer: a get_attr is read again
/// right before Layer, or moved there when BN is its only user.
void hoistParameterRead(Graph &G, Builder &B, Node *Layer, Node *BN, unsigned I) {
  Node *Old = BN->operand(I);
  if (!Old->isGetAttr())
    return;
  if (!Old->hasOneUse()) {
    B.setInsertionPointBefore(Layer);
    Node *New = B.getAttr(Old->param());
    New->setLoc(Old->loc());
    BN->setOperand(I, New);
    return;
  }
  G.moveBefore(Old, Layer);
}

/// The suffixes of the nodes around layer L, as the file comment lists them;
/// the last two only with a bias.
constexpr llvm::StringLiteral BnScaleSuffix = ".bn_scale", BnScaleWeightSuffix = ".bn_scale_weight",
                              WeightScaledSuffix = ".weight_scaled",
                              BnScaleOutSuffix = ".bn_scale_out", UnscaledSuffix = ".unscaled",
                              BiasOutSuffix = ".bias_out", WithBiasSuffix = ".with_bias";
constexpr llvm::StringLiteral Suffixes[] = {
    BnScaleSuffix,  BnScaleWeightSuffix, WeightScaledSuffix, BnScaleOutSuffix,
    UnscaledSuffix, BiasOutSuffix,       WithBiasSuffix};

} // namespace

void prefetchConvBatchNormNames(const Graph &G, const Node *Layer) {
  llvm::SmallString<128> Name(Layer->name());
  size_t Base = Name.size();
  bool Bias = Layer->numOperands() > 2;
  for (llvm::StringRef Suffix :
       llvm::ArrayRef<llvm::StringLiteral>(Suffixes).drop_back(Bias ? 0 : 2)) {
    Name.resize(Base);
    Name += Suffix;
    G.prefetchNodeName(Name);
  }
}

llvm::Expected<Node *> expandConvBatchNorm(Graph &G, Node *Layer, int64_t WeightAxis, Node *BN) {
  Builder B(G);
  B.setLoc(Layer->loc());
  hoistParameterRead(G, B, Layer, BN, 1);
  hoistParameterRead(G, B, Layer, BN, 4);

  std::string L = Layer->name().str();
  // L + Suffix in a reused buffer; each call takes the name right away.
  std::string NameBuffer;
  auto Named = [&](llvm::StringRef Suffix) -> llvm::StringRef {
    NameBuffer = L;
    NameBuffer += Suffix;
    return NameBuffer;
  };
  Node *Input = Layer->operand(0);
  Node *Weight = Layer->operand(1);
  Node *Bias = Layer->numOperands() > 2 ? Layer->operand(2) : nullptr;
  int64_t C = Weight->type().dim(WeightAxis);
  unsigned OutRank = Layer->type().rank();
  auto Fail = [&](llvm::Error E) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot fold batch norm '" + BN->name() + "' into '" + L +
                                       "' for training: " + llvm::toString(std::move(E)));
  };

  B.setInsertionPointBefore(Layer);
  llvm::SmallVector<NamedAttribute, 0> ScaleAttrs;
  double Eps = BN->getFloat("eps");
  if (Eps != 1e-5)
    ScaleAttrs.push_back({"eps", Eps});
  auto Scale = B.call("batch_norm_scale", {BN->operand(1), BN->operand(4)}, std::move(ScaleAttrs),
                      Named(BnScaleSuffix));
  if (!Scale)
    return Fail(Scale.takeError());
  auto ScaleW =
      B.call("reshape", {*Scale}, {{"shape", channelShape(Weight->type().rank(), WeightAxis, C)}},
             Named(BnScaleWeightSuffix));
  if (!ScaleW)
    return Fail(ScaleW.takeError());
  auto Scaled = B.call("mul", {Weight, *ScaleW}, {}, Named(WeightScaledSuffix));
  if (!Scaled)
    return Fail(Scaled.takeError());
  Layer->setOperands({Input, *Scaled});

  B.setInsertionPointAfter(Layer);
  std::vector<int64_t> OutShape = channelShape(OutRank, 1, C);
  auto ScaleOut = B.call("reshape", {*Scale}, {{"shape", OutShape}}, Named(BnScaleOutSuffix));
  if (!ScaleOut)
    return Fail(ScaleOut.takeError());
  auto Result = B.call("div", {Layer, *ScaleOut}, {}, Named(UnscaledSuffix));
  if (!Result)
    return Fail(Result.takeError());
  if (Bias) {
    auto BiasOut = B.call("reshape", {Bias}, {{"shape", OutShape}}, Named(BiasOutSuffix));
    if (!BiasOut)
      return Fail(BiasOut.takeError());
    Result = B.call("add", {*Result, *BiasOut}, {}, Named(WithBiasSuffix));
    if (!Result)
      return Fail(Result.takeError());
  }
  BN->setOperand(0, *Result);
  return *Scaled;
}

} // namespace qatc
