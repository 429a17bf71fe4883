//===- Elementwise_test.cpp - add, sub, mul, div against PyTorch ----------===//

#include "runtime/kernels/testing/OpFixtures.h"

#include "ir/Builder.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

TEST_CASE("element-wise ops match PyTorch, broadcasting both ways") {
  CHECK(checkOpFixtureFile("runtime/kernels/fixtures/basic/elementwise.json",
                           {"add", "div", "mul", "sub"}) == "");
}

TEST_CASE("element-wise gradients match finite differences") {
  std::mt19937 Rng(3);
  std::pair<Shape, Shape> Shapes[] = {
      {{2, 3}, {2, 3}}, {{2, 3, 2}, {3, 1}}, {{1, 3, 1, 1}, {2, 3, 2, 2}}, {{}, {4}}};
  for (const char *Op : {"add", "sub", "mul", "div"}) {
    for (const auto &[A, B] : Shapes) {
      INFO(Op << " " << shapeString(A) << " " << shapeString(B));
      // Denominators stay away from zero.
      OpCase C{Op, {randomTensor(A, Rng), randomTensor(B, Rng, 0.5f, 1.5f)}, {}};
      auto R = checkGradients(C);
      REQUIRE_OK(R);
      CHECK(R->MaxError < 1e-2);
    }
  }
}

TEST_CASE("element-wise ops reject shapes that only fail to broadcast at run time") {
  Graph G("dynamic");
  Builder B(G);
  Node *X = B.placeholder("x", Type::tensor(DType::F32, {kDynamicDim, 3}));
  Node *Y = B.placeholder("y", Type::tensor(DType::F32, {kDynamicDim, 3}));
  auto Sum = B.call("add", {X, Y}, {}, "sum");
  REQUIRE_OK(Sum);
  B.output({*Sum});
  auto E = Executor::create(G);
  REQUIRE_OK(E);
  auto Out = (*E)->forward({Tensor::zeros({2, 3}), Tensor::zeros({4, 3})}, {});
  REQUIRE_FALSE(bool(Out));
  CHECK(llvm::toString(Out.takeError()) ==
        "node 'sum' (add): shapes [2, 3] and [4, 3] do not broadcast");
  auto Fine = (*E)->forward({Tensor::full({2, 3}, 1), Tensor::full({1, 3}, 2)}, {});
  REQUIRE_OK(Fine);
  CHECK(Fine->front().shape() == llvm::ArrayRef<int64_t>{2, 3});
  CHECK(Fine->front().f32()[5] == 3);
}

TEST_CASE("element-wise ops compute in f32 only") {
  OpCase C{"mul", {Tensor::zeros({2}, DType::I32), Tensor::zeros({2}, DType::I32)}, {}};
  auto Out = runOp(C);
  REQUIRE_FALSE(bool(Out));
  CHECK(llvm::toString(Out.takeError()) ==
        "node 'op' (mul): lhs must be f32, not i32 (the runtime computes in f32)");
}
