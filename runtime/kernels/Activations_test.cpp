//===- Activations_test.cpp - Activation functions against PyTorch --------===//

#include "runtime/kernels/testing/OpFixtures.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

TEST_CASE("activations match PyTorch, at their kinks too") {
  CHECK(checkOpFixtureFile("runtime/kernels/fixtures/basic/activations.json",
                           {"clamp", "gelu", "hardsigmoid", "hardswish", "leaky_relu", "relu",
                            "relu6", "sigmoid", "silu", "tanh"}) == "");
}

TEST_CASE("activation gradients match finite differences away from the kinks") {
  // No kink (0, +-3, 6 and the clamp bounds +-1.5) lies within 0.1 of a value.
  std::vector<float> Values;
  for (float M : {0.2f, 0.7f, 1.2f, 2.2f, 2.8f, 3.6f, 4.9f, 5.6f, 6.5f, 8.0f}) {
    Values.push_back(M);
    Values.push_back(-M);
  }
  Tensor X = Tensor::fromFloats({4, 5}, Values);
  std::vector<OpCase> Cases = {
      {"relu", {X}, {}},
      {"relu6", {X}, {}},
      {"clamp", {X}, {{"min", Attribute(-1.5)}, {"max", Attribute(1.5)}}},
      {"hardswish", {X}, {}},
      {"hardsigmoid", {X}, {}},
      {"sigmoid", {X}, {}},
      {"tanh", {X}, {}},
      {"silu", {X}, {}},
      {"gelu", {X}, {}},
      {"gelu", {X}, {{"approximate", Attribute("tanh")}}},
      {"leaky_relu", {X}, {{"negative_slope", Attribute(0.3)}}},
  };
  for (const OpCase &C : Cases) {
    INFO(C.Op);
    auto R = checkGradients(C);
    REQUIRE_OK(R);
    CHECK(R->MaxError < 1e-2);
  }
}

TEST_CASE("activations pass NaN through as PyTorch does") {
  Tensor X = Tensor::fromFloats({1}, {NAN});
  for (const char *Op : {"relu", "relu6", "hardswish", "sigmoid", "gelu"}) {
    INFO(Op);
    auto Out = runOp({Op, {X}, {}});
    REQUIRE_OK(Out);
    CHECK(std::isnan(Out->front().f32()[0]));
  }
}
