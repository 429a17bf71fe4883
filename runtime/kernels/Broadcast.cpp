//===- Broadcast.cpp - Broadcast plans, sums over broadcast dims ----------===//

#include "runtime/kernels/Broadcast.h"

#include "runtime/kernels/LaneSum.h"

#include <algorithm>
#include <vector>

using namespace qatc;
using namespace qatc::runtime;

llvm::Expected<Shape> runtime::broadcastShapes(llvm::ArrayRef<int64_t> A,
                                               llvm::ArrayRef<int64_t> B) {
  size_t R = std::max(A.size(), B.size());
  Shape Out(R);
  for (size_t I = 0; I < R; ++I) {
    int64_t X = I < R - A.size() ? 1 : A[I - (R - A.size())];
    int64_t Y = I < R - B.size() ? 1 : B[I - (R - B.size())];
    if (X != Y && X != 1 && Y != 1)
      return kernelFailure(llvm::formatv("shapes {0} and {1} do not broadcast", shapeString(A),
                                         shapeString(B)));
    Out[I] = X == 1 ? Y : X;
  }
  return Out;
}

BroadcastPlan runtime::planBroadcast(llvm::ArrayRef<int64_t> Out,
                                     llvm::ArrayRef<llvm::ArrayRef<int64_t>> Operands) {
  BroadcastPlan Plan;
  Plan.Numel = shapeNumel(Out);
  const size_t K = Operands.size(), R = Out.size();
  // Per coalesced dim, which operands are present (not broadcast) in it.
  llvm::SmallVector<unsigned, 6> Present;
  for (size_t D = 0; D < R; ++D) {
    if (Out[D] == 1)
      continue;
    unsigned Bits = 0;
    for (size_t Op = 0; Op < K; ++Op) {
      llvm::ArrayRef<int64_t> S = Operands[Op];
      if (D >= R - S.size() && S[D - (R - S.size())] == Out[D])
        Bits |= 1u << Op;
    }
    if (!Present.empty() && Present.back() == Bits) {
      Plan.Sizes.back() *= Out[D];
    } else {
      Plan.Sizes.push_back(Out[D]);
      Present.push_back(Bits);
    }
  }
  if (Plan.Sizes.empty()) { // every dim is 1: one element, read at offset 0
    Plan.Sizes.push_back(1);
    Present.push_back(0);
  }
  Plan.Strides.resize(K);
  for (size_t Op = 0; Op < K; ++Op) {
    Plan.Strides[Op].resize(Plan.Sizes.size());
    int64_t Stride = 1;
    for (size_t D = Plan.Sizes.size(); D-- > 0;) {
      bool Here = (Present[D] >> Op) & 1;
      Plan.Strides[Op][D] = Here ? Stride : 0;
      if (Here)
        Stride *= Plan.Sizes[D];
    }
  }
  return Plan;
}

namespace {

/// Sum of N contiguous floats, accumulated in double (in laneSum's order).
double sumRun(const float *P, int64_t N) {
  LaneSum S;
  S.add(P, N);
  return S.total();
}

/// Sum of every element: fixed-size blocks summed in parallel, then in
/// order, so the result does not depend on the thread count.
float sumAll(const float *G, int64_t N) {
  int64_t Blocks = (N + kElementGrain - 1) / kElementGrain;
  std::vector<double> Partial(Blocks);
  parallelFor(Blocks, 1, [&](int64_t Begin, int64_t End) {
    for (int64_t B = Begin; B < End; ++B)
      Partial[B] = sumRun(G + B * kElementGrain, std::min(kElementGrain, N - B * kElementGrain));
  });
  double S = 0;
  for (double P : Partial)
    S += P;
  return float(S);
}

/// The coalesced dims of a reduction: kept dims (present in the target) and
/// summed dims, with their strides in the (contiguous) source. The innermost
/// coalesced dim is not among the summed dims when it is summed itself
/// (InnerSummed): it is the contiguous run each visit sums.
struct ReduceDims {
  llvm::SmallVector<int64_t, 6> KeptSizes, KeptStrides, SummedSizes, SummedStrides;
  bool InnerSummed = false;
  int64_t Inner = 1;
};

ReduceDims planReduce(const BroadcastPlan &Plan) {
  ReduceDims R;
  const size_t Rank = Plan.Sizes.size();
  llvm::SmallVector<int64_t, 6> SourceStrides(Rank);
  int64_t Stride = 1;
  for (size_t D = Rank; D-- > 0;) {
    SourceStrides[D] = Stride;
    Stride *= Plan.Sizes[D];
  }
  R.Inner = Plan.Sizes.back();
  R.InnerSummed = Plan.Strides[0].back() == 0;
  for (size_t D = 0; D < Rank; ++D) {
    if (Plan.Strides[0][D] != 0) {
      R.KeptSizes.push_back(Plan.Sizes[D]);
      R.KeptStrides.push_back(SourceStrides[D]);
    } else if (D + 1 < Rank || !R.InnerSummed) {
      R.SummedSizes.push_back(Plan.Sizes[D]);
      R.SummedStrides.push_back(SourceStrides[D]);
    }
  }
  return R;
}

/// Calls F(source offset) for every combination of R's summed dims, in
/// row-major order.
template <typename Fn> void forEachSummed(const ReduceDims &R, Fn F) {
  const size_t S = R.SummedSizes.size();
  llvm::SmallVector<int64_t, 6> Index(S, 0);
  int64_t Offset = 0;
  for (;;) {
    F(Offset);
    size_t D = S;
    for (;;) {
      if (D == 0)
        return;
      --D;
      Offset += R.SummedStrides[D];
      if (++Index[D] < R.SummedSizes[D])
        break;
      Offset -= Index[D] * R.SummedStrides[D];
      Index[D] = 0;
    }
  }
}

/// Source offset of target element T (the kept dims are the target's
/// row-major dims).
int64_t keptOffset(const ReduceDims &R, int64_t T) {
  int64_t Offset = 0;
  for (size_t D = R.KeptSizes.size(); D-- > 0;) {
    Offset += (T % R.KeptSizes[D]) * R.KeptStrides[D];
    T /= R.KeptSizes[D];
  }
  return Offset;
}

} // namespace

Tensor runtime::sumToShape(const Tensor &G, llvm::ArrayRef<int64_t> Target) {
  const int64_t TN = shapeNumel(Target), GN = G.numel();
  if (TN == GN)
    return G.view(Target);
  Tensor Result = Tensor::empty(Target);
  float *Dst = Result.f32();
  const float *Src = G.f32();
  if (GN == 0) {
    Result.zero();
    return Result;
  }
  if (TN == 1) {
    Dst[0] = sumAll(Src, GN);
    return Result;
  }
  BroadcastPlan Plan = planBroadcast(G.shape(), {Target});
  ReduceDims R = planReduce(Plan);
  int64_t Grain = std::max<int64_t>(1, kElementGrain / (GN / TN));
  parallelFor(TN, Grain, [&](int64_t Begin, int64_t End) {
    if (R.InnerSummed) {
      // Each target element sums contiguous runs of the innermost dim.
      for (int64_t T = Begin; T < End; ++T) {
        int64_t Base = keptOffset(R, T);
        double S = 0;
        forEachSummed(R, [&](int64_t Offset) { S += sumRun(Src + Base + Offset, R.Inner); });
        Dst[T] = float(S);
      }
      return;
    }
    // The innermost dim is kept: add source rows into runs of the target.
    for (int64_t T = Begin; T < End;) {
      int64_t N = std::min(R.Inner - T % R.Inner, End - T);
      int64_t Base = keptOffset(R, T);
      float *__restrict D = Dst + T;
      std::fill(D, D + N, 0.0f);
      forEachSummed(R, [&](int64_t Offset) {
        const float *__restrict S = Src + Base + Offset;
#pragma omp simd
        for (int64_t J = 0; J < N; ++J)
          D[J] += S[J];
      });
      T += N;
    }
  });
  return Result;
}
