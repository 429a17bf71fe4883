//===- TestGraphs.cpp - QIR graphs for the Core ML export tests -----------===//
#include "passes/mil/testing/TestGraphs.h"

#include "ir/Verifier.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace qatc {
namespace mil {
namespace testing {

namespace {

int64_t product(llvm::ArrayRef<int64_t> Dims) {
  int64_t N = 1;
  for (int64_t D : Dims)
    N *= D;
  return N;
}

[[noreturn]] void die(const llvm::Twine &Message) {
  llvm::errs() << "TestGraphs: " << Message << "\n";
  std::abort();
}

} // namespace

GraphMaker::GraphMaker(llvm::StringRef Name, unsigned Seed)
    : G(std::make_unique<Graph>(Name.str())), B(*G), Rng(Seed) {}

std::unique_ptr<Graph> GraphMaker::take() {
  if (llvm::Error E = verify(*G))
    die("graph '" + G->name() + "' does not verify: " + llvm::toString(std::move(E)));
  return std::move(G);
}

Node *GraphMaker::input(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims) {
  return B.placeholder(Name, Type::tensor(DType::F32, Dims));
}

Node *GraphMaker::floats(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims,
                         llvm::ArrayRef<float> Values) {
  if (int64_t(Values.size()) != product(Dims))
    die("parameter '" + Name + "' has the wrong number of values");
  Parameter *P = G->addParameter(Name, Type::tensor(DType::F32, Dims));
  std::vector<uint8_t> Bytes(Values.size() * 4);
  if (!Values.empty())
    std::memcpy(Bytes.data(), Values.data(), Bytes.size());
  P->setData(std::move(Bytes));
  return B.getAttr(P);
}

Node *GraphMaker::param(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims, float Lo, float Hi) {
  std::uniform_real_distribution<float> U(Lo, Hi);
  std::vector<float> V(size_t(product(Dims)));
  for (float &X : V)
    X = U(Rng);
  return floats(Name, Dims, V);
}

Node *GraphMaker::ints(llvm::StringRef Name, DType T, llvm::ArrayRef<int64_t> Dims,
                       llvm::ArrayRef<int64_t> Values) {
  if (int64_t(Values.size()) != product(Dims))
    die("parameter '" + Name + "' has the wrong number of values");
  Parameter *P = G->addParameter(Name, Type::tensor(T, Dims));
  size_t W = dtypeSize(T);
  std::vector<uint8_t> Bytes(Values.size() * W);
  for (size_t I = 0; I < Values.size(); ++I)
    for (size_t K = 0; K < W; ++K)
      Bytes[I * W + K] = uint8_t(uint64_t(Values[I]) >> (8 * K));
  P->setData(std::move(Bytes));
  return B.getAttr(P);
}

Node *GraphMaker::randomInts(llvm::StringRef Name, DType T, llvm::ArrayRef<int64_t> Dims,
                             int64_t Lo, int64_t Hi) {
  std::uniform_int_distribution<int64_t> U(Lo, Hi);
  std::vector<int64_t> V(size_t(product(Dims)));
  for (int64_t &X : V)
    X = U(Rng);
  return ints(Name, T, Dims, V);
}

Node *GraphMaker::call(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
                       llvm::SmallVector<NamedAttribute, 0> Attrs, llvm::StringRef Name) {
  auto N = B.call(Op, Operands, std::move(Attrs), Name);
  if (!N)
    die("cannot build '" + Op + "': " + llvm::toString(N.takeError()));
  return *N;
}

void GraphMaker::output(llvm::ArrayRef<Node *> Results) { B.output(Results); }

Node *GraphMaker::fakeQuantPair(llvm::StringRef Name, Node *X, float Scale, int64_t ZeroPoint,
                                DType T) {
  Node *S = floats((Name + ".scale").str(), {1}, {Scale});
  Node *Z = ints((Name + ".zero_point").str(), T, {1}, {ZeroPoint});
  Node *Q = call("quantize", {X, S, Z}, {{"dtype", T}}, (Name + "_q").str());
  return call("dequantize", {Q, S, Z}, {}, (Name + "_dq").str());
}

Node *GraphMaker::quantizedWeight(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims, int Axis,
                                  int Bits, DType T, bool NonZeroZeroPoint) {
  bool Signed = T == DType::I8;
  int64_t Lo = Signed ? -(int64_t(1) << (Bits - 1)) : 0;
  int64_t Hi = Signed ? (int64_t(1) << (Bits - 1)) - 1 : (int64_t(1) << Bits) - 1;
  Node *W = randomInts((Name + ".weight.quantized").str(), T, Dims, Lo, Hi);
  int64_t C = Axis < 0 ? 1 : Dims[size_t(Axis)];
  std::uniform_real_distribution<float> U(0.01f, 0.05f);
  std::vector<float> Scales(static_cast<size_t>(C));
  for (float &S : Scales)
    S = U(Rng);
  std::vector<int64_t> Zps(static_cast<size_t>(C), Signed ? 0 : (Lo + Hi + 1) / 2);
  if (NonZeroZeroPoint)
    for (size_t I = 0; I < Zps.size(); ++I)
      Zps[I] = Signed ? int64_t(I % 3) - 1 : (Lo + Hi + 1) / 2 + int64_t(I % 3) - 1;
  Node *S = floats((Name + ".weight.scale").str(), {C}, Scales);
  Node *Z = ints((Name + ".weight.zero_point").str(), T, {C}, Zps);
  llvm::SmallVector<NamedAttribute, 0> Attrs;
  if (Axis >= 0)
    Attrs.push_back({"axis", int64_t(Axis)});
  if (Bits != 8)
    Attrs.push_back({"bits", int64_t(Bits)});
  return call("dequantize", {W, S, Z}, std::move(Attrs), (Name + ".weight_dq").str());
}

std::vector<float> randomData(llvm::ArrayRef<int64_t> Dims, unsigned Seed, float Lo, float Hi) {
  std::mt19937 Rng(Seed);
  std::uniform_real_distribution<float> U(Lo, Hi);
  std::vector<float> V(size_t(product(Dims)));
  for (float &X : V)
    X = U(Rng);
  return V;
}

namespace {

using Attrs = llvm::SmallVector<NamedAttribute, 0>;

/// A case: x of shape Dims through one op (with a parameter made by MakeOps).
template <typename Fn>
OpCase unaryCase(const std::string &Name, llvm::ArrayRef<int64_t> Dims, Fn &&Body) {
  GraphMaker M(Name, 7);
  Node *X = M.input("x", Dims);
  Node *Out = Body(M, X);
  M.output({Out});
  return {Name, M.take()};
}

std::vector<int64_t> ints(std::initializer_list<int64_t> L) { return std::vector<int64_t>(L); }

} // namespace

std::vector<OpCase> opCases() {
  std::vector<OpCase> Cases;
  auto add = [&](OpCase C) { Cases.push_back(std::move(C)); };
  std::vector<int64_t> Img = {2, 4, 7, 7};

  add(unaryCase("conv2d", Img, [](GraphMaker &M, Node *X) {
    return M.call("conv2d", {X, M.param("w", {6, 4, 3, 3}), M.param("b", {6})},
                  {{"padding", ints({1, 1})}});
  }));
  add(unaryCase("conv2d_strided_dilated_asymmetric", Img, [](GraphMaker &M, Node *X) {
    return M.call("conv2d", {X, M.param("w", {5, 4, 3, 2})},
                  {{"stride", ints({2, 1})},
                   {"dilation", ints({1, 2})},
                   {"padding", ints({0, 1, 2, 1})}});
  }));
  add(unaryCase("conv2d_groups", Img, [](GraphMaker &M, Node *X) {
    return M.call("conv2d", {X, M.param("w", {8, 2, 3, 3}), M.param("b", {8})},
                  {{"groups", int64_t(2)}, {"padding", ints({1, 1})}});
  }));
  add(unaryCase("conv1d", {2, 3, 11}, [](GraphMaker &M, Node *X) {
    return M.call("conv1d", {X, M.param("w", {5, 3, 3}), M.param("b", {5})},
                  {{"stride", ints({2})}, {"padding", ints({1})}});
  }));
  add(unaryCase("conv_transpose2d", {1, 4, 5, 5}, [](GraphMaker &M, Node *X) {
    return M.call("conv_transpose2d", {X, M.param("w", {4, 3, 3, 3}), M.param("b", {3})},
                  {{"stride", ints({2, 2})},
                   {"padding", ints({1, 1})},
                   {"output_padding", ints({1, 1})}});
  }));
  add(unaryCase("linear", {3, 12}, [](GraphMaker &M, Node *X) {
    return M.call("linear", {X, M.param("w", {5, 12}), M.param("b", {5})});
  }));
  add(unaryCase("linear_no_bias", {2, 3, 12}, [](GraphMaker &M, Node *X) {
    return M.call("linear", {X, M.param("w", {5, 12})});
  }));
  {
    GraphMaker M("matmul", 7);
    Node *X = M.input("x", {2, 3, 4});
    Node *Y = M.input("y", {2, 4, 5});
    M.output({M.call("matmul", {X, Y})});
    add({"matmul", M.take()});
  }
  add(unaryCase("batch_norm", Img, [](GraphMaker &M, Node *X) {
    return M.call("batch_norm",
                  {X, M.param("gamma", {4}), M.param("beta", {4}), M.param("mean", {4}),
                   M.param("var", {4}, 0.5f, 2.0f)},
                  {{"eps", 1e-3}});
  }));
  add(unaryCase("batch_norm_rank2", {3, 4}, [](GraphMaker &M, Node *X) {
    return M.call("batch_norm", {X, M.param("gamma", {4}), M.param("beta", {4}),
                                 M.param("mean", {4}), M.param("var", {4}, 0.5f, 2.0f)});
  }));
  for (const char *Op : {"relu", "relu6", "hardswish", "hardsigmoid", "sigmoid", "tanh", "silu",
                         "dropout", "identity"}) {
    std::string Name = Op;
    add(unaryCase(Name, {2, 3, 5}, [&](GraphMaker &M, Node *X) {
      Node *Scaled = M.call("mul", {X, M.floats("four", {1}, {4.0f})}, {}, "scaled");
      return M.call(Name, {Scaled});
    }));
  }
  add(unaryCase("clamp", {2, 9}, [](GraphMaker &M, Node *X) {
    return M.call("clamp", {X}, {{"min", -0.5}, {"max", 0.75}});
  }));
  add(unaryCase("clamp_min_only", {2, 9}, [](GraphMaker &M, Node *X) {
    return M.call("clamp", {X}, {{"min", -0.25}});
  }));
  add(unaryCase("gelu", {2, 9}, [](GraphMaker &M, Node *X) { return M.call("gelu", {X}); }));
  add(unaryCase("gelu_tanh", {2, 9}, [](GraphMaker &M, Node *X) {
    return M.call("gelu", {X}, {{"approximate", std::string("tanh")}});
  }));
  add(unaryCase("leaky_relu", {2, 9}, [](GraphMaker &M, Node *X) {
    return M.call("leaky_relu", {X}, {{"negative_slope", 0.2}});
  }));
  add(unaryCase("softmax", {2, 3, 5}, [](GraphMaker &M, Node *X) {
    return M.call("softmax", {X}, {{"dim", int64_t(1)}});
  }));
  for (const char *Op : {"add", "sub", "mul", "div"}) {
    std::string Name = Op;
    GraphMaker M(Name, 7);
    Node *X = M.input("x", {2, 3, 4});
    Node *Y = M.input("y", {2, 3, 4});
    Node *C = M.param("c", {4}, 0.5f, 1.5f);
    Node *XY = M.call(Name, {X, Y}, {}, "xy");
    M.output({M.call(Name, {XY, C})});
    add({Name, M.take()});
  }
  add(unaryCase("max_pool2d", Img, [](GraphMaker &M, Node *X) {
    return M.call("max_pool2d", {X},
                  {{"kernel_size", ints({3, 3})},
                   {"stride", ints({2, 2})},
                   {"padding", ints({1, 1})},
                   {"ceil_mode", true}});
  }));
  add(unaryCase("avg_pool2d", Img, [](GraphMaker &M, Node *X) {
    return M.call("avg_pool2d", {X},
                  {{"kernel_size", ints({3, 2})},
                   {"stride", ints({2, 2})},
                   {"padding", ints({1, 1})},
                   {"count_include_pad", false}});
  }));
  add(unaryCase("avg_pool2d_default_stride", {1, 2, 8, 8}, [](GraphMaker &M, Node *X) {
    return M.call("avg_pool2d", {X}, {{"kernel_size", ints({2, 2})}});
  }));
  add(unaryCase("adaptive_avg_pool2d_global", Img, [](GraphMaker &M, Node *X) {
    return M.call("adaptive_avg_pool2d", {X}, {{"output_size", ints({1, 1})}});
  }));
  add(unaryCase("adaptive_avg_pool2d_2x2", {1, 3, 8, 6}, [](GraphMaker &M, Node *X) {
    return M.call("adaptive_avg_pool2d", {X}, {{"output_size", ints({2, 3})}});
  }));
  add(unaryCase("cat", {2, 3, 4}, [](GraphMaker &M, Node *X) {
    Node *R = M.call("relu", {X}, {}, "r");
    return M.call("cat", {X, R, M.param("c", {2, 1, 4})}, {{"dim", int64_t(1)}});
  }));
  add(unaryCase("flatten", Img, [](GraphMaker &M, Node *X) { return M.call("flatten", {X}); }));
  add(unaryCase("reshape", Img, [](GraphMaker &M, Node *X) {
    return M.call("reshape", {X}, {{"shape", ints({2, -1, 7})}});
  }));
  add(unaryCase("permute", Img, [](GraphMaker &M, Node *X) {
    return M.call("permute", {X}, {{"dims", ints({0, 2, 3, 1})}});
  }));
  add(unaryCase("transpose", Img, [](GraphMaker &M, Node *X) {
    return M.call("transpose", {X}, {{"dim0", int64_t(1)}, {"dim1", int64_t(-1)}});
  }));
  add(unaryCase("squeeze", {2, 1, 3, 1}, [](GraphMaker &M, Node *X) {
    return M.call("squeeze", {X}, {{"dims", ints({-1})}});
  }));
  add(unaryCase("squeeze_all", {2, 1, 3, 1}, [](GraphMaker &M, Node *X) {
    return M.call("squeeze", {X});
  }));
  add(unaryCase("unsqueeze", {2, 3}, [](GraphMaker &M, Node *X) {
    return M.call("unsqueeze", {X}, {{"dim", int64_t(-1)}});
  }));
  add(unaryCase("mean", Img, [](GraphMaker &M, Node *X) {
    return M.call("mean", {X}, {{"dims", ints({-1, 1})}, {"keepdim", true}});
  }));
  add(unaryCase("mean_all", {3, 5}, [](GraphMaker &M, Node *X) {
    return M.call("mean", {X});
  }));
  for (const char *Mode : {"constant", "reflect", "replicate"}) {
    std::string Name = std::string("pad_") + Mode;
    std::string ModeS = Mode;
    add(unaryCase(Name, {1, 2, 5, 6}, [&](GraphMaker &M, Node *X) {
      return M.call("pad", {X},
                    {{"pads", ints({0, 0, 1, 2, 0, 0, 2, 1})},
                     {"mode", ModeS},
                     {"value", ModeS == "constant" ? 0.5 : 0.0}});
    }));
  }
  {
    GraphMaker M("split", 7);
    Node *X = M.input("x", {2, 7, 3});
    Node *S = M.call("split", {X}, {{"split_sizes", ints({2, 5})}, {"dim", int64_t(1)}}, "parts");
    Node *A = M.call("getitem", {S}, {{"index", int64_t(0)}}, "first");
    Node *B = M.call("getitem", {S}, {{"index", int64_t(1)}}, "second");
    Node *R = M.call("relu", {B}, {}, "second_relu");
    M.output({A, R});
    add({"split", M.take()});
  }
  add(unaryCase("slice", {3, 10, 4}, [](GraphMaker &M, Node *X) {
    return M.call("slice", {X},
                  {{"dim", int64_t(1)}, {"start", int64_t(1)}, {"end", int64_t(-2)},
                   {"step", int64_t(3)}});
  }));
  add(unaryCase("slice_to_end", {3, 10, 4}, [](GraphMaker &M, Node *X) {
    return M.call("slice", {X},
                  {{"dim", int64_t(-1)}, {"start", int64_t(-3)}, {"end", int64_t(1) << 62}});
  }));
  {
    // Activation quantize/dequantize, per tensor (u8 with a zero point, i8
    // without) and per channel.
    GraphMaker M("quantize_dequantize", 7);
    Node *X = M.input("x", {2, 3, 4});
    Node *A = M.fakeQuantPair("u8", X, 1.0f / 64, 128, DType::U8);
    Node *B = M.fakeQuantPair("i8", X, 1.0f / 32, 0, DType::I8);
    Node *S = M.floats("pc.scale", {3}, {1.0f / 16, 1.0f / 32, 1.0f / 64});
    Node *Z = M.ints("pc.zero_point", DType::I8, {3}, {0, 3, -2});
    Node *Q = M.call("quantize", {X, S, Z}, {{"dtype", DType::I8}, {"axis", int64_t(1)}}, "pc_q");
    Node *D = M.call("dequantize", {Q, S, Z}, {{"axis", int64_t(1)}}, "pc_dq");
    M.output({A, B, D});
    add({"quantize_dequantize", M.take()});
  }
  return Cases;
}

std::unique_ptr<Graph> floatCnn(bool DynamicBatch) {
  GraphMaker M("digits_float", 3);
  Node *X = M.input("input.1", {DynamicBatch ? kDynamicDim : 2, 1, 8, 8});
  Node *C1 = M.call("conv2d", {X, M.param("conv1.weight", {8, 1, 3, 3}), M.param("conv1.bias", {8})},
                    {{"padding", ints({1, 1})}}, "conv1");
  Node *B1 = M.call("batch_norm",
                    {C1, M.param("bn1.weight", {8}), M.param("bn1.bias", {8}),
                     M.param("bn1.running_mean", {8}), M.param("bn1.running_var", {8}, 0.5f, 2)},
                    {}, "bn1");
  Node *R1 = M.call("relu", {B1}, {}, "relu1");
  Node *C2 = M.call("conv2d", {R1, M.param("conv2.weight", {16, 8, 3, 3}), M.param("conv2.bias", {16})},
                    {{"padding", ints({1, 1})}}, "conv2");
  Node *R2 = M.call("relu", {C2}, {}, "relu2");
  Node *P = M.call("max_pool2d", {R2}, {{"kernel_size", ints({2, 2})}}, "pool");
  Node *F = M.call("flatten", {P}, {}, "flatten");
  Node *Fc = M.call("linear", {F, M.param("fc.weight", {10, 256}), M.param("fc.bias", {10})}, {},
                    "fc");
  M.output({Fc});
  return M.take();
}

std::unique_ptr<Graph> quantizedCnn(int Bits, bool PowerOfTwoScales, bool DynamicBatch) {
  GraphMaker M(Bits == 4 ? "digits_q4" : "digits_q8", 5);
  auto scale = [&](float S) { return PowerOfTwoScales ? std::exp2(std::round(std::log2(S))) : S; };
  Node *X = M.input("input.1", {DynamicBatch ? kDynamicDim : 2, 1, 8, 8});
  Node *XQ = M.fakeQuantPair("input_1", X, scale(0.031f), 0, DType::I8);
  Node *W1 = M.quantizedWeight("conv1", {8, 1, 3, 3}, 0, Bits);
  Node *C1 = M.call("conv2d", {XQ, W1, M.param("conv1.bias", {8}, -0.1f, 0.1f)},
                    {{"padding", ints({1, 1})}}, "conv1");
  Node *R1 = M.call("relu", {C1}, {}, "relu1");
  Node *R1Q = M.fakeQuantPair("relu1", R1, scale(0.013f), 3, DType::U8);
  Node *W2 = M.quantizedWeight("conv2", {16, 8, 3, 3}, 0, Bits, DType::I8, true);
  Node *C2 = M.call("conv2d", {R1Q, W2, M.param("conv2.bias", {16}, -0.1f, 0.1f)},
                    {{"padding", ints({1, 1})}}, "conv2");
  Node *R2 = M.call("relu", {C2}, {}, "relu2");
  Node *R2Q = M.fakeQuantPair("relu2", R2, scale(0.011f), 0, DType::U8);
  Node *P = M.call("max_pool2d", {R2Q}, {{"kernel_size", ints({2, 2})}}, "pool");
  Node *F = M.call("flatten", {P}, {}, "flatten");
  Node *WF = M.quantizedWeight("fc", {10, 256}, 0, Bits, DType::U8);
  Node *Fc = M.call("linear", {F, WF, M.param("fc.bias", {10}, -0.1f, 0.1f)}, {}, "fc");
  Node *FcQ = M.fakeQuantPair("fc_out", Fc, scale(0.05f), -4, DType::I8);
  M.output({FcQ});
  return M.take();
}

} // namespace testing
} // namespace mil
} // namespace qatc
