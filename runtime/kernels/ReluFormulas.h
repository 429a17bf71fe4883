//===- ReluFormulas.h - relu and relu6 values and gradient gates -*- C++ -*-===//
//
// PyTorch's CPU formulas for relu and relu6 (hardtanh(0, 6)), shared by the
// activation kernels and the fused activation + fake quant kernel, so both
// compute the same bits: the value, and whether backward passes the incoming
// gradient (relu: not at or below 0, judged on its output; relu6: not at or
// outside [0, 6], judged on its input). NaN passes both ways.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_RELUFORMULAS_H
#define QATC_RUNTIME_KERNELS_RELUFORMULAS_H

#include <algorithm>

namespace qatc {
namespace runtime {

inline float reluValue(float X) { return X < 0.0f ? 0.0f : X; }
/// Given relu's output Y.
inline bool reluPasses(float Y) { return !(Y <= 0.0f); }

inline float relu6Value(float X) { return std::min(std::max(X, 0.0f), 6.0f); }
/// Given relu6's input X.
inline bool relu6Passes(float X) { return !((X <= 0.0f) | (X >= 6.0f)); }

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_RELUFORMULAS_H
