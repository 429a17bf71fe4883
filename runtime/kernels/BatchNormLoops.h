//===- BatchNormLoops.h - Batch norm's per-channel loops -------*- C++ -*-===//
//
// The forward and backward loops of batch norm over [N, C, *]. They read the
// normalized input through a per-channel functor, so a caller may compute
// its input on the fly instead of reading a stored tensor. Training mode
// normalizes with the batch mean and biased variance (two passes, double
// accumulation per channel) and may move the running statistics with
// PyTorch's momentum rule and unbiased variance; inference mode uses the
// running statistics. Channels are visited in groups small enough to stay in
// cache across the passes, batch-major within a group (so passes stream
// through memory), groups in parallel; each channel still sums its values in
// batch order, whatever the grouping and thread count.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_BATCHNORMLOOPS_H
#define QATC_RUNTIME_KERNELS_BATCHNORMLOOPS_H

#include "runtime/Parallel.h"
#include "runtime/Simd.h"
#include "runtime/Tensor.h"
#include "runtime/kernels/LayerSupport.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cmath>

namespace qatc {
namespace runtime {

/// A batch norm input viewed as [Batch, Channels, Plane].
struct BnShape {
  int64_t Batch, Channels, Plane;
  /// Values per channel.
  int64_t count() const { return Batch * Plane; }
  /// Flat offset of batch B's run of channel C.
  int64_t base(int64_t B, int64_t C) const { return (B * Channels + C) * Plane; }
};

inline llvm::ArrayRef<int64_t> dimsOf(const Tensor &T) { return T.shape(); }
inline llvm::ArrayRef<int64_t> dimsOf(const Shape &S) { return S; }

/// Checks a batch norm input of shape X (rank >= 2) against its weight, bias,
/// running_mean and running_var (Params: tensors or shapes, [C] each) and
/// views it as [Batch, Channels, Plane].
template <typename T>
llvm::Expected<BnShape> batchNormShape(llvm::ArrayRef<int64_t> X, llvm::ArrayRef<T> Params) {
  if (X.size() < 2)
    return kernelError("input must have rank at least 2, not {0}", X.size());
  static const char *Names[] = {"weight", "bias", "running_mean", "running_var"};
  for (unsigned I = 0; I < 4; ++I) {
    llvm::ArrayRef<int64_t> P = dimsOf(Params[I]);
    if (P.size() != 1 || P[0] != X[1])
      return kernelError("'{0}' must have shape [{1}], not {2}", Names[I], X[1], shapeString(P));
  }
  return BnShape{X[0], X[1], shapeNumel(X.drop_front(2))};
}

/// Consecutive channels [Begin, End) that the loops visit together.
struct ChannelGroup {
  int64_t Begin, End;
  int64_t size() const { return End - Begin; }
};

/// Values of one tensor a channel group aims at: the group's input and output
/// stay in cache across the passes over it.
inline constexpr int64_t kGroupValues = 1 << 15;

/// Calls Fn(Group) for groups of consecutive channels covering every channel,
/// in parallel chunks of enough values to be worth a thread.
template <typename F> void forEachChannelGroup(const BnShape &S, F &&Fn) {
  int64_t Count = std::max<int64_t>(1, S.count());
  int64_t PerGroup = std::max<int64_t>(1, std::min<int64_t>(S.Channels, kGroupValues / Count));
  int64_t Groups = (S.Channels + PerGroup - 1) / PerGroup;
  int64_t Grain = std::max<int64_t>(1, 32768 / (PerGroup * Count));
  parallelFor(Groups, Grain, [&](int64_t Begin, int64_t End) {
    for (int64_t G = Begin; G < End; ++G)
      Fn(ChannelGroup{G * PerGroup, std::min(S.Channels, (G + 1) * PerGroup)});
  });
}

/// Calls Fn(C, Begin, End) for the run [Begin, End) of every channel C of G in
/// every batch, batch-major: the runs of one batch are adjacent in memory, so
/// a pass streams through the group.
template <typename F> void forEachRun(const BnShape &S, ChannelGroup G, F &&Fn) {
  for (int64_t B = 0; B < S.Batch; ++B)
    for (int64_t C = G.Begin; C < G.End; ++C)
      Fn(C, S.base(B, C), S.base(B, C) + S.Plane);
}

/// Sums[C - G.Begin] += the sum, in double, of Term(C)(offset) over channel
/// C's values, for each channel C of G. Each channel accumulates its runs in
/// batch order, as a loop over that channel alone would. Term(C) returns a
/// functor that captures by value: GCC leaves a loop scalar when it must
/// reload a pointer captured by reference.
template <typename TermFn>
void groupSums(const BnShape &S, ChannelGroup G, double *Sums, TermFn &&Term) {
  forEachRun(S, G, [&](int64_t C, int64_t Begin, int64_t End) {
    auto T = Term(C);
    double Sum = Sums[C - G.Begin];
#pragma omp simd reduction(+ : Sum)
    for (int64_t I = Begin; I < End; ++I)
      Sum += T(I);
    Sums[C - G.Begin] = Sum;
  });
}

/// Y = X(I) * Scale + Shift over [Begin, End).
template <typename ValueFn>
QATC_VECTOR_CLONES void scaleShiftRun(ValueFn X, float *__restrict Y, int64_t Begin, int64_t End,
                                      float Scale, float Shift) {
#pragma omp simd
  for (int64_t I = Begin; I < End; ++I)
    Y[I] = X(I) * Scale + Shift;
}

/// The parameters and results of one batch norm forward.
struct BnForward {
  bool Training = false;
  /// Move the running statistics (training only).
  bool Update = false;
  double Eps = 0, Momentum = 0;
  const float *Weight = nullptr, *Bias = nullptr;
  float *RunMean = nullptr, *RunVar = nullptr;
  /// Per channel: the mean and 1 / sqrt(var + eps) the channel is normalized
  /// with (for backward).
  float *Mean = nullptr, *InvStd = nullptr;
  float *Y = nullptr;
};

/// Batch norm forward; Input(C) returns channel C's value functor
/// float(int64_t offset), capturing by value. Prologue(G) runs first for
/// each channel group (a fused caller computes the group's input there).
template <typename InputFn, typename PrologueFn>
void batchNormForwardLoops(const BnShape &S, const BnForward &A, InputFn &&Input,
                           PrologueFn &&Prologue) {
  const int64_t Count = S.count();
  forEachChannelGroup(S, [&](ChannelGroup G) {
    Prologue(G);
    llvm::SmallVector<double, 16> Mean(G.size(), 0.0), SumSq(G.size(), 0.0);
    if (A.Training) {
      groupSums(S, G, Mean.data(), [&](int64_t C) {
        auto X = Input(C);
        return [X](int64_t I) { return double(X(I)); };
      });
      for (double &M : Mean)
        M /= Count;
      groupSums(S, G, SumSq.data(), [&](int64_t C) {
        auto X = Input(C);
        double M = Mean[C - G.Begin];
        return [X, M](int64_t I) {
          double D = X(I) - M;
          return D * D;
        };
      });
    }
    llvm::SmallVector<float, 16> Scale(G.size()), Shift(G.size());
    for (int64_t C = G.Begin; C < G.End; ++C) {
      double M, Var;
      if (A.Training) {
        M = Mean[C - G.Begin];
        Var = SumSq[C - G.Begin] / Count;
        if (A.Update) {
          A.RunMean[C] = float((1 - A.Momentum) * A.RunMean[C] + A.Momentum * M);
          A.RunVar[C] = float((1 - A.Momentum) * A.RunVar[C] +
                              A.Momentum * SumSq[C - G.Begin] / (Count - 1));
        }
      } else {
        M = A.RunMean[C];
        Var = A.RunVar[C];
      }
      double Inv = 1.0 / std::sqrt(Var + A.Eps);
      A.Mean[C] = float(M);
      A.InvStd[C] = float(Inv);
      // y = x * Scale + Shift
      Scale[C - G.Begin] = float(A.Weight[C] * Inv);
      Shift[C - G.Begin] = float(A.Bias[C] - M * A.Weight[C] * Inv);
    }
    forEachRun(S, G, [&](int64_t C, int64_t Begin, int64_t End) {
      scaleShiftRun(Input(C), A.Y, Begin, End, Scale[C - G.Begin], Shift[C - G.Begin]);
    });
  });
}

/// The parameters and results of one batch norm backward.
struct BnBackward {
  bool Training = false;
  const float *DY = nullptr, *Weight = nullptr;
  /// What the forward saved.
  const float *Mean = nullptr, *InvStd = nullptr;
  /// Per channel gradients of the weight and bias.
  float *DWeight = nullptr, *DBias = nullptr;
};

/// The input gradient of one channel: dx(I) = (dy - MeanDY - (x - Mean) * K)
/// * Scale, i.e. (dy - mean(dy) - xhat * mean(dy * xhat)) * invstd * w in
/// training and dy * invstd * w in inference.
template <typename InputValue> struct BnInputGradient {
  const float *DY;
  InputValue X;
  float MeanDY, Mean, K, Scale;
  float operator()(int64_t I) const { return (DY[I] - MeanDY - (X(I) - Mean) * K) * Scale; }
};

/// Batch norm backward: the weight and bias gradients, and per channel group
/// G a call Output(G, Dx, SumDYXc) where Dx[C - G.Begin] is channel C's
/// input gradient functor (a BnInputGradient), for Output to store or reduce
/// run by run (forEachRun), and SumDYXc[C - G.Begin] channel C's sum of
/// dy * (x - mean) in double. Prologue(G) runs first for each channel group (a fused
/// caller writes the group's output gradient there).
template <typename InputFn, typename PrologueFn, typename OutputFn>
void batchNormBackwardLoops(const BnShape &S, const BnBackward &A, InputFn &&Input,
                            PrologueFn &&Prologue, OutputFn &&Output) {
  using Gradient = BnInputGradient<decltype(Input(int64_t(0)))>;
  const int64_t Count = S.count();
  const float *DY = A.DY;
  forEachChannelGroup(S, [&](ChannelGroup G) {
    Prologue(G);
    llvm::SmallVector<double, 16> SumDY(G.size(), 0.0), SumDYXc(G.size(), 0.0);
    groupSums(S, G, SumDY.data(),
              [DY](int64_t) { return [DY](int64_t I) { return double(DY[I]); }; });
    groupSums(S, G, SumDYXc.data(), [&](int64_t C) {
      auto X = Input(C);
      double M = A.Mean[C];
      return [DY, X, M](int64_t I) { return DY[I] * (X(I) - M); };
    });
    llvm::SmallVector<Gradient, 16> Dx;
    for (int64_t C = G.Begin; C < G.End; ++C) {
      double Inv = A.InvStd[C], Dyxc = SumDYXc[C - G.Begin];
      A.DWeight[C] = float(Dyxc * Inv);
      A.DBias[C] = float(SumDY[C - G.Begin]);
      Gradient D{DY, Input(C), 0.0f, A.Mean[C], 0.0f, float(Inv * A.Weight[C])};
      if (A.Training) {
        D.K = float(Dyxc * Inv * Inv / Count);
        D.MeanDY = float(SumDY[C - G.Begin] / Count);
      }
      Dx.push_back(D);
    }
    Output(G, llvm::ArrayRef<Gradient>(Dx), llvm::ArrayRef<double>(SumDYXc));
  });
}

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_BATCHNORMLOOPS_H
