//===- PreparedGraph.cpp - Conventions of a graph prepared for QAT --------===//
#include "passes/quant/PreparedGraph.h"

#include "llvm/ADT/DenseSet.h"

namespace qatc {

bool isWeightFakeQuant(const Node &FQ) {
  if (!FQ.hasUses())
    return false;
  for (const Use &U : FQ.uses()) {
    const Node *User = U.user();
    if (U.operandNumber() != 1 || !User->isCall() || User->op()->quantRole() != QuantRole::Weighted)
      return false;
  }
  return true;
}

const void *fakeQuantSite(const Node &FQ) {
  const Node *Scale = FQ.operand(1);
  if (Scale->isGetAttr())
    return Scale->param();
  return Scale;
}

FakeQuantCensus countFakeQuants(const Graph &G) {
  FakeQuantCensus C;
  llvm::DenseSet<const void *> Seen;
  for (const Node &N : G.nodes()) {
    if (!N.isCallTo("fake_quantize"))
      continue;
    if (isWeightFakeQuant(N)) {
      ++C.Weight;
      continue;
    }
    ++C.ActivationSites;
    if (!Seen.insert(fakeQuantSite(N)).second)
      continue;
    ++C.ActivationUnique;
    if (N.attr("observer")->getString() == "fixed")
      ++C.ActivationFixed;
    else if (N.attr("scheme")->getString() == "symmetric")
      ++C.ActivationSymmetric;
    else
      ++C.ActivationAffine;
  }
  return C;
}

llvm::json::Object fakeQuantCensusJson(const FakeQuantCensus &C) {
  return llvm::json::Object{
      {"activation_sites", C.ActivationSites},         {"activation_unique", C.ActivationUnique},
      {"activation_symmetric", C.ActivationSymmetric}, {"activation_affine", C.ActivationAffine},
      {"activation_fixed", C.ActivationFixed},         {"weight", C.Weight}};
}

} // namespace qatc
