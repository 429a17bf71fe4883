//===- Simd.h - Loops compiled for AVX-512, AVX2 and the baseline -*- C++ -*-===//
//
// The runtime builds for plain x86-64 (SSE2). A function marked
// QATC_VECTOR_CLONES is compiled three times, for x86-64-v4 (AVX-512), for
// AVX2 and for the baseline, and the dynamic loader picks the best one the
// CPU runs (GCC target_clones, an ifunc). The build never contracts a
// multiply and an add into one (-ffp-contract=off in .bazelrc; x86-64-v4
// has FMA), so every element gets the same bits either way. Mark only loops whose
// results cannot depend on the vector width: element-wise maps, masks,
// min/max and NaN checks (a NaN probe, the sum of x - x, is 0 or NaN in any
// order). Never a floating-point sum whose value is used: its lanes would
// add in another order.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_SIMD_H
#define QATC_RUNTIME_SIMD_H

#ifdef __clang__
// clang (only the libFuzzer targets, tools/fuzz/fuzz.bzl) does not multiversion
// templates; those builds keep the baseline loop.
#define QATC_VECTOR_CLONES
#else
#define QATC_VECTOR_CLONES                                                                 \
  __attribute__((noinline, target_clones("arch=x86-64-v4", "avx2", "default")))
#endif

#endif // QATC_RUNTIME_SIMD_H
