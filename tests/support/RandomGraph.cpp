//===- RandomGraph.cpp - Seeded random QIR graphs for property tests ------===//
#include "tests/support/RandomGraph.h"

#include "ir/Builder.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace qatc {
namespace testing {

namespace {

class RandomGraphBuilder {
public:
  RandomGraphBuilder(uint64_t Seed) : Rng(Seed), G(std::make_unique<Graph>(randomName())), B(*G) {}

  std::unique_ptr<Graph> build(unsigned NumNodes) {
    unsigned Inputs = 1 + pick(3);
    for (unsigned I = 0; I < Inputs; ++I)
      addValue(B.placeholder(randomName(), randomTensorType(4)));
    for (unsigned I = 0; I < NumNodes; ++I)
      addRandomNode();
    // Return one to three values.
    std::vector<Node *> Results;
    unsigned N = 1 + pick(3);
    for (unsigned I = 0; I < N; ++I)
      Results.push_back(Values[pick(Values.size())]);
    B.output(Results);
    return std::move(G);
  }

private:
  unsigned pick(size_t N) { return std::uniform_int_distribution<size_t>(0, N - 1)(Rng); }
  bool coin() { return pick(2) == 0; }

  std::string randomName() {
    static const char *Parts[] = {"conv", "layer1.0", "bn", "relu", "fc", "onnx::Gemm_",
                                  "/features/0/Conv", "x y", "quote\"d", "ünï", "a-b", "$t", ""};
    std::string S = Parts[pick(std::size(Parts))];
    if (S.empty() || coin())
      S += std::to_string(pick(1000));
    return S;
  }

  Type randomTensorType(unsigned MaxRank) {
    unsigned Rank = pick(MaxRank + 1);
    std::vector<int64_t> Dims;
    for (unsigned I = 0; I < Rank; ++I)
      Dims.push_back(pick(8) == 0 ? kDynamicDim : int64_t(1 + pick(5)));
    return Type::tensor(DType::F32, Dims);
  }

  double randomFloat() {
    switch (pick(8)) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return pick(2) ? INFINITY : -INFINITY;
    case 2: return -0.0;
    case 3: return std::numeric_limits<double>::denorm_min();
    case 4: return 1e300;
    default: return std::uniform_real_distribution<double>(-10, 10)(Rng);
    }
  }

  void addValue(Node *N) {
    if (N->type().isTensor())
      Values.push_back(N);
  }

  Node *randomValue() { return Values[pick(Values.size())]; }

  Node *randomParameter(Type T) {
    std::string Name = G->uniqueParameterName(randomName());
    Parameter *P = G->addParameter(Name, T);
    if (pick(4) != 0) {
      std::vector<uint8_t> Bytes(P->byteSize());
      for (uint8_t &Byte : Bytes)
        Byte = uint8_t(pick(256));
      P->setData(std::move(Bytes));
    }
    return B.getAttr(P);
  }

  void maybeLocate() {
    if (coin())
      B.setLoc(Location(pick(2) ? "model.onnx" : "dir/with \"quotes\".pt", pick(500), pick(80)));
    else
      B.setLoc(Location());
  }

  void addRandomNode() {
    maybeLocate();
    Node *X = randomValue();
    const Type &T = X->type();
    llvm::Expected<Node *> R = nullptr;
    switch (pick(10)) {
    case 0: {
      static const char *Unary[] = {"relu", "sigmoid", "tanh", "hardswish", "silu", "relu6",
                                    "identity", "dropout"};
      R = B.call(Unary[pick(std::size(Unary))], {X}, {}, randomName());
      break;
    }
    case 1:
      R = B.call("clamp", {X}, {{"min", randomFloat()}, {"max", randomFloat()}}, randomName());
      break;
    case 2:
      R = B.call(pick(2) ? "add" : "mul", {X, randomValue()}, {}, randomName());
      break;
    case 3:
      if (T.hasStaticShape() && T.rank() >= 1) {
        std::vector<int64_t> Shape = {-1};
        R = B.call("reshape", {X}, {{"shape", Shape}}, randomName());
      }
      break;
    case 4:
      if (T.hasRank() && T.rank() >= 1) {
        Node *W = randomParameter(Type::tensor(DType::F32, {1 + pick(4), T.dim(-1) < 0 ? 3 : T.dim(-1)}));
        if (T.dim(-1) >= 0)
          R = B.call("linear", {X, W}, {}, randomName());
      }
      break;
    case 5:
      if (T.hasRank() && T.rank() >= 1) {
        llvm::SmallVector<NamedAttribute, 0> Attrs = {{"dim", int64_t(T.rank()) - 1}};
        R = B.call("softmax", {X}, std::move(Attrs), randomName());
      }
      break;
    case 6:
      if (T.hasStaticShape() && T.rank() >= 1 && T.dim(0) >= 2) {
        std::vector<int64_t> Sizes = {1, T.dim(0) - 1};
        auto S = B.call("split", {X}, {{"split_sizes", Sizes}, {"dim", int64_t(0)}}, randomName());
        if (S)
          R = B.call("getitem", {*S}, {{"index", int64_t(pick(2))}}, randomName());
        else
          R = S.takeError();
      }
      break;
    case 7:
      if (T.hasRank() && T.rank() >= 1)
        R = B.call("cat", {X, X}, {{"dim", int64_t(0)}}, randomName());
      break;
    case 8: {
      // Attributes of every kind on a plugin-free op: gelu takes a string.
      R = B.call("gelu", {X}, {{"approximate", std::string(pick(2) ? "none" : "tanh")}},
                 randomName());
      break;
    }
    case 9:
      if (T.hasRank() && T.rank() >= 2) {
        std::vector<int64_t> Perm;
        for (int64_t I = T.rank() - 1; I >= 0; --I)
          Perm.push_back(I);
        R = B.call("permute", {X}, {{"dims", Perm}}, randomName());
      }
      break;
    }
    if (!R) {
      llvm::consumeError(R.takeError());
      return;
    }
    if (*R)
      addValue(*R);
  }

  std::mt19937_64 Rng;
  std::unique_ptr<Graph> G;
  Builder B;
  std::vector<Node *> Values;
};

} // namespace

std::unique_ptr<Graph> makeRandomGraph(uint64_t Seed, unsigned NumNodes) {
  return RandomGraphBuilder(Seed).build(NumNodes);
}

} // namespace testing
} // namespace qatc
