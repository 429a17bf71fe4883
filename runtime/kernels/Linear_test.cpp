//===- Linear_test.cpp - linear and matmul kernels ------------------------===//

#include "runtime/kernels/testing/ParityCases.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

TEST_CASE("linear and matmul match PyTorch forward and autograd", "[linear]") {
  CHECK(checkParityFile("runtime/kernels/fixtures/linear.txt", 14) == "");
}

TEST_CASE("a wrong reference value is reported", "[linear]") {
  auto Cases = readParityCases("runtime/kernels/fixtures/linear.txt");
  REQUIRE_OK(Cases);
  REQUIRE(!Cases->empty());
  ParityCase C = Cases->front();
  CHECK(checkParity(C) == "");
  C.Output = C.Output.clone();
  C.Output.f32()[0] += 1e-3f;
  CHECK(llvm::StringRef(checkParity(C)).startswith("output: element 0 is"));
  C = Cases->front();
  C.Grads[1] = C.Grads[1].clone();
  C.Grads[1].f32()[2] *= 1.01f;
  CHECK(llvm::StringRef(checkParity(C)).startswith("gradient of operand 1: element 2 is"));
}

TEST_CASE("linear and matmul gradients match finite differences", "[linear]") {
  std::mt19937 Rng(11);
  SECTION("linear on a 3-D input with bias") {
    OpCase C{"linear",
             {randomTensor({2, 3, 4}, Rng), randomTensor({5, 4}, Rng), randomTensor({5}, Rng)},
             {}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("matmul with broadcast batches") {
    OpCase C{"matmul", {randomTensor({2, 1, 3, 4}, Rng), randomTensor({3, 4, 2}, Rng)}, {}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("matmul of a batch and a shared matrix") {
    OpCase C{"matmul", {randomTensor({3, 2, 4}, Rng), randomTensor({4, 3}, Rng)}, {}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("matmul of vectors") {
    OpCase C{"matmul", {randomTensor({4}, Rng), randomTensor({4}, Rng)}, {}};
    CHECK(checkFiniteDifferences(C) == "");
  }
}
