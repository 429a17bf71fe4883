//===- OpTester.cpp - Run one op through the executor, check gradients ----===//

#include "runtime/testing/OpTester.h"

#include "ir/Builder.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

Parameter *testing::addTensorParameter(Graph &G, llvm::StringRef Name, const Tensor &T) {
  Parameter *P = G.addParameter(Name, Type::tensor(T.dtype(), T.shape()));
  llvm::ArrayRef<uint8_t> Bytes = T.bytes();
  P->setData(std::vector<uint8_t>(Bytes.begin(), Bytes.end()));
  return P;
}

llvm::Expected<BuiltOp> testing::buildOp(const OpCase &Case) {
  BuiltOp R;
  R.G = std::make_unique<Graph>("op_test");
  Builder B(*R.G);
  llvm::SmallVector<Node *, 4> Operands;
  for (unsigned I = 0; I < Case.Operands.size(); ++I) {
    Parameter *P = addTensorParameter(*R.G, "operand" + std::to_string(I), Case.Operands[I]);
    R.OperandParams.push_back(P);
    Operands.push_back(B.getAttr(P));
  }
  auto Call = B.call(Case.Op, Operands, Case.Attrs, "op");
  if (!Call)
    return Call.takeError();
  R.Call = *Call;
  std::vector<Node *> Results;
  if ((*Call)->type().isTuple()) {
    for (unsigned I = 0; I < (*Call)->type().elements().size(); ++I) {
      auto Item = B.call("getitem", {*Call}, {{"index", Attribute(int64_t(I))}});
      if (!Item)
        return Item.takeError();
      Results.push_back(*Item);
    }
  } else {
    Results.push_back(*Call);
  }
  B.output(Results);
  auto Exec = Executor::create(*R.G);
  if (!Exec)
    return Exec.takeError();
  R.Exec = std::move(*Exec);
  return R;
}

llvm::Expected<TensorList> testing::runOp(const OpCase &Case, const RunOptions &Opts) {
  auto Built = buildOp(Case);
  if (!Built)
    return Built.takeError();
  return Built->Exec->forward({}, Opts);
}

namespace {

/// sum(out_i * R_i) over every output element.
double weightedSum(const TensorList &Outs, const std::vector<Tensor> &Weights) {
  double S = 0;
  for (unsigned O = 0; O < Outs.size(); ++O)
    for (int64_t I = 0; I < Outs[O].numel(); ++I)
      S += double(Outs[O].f32()[I]) * Weights[O].f32()[I];
  return S;
}

} // namespace

llvm::Expected<GradCheckResult> testing::checkGradients(const OpCase &Case, double Eps,
                                                        bool Training) {
  auto Built = buildOp(Case);
  if (!Built)
    return Built.takeError();
  Executor &E = *Built->Exec;
  RunOptions Opts;
  Opts.Training = Training;
  Opts.RecordGradients = true;
  auto Outs = E.forward({}, Opts);
  if (!Outs)
    return Outs.takeError();
  std::mt19937 Rng(1234);
  std::vector<Tensor> Weights;
  for (const Tensor &O : *Outs)
    Weights.push_back(randomTensor(O.shape(), Rng));
  if (llvm::Error Err = E.backward(llvm::ArrayRef<Tensor>(Weights)))
    return Err;

  GradCheckResult Result;
  RunOptions Plain;
  Plain.Training = Training;
  for (unsigned Op = 0; Op < Built->OperandParams.size(); ++Op) {
    Parameter *P = Built->OperandParams[Op];
    if (P->type().dtype() != DType::F32)
      continue;
    bool Trainable = false;
    for (Parameter *T : E.trainableParameters())
      Trainable |= T == P;
    if (!Trainable)
      continue;
    Tensor Analytic = E.gradient(P).defined() ? E.gradient(P).clone()
                                              : Tensor::zeros(P->type().dims());
    const Tensor &Value = E.parameter(P);
    for (int64_t I = 0; I < Value.numel(); ++I) {
      float Saved = Value.f32()[I];
      // Sum each output before changing the parameter again: an output may
      // be a view of it (reshape, identity).
      Value.f32()[I] = Saved + Eps;
      auto Plus = E.forward({}, Plain);
      if (!Plus)
        return Plus.takeError();
      double PlusSum = weightedSum(*Plus, Weights);
      Value.f32()[I] = Saved - Eps;
      auto Minus = E.forward({}, Plain);
      if (!Minus)
        return Minus.takeError();
      double MinusSum = weightedSum(*Minus, Weights);
      Value.f32()[I] = Saved;
      double Numeric = (PlusSum - MinusSum) / (2 * Eps);
      double Err = std::fabs(Analytic.f32()[I] - Numeric) / std::max(1.0, std::fabs(Numeric));
      if (Err > Result.MaxError) {
        Result.MaxError = Err;
        Result.Worst = llvm::formatv("operand {0} element {1}: analytic {2}, numeric {3}", Op,
                                     I, Analytic.f32()[I], Numeric);
      }
    }
  }
  return Result;
}

Tensor testing::randomTensor(llvm::ArrayRef<int64_t> Shape, std::mt19937 &Rng, float Lo,
                             float Hi) {
  std::uniform_real_distribution<float> D(Lo, Hi);
  Tensor T = Tensor::empty(Shape);
  for (int64_t I = 0; I < T.numel(); ++I)
    T.f32()[I] = D(Rng);
  return T;
}

double testing::maxAbsDiff(const Tensor &A, const Tensor &B) {
  assert(A.numel() == B.numel() && "comparing tensors of different sizes");
  double M = 0;
  for (int64_t I = 0; I < A.numel(); ++I)
    M = std::max(M, std::fabs(double(A.f32()[I]) - double(B.f32()[I])));
  return M;
}
