//===- Convolution_test.cpp - conv1d, conv2d, conv_transpose2d kernels ----===//

#include "runtime/kernels/Dnnl.h"
#include "runtime/kernels/testing/ParityCases.h"

#include "ir/Builder.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

TEST_CASE("convolutions match PyTorch forward and autograd", "[convolution]") {
  CHECK(checkParityFile("runtime/kernels/fixtures/convolution.txt", 18) == "");
}

TEST_CASE("convolution gradients match finite differences", "[convolution]") {
  std::mt19937 Rng(7);
  SECTION("conv2d, stride 2, begin/end padding, bias") {
    OpCase C{"conv2d",
             {randomTensor({1, 2, 5, 6}, Rng), randomTensor({3, 2, 3, 3}, Rng),
              randomTensor({3}, Rng)},
             {{"stride", ints({2, 2})}, {"padding", ints({1, 0, 0, 1})}}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("conv2d, groups and dilation") {
    OpCase C{"conv2d",
             {randomTensor({2, 4, 6, 6}, Rng), randomTensor({4, 2, 2, 2}, Rng)},
             {{"dilation", ints({2, 1})}, {"groups", Attribute(int64_t(2))}}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("conv1d") {
    OpCase C{"conv1d",
             {randomTensor({2, 3, 9}, Rng), randomTensor({2, 3, 3}, Rng), randomTensor({2}, Rng)},
             {{"stride", ints({2})}, {"padding", ints({1})}}};
    CHECK(checkFiniteDifferences(C) == "");
  }
  SECTION("conv_transpose2d, output padding and groups") {
    OpCase C{"conv_transpose2d",
             {randomTensor({1, 4, 3, 3}, Rng), randomTensor({4, 1, 3, 3}, Rng),
              randomTensor({2}, Rng)},
             {{"stride", ints({2, 2})},
              {"padding", ints({1, 1})},
              {"output_padding", ints({1, 0})},
              {"groups", Attribute(int64_t(2))}}};
    CHECK(checkFiniteDifferences(C) == "");
  }
}

TEST_CASE("convolution primitives are cached per shape", "[convolution]") {
  std::mt19937 Rng(3);
  OpCase C{"conv2d", {randomTensor({1, 3, 6, 6}, Rng), randomTensor({5, 3, 3, 3}, Rng)}, {}};
  auto First = runOp(C);
  REQUIRE_OK(First);
  size_t Cached = dnnl_support::cachedPrimitiveCount();
  auto Second = runOp(C);
  REQUIRE_OK(Second);
  CHECK(dnnl_support::cachedPrimitiveCount() == Cached);
  CHECK(maxAbsDiff(First->front(), Second->front()) == 0);
}

TEST_CASE("convolution shape errors at run time are errors", "[convolution]") {
  Graph G("dynamic");
  Builder B(G);
  Node *X = B.placeholder("x", Type::tensor(DType::F32, {kDynamicDim, kDynamicDim, 5, 5}));
  Parameter *W = G.addParameter("w", Type::tensor(DType::F32, {4, 3, 3, 3}));
  W->setData(std::vector<uint8_t>(4 * 3 * 3 * 3 * sizeof(float), 0));
  auto Conv = B.call("conv2d", {X, B.getAttr(W)}, {}, "conv");
  REQUIRE_OK(Conv);
  B.output({*Conv});
  auto Exec = Executor::create(G);
  REQUIRE_OK(Exec);
  auto Out = (*Exec)->forward({Tensor::zeros({1, 5, 5, 5})}, RunOptions());
  REQUIRE_FALSE(bool(Out));
  CHECK(llvm::toString(Out.takeError()) ==
        "node 'conv' (conv2d): input has 5 channels but the weight expects 3 (= 3 x groups 1)");
}
