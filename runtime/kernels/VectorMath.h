//===- VectorMath.h - exp, tanh and erf that vectorize ----------*- C++ -*-===//
//
// libm's expf, tanhf and erff are calls, so loops using them stay scalar
// (glibc's vector variants need -ffast-math). These branch-free versions
// inline into mapElements' loops and vectorize, as PyTorch's Sleef calls do:
// exp is Cephes' expf (range reduction by ln 2, degree-5 polynomial, within
// 2 ulp), tanh is Cephes' tanhf (a polynomial below 0.625, exp above), erf
// is Abramowitz and Stegun 7.1.26 (absolute error below 2e-7). NaN
// propagates; exp overflows to inf above 88.72 and underflows through the
// denormals to 0, as expf does. GCC vectorizes loops calling them only with
// -fno-trapping-math (see runtime/kernels/BUILD.bazel).
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_VECTORMATH_H
#define QATC_RUNTIME_KERNELS_VECTORMATH_H

#include <cstdint>
#include <cstring>
#include <limits>

namespace qatc {
namespace runtime {

/// e^X.
inline float vexp(float X) {
  constexpr float MaxArg = 88.7228394f, MinArg = -103.972076f;
  // Every select below picks between computed values (no conditionally
  // evaluated comparison), which lets GCC if-convert and vectorize the loop.
  bool Over = X > MaxArg, Under = X < MinArg;
  float C = Over ? MaxArg : X;
  C = Under ? MinArg : C; // NaN stays NaN
  // N = round(C / ln 2) by the 1.5 * 2^23 trick (exact for |N| < 2^22),
  // which also leaves N as an integer in the low bits of Shifted: no
  // float-to-int conversion, which GCC will not vectorize as it may trap.
  float Shifted = C * 1.44269504088896341f + 12582912.0f;
  float N = Shifted - 12582912.0f;
  float R = C - N * 0.693359375f;
  R = R - N * -2.12194440e-4f;
  float P = 1.9875691500e-4f;
  P = P * R + 1.3981999507e-3f;
  P = P * R + 8.3334519073e-3f;
  P = P * R + 4.1665795894e-2f;
  P = P * R + 1.6666665459e-1f;
  P = P * R + 5.0000001201e-1f;
  float Y = P * R * R + R + 1.0f;
  // 2^N in two factors, so N from -150 (denormal results) to 128 stays in
  // the exponent range of each.
  uint32_t ShiftedBits;
  std::memcpy(&ShiftedBits, &Shifted, sizeof(float));
  int32_t Whole = int32_t(ShiftedBits - 0x4B400000u), Half = Whole >> 1;
  uint32_t Bits1 = uint32_t(Half + 127) << 23, Bits2 = uint32_t(Whole - Half + 127) << 23;
  float Scale1, Scale2;
  std::memcpy(&Scale1, &Bits1, sizeof(float));
  std::memcpy(&Scale2, &Bits2, sizeof(float));
  float Result = Y * Scale1 * Scale2;
  Result = Over ? std::numeric_limits<float>::infinity() : Result;
  return Under ? 0.0f : Result;
}

/// tanh(X).
inline float vtanh(float X) {
  bool Negative = X < 0;
  float A = Negative ? -X : X;
  float Z = X * X;
  float Small =
      ((((-5.70498872745e-3f * Z + 2.06390887954e-2f) * Z - 5.37397155531e-2f) * Z +
        1.33314422036e-1f) *
           Z -
       3.33332819422e-1f) *
          Z * X +
      X;
  float Large = 1.0f - 2.0f / (vexp(2.0f * A) + 1.0f);
  Large = Negative ? -Large : Large;
  bool Near = A < 0.625f;
  return Near ? Small : Large;
}

/// erf(X).
inline float verf(float X) {
  bool Negative = X < 0;
  float A = Negative ? -X : X;
  float T = 1.0f / (1.0f + 0.3275911f * A);
  float P = 1.061405429f;
  P = P * T - 1.453152027f;
  P = P * T + 1.421413741f;
  P = P * T - 0.284496736f;
  P = P * T + 0.254829592f;
  float Y = 1.0f - P * T * vexp(-A * A);
  return Negative ? -Y : Y;
}

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_VECTORMATH_H
