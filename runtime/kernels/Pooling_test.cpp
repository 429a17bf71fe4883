//===- Pooling_test.cpp - max, average and adaptive average pooling -------===//

#include "runtime/kernels/testing/ParityCases.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

TEST_CASE("pooling matches PyTorch forward and autograd", "[pooling]") {
  CHECK(checkParityFile("runtime/kernels/fixtures/pooling.txt", 18) == "");
}

TEST_CASE("pooling gradients match finite differences", "[pooling]") {
  std::mt19937 Rng(13);
  SECTION("max_pool2d, ceil mode and padding") {
    OpCase C{"max_pool2d",
             {randomTensor({1, 2, 6, 7}, Rng)},
             {{"kernel_size", ints({3, 3})},
              {"stride", ints({2, 2})},
              {"padding", ints({1, 1})},
              {"ceil_mode", Attribute(true)}}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("avg_pool2d, excluding padding") {
    OpCase C{"avg_pool2d",
             {randomTensor({2, 1, 5, 5}, Rng)},
             {{"kernel_size", ints({3, 2})},
              {"padding", ints({1, 1})},
              {"count_include_pad", Attribute(false)}}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("adaptive_avg_pool2d") {
    OpCase C{"adaptive_avg_pool2d",
             {randomTensor({1, 2, 5, 7}, Rng)},
             {{"output_size", ints({3, 2})}}};
    CHECK(checkFiniteDifferences(C) == "");
  }
}

TEST_CASE("max pooling routes the gradient to the first maximum", "[pooling]") {
  // Two equal maxima in the window: PyTorch picks the first.
  OpCase C{"max_pool2d",
           {Tensor::fromFloats({1, 1, 2, 2}, {1, 3, 3, 0})},
           {{"kernel_size", ints({2, 2})}}};
  auto Built = buildOp(C);
  REQUIRE_OK(Built);
  RunOptions Opts;
  Opts.RecordGradients = true;
  auto Out = Built->Exec->forward({}, Opts);
  REQUIRE_OK(Out);
  CHECK(Out->front().f32()[0] == 3);
  REQUIRE_OK(Built->Exec->backward({Tensor::full({1, 1, 1, 1}, 2)}));
  const Tensor &G = Built->Exec->gradient(Built->OperandParams[0]);
  REQUIRE(G.defined());
  CHECK(std::vector<float>(G.f32(), G.f32() + 4) == std::vector<float>{0, 2, 0, 0});
}

TEST_CASE("max pooling propagates NaN and routes to the last NaN", "[pooling]") {
  float NaN = std::numeric_limits<float>::quiet_NaN();
  OpCase C{"max_pool2d",
           {Tensor::fromFloats({1, 1, 2, 3}, {1, NaN, 5, 3, NaN, 0})},
           {{"kernel_size", ints({2, 2})}, {"stride", ints({1, 1})}}};
  auto Built = buildOp(C);
  REQUIRE_OK(Built);
  RunOptions Opts;
  Opts.RecordGradients = true;
  auto Out = Built->Exec->forward({}, Opts);
  REQUIRE_OK(Out);
  CHECK(std::isnan(Out->front().f32()[0]));
  CHECK(std::isnan(Out->front().f32()[1]));
  REQUIRE_OK(Built->Exec->backward({Tensor::fromFloats({1, 1, 1, 2}, {1, 10})}, false));
  const Tensor &G = Built->Exec->gradient(Built->OperandParams[0]);
  REQUIRE(G.defined());
  CHECK(std::vector<float>(G.f32(), G.f32() + 6) == std::vector<float>{0, 0, 0, 0, 11, 0});
}
