//===- Reductions_test.cpp - mean and softmax against PyTorch -------------===//

#include "runtime/kernels/testing/OpFixtures.h"

#include "runtime/Parallel.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

TEST_CASE("mean and softmax match PyTorch") {
  CHECK(checkOpFixtureFile("runtime/kernels/fixtures/basic/reductions.json",
                           {"mean", "softmax"}) == "");
}

TEST_CASE("mean and softmax gradients match finite differences") {
  std::mt19937 Rng(9);
  Tensor X = randomTensor({2, 3, 4}, Rng, -2, 2);
  std::vector<OpCase> Cases = {
      {"mean", {X}, {}},
      {"mean", {X}, {{"dims", Attribute(std::vector<int64_t>{0, 2})}}},
      {"mean", {X}, {{"dims", Attribute(std::vector<int64_t>{1})}, {"keepdim", Attribute(true)}}},
      {"softmax", {X}, {}},
      {"softmax", {X}, {{"dim", Attribute(int64_t(1))}}},
      {"softmax", {X}, {{"dim", Attribute(int64_t(0))}}},
  };
  for (const OpCase &C : Cases) {
    INFO(C.Op << " case " << (&C - Cases.data()));
    auto R = checkGradients(C);
    REQUIRE_OK(R);
    CHECK(R->MaxError < 1e-2);
  }
}

TEST_CASE("softmax rows sum to one and survive huge inputs") {
  Tensor X = Tensor::fromFloats({2, 3}, {1e30f, 0, -1e30f, 88, 89, 90});
  auto Out = runOp({"softmax", {X}, {}});
  REQUIRE_OK(Out);
  const float *Y = Out->front().f32();
  CHECK(Y[0] == 1);
  CHECK(Y[1] == 0);
  CHECK(Y[3] + Y[4] + Y[5] == Approx(1).epsilon(1e-6));
  CHECK(Y[5] > Y[4]);
}

TEST_CASE("mean and softmax do not depend on the thread count") {
  std::mt19937 Rng(13);
  Tensor X = randomTensor({8, 16, 30, 30}, Rng);
  std::vector<OpCase> Cases = {
      {"mean", {X}, {}},
      {"mean", {X}, {{"dims", Attribute(std::vector<int64_t>{0, 2, 3})}}},
      {"softmax", {X}, {{"dim", Attribute(int64_t(1))}}},
  };
  int Saved = numThreads();
  for (const OpCase &C : Cases) {
    setNumThreads(1);
    auto One = runOp(C);
    setNumThreads(3);
    auto Three = runOp(C);
    REQUIRE_OK(One);
    REQUIRE_OK(Three);
    CHECK(maxAbsDiff(One->front(), Three->front()) == 0);
  }
  setNumThreads(Saved);
}
