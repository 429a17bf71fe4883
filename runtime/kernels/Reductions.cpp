//===- Reductions.cpp - mean and softmax --------------------------------===//
//
// mean sums with sumToShape (runtime/kernels/Broadcast.h) and divides by the
// element count, as PyTorch does; its gradient spreads grad / count back.
// softmax is the numerically stable form: exp(x - max) / sum along the dim,
// with gradient y * (g - sum(g * y)). Lines along the innermost dim are
// contiguous rows; lines along an outer dim are processed in blocks of
// neighbours so every pass reads memory contiguously. Both vectorize.
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/kernels/Broadcast.h"
#include "runtime/kernels/VectorMath.h"

#include <algorithm>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// The shapes of one mean: the input with reduced dims set to 1 (Kept), the
/// result (Result: Kept without those dims unless keepdim) and how many
/// elements each result element averages.
struct MeanShapes {
  Shape Kept, Result;
  int64_t Count = 1;
};

llvm::Expected<MeanShapes> meanShapes(const Node &N, llvm::ArrayRef<int64_t> In) {
  llvm::ArrayRef<int64_t> Dims = N.getInts("dims");
  llvm::SmallVector<bool, 6> Reduced(In.size(), Dims.empty());
  for (int64_t D : Dims) {
    auto A = normalizeDim(D, In.size(), "'dims' value");
    if (!A)
      return A.takeError();
    if (Reduced[*A])
      return kernelFailure(llvm::formatv("'dims' repeats dimension {0}", *A));
    Reduced[*A] = true;
  }
  MeanShapes S;
  bool KeepDim = N.getBool("keepdim");
  for (size_t I = 0; I < In.size(); ++I) {
    S.Kept.push_back(Reduced[I] ? 1 : In[I]);
    if (Reduced[I])
      S.Count *= In[I];
    if (!Reduced[I] || KeepDim)
      S.Result.push_back(S.Kept.back());
  }
  return S;
}

llvm::Error meanForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  if (llvm::Error E = requireF32(X, "input"))
    return E;
  auto S = meanShapes(Args.N, X.shape());
  if (!S)
    return S.takeError();
  float Count = float(S->Count);
  Tensor Sum = sumToShape(X, S->Kept);
  Outputs.push_back(
      mapElements(S->Kept, [Count](float V) { return V / Count; }, Sum).view(S->Result));
  return llvm::Error::success();
}

llvm::Error meanBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  auto S = meanShapes(Args.N, Args.InputShapes[0]);
  if (!S)
    return S.takeError();
  auto G = gradientAs(Args.GradOutputs[0], S->Kept);
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  float Count = float(S->Count);
  GradInputs[0] =
      mapElements(Args.InputShapes[0], [Count](float D) { return D / Count; }, *G);
  return llvm::Error::success();
}

/// Lines processed together: neighbours along the inner dims.
constexpr int64_t kLineBlock = 64;

/// A softmax input seen as [Outer, Size, Inner] around the softmax dim.
struct SoftmaxLines {
  int64_t Outer = 1, Size = 1, Inner = 1;
};

llvm::Expected<SoftmaxLines> softmaxLines(const Node &N, llvm::ArrayRef<int64_t> In) {
  SoftmaxLines L;
  if (In.empty()) // a scalar is one line of one element
    return L;
  auto Dim = normalizeDim(N.getInt("dim"), In.size(), "'dim'");
  if (!Dim)
    return Dim.takeError();
  L.Outer = shapeNumel(In.take_front(*Dim));
  L.Size = In[*Dim];
  L.Inner = shapeNumel(In.drop_front(*Dim + 1));
  return L;
}

/// Visits every line in parallel: when the softmax dim is innermost, calls
/// Row(Base) for each contiguous line Base .. Base + Size - 1; otherwise
/// calls Block(Base, Count) on blocks of up to kLineBlock neighbouring lines
/// whose elements are Base + J + K * Inner (J < Count, K < Size).
template <typename RowFn, typename BlockFn>
void forEachLine(const SoftmaxLines &L, RowFn Row, BlockFn Block) {
  int64_t Grain = std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, L.Size));
  if (L.Inner == 1) {
    parallelFor(L.Outer, Grain, [&](int64_t Begin, int64_t End) {
      for (int64_t O = Begin; O < End; ++O)
        Row(O * L.Size);
    });
    return;
  }
  parallelFor(L.Outer * L.Inner, Grain, [&](int64_t Begin, int64_t End) {
    for (int64_t P = Begin; P < End;) {
      int64_t O = P / L.Inner, I = P % L.Inner;
      int64_t Count = std::min({L.Inner - I, End - P, kLineBlock});
      Block(O * L.Size * L.Inner + I, Count);
      P += Count;
    }
  });
}

llvm::Error softmaxForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  if (llvm::Error E = requireF32(X, "input"))
    return E;
  auto L = softmaxLines(Args.N, X.shape());
  if (!L)
    return L.takeError();
  Tensor Y = Tensor::empty(X.shape());
  const float *In = X.f32();
  float *Out = Y.f32();
  const int64_t Size = L->Size, Inner = L->Inner;
  constexpr float Lowest = -std::numeric_limits<float>::infinity();
  auto Row = [&](int64_t Base) {
    const float *XR = In + Base;
    float *YR = Out + Base;
    float Max = Lowest, Sum = 0;
#pragma omp simd reduction(max : Max)
    for (int64_t K = 0; K < Size; ++K)
      Max = XR[K] > Max ? XR[K] : Max;
#pragma omp simd reduction(+ : Sum)
    for (int64_t K = 0; K < Size; ++K) {
      YR[K] = vexp(XR[K] - Max);
      Sum += YR[K];
    }
    float Inverse = 1.0f / Sum;
#pragma omp simd
    for (int64_t K = 0; K < Size; ++K)
      YR[K] *= Inverse;
  };
  auto Block = [&](int64_t Base, int64_t Count) {
    float Max[kLineBlock], Sum[kLineBlock];
    std::fill(Max, Max + Count, Lowest);
    std::fill(Sum, Sum + Count, 0.0f);
    for (int64_t K = 0; K < Size; ++K) {
      const float *XR = In + Base + K * Inner;
#pragma omp simd
      for (int64_t J = 0; J < Count; ++J)
        Max[J] = XR[J] > Max[J] ? XR[J] : Max[J];
    }
    for (int64_t K = 0; K < Size; ++K) {
      const float *XR = In + Base + K * Inner;
      float *YR = Out + Base + K * Inner;
#pragma omp simd
      for (int64_t J = 0; J < Count; ++J) {
        YR[J] = vexp(XR[J] - Max[J]);
        Sum[J] += YR[J];
      }
    }
    for (int64_t J = 0; J < Count; ++J)
      Sum[J] = 1.0f / Sum[J];
    for (int64_t K = 0; K < Size; ++K) {
      float *YR = Out + Base + K * Inner;
#pragma omp simd
      for (int64_t J = 0; J < Count; ++J)
        YR[J] *= Sum[J];
    }
  };
  forEachLine(*L, Row, Block);
  Outputs.push_back(Y);
  return llvm::Error::success();
}

llvm::Error softmaxBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  const Tensor &Y = Args.Outputs[0];
  auto G = gradientAs(Args.GradOutputs[0], Y.shape());
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  auto L = softmaxLines(Args.N, Y.shape());
  if (!L)
    return L.takeError();
  Tensor GX = Tensor::empty(Y.shape());
  const float *Grad = G->f32(), *Prob = Y.f32();
  float *Res = GX.f32();
  const int64_t Size = L->Size, Inner = L->Inner;
  auto Row = [&](int64_t Base) {
    const float *GR = Grad + Base, *YR = Prob + Base;
    float *R = Res + Base;
    float Dot = 0;
#pragma omp simd reduction(+ : Dot)
    for (int64_t K = 0; K < Size; ++K)
      Dot += GR[K] * YR[K];
#pragma omp simd
    for (int64_t K = 0; K < Size; ++K)
      R[K] = YR[K] * (GR[K] - Dot);
  };
  auto Block = [&](int64_t Base, int64_t Count) {
    float Dot[kLineBlock];
    std::fill(Dot, Dot + Count, 0.0f);
    for (int64_t K = 0; K < Size; ++K) {
      int64_t Line = Base + K * Inner;
#pragma omp simd
      for (int64_t J = 0; J < Count; ++J)
        Dot[J] += Grad[Line + J] * Prob[Line + J];
    }
    for (int64_t K = 0; K < Size; ++K) {
      int64_t Line = Base + K * Inner;
#pragma omp simd
      for (int64_t J = 0; J < Count; ++J)
        Res[Line + J] = Prob[Line + J] * (Grad[Line + J] - Dot[J]);
    }
  };
  forEachLine(*L, Row, Block);
  GradInputs[0] = GX;
  return llvm::Error::success();
}

} // namespace

void runtime::registerReductionsKernels(KernelTable &Table) {
  Table["mean"] = OpKernel{meanForward, meanBackward, SavesNothing};
  Table["softmax"] = OpKernel{softmaxForward, softmaxBackward, SavesOutputs};
}
