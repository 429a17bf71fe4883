//===- ConstantEvaluator.cpp - Values of parameter-only subgraphs ---------===//

#include "runtime/ConstantEvaluator.h"

#include "runtime/Kernel.h"

#include "llvm/Support/FormatVariadic.h"

using namespace qatc;
using namespace qatc::runtime;

/// Whether N can be constant at all, looking at N alone.
static bool mayBeConstant(const Node &N) {
  if (N.isGetAttr())
    return true;
  // Stateful or random ops read state that changes while training.
  return N.isCall() && N.numOperands() > 0 && !N.isCallTo("dropout") &&
         !N.isCallTo("fake_quantize") && !N.isCallTo("batch_norm");
}

bool ConstantEvaluator::isConstant(const Node &Root) {
  llvm::SmallVector<std::pair<const Node *, bool>, 16> Stack{{&Root, false}};
  while (!Stack.empty()) {
    auto [N, Expanded] = Stack.pop_back_val();
    if (Constant.count(N))
      continue;
    if (!mayBeConstant(*N) || N->isGetAttr()) {
      Constant[N] = mayBeConstant(*N);
      continue;
    }
    if (!Expanded) {
      Stack.push_back({N, true});
      for (const Use &U : N->operandUses())
        if (!Constant.count(U.get()))
          Stack.push_back({U.get(), false});
      continue;
    }
    bool All = true;
    for (const Use &U : N->operandUses())
      All &= Constant.lookup(U.get());
    Constant[N] = All;
  }
  return Constant.lookup(&Root);
}

llvm::Expected<Tensor> ConstantEvaluator::evaluate(const Node &N) {
  auto Known = Values.find(&N);
  if (Known != Values.end())
    return Known->second;
  auto fail = [&](const llvm::Twine &Why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   llvm::formatv("node '{0}': {1}", N.name(), Why.str()));
  };
  Tensor Result;
  if (N.isGetAttr()) {
    const Parameter *P = N.param();
    if (P->isElided())
      return fail("parameter '" + P->name() + "' has no data (elided)");
    Result = Tensor::fromBytes(P->type().dims(), P->type().dtype(), P->bytes());
  } else {
    if (!N.isCall() || N.isCallTo("getitem"))
      return fail("only calls of parameters can be evaluated ahead of time");
    const OpKernel *K = lookupKernel(N.opName());
    if (!K)
      return fail("the runtime has no kernel for op '" + N.opName() + "'");
    llvm::SmallVector<Tensor, 4> Args;
    for (const Use &U : N.operandUses()) {
      auto V = evaluate(*U.get());
      if (!V)
        return V.takeError();
      Args.push_back(*V);
    }
    ForwardArgs FA{N, Args};
    TensorList Out;
    if (llvm::Error E = K->Forward(FA, Out))
      return fail(llvm::toString(std::move(E)));
    if (Out.size() != 1)
      return fail("a tuple-valued op cannot be evaluated ahead of time");
    Result = Out.front();
  }
  Values[&N] = Result;
  return Result;
}
