//===- Broadcast_test.cpp - Broadcast plans, mapElements, sumToShape ------===//

#include "runtime/kernels/Broadcast.h"

#include "runtime/testing/OpTester.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

/// The flat index into Operand (broadcast to Out) of output element I.
int64_t broadcastIndex(int64_t I, llvm::ArrayRef<int64_t> Out, llvm::ArrayRef<int64_t> Operand) {
  int64_t Index = 0, Stride = 1;
  for (size_t D = Out.size(); D-- > 0;) {
    int64_t Coord = I % Out[D];
    I /= Out[D];
    size_t Back = Out.size() - 1 - D;
    if (Back < Operand.size()) {
      int64_t Size = Operand[Operand.size() - 1 - Back];
      Index += (Size == 1 ? 0 : Coord) * Stride;
      Stride *= Size;
    }
  }
  return Index;
}

/// A random output shape and two operand shapes that broadcast to it.
struct ShapeTriple {
  Shape Out, A, B;
};

ShapeTriple randomShapes(std::mt19937 &Rng) {
  ShapeTriple S;
  int Rank = Rng() % 5;
  for (int D = 0; D < Rank; ++D)
    S.Out.push_back(1 + Rng() % 4);
  for (Shape *Op : {&S.A, &S.B}) {
    size_t Drop = Rng() % (Rank + 1);
    for (size_t D = Drop; D < S.Out.size(); ++D)
      Op->push_back(Rng() % 3 == 0 ? 1 : S.Out[D]);
  }
  // The broadcast of A and B may be smaller than Out where both are 1.
  S.Out = *broadcastShapes(S.A, S.B);
  return S;
}

} // namespace

TEST_CASE("broadcast plans coalesce dims into the longest runs") {
  BroadcastPlan Same = planBroadcast({2, 3, 4}, {Shape{2, 3, 4}, Shape{2, 3, 4}});
  CHECK(Same.Sizes == llvm::SmallVector<int64_t, 6>{24});
  CHECK(Same.Strides[1] == llvm::SmallVector<int64_t, 6>{1});

  BroadcastPlan Channel = planBroadcast({2, 3, 4, 5}, {Shape{2, 3, 4, 5}, Shape{1, 3, 1, 1}});
  CHECK(Channel.Sizes == llvm::SmallVector<int64_t, 6>{2, 3, 20});
  CHECK(Channel.Strides[0] == llvm::SmallVector<int64_t, 6>{60, 20, 1});
  CHECK(Channel.Strides[1] == llvm::SmallVector<int64_t, 6>{0, 1, 0});

  BroadcastPlan Outer = planBroadcast({3, 4}, {Shape{3, 1}, Shape{4}});
  CHECK(Outer.Sizes == llvm::SmallVector<int64_t, 6>{3, 4});
  CHECK(Outer.Strides[0] == llvm::SmallVector<int64_t, 6>{1, 0});
  CHECK(Outer.Strides[1] == llvm::SmallVector<int64_t, 6>{0, 1});

  BroadcastPlan Scalar = planBroadcast({1, 1}, {Shape{}, Shape{1}});
  CHECK(Scalar.Sizes == llvm::SmallVector<int64_t, 6>{1});
  CHECK(Scalar.Numel == 1);
}

TEST_CASE("broadcastShapes follows NumPy and names both shapes on a mismatch") {
  auto Out = broadcastShapes({2, 1, 4}, {3, 1});
  REQUIRE_OK(Out);
  CHECK(*Out == Shape{2, 3, 4});
  auto Bad = broadcastShapes({2, 3}, {4, 3});
  REQUIRE_FALSE(bool(Bad));
  CHECK(llvm::toString(Bad.takeError()) == "shapes [2, 3] and [4, 3] do not broadcast");
}

TEST_CASE("mapElements and sumToShape agree with a naive loop on random shapes") {
  std::mt19937 Rng(7);
  for (int Trial = 0; Trial < 300; ++Trial) {
    ShapeTriple S = randomShapes(Rng);
    INFO("out " << shapeString(S.Out) << " a " << shapeString(S.A) << " b "
                << shapeString(S.B));
    Tensor A = randomTensor(S.A, Rng), B = randomTensor(S.B, Rng);
    Tensor Out = mapElements(S.Out, [](float X, float Y) { return X * 2 - Y; }, A, B);
    REQUIRE(Out.shape() == llvm::ArrayRef<int64_t>(S.Out));
    for (int64_t I = 0; I < Out.numel(); ++I)
      REQUIRE(Out.f32()[I] == A.f32()[broadcastIndex(I, S.Out, S.A)] * 2 -
                                  B.f32()[broadcastIndex(I, S.Out, S.B)]);

    Tensor Sum = sumToShape(Out, S.A);
    std::vector<double> Want(A.numel(), 0.0);
    for (int64_t I = 0; I < Out.numel(); ++I)
      Want[broadcastIndex(I, S.Out, S.A)] += Out.f32()[I];
    REQUIRE(Sum.numel() == A.numel());
    for (int64_t I = 0; I < A.numel(); ++I)
      REQUIRE(std::fabs(Sum.f32()[I] - Want[I]) <= 1e-5 * (1 + std::fabs(Want[I])));
  }
}

TEST_CASE("large broadcasts and sums do not depend on the thread count") {
  std::mt19937 Rng(11);
  Tensor X = randomTensor({4, 16, 40, 41}, Rng), Scale = randomTensor({1, 16, 1, 1}, Rng);
  Shape Targets[] = {{1, 16, 1, 1}, {4, 16, 1, 1}, {1, 1, 40, 41}, {}, {16, 1, 41}};
  auto Run = [&](int Threads) {
    setNumThreads(Threads);
    std::vector<Tensor> R{mapElements(X.shape(), [](float A, float B) { return A * B; }, X,
                                      Scale)};
    for (const Shape &T : Targets)
      R.push_back(sumToShape(R[0], T));
    return R;
  };
  int Saved = numThreads();
  std::vector<Tensor> One = Run(1), Three = Run(3);
  setNumThreads(Saved);
  for (size_t I = 0; I < One.size(); ++I) {
    INFO("result " << I);
    CHECK(maxAbsDiff(One[I], Three[I]) == 0);
  }
  // The per-channel sum is right, not just stable.
  double Want = 0;
  for (int64_t N = 0; N < 4; ++N)
    for (int64_t I = 0; I < 40 * 41; ++I)
      Want += double(X.f32()[(N * 16 + 5) * 40 * 41 + I]) * Scale.f32()[5];
  CHECK(std::fabs(One[1 + 0].f32()[5] - Want) < 1e-3);
}
