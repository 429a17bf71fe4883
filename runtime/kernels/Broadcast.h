//===- Broadcast.h - NumPy-broadcast element-wise loops and their reverse -*- C++ -*-===//
//
// mapElements applies a functor to f32 operands broadcast to one output
// shape. The output's dims are first coalesced into as few runs as the
// operands allow (same shapes: one run; a [1,C,1,1] operand against
// [N,C,H,W]: N*C runs of H*W in which that operand is one value), and each
// contiguous run is a loop whose broadcast pattern is a template parameter,
// so every variant vectorizes. sumToShape is the reverse: the gradient of a
// broadcast operand, and sums over dims.
// Chunks split the flat output, so results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_BROADCAST_H
#define QATC_RUNTIME_KERNELS_BROADCAST_H

#include "runtime/Simd.h"
#include "runtime/kernels/KernelSupport.h"

#include <array>
#include <utility>

namespace qatc {
namespace runtime {

/// The NumPy broadcast of shapes A and B, or an error naming both.
llvm::Expected<Shape> broadcastShapes(llvm::ArrayRef<int64_t> A, llvm::ArrayRef<int64_t> B);

/// An output shape coalesced into runs: Sizes[D] elements along coalesced dim
/// D (outermost first, never empty), and per operand the stride of each
/// coalesced dim (0 where the operand is broadcast).
struct BroadcastPlan {
  llvm::SmallVector<int64_t, 6> Sizes;
  llvm::SmallVector<llvm::SmallVector<int64_t, 6>, 3> Strides;
  int64_t Numel = 0;
};

/// Coalesces Out for operands of the given shapes, each of which must
/// broadcast to Out (right-aligned, dims equal or 1).
BroadcastPlan planBroadcast(llvm::ArrayRef<int64_t> Out,
                            llvm::ArrayRef<llvm::ArrayRef<int64_t>> Operands);

namespace detail {

/// Out[J] = F(operand values) for J < N; bit K of Mask says operand K is one
/// value for the whole run.
template <unsigned Mask, size_t K, typename Fn, size_t... Is>
QATC_VECTOR_CLONES void mapRun(float *__restrict Out, const std::array<const float *, K> &In,
                               int64_t N, Fn &F, std::index_sequence<Is...>) {
  const float *P[K] = {In[Is]...};
#pragma omp simd
  for (int64_t J = 0; J < N; ++J)
    Out[J] = F(P[Is][((Mask >> Is) & 1) ? 0 : J]...);
}

/// Calls mapRun with the runtime Mask as a template argument.
template <size_t K, typename Fn, unsigned M = 0>
void dispatchRun(unsigned Mask, float *Out, const std::array<const float *, K> &In, int64_t N,
                 Fn &F) {
  if constexpr (M + 1 < (1u << K)) {
    if (Mask != M)
      return dispatchRun<K, Fn, M + 1>(Mask, Out, In, N, F);
  }
  mapRun<M>(Out, In, N, F, std::make_index_sequence<K>());
}

/// Out = F(In...) element-wise over Plan (Out is contiguous in Plan's order).
template <size_t K, typename Fn>
void mapPlanned(const BroadcastPlan &Plan, float *Out, std::array<const float *, K> In, Fn F) {
  unsigned Mask = 0;
  for (size_t Op = 0; Op < K; ++Op)
    if (Plan.Strides[Op].back() == 0)
      Mask |= 1u << Op;
  forEachRun(Plan.Sizes, [&](llvm::ArrayRef<int64_t> Index, int64_t Pos, int64_t N) {
    std::array<const float *, K> P;
    for (size_t Op = 0; Op < K; ++Op)
      P[Op] = In[Op] + offsetOf(Index, Plan.Strides[Op]);
    dispatchRun<K>(Mask, Out + Pos, P, N, F);
  });
}

} // namespace detail

/// A new f32 tensor of shape Out holding F(Ins...) element-wise; every
/// operand is f32 and broadcasts to Out.
template <typename Fn, typename... Ts>
Tensor mapElements(llvm::ArrayRef<int64_t> Out, Fn F, const Ts &...Ins) {
  constexpr size_t K = sizeof...(Ts);
  BroadcastPlan Plan = planBroadcast(Out, {Ins.shape()...});
  Tensor Result = Tensor::empty(Out);
  detail::mapPlanned<K>(Plan, Result.f32(), std::array<const float *, K>{Ins.f32()...}, F);
  return Result;
}

/// G (f32) summed over the dims in which Target is broadcast to G's shape:
/// the gradient of an operand of shape Target. Returns G itself, viewed as
/// Target, when no dim is summed.
Tensor sumToShape(const Tensor &G, llvm::ArrayRef<int64_t> Target);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_BROADCAST_H
