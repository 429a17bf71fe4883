//===- Parallel.h - Splitting loops across the runtime's threads -*- C++ -*-===//
//
// The runtime's own loops share OpenMP's thread team with oneDNN, so the two
// never oversubscribe the cores. parallelFor splits [0, N) into one static
// chunk per thread; results therefore depend only on the thread count, which
// keeps training runs bit-reproducible for a given --threads.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_PARALLEL_H
#define QATC_RUNTIME_PARALLEL_H

#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace qatc {
namespace runtime {

/// Threads the runtime uses (OpenMP's team size).
int numThreads();
/// Sets the thread count for the runtime and oneDNN; N < 1 means 1.
void setNumThreads(int N);

#ifdef _OPENMP
constexpr bool kCompiledWithOpenMP = true;
#else
constexpr bool kCompiledWithOpenMP = false;
#endif

/// Calls Fn(Begin, End) on disjoint chunks covering [0, N), in parallel when
/// N is larger than Grain (the smallest chunk worth a thread).
template <typename F> void parallelFor(int64_t N, int64_t Grain, F &&Fn) {
  static_assert(sizeof(F) && kCompiledWithOpenMP,
                "code calling parallelFor must be compiled with -fopenmp");
  if (N <= 0)
    return;
  int64_t MaxChunks = Grain > 0 ? (N + Grain - 1) / Grain : N;
  int Threads = 1;
#ifdef _OPENMP
  Threads = (int)std::min<int64_t>(omp_in_parallel() ? 1 : numThreads(), MaxChunks);
#endif
  if (Threads <= 1) {
    Fn(int64_t(0), N);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(Threads)
  {
    int64_t T = omp_get_thread_num(), Count = omp_get_num_threads();
    int64_t Begin = N * T / Count, End = N * (T + 1) / Count;
    if (Begin < End)
      Fn(Begin, End);
  }
#endif
}

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_PARALLEL_H
