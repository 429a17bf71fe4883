//===- VectorMath_test.cpp - Accuracy of the vectorizable exp, tanh, erf --===//

#include "runtime/kernels/VectorMath.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace qatc::runtime;

TEST_CASE("vexp is within 2 ulp of exp over the normal range") {
  double Worst = 0;
  float At = 0;
  for (float X = -87.3f; X < 88.72f; X += 0.000731f) {
    double Want = std::exp(double(X));
    double Error = std::fabs(vexp(X) - Want) / Want;
    if (Error > Worst) {
      Worst = Error;
      At = X;
    }
  }
  INFO("worst at " << At);
  CHECK(Worst < 2 * 5.97e-8);
}

TEST_CASE("vexp overflows, underflows and propagates NaN as expf does") {
  CHECK(vexp(0) == 1);
  CHECK(vexp(88.73f) == INFINITY);
  CHECK(vexp(INFINITY) == INFINITY);
  CHECK(vexp(-INFINITY) == 0);
  CHECK(vexp(-104.0f) == 0);
  CHECK(std::isnan(vexp(NAN)));
  // Denormal results keep about their leading digits.
  for (float X : {-88.0f, -95.0f, -100.0f, -103.0f})
    CHECK(std::fabs(vexp(X) - std::exp(double(X))) <= 2e-45 + 1e-3 * std::exp(double(X)));
}

TEST_CASE("vtanh and verf are within their error bounds") {
  double TanhError = 0, ErfError = 0;
  for (float X = -12; X < 12; X += 0.0001f) {
    double T = std::tanh(double(X));
    TanhError = std::max(TanhError, std::fabs(vtanh(X) - T) / std::max(1e-30, std::fabs(T)));
    ErfError = std::max(ErfError, std::fabs(verf(X) - std::erf(double(X))));
  }
  CHECK(TanhError < 3e-7);
  CHECK(ErfError < 6e-7);
  CHECK(vtanh(1e-20f) == 1e-20f);
  CHECK(vtanh(100) == 1);
  CHECK(vtanh(-INFINITY) == -1);
  CHECK(verf(INFINITY) == 1);
  CHECK(verf(-30) == -1);
  CHECK(std::isnan(vtanh(NAN)));
  CHECK(std::isnan(verf(NAN)));
}
