//===- ConvBatchNormTraining.cpp - The QAT training form of conv + batch norm ===//
#include "passes/quant/ConvBatchNormTraining.h"

#include "ir/Builder.h"

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
/// right before Layer, under the old read's name when BN was its only user.
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
  std::string Name = Old->name().str();
  Parameter *P = Old->param();
  Location Loc = Old->loc();
  BN->setOperand(I, nullptr);
  G.erase(Old);
  Node *New = G.createNode(NodeKind::GetAttr, nullptr, Name, {}, P->type(), Layer->getIterator());
  New->setParam(P);
  New->setLoc(Loc);
  BN->setOperand(I, New);
}

} // namespace

llvm::Expected<Node *> expandConvBatchNorm(Graph &G, Node *Layer, int64_t WeightAxis, Node *BN) {
  Builder B(G);
  B.setLoc(Layer->loc());
  hoistParameterRead(G, B, Layer, BN, 1);
  hoistParameterRead(G, B, Layer, BN, 4);

  std::string L = Layer->name().str();
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
                      L + ".bn_scale");
  if (!Scale)
    return Fail(Scale.takeError());
  auto ScaleW =
      B.call("reshape", {*Scale}, {{"shape", channelShape(Weight->type().rank(), WeightAxis, C)}},
             L + ".bn_scale_weight");
  if (!ScaleW)
    return Fail(ScaleW.takeError());
  auto Scaled = B.call("mul", {Weight, *ScaleW}, {}, L + ".weight_scaled");
  if (!Scaled)
    return Fail(Scaled.takeError());
  Layer->setOperands({Input, *Scaled});

  B.setInsertionPointAfter(Layer);
  std::vector<int64_t> OutShape = channelShape(OutRank, 1, C);
  auto ScaleOut = B.call("reshape", {*Scale}, {{"shape", OutShape}}, L + ".bn_scale_out");
  if (!ScaleOut)
    return Fail(ScaleOut.takeError());
  auto Result = B.call("div", {Layer, *ScaleOut}, {}, L + ".unscaled");
  if (!Result)
    return Fail(Result.takeError());
  if (Bias) {
    auto BiasOut = B.call("reshape", {Bias}, {{"shape", OutShape}}, L + ".bias_out");
    if (!BiasOut)
      return Fail(BiasOut.takeError());
    Result = B.call("add", {*Result, *BiasOut}, {}, L + ".with_bias");
    if (!Result)
      return Fail(Result.takeError());
  }
  BN->setOperand(0, *Result);
  return *Scaled;
}

} // namespace qatc
