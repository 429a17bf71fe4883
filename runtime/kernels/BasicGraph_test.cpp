//===- BasicGraph_test.cpp - Several basic ops through the executor -------===//
//
// x -> mul(w) -> add(b) -> relu -> split -> getitem -> cat -> mean, with w
// and b graph parameters: forward and backward through the Executor must
// give PyTorch's loss and parameter gradients (fixtures/basic/graph.json).
// The unused middle piece of the split leaves an undefined gradient slot and
// the last piece is used twice, so tuple gradient routing and accumulation
// are exercised as well.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/testing/OpFixtures.h"

#include "ir/Builder.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

Parameter *addParameter(Graph &G, llvm::StringRef Name, const Tensor &T) {
  Parameter *P = G.addParameter(Name, Type::tensor(T.dtype(), T.shape()));
  llvm::ArrayRef<uint8_t> Bytes = T.bytes();
  P->setData(std::vector<uint8_t>(Bytes.begin(), Bytes.end()));
  return P;
}

/// Calls Op and fails the test on an error.
Node *call(Builder &B, llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
           llvm::SmallVector<NamedAttribute, 0> Attrs = {}) {
  auto N = B.call(Op, Operands, std::move(Attrs));
  REQUIRE_OK(N);
  return *N;
}

double maxRelativeError(const Tensor &Got, const Tensor &Want) {
  REQUIRE(Got.numel() == Want.numel());
  double M = 0;
  for (int64_t I = 0; I < Want.numel(); ++I)
    M = std::max(M, std::fabs(double(Got.f32()[I]) - Want.f32()[I]) /
                        (1e-1 + std::fabs(Want.f32()[I])));
  return M;
}

} // namespace

TEST_CASE("forward and backward through several basic ops give PyTorch's gradients") {
  auto Data = readNamedTensors("runtime/kernels/fixtures/basic/graph.json");
  REQUIRE_OK(Data);
  std::map<std::string, Tensor> &D = *Data;

  Graph G("basic_ops");
  Builder B(G);
  Node *X = B.placeholder("x", Type::tensor(DType::F32, D["x"].shape()));
  Parameter *W = addParameter(G, "w", D["w"]);
  Parameter *Bias = addParameter(G, "b", D["b"]);
  Node *Scaled = call(B, "mul", {X, B.getAttr(W)});
  Node *Shifted = call(B, "add", {Scaled, B.getAttr(Bias)});
  Node *Active = call(B, "relu", {Shifted});
  Node *Pieces = call(B, "split", {Active},
                      {{"split_sizes", Attribute(std::vector<int64_t>{1, 2, 1})},
                       {"dim", Attribute(int64_t(1))}});
  Node *First = call(B, "getitem", {Pieces}, {{"index", Attribute(int64_t(0))}});
  Node *Last = call(B, "getitem", {Pieces}, {{"index", Attribute(int64_t(2))}});
  Node *Joined = call(B, "cat", {Last, First, Last}, {{"dim", Attribute(int64_t(1))}});
  Node *Loss = call(B, "mean", {Joined});
  B.output({Loss});

  auto E = Executor::create(G);
  REQUIRE_OK(E);
  REQUIRE((*E)->trainableParameters().size() == 2);
  RunOptions Opts;
  Opts.Training = true;
  Opts.RecordGradients = true;
  // Twice: the second step must not see the first one's records.
  for (int Step = 0; Step < 2; ++Step) {
    INFO("step " << Step);
    auto Out = (*E)->forward({D["x"]}, Opts);
    REQUIRE_OK(Out);
    REQUIRE(Out->size() == 1);
    CHECK(Out->front().rank() == 0);
    CHECK(Out->front().f32()[0] == Approx(D["output"].f32()[0]).epsilon(1e-5));
    REQUIRE_OK((*E)->backward({Tensor::full({}, 1.0f)}));
    const Tensor &GW = (*E)->gradient(W), &GB = (*E)->gradient(Bias);
    REQUIRE(GW.defined());
    REQUIRE(GB.defined());
    CHECK(GW.shape() == D["grad_w"].shape());
    CHECK(GB.shape() == D["grad_b"].shape());
    CHECK(maxRelativeError(GW, D["grad_w"]) < 1e-4);
    CHECK(maxRelativeError(GB, D["grad_b"]) < 1e-4);
  }

  // No gradient at the output: no parameter gradient, and no failure.
  auto Again = (*E)->forward({D["x"]}, Opts);
  REQUIRE_OK(Again);
  REQUIRE_OK((*E)->backward({Tensor()}));
  CHECK_FALSE((*E)->gradient(W).defined());
}
