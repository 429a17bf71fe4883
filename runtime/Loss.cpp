//===- Loss.cpp - Training losses and accuracy ----------------------------===//

#include "runtime/Loss.h"

#include "runtime/Simd.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

static llvm::Error lossError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

llvm::Expected<LossKind> runtime::parseLossKind(llvm::StringRef Name) {
  if (Name == "cross_entropy")
    return LossKind::CrossEntropy;
  if (Name == "mse")
    return LossKind::MeanSquaredError;
  return lossError("unknown loss '" + Name + "'; use cross_entropy or mse");
}

static llvm::Expected<LossResult> crossEntropy(const Tensor &Logits, const Tensor &Labels,
                                               bool WantGrad) {
  if (Logits.rank() != 2 || Logits.dtype() != DType::F32)
    return lossError(llvm::formatv("cross entropy needs f32 logits [N, C] but the model output "
                                   "is {0}; use --loss mse for other outputs",
                                   Logits.describe()));
  int64_t N = Logits.dim(0), C = Logits.dim(1);
  if (Labels.dtype() != DType::I64 || Labels.numel() != N)
    return lossError(llvm::formatv("cross entropy needs {0} integer labels in 'y' but got {1}",
                                   N, Labels.describe()));
  LossResult R;
  if (WantGrad)
    R.Grad = Tensor::empty(Logits.shape());
  const float *L = Logits.f32();
  const int64_t *Y = Labels.data<int64_t>();
  double Total = 0;
  for (int64_t I = 0; I < N; ++I) {
    int64_t Label = Y[I];
    if (Label < 0 || Label >= C)
      return lossError(llvm::formatv("label {0} of sample {1} is outside [0, {2})", Label, I, C));
    const float *Row = L + I * C;
    float Max = Row[0];
    int64_t ArgMax = 0;
    for (int64_t J = 1; J < C; ++J)
      if (Row[J] > Max) {
        Max = Row[J];
        ArgMax = J;
      }
    R.Correct += ArgMax == Label;
    double Sum = 0;
    for (int64_t J = 0; J < C; ++J)
      Sum += std::exp(double(Row[J]) - Max);
    double LogSum = std::log(Sum) + Max;
    Total += LogSum - Row[Label];
    if (WantGrad) {
      float *G = R.Grad.f32() + I * C;
      for (int64_t J = 0; J < C; ++J)
        G[J] = float((std::exp(double(Row[J]) - LogSum) - (J == Label)) / N);
    }
  }
  R.Loss = Total / N;
  return R;
}

/// The gradient of the mean squared error, 2 * (p - t) / N per element.
QATC_VECTOR_CLONES static void mseGradient(const float *__restrict P, const float *__restrict T,
                                           float *__restrict G, int64_t N) {
  float Count = float(N);
#pragma omp simd
  for (int64_t I = 0; I < N; ++I)
    G[I] = 2.0f * (P[I] - T[I]) / Count;
}

static llvm::Expected<LossResult> meanSquaredError(const Tensor &Pred, const Tensor &Target,
                                                   bool WantGrad) {
  if (Pred.dtype() != DType::F32 || Target.numel() != Pred.numel())
    return lossError(llvm::formatv("mse needs targets 'y' with the prediction's {0} elements "
                                   "but got {1}",
                                   Pred.numel(), Target.describe()));
  LossResult R;
  int64_t N = Pred.numel();
  // Integer targets are converted to f32 once.
  Tensor T = Target;
  if (T.dtype() != DType::F32) {
    T = Tensor::empty(Target.shape());
    for (int64_t I = 0; I < N; ++I)
      T.f32()[I] = float(Target.data<int64_t>()[I]);
  }
  const float *P = Pred.f32(), *Want = T.f32();
  if (WantGrad) {
    R.Grad = Tensor::empty(Pred.shape());
    mseGradient(P, Want, R.Grad.f32(), N);
  }
  // The loss in order, in double (what is reported).
  double Total = 0;
  for (int64_t I = 0; I < N; ++I) {
    float D = P[I] - Want[I];
    Total += double(D) * D;
  }
  R.Loss = N ? Total / N : 0;
  return R;
}

llvm::Expected<LossResult> runtime::computeLoss(LossKind Kind, const Tensor &Prediction,
                                                const Tensor &Target, bool WantGrad) {
  if (Kind == LossKind::CrossEntropy)
    return crossEntropy(Prediction, Target, WantGrad);
  return meanSquaredError(Prediction, Target, WantGrad);
}
