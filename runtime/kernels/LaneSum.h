//===- LaneSum.h - Double sums of float runs in a fixed lane order -*- C++ -*-===//
//
// The sum in double of a contiguous run of float values, added in four lanes
// whose order the source fixes: lane k adds value k of every whole group of
// four from the start of the run, lane 0 then adds the rest in order, and
// the total is (((0 + lane 0) + lane 1) + lane 2) + lane 3. That is the
// order GCC gave sumToShape's vectorized `omp simd` reduction, which this
// replaced bit for bit; the fused scaled weight's factor gradient (which
// added in sequence before) now adds exactly as the unfused sumToShape does.
// The lanes are explicit, so the result is the same whether they fill one
// AVX2 register or two SSE2 ones.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_LANESUM_H
#define QATC_RUNTIME_KERNELS_LANESUM_H

#include <cstdint>

namespace qatc {
namespace runtime {

/// Four doubles, one per lane.
typedef double DoubleLanes __attribute__((vector_size(32)));
/// Four floats, converted into DoubleLanes.
typedef float FloatLanes __attribute__((vector_size(16)));

/// A sum in the lane order above, fed in pieces. Always inlined, so it is
/// compiled for the caller's target (in an AVX2 clone the lanes fill one
/// register).
class LaneSum {
public:
  /// Adds the N floats at P; every piece but the last must hold a multiple
  /// of four.
  __attribute__((always_inline)) void add(const float *P, int64_t N) {
    int64_t I = 0;
    for (; I + 4 <= N; I += 4) {
      FloatLanes F;
      __builtin_memcpy(&F, P + I, sizeof(F));
      Lanes += __builtin_convertvector(F, DoubleLanes);
    }
    for (; I < N; ++I)
      Lanes[0] += double(P[I]);
  }

  __attribute__((always_inline)) double total() const {
    return (((0.0 + Lanes[0]) + Lanes[1]) + Lanes[2]) + Lanes[3];
  }

private:
  DoubleLanes Lanes = {0.0, 0.0, 0.0, 0.0};
};

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_LANESUM_H
