//===- Optimizer.cpp - SGD, Adam and AdamW with PyTorch's update rules ----===//

#include "runtime/Optimizer.h"

#include "runtime/Parallel.h"
#include "runtime/Simd.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

llvm::Expected<OptimizerKind> runtime::parseOptimizerKind(llvm::StringRef Name) {
  if (Name == "sgd")
    return OptimizerKind::SGD;
  if (Name == "adam")
    return OptimizerKind::Adam;
  if (Name == "adamw")
    return OptimizerKind::AdamW;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unknown optimizer '" + Name + "'; use sgd, adam or adamw");
}

namespace {

constexpr int64_t kGrain = 1 << 14;

/// SGD without momentum over N elements: w -= lr * (g + wd * w).
QATC_VECTOR_CLONES void sgdRun(float *__restrict W, const float *__restrict G, int64_t N, float Lr,
                               float Wd) {
#pragma omp simd
  for (int64_t I = 0; I < N; ++I)
    W[I] -= Lr * (G[I] + Wd * W[I]);
}

/// SGD with momentum over N elements, torch.optim.SGD's order of operations;
/// the flags are template parameters so that each variant vectorizes.
template <bool First, bool Nesterov, bool Decay>
QATC_VECTOR_CLONES void momentumRun(float *__restrict W, const float *__restrict G,
                                    float *__restrict Buf, int64_t N, float Lr, float Wd,
                                    float Mom) {
#pragma omp simd
  for (int64_t I = 0; I < N; ++I) {
    float D = Decay ? G[I] + Wd * W[I] : G[I];
    float B = First ? D : Mom * Buf[I] + D;
    Buf[I] = B;
    W[I] -= Lr * (Nesterov ? D + Mom * B : B);
  }
}

using MomentumRunFn = void (*)(float *, const float *, float *, int64_t, float, float, float);

MomentumRunFn momentumVariant(bool First, bool Nesterov, bool Decay) {
  static const MomentumRunFn Table[8] = {
      momentumRun<false, false, false>, momentumRun<false, false, true>,
      momentumRun<false, true, false>,  momentumRun<false, true, true>,
      momentumRun<true, false, false>,  momentumRun<true, false, true>,
      momentumRun<true, true, false>,   momentumRun<true, true, true>};
  return Table[First * 4 + Nesterov * 2 + Decay];
}

/// The scalars of one Adam/AdamW step.
struct AdamScalars {
  float B1, B2, OneMinusB1, OneMinusB2, Eps, Wd, Decay, StepSize, Bc2Sqrt;
};

/// Adam (L2 decay when Wd != 0) or AdamW (Decoupled) over N elements.
template <bool Decoupled>
QATC_VECTOR_CLONES void adamRun(float *__restrict W, const float *__restrict G,
                                float *__restrict M, float *__restrict V, int64_t N,
                                const AdamScalars &A) {
#pragma omp simd
  for (int64_t I = 0; I < N; ++I) {
    float D = G[I];
    if (Decoupled)
      W[I] *= A.Decay;
    else
      D = A.Wd != 0 ? D + A.Wd * W[I] : D;
    M[I] = M[I] * A.B1 + D * A.OneMinusB1;
    V[I] = V[I] * A.B2 + A.OneMinusB2 * D * D;
    float Denom = std::sqrt(V[I]) / A.Bc2Sqrt + A.Eps;
    W[I] += -A.StepSize * (M[I] / Denom);
  }
}

} // namespace

void Optimizer::step(Executor &E, double LR) {
  ++Steps;
  const float Lr = float(LR), Wd = float(Opts.WeightDecay), Mom = float(Opts.Momentum);
  for (Parameter *P : E.trainableParameters()) {
    const Tensor &Grad = E.gradient(P);
    if (!Grad.defined())
      continue;
    const Tensor &Param = E.parameter(P);
    Slot &S = Slots[P->name()];
    float *W = Param.f32();
    const float *G = Grad.f32();
    int64_t N = Param.numel();
    if (Opts.Kind == OptimizerKind::SGD) {
      if (Mom == 0) {
        parallelFor(N, kGrain, [&](int64_t B, int64_t End) {
          sgdRun(W + B, G + B, End - B, Lr, Wd);
        });
        continue;
      }
      bool First = !S.Momentum.defined();
      if (First)
        S.Momentum = Tensor::empty(Param.shape());
      float *Buf = S.Momentum.f32();
      MomentumRunFn Run = momentumVariant(First, Opts.Nesterov, Wd != 0);
      parallelFor(N, kGrain, [&](int64_t B, int64_t End) {
        Run(W + B, G + B, Buf + B, End - B, Lr, Wd, Mom);
      });
      continue;
    }
    if (!S.ExpAvg.defined()) {
      S.ExpAvg = Tensor::zeros(Param.shape());
      S.ExpAvgSq = Tensor::zeros(Param.shape());
    }
    ++S.Steps;
    // Scalars are formed in double and rounded once, as Python floats are
    // before torch casts them: float(1 - 0.999) is not 1 - float(0.999).
    AdamScalars A;
    A.B1 = float(Opts.Beta1);
    A.B2 = float(Opts.Beta2);
    A.Eps = float(Opts.Eps);
    A.Wd = Wd;
    A.OneMinusB1 = float(1 - Opts.Beta1);
    A.OneMinusB2 = float(1 - Opts.Beta2);
    A.Decay = float(1 - LR * Opts.WeightDecay);
    const double BiasCorrection1 = 1 - std::pow(Opts.Beta1, double(S.Steps));
    const double BiasCorrection2 = 1 - std::pow(Opts.Beta2, double(S.Steps));
    A.StepSize = float(LR / BiasCorrection1);
    A.Bc2Sqrt = float(std::sqrt(BiasCorrection2));
    const bool Decoupled = Opts.Kind == OptimizerKind::AdamW;
    float *M = S.ExpAvg.f32(), *V = S.ExpAvgSq.f32();
    parallelFor(N, kGrain, [&](int64_t B, int64_t End) {
      if (Decoupled)
        adamRun<true>(W + B, G + B, M + B, V + B, End - B, A);
      else
        adamRun<false>(W + B, G + B, M + B, V + B, End - B, A);
    });
  }
}

NamedTensors Optimizer::state() const {
  NamedTensors State;
  Tensor Count = Tensor::empty({1}, DType::I64);
  Count.data<int64_t>()[0] = Steps;
  State.emplace_back("optimizer.steps", Count);
  std::vector<std::string> Names;
  for (const auto &KV : Slots)
    Names.push_back(KV.getKey().str());
  std::sort(Names.begin(), Names.end());
  for (const std::string &Name : Names) {
    const Slot &S = Slots.find(Name)->second;
    if (S.Momentum.defined())
      State.emplace_back(Name + ".momentum_buffer", S.Momentum);
    if (S.ExpAvg.defined()) {
      State.emplace_back(Name + ".exp_avg", S.ExpAvg);
      State.emplace_back(Name + ".exp_avg_sq", S.ExpAvgSq);
      Tensor Steps = Tensor::empty({1}, DType::I64);
      Steps.data<int64_t>()[0] = S.Steps;
      State.emplace_back(Name + ".step", Steps);
    }
  }
  return State;
}

llvm::Error Optimizer::loadState(const NamedTensors &State) {
  Slots.clear();
  Steps = 0;
  for (const auto &[Key, T] : State) {
    llvm::StringRef K(Key);
    auto Scalar = [&]() -> llvm::Expected<int64_t> {
      if (T.dtype() != DType::I64 || T.numel() != 1)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "optimizer state '" + K + "' is not one integer");
      return T.data<int64_t>()[0];
    };
    if (K == "optimizer.steps") {
      auto V = Scalar();
      if (!V)
        return V.takeError();
      Steps = *V;
    } else if (K.consume_back(".momentum_buffer")) {
      Slots[K].Momentum = T.clone();
    } else if (K.consume_back(".exp_avg_sq")) {
      Slots[K].ExpAvgSq = T.clone();
    } else if (K.consume_back(".exp_avg")) {
      Slots[K].ExpAvg = T.clone();
    } else if (K.consume_back(".step")) {
      auto V = Scalar();
      if (!V)
        return V.takeError();
      Slots[K].Steps = *V;
    } else {
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "unknown optimizer state entry '" + Key + "'");
    }
  }
  return llvm::Error::success();
}
