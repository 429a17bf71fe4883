//===- KernelSupport.h - Checks and loops shared by simple kernels -*- C++ -*-===//
//
// The graph verifier checks static shapes, but dynamic dims (the batch) only
// arrive at run time, so kernels re-check what depends on them and fail with
// an error instead of crashing. These helpers build those errors, check
// dtypes and normalize negative dims. forEachRun is the parallel loop of the
// element-wise and layout kernels: it walks an index space in contiguous
// runs along the innermost dim, in chunks that depend only on the thread
// count.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_KERNELSUPPORT_H
#define QATC_RUNTIME_KERNELS_KERNELSUPPORT_H

#include "runtime/Parallel.h"
#include "runtime/Tensor.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {
namespace runtime {

/// Elements per parallel chunk of a memory-bound loop (128 KB of f32): smaller
/// loops run on one thread.
inline constexpr int64_t kElementGrain = 1 << 15;

/// A kernel error: one plain clause; the executor prefixes the node.
inline llvm::Error kernelFailure(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message.str());
}

/// Fails unless T holds f32 data; What names it in the message ("input").
inline llvm::Error requireF32(const Tensor &T, llvm::StringRef What) {
  if (T.dtype() == DType::F32)
    return llvm::Error::success();
  return kernelFailure(llvm::formatv("{0} must be f32, not {1} (the runtime computes in f32)",
                                     What, dtypeName(T.dtype())));
}

/// Dim (negative counts from the back) as an index below Rank.
inline llvm::Expected<unsigned> normalizeDim(int64_t Dim, int64_t Rank, llvm::StringRef What) {
  if (Dim < -Rank || Dim >= Rank)
    return kernelFailure(
        llvm::formatv("{0} {1} is out of range for a rank-{2} tensor", What, Dim, Rank));
  return unsigned(Dim < 0 ? Dim + Rank : Dim);
}

/// G, a gradient of a result of shape Result, viewed as Result; undefined
/// (zero) stays undefined. A different element count is an error.
inline llvm::Expected<Tensor> gradientAs(const Tensor &G, llvm::ArrayRef<int64_t> Result) {
  if (!G.defined())
    return Tensor();
  if (G.numel() != shapeNumel(Result))
    return kernelFailure(llvm::formatv("the output gradient is {0} but the result is {1}",
                                       G.describe(), shapeString(Result)));
  return G.view(Result);
}

/// Splits the row-major index space of Sizes (at least one dim) into chunks,
/// one per thread, and calls F(Index, Pos, N) for every run of N elements
/// along the innermost dim that starts at multi-index Index (flat position
/// Pos) within a chunk.
template <typename Fn> void forEachRun(llvm::ArrayRef<int64_t> Sizes, Fn F) {
  const size_t R = Sizes.size();
  const int64_t Inner = Sizes.back();
  parallelFor(shapeNumel(Sizes), kElementGrain, [&](int64_t Begin, int64_t End) {
    llvm::SmallVector<int64_t, 6> Index(R);
    int64_t Rest = Begin;
    for (size_t D = R; D-- > 0;) {
      Index[D] = Rest % Sizes[D];
      Rest /= Sizes[D];
    }
    for (int64_t Pos = Begin; Pos < End;) {
      int64_t N = std::min(Inner - Index[R - 1], End - Pos);
      F(llvm::ArrayRef<int64_t>(Index), Pos, N);
      Pos += N;
      Index[R - 1] += N;
      for (size_t D = R - 1; D > 0 && Index[D] == Sizes[D]; --D) {
        Index[D] = 0;
        ++Index[D - 1];
      }
    }
  });
}

/// The element offset of multi-index Index under Strides.
inline int64_t offsetOf(llvm::ArrayRef<int64_t> Index, llvm::ArrayRef<int64_t> Strides) {
  int64_t Offset = 0;
  for (size_t D = 0; D < Index.size(); ++D)
    Offset += Index[D] * Strides[D];
  return Offset;
}

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_KERNELSUPPORT_H
