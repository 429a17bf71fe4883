//===- BatchNorm_test.cpp - batch_norm and batch_norm_scale kernels -------===//

#include "runtime/kernels/testing/ParityCases.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

/// x, weight, bias, running_mean, running_var for C channels.
OpCase batchNormCase(llvm::ArrayRef<int64_t> Shape, std::mt19937 &Rng) {
  int64_t C = Shape[1];
  return OpCase{"batch_norm",
                {randomTensor(Shape, Rng, -2, 3), randomTensor({C}, Rng),
                 randomTensor({C}, Rng), randomTensor({C}, Rng, -0.2f, 0.2f),
                 randomTensor({C}, Rng, 0.5f, 1.5f)},
                {}};
}

} // namespace

TEST_CASE("batch norm matches PyTorch in training and inference", "[batch_norm]") {
  CHECK(checkParityFile("runtime/kernels/fixtures/batch_norm.txt", 6) == "");
}

TEST_CASE("batch norm gradients match finite differences", "[batch_norm]") {
  std::mt19937 Rng(5);
  SECTION("training, 4-D") { CHECK(checkFiniteDifferences(batchNormCase({3, 2, 2, 3}, Rng), true) == ""); }
  SECTION("training, 2-D") { CHECK(checkFiniteDifferences(batchNormCase({5, 3}, Rng), true) == ""); }
  SECTION("inference") { CHECK(checkFiniteDifferences(batchNormCase({2, 3, 2, 2}, Rng)) == ""); }
  SECTION("batch_norm_scale") {
    OpCase C{"batch_norm_scale", {randomTensor({4}, Rng), randomTensor({4}, Rng, 0.5f, 2)}, {}};
    CHECK(checkFiniteDifferences(C) == "");
  }
}

TEST_CASE("running statistics are state, not trainable", "[batch_norm]") {
  std::mt19937 Rng(9);
  OpCase C = batchNormCase({2, 3, 2, 2}, Rng);
  auto Built = buildOp(C);
  REQUIRE_OK(Built);
  auto Trainable = Built->Exec->trainableParameters();
  CHECK(std::vector<Parameter *>(Trainable.begin(), Trainable.end()) ==
        std::vector<Parameter *>(Built->OperandParams.begin(), Built->OperandParams.begin() + 3));
  RunOptions Opts;
  Opts.Training = true;
  auto Out = Built->Exec->forward({}, Opts);
  REQUIRE_OK(Out);
  // Without UpdateState the running statistics stay as they were.
  CHECK(maxAbsDiff(Built->Exec->parameter(Built->OperandParams[3]), C.Operands[3]) == 0);
  CHECK(maxAbsDiff(Built->Exec->parameter(Built->OperandParams[4]), C.Operands[4]) == 0);
}

TEST_CASE("training batch norm needs two values per channel", "[batch_norm]") {
  std::mt19937 Rng(2);
  RunOptions Opts;
  Opts.Training = true;
  auto Out = runOp(batchNormCase({1, 3}, Rng), Opts);
  REQUIRE_FALSE(bool(Out));
  CHECK(llvm::toString(Out.takeError()) ==
        "node 'op' (batch_norm): training batch norm needs more than one value per channel, "
        "got input [1, 3]");
}
