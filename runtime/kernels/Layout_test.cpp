//===- Layout_test.cpp - Shape and layout ops, identity and dropout -------===//

#include "runtime/kernels/testing/OpFixtures.h"

#include "runtime/Parallel.h"

#include "ir/Builder.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

std::vector<int64_t> ints(std::initializer_list<int64_t> V) { return V; }

/// Runs Op on graph inputs of the given (possibly dynamic) types fed with
/// Inputs; returns the error message, or "" when it runs.
std::string runtimeError(llvm::StringRef Op, llvm::ArrayRef<Type> Types,
                         llvm::ArrayRef<Tensor> Inputs,
                         llvm::SmallVector<NamedAttribute, 0> Attrs) {
  Graph G("dynamic");
  Builder B(G);
  std::vector<Node *> Operands;
  for (const Type &T : Types)
    Operands.push_back(B.placeholder("x", T));
  auto Call = B.call(Op, Operands, std::move(Attrs), "op");
  if (!Call)
    return "build: " + llvm::toString(Call.takeError());
  Node *Result = *Call;
  if (Result->type().isTuple()) {
    auto Item = B.call("getitem", {Result}, {{"index", Attribute(int64_t(0))}});
    if (!Item)
      return "build: " + llvm::toString(Item.takeError());
    Result = *Item;
  }
  B.output({Result});
  auto E = Executor::create(G);
  if (!E)
    return "create: " + llvm::toString(E.takeError());
  auto Out = (*E)->forward(Inputs, {});
  return Out ? "" : llvm::toString(Out.takeError());
}

Type dynamicRows(int64_t Cols) { return Type::tensor(DType::F32, {kDynamicDim, Cols}); }

} // namespace

TEST_CASE("layout ops match PyTorch exactly") {
  CHECK(checkOpFixtureFile("runtime/kernels/fixtures/basic/layout.json",
                           {"cat", "dropout", "flatten", "identity", "pad", "permute",
                            "reshape", "slice", "split", "squeeze", "transpose",
                            "unsqueeze"}) == "");
}

TEST_CASE("reshaping ops are views of their input") {
  std::mt19937 Rng(17);
  Tensor X = randomTensor({2, 1, 3}, Rng);
  std::vector<OpCase> Cases = {
      {"flatten", {X}, {}},
      {"reshape", {X}, {{"shape", Attribute(ints({3, -1}))}}},
      {"squeeze", {X}, {}},
      {"unsqueeze", {X}, {{"dim", Attribute(int64_t(0))}}},
      {"identity", {X}, {}},
      {"permute", {X}, {{"dims", Attribute(ints({1, 0, 2}))}}},
      {"cat", {X}, {{"dim", Attribute(int64_t(1))}}},
      {"dropout", {X}, {}},
  };
  for (const OpCase &C : Cases) {
    INFO(C.Op);
    auto Built = buildOp(C);
    REQUIRE_OK(Built);
    auto Out = Built->Exec->forward({}, {});
    REQUIRE_OK(Out);
    CHECK(Out->front().sharesBufferWith(Built->Exec->parameter(Built->OperandParams[0])));
  }
  // A permutation that moves data copies.
  auto Moved = runOp({"permute", {X}, {{"dims", Attribute(ints({2, 1, 0}))}}});
  REQUIRE_OK(Moved);
  CHECK(Moved->front().shape() == llvm::ArrayRef<int64_t>{3, 1, 2});
  CHECK(Moved->front().f32()[1] == X.f32()[3]);
}

TEST_CASE("layout gradients match finite differences") {
  std::mt19937 Rng(19);
  Tensor X = randomTensor({2, 3, 4}, Rng);
  std::vector<std::pair<OpCase, bool>> Cases = {
      {{"cat", {X, randomTensor({2, 2, 4}, Rng)}, {{"dim", Attribute(int64_t(1))}}}, false},
      {{"split", {X}, {{"split_sizes", Attribute(ints({1, 2}))}, {"dim", Attribute(int64_t(1))}}},
       false},
      {{"slice", {X}, {{"dim", Attribute(int64_t(2))}, {"start", Attribute(int64_t(1))},
                       {"end", Attribute(int64_t(4))}, {"step", Attribute(int64_t(2))}}},
       false},
      {{"permute", {X}, {{"dims", Attribute(ints({2, 0, 1}))}}}, false},
      {{"transpose", {X}, {{"dim0", Attribute(int64_t(0))}, {"dim1", Attribute(int64_t(2))}}},
       false},
      {{"pad", {X}, {{"pads", Attribute(ints({0, 2, 3, 0, 1, 2}))}, {"mode", Attribute("reflect")}}},
       false},
      {{"pad", {X}, {{"pads", Attribute(ints({1, 0, 3, 0, 2, 0}))},
                     {"mode", Attribute("replicate")}}},
       false},
      {{"pad", {X}, {{"pads", Attribute(ints({1, -1, 2, 0, 1, -1}))}}}, false},
      {{"flatten", {X}, {}}, false},
      {{"identity", {X}, {}}, false},
      {{"dropout", {X}, {{"p", Attribute(0.4)}}}, true},
  };
  for (size_t I = 0; I < Cases.size(); ++I) {
    const auto &[C, Training] = Cases[I];
    INFO(C.Op << " case " << I);
    auto R = checkGradients(C, 1e-3, Training);
    REQUIRE_OK(R);
    CHECK(R->MaxError < 1e-2);
  }
}

TEST_CASE("layout ops check what depends on dynamic dims at run time") {
  CHECK(runtimeError("split", {dynamicRows(4)}, {Tensor::zeros({3, 4})},
                     {{"split_sizes", Attribute(ints({1, 1}))}}) ==
        "node 'op' (split): 'split_sizes' add up to 2 but dim 0 has size 3");
  CHECK(runtimeError("reshape", {dynamicRows(4)}, {Tensor::zeros({3, 4})},
                     {{"shape", Attribute(ints({5, -1}))}}) ==
        "node 'op' (reshape): cannot reshape 12 elements ([3, 4]) into [5, -1]");
  CHECK(runtimeError("squeeze", {dynamicRows(4)}, {Tensor::zeros({2, 4})},
                     {{"dims", Attribute(ints({0}))}}) ==
        "node 'op' (squeeze): cannot squeeze dim 0 of size 2");
  CHECK(runtimeError("pad", {dynamicRows(1)}, {Tensor::zeros({2, 1})},
                     {{"pads", Attribute(ints({2, 0, 2, 0}))}, {"mode", Attribute("reflect")}}) ==
        "node 'op' (pad): reflect padding of 2 needs dim 0 to have more elements than that, "
        "not 2");
  CHECK(runtimeError("cat", {dynamicRows(3), dynamicRows(3)},
                     {Tensor::zeros({2, 3}), Tensor::zeros({4, 3})},
                     {{"dim", Attribute(int64_t(1))}}) ==
        "node 'op' (cat): input 1 is [4, 3] but input 0 is [2, 3]; they may only differ in "
        "dim 1");
  CHECK(runtimeError("dropout", {dynamicRows(3)}, {Tensor::zeros({2, 3})},
                     {{"p", Attribute(1.5)}}) == "node 'op' (dropout): 'p' must be in [0, 1], not 1.5");
  CHECK(runtimeError("slice", {dynamicRows(3)}, {Tensor::zeros({5, 3})},
                     {{"dim", Attribute(int64_t(0))}, {"start", Attribute(int64_t(-2))},
                      {"end", Attribute(int64_t(100))}}) == "");
}

TEST_CASE("dropout masks depend on the seed, not on the thread count") {
  const float P = 0.3f;
  OpCase C{"dropout", {Tensor::full({300, 1000}, 1.0f)}, {{"p", Attribute(double(P))}}};
  RunOptions Opts;
  Opts.Training = true;
  Opts.Seed = 42;
  int Saved = numThreads();
  setNumThreads(1);
  auto One = runOp(C, Opts);
  setNumThreads(4);
  auto Four = runOp(C, Opts);
  Opts.Seed = 43;
  auto Other = runOp(C, Opts);
  setNumThreads(Saved);
  REQUIRE_OK(One);
  REQUIRE_OK(Four);
  REQUIRE_OK(Other);
  const Tensor &Y = One->front();
  CHECK(maxAbsDiff(Y, Four->front()) == 0);
  CHECK(maxAbsDiff(Y, Other->front()) > 0);

  // Kept elements are scaled by 1 / (1 - p); the kept fraction is 1 - p
  // (binomial standard deviation 0.0008), pairs of neighbours independent.
  const float Scale = 1.0f / float(1.0 - P);
  int64_t Kept = 0, BothKept = 0, Same = 0;
  const float *V = Y.f32(), *W = Other->front().f32();
  for (int64_t I = 0; I < Y.numel(); ++I) {
    REQUIRE((V[I] == 0 || V[I] == Scale));
    Kept += V[I] != 0;
    Same += (V[I] != 0) == (W[I] != 0);
    if (I % 2 == 0)
      BothKept += V[I] != 0 && V[I + 1] != 0;
  }
  double N = Y.numel();
  CHECK(Kept / N == Approx(1 - P).margin(0.005));
  CHECK(BothKept / (N / 2) == Approx((1 - P) * (1 - P)).margin(0.005));
  // Two seeds agree where both keep or both drop: 0.7^2 + 0.3^2 = 0.58.
  CHECK(Same / N == Approx(0.58).margin(0.005));
}

TEST_CASE("dropout's gradient reuses the forward mask") {
  std::mt19937 Rng(23);
  OpCase C{"dropout", {randomTensor({64, 64}, Rng, 0.5f, 1.0f)}, {{"p", Attribute(0.25)}}};
  auto Built = buildOp(C);
  REQUIRE_OK(Built);
  RunOptions Opts;
  Opts.Training = true;
  Opts.RecordGradients = true;
  Opts.Seed = 7;
  auto Out = Built->Exec->forward({}, Opts);
  REQUIRE_OK(Out);
  REQUIRE_OK(Built->Exec->backward({Tensor::full({64, 64}, 2.0f)}));
  const Tensor &G = Built->Exec->gradient(Built->OperandParams[0]);
  REQUIRE(G.defined());
  const float Scale = 1.0f / 0.75f;
  int64_t Dropped = 0;
  for (int64_t I = 0; I < G.numel(); ++I) {
    bool Kept = Out->front().f32()[I] != 0;
    Dropped += !Kept;
    REQUIRE(G.f32()[I] == (Kept ? 2.0f * Scale : 0.0f));
  }
  CHECK(Dropped > 0);
}
