//===- MilestoneStepper.cpp - coremltools' step() on a prepared graph -----===//

#include "runtime/MilestoneStepper.h"

#include "llvm/ADT/DenseSet.h"

using namespace qatc;
using namespace qatc::runtime;

MilestoneStepper::MilestoneStepper(Executor &E) {
  Graph &G = E.graph();
  if (Parameter *P = G.lookupParameter("qat.step"))
    Counter = E.parameter(P);
  if (Parameter *P = G.lookupParameter("qat.bn_frozen"))
    BnFrozen = E.parameter(P);
  if (Parameter *P = G.lookupParameter("qat.milestones")) {
    const Tensor &M = E.parameter(P);
    if (M.dtype() == DType::I64 && M.numel() == 4) {
      std::array<int64_t, 4> S;
      for (unsigned I = 0; I < 4; ++I)
        S[I] = M.data<int64_t>()[I];
      Steps = S;
    }
  }
  // Shared sites read one flag parameter from several fake quants.
  llvm::DenseSet<const Parameter *> Seen;
  for (Node &N : G.nodes()) {
    if (!N.isCallTo("fake_quantize") || N.numOperands() < 5)
      continue;
    for (unsigned I : {3u, 4u}) {
      const Parameter *P = N.operand(I)->param();
      if (!P || !Seen.insert(P).second)
        continue;
      (I == 3 ? ObserverFlags : FakeQuantFlags).push_back(E.parameter(P));
    }
  }
}

void MilestoneStepper::setFlags(llvm::ArrayRef<Tensor> Flags, uint8_t Value) {
  for (const Tensor &F : Flags)
    F.data<uint8_t>()[0] = Value;
}

void MilestoneStepper::step() {
  if (!Counter.defined())
    return;
  int64_t &C = Counter.data<int64_t>()[0];
  if (Steps) {
    if (C == (*Steps)[0])
      setFlags(ObserverFlags, 1);
    if (C == (*Steps)[1])
      setFlags(FakeQuantFlags, 1);
    if (C == (*Steps)[2])
      setFlags(ObserverFlags, 0);
    if (C == (*Steps)[3] && BnFrozen.defined())
      BnFrozen.data<uint8_t>()[0] = 1;
  }
  ++C;
}
