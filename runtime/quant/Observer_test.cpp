//===- Observer_test.cpp - Observer maths against the spec and PyTorch ----===//

#include "runtime/quant/Observer.h"
#include "runtime/quant/QParamTensors.h"
#include "runtime/quant/testing/FixtureFile.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::quant;
using namespace qatc::runtime::testing;

namespace {

constexpr float Inf = std::numeric_limits<float>::infinity();
constexpr QuantRange U8{0, 255}, I8{-128, 127}, I4{-8, 7}, U4{0, 15};

FakeQuantAttrs attrsFor(ObserverKind Kind) {
  FakeQuantAttrs A;
  A.Observer = Kind;
  return A;
}

} // namespace

TEST_CASE("qparams reproduce the spec's worked numbers", "[observer]") {
  // Data containing -1.0, 0.5 and 3.0 (spec §2.2).
  QParams Q = computeQParams(-1.0f, 3.0f, QScheme::Symmetric, U8);
  CHECK(Q.Scale == 3.0f / 127.5f);
  CHECK(Q.ZeroPoint == 128);
  Q = computeQParams(-1.0f, 3.0f, QScheme::Affine, U8);
  CHECK(Q.Scale == 4.0f / 255.0f);
  CHECK(Q.ZeroPoint == 64);
  Q = computeQParams(-1.0f, 3.0f, QScheme::Symmetric, I8);
  CHECK(Q.Scale == 3.0f / 127.5f);
  CHECK(Q.ZeroPoint == 0);
  Q = computeQParams(-1.0f, 3.0f, QScheme::Affine, I8);
  CHECK(Q.Scale == 4.0f / 255.0f);
  CHECK(Q.ZeroPoint == -64);

  // 4-bit per channel with channel abs-max 2.0 and 0.5.
  for (QuantRange R : {I4, U4}) {
    CHECK(computeQParams(-2.0f, 1.0f, QScheme::Symmetric, R).Scale == 2.0f / 7.5f);
    CHECK(computeQParams(-0.1f, 0.5f, QScheme::Symmetric, R).Scale == 0.5f / 7.5f);
  }
  CHECK(computeQParams(-2.0f, 1.0f, QScheme::Symmetric, I4).ZeroPoint == 0);
  CHECK(computeQParams(-2.0f, 1.0f, QScheme::Symmetric, U4).ZeroPoint == 7);
}

TEST_CASE("qparams edge cases: unobserved, eps, zero inclusion", "[observer]") {
  QParams Q = computeQParams(Inf, -Inf, QScheme::Affine, U8);
  CHECK(Q.Scale == 1.0f);
  CHECK(Q.ZeroPoint == 0);
  Q = computeQParams(Inf, -Inf, QScheme::Symmetric, U8);
  CHECK(Q.Scale == 1.0f);
  CHECK(Q.ZeroPoint == 0);

  Q = computeQParams(0.0f, 0.0f, QScheme::Affine, U8);
  CHECK(Q.Scale == ScaleEps);
  CHECK(Q.ZeroPoint == 0);
  Q = computeQParams(0.0f, 0.0f, QScheme::Symmetric, I8);
  CHECK(Q.Scale == ScaleEps);

  // An all-positive range still contains 0: affine zero point is qmin.
  Q = computeQParams(2.0f, 5.1f, QScheme::Affine, I8);
  CHECK(Q.Scale == 5.1f / 255.0f);
  CHECK(Q.ZeroPoint == -128);
  // An all-negative one puts the zero point at qmax.
  Q = computeQParams(-5.1f, -2.0f, QScheme::Affine, U8);
  CHECK(Q.ZeroPoint == 255);
}

TEST_CASE("symmetric zero points follow torch's range rule", "[observer]") {
  CHECK(symmetricZeroPoint(U8) == 128);
  CHECK(symmetricZeroPoint(I8) == 0);
  CHECK(symmetricZeroPoint(I4) == 0);
  CHECK(symmetricZeroPoint(U4) == 7);
  CHECK(symmetricZeroPoint(QuantRange{0, 127}) == 63);
}

TEST_CASE("range updates per observer kind", "[observer]") {
  float Min = Inf, Max = -Inf;
  FakeQuantAttrs MA = attrsFor(ObserverKind::MovingAverageMinMax);
  updateRange(MA, -1.0f, 2.0f, Min, Max);
  CHECK(Min == -1.0f);
  CHECK(Max == 2.0f);
  updateRange(MA, -3.0f, 4.0f, Min, Max);
  CHECK(Min == -1.0f + 0.01f * (-3.0f - -1.0f));
  CHECK(Max == 2.0f + 0.01f * (4.0f - 2.0f));

  FakeQuantAttrs MM = attrsFor(ObserverKind::MinMax);
  Min = Inf;
  Max = -Inf;
  updateRange(MM, -1.0f, 2.0f, Min, Max);
  updateRange(MM, -0.5f, 3.0f, Min, Max);
  CHECK(Min == -1.0f);
  CHECK(Max == 3.0f);

  FakeQuantAttrs Ema = attrsFor(ObserverKind::EmaMinMax);
  Min = Inf;
  Max = -Inf;
  updateRange(Ema, -1.0f, 2.0f, Min, Max);
  updateRange(Ema, -3.0f, 4.0f, Min, Max);
  CHECK(Min == -1.0f * 0.9f + -3.0f * 0.1f);
  CHECK(Max == 2.0f * 0.9f + 4.0f * 0.1f);

  FakeQuantAttrs Fixed = attrsFor(ObserverKind::Fixed);
  Min = 1.0f;
  Max = 2.0f;
  updateRange(Fixed, -7.0f, 7.0f, Min, Max);
  CHECK(Min == 1.0f);
  CHECK(Max == 2.0f);

  Min = -1.0f;
  Max = 1.0f;
  updateRange(MM, std::nanf(""), 0.5f, Min, Max);
  CHECK(std::isnan(Min));
}

TEST_CASE("learnable zero points and the LSQ gradient scale", "[observer]") {
  CHECK(learnableZeroPoint(3.7f, QScheme::Symmetric, U8) == 128.0f);
  CHECK(learnableZeroPoint(3.7f, QScheme::Symmetric, I8) == 0.0f);
  CHECK(learnableZeroPoint(2.5f, QScheme::Affine, U8) == 2.0f);
  CHECK(learnableZeroPoint(3.5f, QScheme::Affine, U8) == 4.0f);
  CHECK(learnableZeroPoint(-3.3f, QScheme::Affine, I8) == -3.0f);
  CHECK(learnableZeroPoint(-0.6f, QScheme::Affine, U8) == 0.0f);
  CHECK(learnableZeroPoint(300.0f, QScheme::Affine, U8) == 255.0f);
  CHECK(lsqGradFactor(60, U8) == float(1.0 / std::sqrt(60.0 * 255.0)));
  CHECK(lsqGradFactor(12, I4) == float(1.0 / std::sqrt(12.0 * 7.0)));
}

TEST_CASE("roundHalfEven is std::nearbyint; clampToRange sends NaN low", "[observer]") {
  int64_t Wrong = 0;
  for (uint64_t U = 0; U <= 0xFFFFFFFFull; U += 9973) {
    float V;
    uint32_t Bits = uint32_t(U);
    std::memcpy(&V, &Bits, 4);
    float Got = roundHalfEven(V), Want = std::nearbyint(V);
    Wrong += std::memcmp(&Got, &Want, 4) != 0 && !(std::isnan(Got) && std::isnan(Want));
  }
  CHECK(Wrong == 0);
  for (float V : {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 4194302.5f, 4194304.5f, 8388607.5f})
    CHECK(roundHalfEven(V) == std::nearbyint(V));
  CHECK(roundHalfEven(2.5f) == 2.0f);
  CHECK(clampToRange(std::nanf(""), -8.0f, 7.0f) == -8.0f);
  CHECK(clampToRange(Inf, -8.0f, 7.0f) == 7.0f);
  CHECK(clampToRange(3.0f, -8.0f, 7.0f) == 3.0f);
}

TEST_CASE("channel layouts and segments", "[observer]") {
  auto L = channelLayout({2, 3, 4}, 1);
  REQUIRE_OK(L);
  CHECK(L->Outer == 2);
  CHECK(L->Channels == 3);
  CHECK(L->Inner == 4);
  CHECK(L->perChannel() == 8);
  L = channelLayout({2, 3, 4}, -1);
  REQUIRE_OK(L);
  CHECK(L->Channels == 4);
  CHECK(L->Inner == 1);
  L = channelLayout({2, 3, 4}, std::nullopt);
  REQUIRE_OK(L);
  CHECK(L->Channels == 1);
  CHECK(L->Inner == 24);
  CHECK(!L->PerChannel);
  auto Bad = channelLayout({2, 3}, 2);
  CHECK(qatc::testing::errorText(Bad.takeError()) ==
        "'axis' 2 is out of range for an input of rank 2");

  // Every element is visited once, with its channel.
  ChannelLayout Big{3, 2, SegmentElements + 5, true};
  std::vector<int> Seen(Big.numel(), 0);
  std::vector<int64_t> Channel(Big.numel(), -1);
  forEachSegment(Big, [&](int64_t, int64_t C, int64_t Begin, int64_t End) {
    for (int64_t I = Begin; I < End; ++I) {
      ++Seen[I];
      Channel[I] = C;
    }
  });
  int64_t Wrong = 0;
  for (int64_t I = 0; I < Big.numel(); ++I)
    Wrong += Seen[I] != 1 || Channel[I] != (I / Big.Inner) % Big.Channels;
  CHECK(Wrong == 0);
  CHECK(numSegments(Big) == 12);
}

TEST_CASE("observers match PyTorch over four batches", "[observer][torch]") {
  auto Cases = readFixtureFile("runtime/quant/fixtures/observers.txt");
  REQUIRE_OK(Cases);
  REQUIRE(Cases->size() == 72);
  for (const FixtureCase &C : *Cases) {
    INFO("case " << C.Name);
    FakeQuantAttrs A;
    A.Observer = C.Strings.lookup("observer") == "min_max" ? ObserverKind::MinMax
                 : C.Strings.lookup("observer") == "ema_min_max"
                     ? ObserverKind::EmaMinMax
                     : ObserverKind::MovingAverageMinMax;
    A.Scheme = C.Strings.lookup("scheme") == "symmetric" ? QScheme::Symmetric : QScheme::Affine;
    A.Range = {C.Ints.lookup("quant_min"), C.Ints.lookup("quant_max")};
    if (C.Ints.count("axis"))
      A.Axis = C.Ints.lookup("axis");
    if (C.Floats.count("averaging_constant"))
      A.AveragingConstant = C.Floats.lookup("averaging_constant");
    if (C.Floats.count("ema_ratio"))
      A.EmaRatio = C.Floats.lookup("ema_ratio");
    auto L = channelLayout(C.tensor("x0").shape(), A.Axis);
    REQUIRE_OK(L);
    int64_t Ch = L->Channels;
    Tensor MinVal = Tensor::full({Ch}, Inf), MaxVal = Tensor::full({Ch}, -Inf);
    Tensor Scale = Tensor::full({Ch}, 1.0f), Zp = Tensor::zeros({Ch}, DType::I32);
    for (int64_t B = 0; B < C.getInt("batches", 0); ++B) {
      INFO("batch " << B);
      std::string Suffix = std::to_string(B);
      observe(C.tensor("x" + Suffix), *L, A, MinVal, MaxVal, Scale, Zp);
      CHECK_BITS(MinVal, C.tensor("min_val" + Suffix));
      CHECK_BITS(MaxVal, C.tensor("max_val" + Suffix));
      CHECK_BITS(Scale, C.tensor("scale" + Suffix));
      CHECK_BITS(Zp, C.tensor("zero_point" + Suffix));
    }
  }
}
