//===- LowerOps.cpp - QIR float ops to MIL ops ----------------------------===//
//
// One rule per QIR op (the table at the end), following coremltools' torch
// frontend: conv/conv_transpose/linear/matmul/batch_norm, activations
// (hardsigmoid as sigmoid_hard, hardswish as thresholded_relu -> sigmoid_hard
// -> mul), element-wise ops, pools (adaptive_avg_pool2d as reduce_mean or
// avg_pool), and the layout ops. Every optional MIL parameter with a default
// is written explicitly as a const op.
//
//===----------------------------------------------------------------------===//
#include "passes/mil/LoweringContext.h"

#include "llvm/Support/FormatVariadic.h"

#include <cfloat>

namespace qatc {
namespace mil {

namespace {

#define TRY_NAME(Var, Expr)                                                                    \
  std::string Var;                                                                             \
  {                                                                                            \
    auto Var##OrErr = (Expr);                                                                  \
    if (!Var##OrErr)                                                                           \
      return Var##OrErr.takeError();                                                           \
    Var = std::move(*Var##OrErr);                                                              \
  }

/// Gives B the output N's value and type, appends it and defines N.
llvm::Error finish(LoweringContext &L, const Node &N, OpBuilder &B) {
  B.out(N.type());
  B.emit();
  L.define(&N, B.name());
  return llvm::Error::success();
}

/// Emits `Type(x = operand 0)` as N.
llvm::Error unary(LoweringContext &L, const Node &N, llvm::StringRef Type) {
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, Type, L.freshName(N.name()));
  B.in("x", X);
  return finish(L, N, B);
}

/// A per-spatial-dim list (stride, dilation) with Spatial entries; a single
/// value is repeated.
llvm::Expected<std::vector<int64_t>> perSpatial(const Node &N, llvm::StringRef Attr,
                                                unsigned Spatial) {
  llvm::ArrayRef<int64_t> V = N.getInts(Attr);
  if (V.size() == Spatial)
    return std::vector<int64_t>(V.begin(), V.end());
  if (V.size() == 1)
    return std::vector<int64_t>(Spatial, V[0]);
  return nodeError(N, llvm::formatv("'{0}' has {1} values for {2} spatial dims; give one per "
                                    "spatial dim",
                                    Attr, V.size(), Spatial));
}

/// QIR spatial padding (one per dim, or all begins then all ends) as MIL's
/// [begin0, end0, begin1, end1, ...].
llvm::Expected<std::vector<int64_t>> milPad(const Node &N, llvm::ArrayRef<int64_t> P,
                                            unsigned Spatial) {
  std::vector<int64_t> Out;
  if (P.size() == 1 || P.size() == Spatial) {
    for (unsigned I = 0; I < Spatial; ++I) {
      int64_t V = P.size() == 1 ? P[0] : P[I];
      Out.push_back(V);
      Out.push_back(V);
    }
    return Out;
  }
  if (P.size() == 2 * Spatial) {
    for (unsigned I = 0; I < Spatial; ++I) {
      Out.push_back(P[I]);
      Out.push_back(P[I + Spatial]);
    }
    return Out;
  }
  return nodeError(N, llvm::formatv("'padding' has {0} values for {1} spatial dims; give one "
                                    "per dim or begins then ends",
                                    P.size(), Spatial));
}

bool allZero(llvm::ArrayRef<int64_t> V) {
  return llvm::all_of(V, [](int64_t X) { return X == 0; });
}

/// The spatial rank of a conv or pool node (input rank - 2).
llvm::Expected<unsigned> spatialRank(const Node &N) {
  const Type &In = N.operand(0)->type();
  if (!In.hasRank() || In.rank() < 3)
    return nodeError(N, "the input must have a known rank of at least 3 (N, C, spatial...), "
                        "not " +
                            In.str());
  return In.rank() - 2;
}

/// Normalizes a possibly negative axis against Rank.
int64_t normAxis(int64_t A, int64_t Rank) { return A < 0 ? A + Rank : A; }

/// True for a dequantize of three parameters (lowered to a constexpr op).
bool isConstantDequantize(const Node &N) {
  return N.isCallTo("dequantize") && N.operand(0)->isGetAttr() && N.operand(1)->isGetAttr() &&
         N.operand(2)->isGetAttr();
}

/// Strides, dilations and MIL pad of a conv or conv_transpose node.
struct ConvGeometry {
  unsigned Spatial = 0;
  std::vector<int64_t> Strides, Dilations, Pad;
};

llvm::Expected<ConvGeometry> convGeometry(const Node &N) {
  ConvGeometry G;
  auto S = spatialRank(N);
  if (!S)
    return S.takeError();
  G.Spatial = *S;
  auto Strides = perSpatial(N, "stride", *S);
  if (!Strides)
    return Strides.takeError();
  auto Dilations = perSpatial(N, "dilation", *S);
  if (!Dilations)
    return Dilations.takeError();
  auto Pad = milPad(N, N.getInts("padding"), *S);
  if (!Pad)
    return Pad.takeError();
  G.Strides = std::move(*Strides);
  G.Dilations = std::move(*Dilations);
  G.Pad = std::move(*Pad);
  return G;
}

/// Emits a conv or conv_transpose with x, weight, optional bias and every
/// geometry parameter.
llvm::Error emitConv(LoweringContext &L, const Node &N, llvm::StringRef Type,
                     const ConvGeometry &G) {
  TRY_NAME(X, L.value(N.operand(0)));
  TRY_NAME(W, L.value(N.operand(1)));
  OpBuilder B(L, Type, L.freshName(N.name()));
  B.in("x", X).in("weight", W);
  if (N.numOperands() > 2) {
    TRY_NAME(Bias, L.value(N.operand(2)));
    B.in("bias", Bias);
  }
  B.constIn("strides", MilTensor::int32s(G.Strides))
      .constIn("pad_type", MilTensor::scalarString(allZero(G.Pad) ? "valid" : "custom"))
      .constIn("pad", MilTensor::int32s(G.Pad))
      .constIn("dilations", MilTensor::int32s(G.Dilations))
      .constIn("groups", MilTensor::scalarInt32(int32_t(N.getInt("groups"))));
  return finish(L, N, B);
}

llvm::Error lowerConv(LoweringContext &L, const Node &N) {
  auto G = convGeometry(N);
  if (!G)
    return G.takeError();
  return emitConv(L, N, "conv", *G);
}

llvm::Error lowerConvTranspose(LoweringContext &L, const Node &N) {
  auto G = convGeometry(N);
  if (!G)
    return G.takeError();
  auto OutPad = perSpatial(N, "output_padding", G->Spatial);
  if (!OutPad)
    return OutPad.takeError();
  // output_padding extends the end side: crop less there (coremltools does
  // the same through pre-pad/post-crop; with enough padding it is just pad).
  for (unsigned I = 0; I < G->Spatial; ++I) {
    int64_t &End = G->Pad[2 * I + 1];
    if ((*OutPad)[I] > End)
      return unsupported(llvm::formatv("output_padding {0} exceeds the end padding {1} of "
                                       "spatial dim {2}; MIL conv_transpose cannot add it",
                                       (*OutPad)[I], End, I));
    End -= (*OutPad)[I];
  }
  return emitConv(L, N, "conv_transpose", *G);
}

llvm::Error lowerLinear(LoweringContext &L, const Node &N) {
  const Node *WNode = N.operand(1);
  const Type &WTy = WNode->type();
  if (!WTy.hasStaticShape() || WTy.rank() != 2)
    return nodeError(N, "the weight must be a static [out, in] tensor, not " + WTy.str());
  TRY_NAME(X, L.value(N.operand(0)));
  TRY_NAME(W, L.value(WNode));
  bool ConstWeight = WNode->isGetAttr() || isConstantDequantize(*WNode);
  bool ConstBias = N.numOperands() < 3 || N.operand(2)->isGetAttr();
  if (ConstWeight && ConstBias) {
    OpBuilder B(L, "linear", L.freshName(N.name()));
    B.in("x", X).in("weight", W);
    if (N.numOperands() > 2) {
      TRY_NAME(Bias, L.value(N.operand(2)));
      B.in("bias", Bias);
    } else {
      // linear's bias defaults to zeros; coremltools materializes it.
      std::vector<float> Zeros(size_t(WTy.dim(0)), 0.0f);
      B.constIn("bias", MilTensor::floats({WTy.dim(0)}, Zeros));
    }
    return finish(L, N, B);
  }
  // linear needs a constant weight and bias; otherwise x @ w^T (+ b).
  bool HasBias = N.numOperands() > 2;
  OpBuilder M(L, "matmul", L.freshName(HasBias ? N.name().str() + "_matmul" : N.name().str()));
  M.in("x", X)
      .in("y", W)
      .constIn("transpose_x", MilTensor::scalarBool(false))
      .constIn("transpose_y", MilTensor::scalarBool(true))
      .out(M.name(), milDType(N.type().dtype()), N.type().dims());
  M.emit();
  if (!HasBias) {
    L.define(&N, M.name());
    return llvm::Error::success();
  }
  TRY_NAME(Bias, L.value(N.operand(2)));
  OpBuilder A(L, "add", L.freshName(N.name()));
  A.in("x", M.name()).in("y", Bias).out(N.type());
  A.emit();
  L.define(&N, A.name());
  return llvm::Error::success();
}

llvm::Error lowerMatmul(LoweringContext &L, const Node &N) {
  TRY_NAME(X, L.value(N.operand(0)));
  TRY_NAME(Y, L.value(N.operand(1)));
  OpBuilder B(L, "matmul", L.freshName(N.name()));
  B.in("x", X)
      .in("y", Y)
      .constIn("transpose_x", MilTensor::scalarBool(false))
      .constIn("transpose_y", MilTensor::scalarBool(false));
  return finish(L, N, B);
}

llvm::Error lowerBatchNorm(LoweringContext &L, const Node &N) {
  const Type &In = N.operand(0)->type();
  if (!In.hasRank() || In.rank() < 2 || In.rank() > 5)
    return unsupported("MIL batch_norm takes rank 3 to 5 inputs (rank 2 through expand_dims), "
                       "not " +
                       In.str());
  for (unsigned I = 1; I < 5; ++I)
    if (!N.operand(I)->isGetAttr())
      return nodeError(N, "operand '" + N.op()->operands()[I].Name +
                              "' must be a parameter: MIL batch_norm takes constant statistics");
  TRY_NAME(X, L.value(N.operand(0)));
  TRY_NAME(Gamma, L.value(N.operand(1)));
  TRY_NAME(Beta, L.value(N.operand(2)));
  TRY_NAME(Mean, L.value(N.operand(3)));
  TRY_NAME(Var, L.value(N.operand(4)));
  bool Rank2 = In.rank() == 2;
  std::vector<int64_t> Expanded(In.dims().begin(), In.dims().end());
  if (Rank2) {
    Expanded.push_back(1);
    OpBuilder E(L, "expand_dims", L.freshName(N.name().str() + "_expand"));
    E.in("x", X).constIn("axes", MilTensor::int32s({-1}));
    E.out(E.name(), milDType(In.dtype()), Expanded);
    E.emit();
    X = E.name();
  }
  OpBuilder B(L, "batch_norm", L.freshName(Rank2 ? N.name().str() + "_bn" : N.name().str()));
  B.in("x", X)
      .in("mean", Mean)
      .in("variance", Var)
      .in("gamma", Gamma)
      .in("beta", Beta)
      .constIn("epsilon", MilTensor::scalarFloat(float(N.getFloat("eps"))));
  B.out(B.name(), milDType(N.type().dtype()), Rank2 ? llvm::ArrayRef<int64_t>(Expanded)
                                                     : N.type().dims());
  B.emit();
  if (!Rank2) {
    L.define(&N, B.name());
    return llvm::Error::success();
  }
  OpBuilder Q(L, "squeeze", L.freshName(N.name()));
  Q.in("x", B.name()).constIn("axes", MilTensor::int32s({-1})).out(N.type());
  Q.emit();
  L.define(&N, Q.name());
  return llvm::Error::success();
}

llvm::Error lowerRelu(LoweringContext &L, const Node &N) { return unary(L, N, "relu"); }
llvm::Error lowerRelu6(LoweringContext &L, const Node &N) { return unary(L, N, "relu6"); }
llvm::Error lowerSigmoid(LoweringContext &L, const Node &N) { return unary(L, N, "sigmoid"); }
llvm::Error lowerTanh(LoweringContext &L, const Node &N) { return unary(L, N, "tanh"); }
llvm::Error lowerSilu(LoweringContext &L, const Node &N) { return unary(L, N, "silu"); }
llvm::Error lowerIdentity(LoweringContext &L, const Node &N) { return unary(L, N, "identity"); }

llvm::Error lowerClamp(LoweringContext &L, const Node &N) {
  const Attribute *Min = N.attr("min"), *Max = N.attr("max");
  if (!Min && !Max)
    return unary(L, N, "identity");
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "clip", L.freshName(N.name()));
  // A missing bound is the float limit, as coremltools' torch frontend does.
  B.in("x", X)
      .constIn("alpha", MilTensor::scalarFloat(Min ? float(Min->asDouble()) : -FLT_MAX))
      .constIn("beta", MilTensor::scalarFloat(Max ? float(Max->asDouble()) : FLT_MAX));
  return finish(L, N, B);
}

/// sigmoid_hard(x) = clip(x / 6 + 1 / 2, 0, 1): torch's hardsigmoid.
std::string emitHardSigmoid(LoweringContext &L, llvm::StringRef X, const std::string &Name,
                            const Type &Ty) {
  OpBuilder B(L, "sigmoid_hard", Name);
  B.in("x", X)
      .constIn("alpha", MilTensor::scalarFloat(1.0f / 6.0f))
      .constIn("beta", MilTensor::scalarFloat(0.5f))
      .out(Name, milDType(Ty.dtype()), Ty.dims());
  B.emit();
  return Name;
}

llvm::Error lowerHardSigmoid(LoweringContext &L, const Node &N) {
  TRY_NAME(X, L.value(N.operand(0)));
  L.define(&N, emitHardSigmoid(L, X, L.freshName(N.name()), N.type()));
  return llvm::Error::success();
}

llvm::Error lowerHardSwish(LoweringContext &L, const Node &N) {
  // coremltools: w = thresholded_relu(x, -3); y = sigmoid_hard(w, 1/6, 1/2); w * y.
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder T(L, "thresholded_relu", L.freshName(N.name().str() + "_thresholded"));
  T.in("x", X)
      .constIn("alpha", MilTensor::scalarFloat(-3.0f))
      .out(T.name(), milDType(N.type().dtype()), N.type().dims());
  T.emit();
  std::string Y = emitHardSigmoid(L, T.name(), L.freshName(N.name().str() + "_hardsigmoid"),
                                  N.type());
  OpBuilder M(L, "mul", L.freshName(N.name()));
  M.in("x", T.name()).in("y", Y).out(N.type());
  M.emit();
  L.define(&N, M.name());
  return llvm::Error::success();
}

llvm::Error lowerGelu(LoweringContext &L, const Node &N) {
  const std::string &Approx = N.attr("approximate")->getString();
  if (Approx != "none" && Approx != "tanh")
    return unsupported("gelu approximation \"" + Approx + "\" has no MIL mode");
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "gelu", L.freshName(N.name()));
  B.in("x", X)
      .constIn("mode", MilTensor::scalarString(Approx == "tanh" ? "TANH_APPROXIMATION" : "EXACT"));
  return finish(L, N, B);
}

llvm::Error lowerLeakyRelu(LoweringContext &L, const Node &N) {
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "leaky_relu", L.freshName(N.name()));
  B.in("x", X)
      .constIn("alpha", MilTensor::scalarFloat(float(N.getFloat("negative_slope"))));
  return finish(L, N, B);
}

llvm::Error lowerSoftmax(LoweringContext &L, const Node &N) {
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "softmax", L.freshName(N.name()));
  B.in("x", X).constIn("axis", MilTensor::scalarInt32(int32_t(N.getInt("dim"))));
  return finish(L, N, B);
}

llvm::Error binary(LoweringContext &L, const Node &N, llvm::StringRef Type) {
  TRY_NAME(X, L.value(N.operand(0)));
  TRY_NAME(Y, L.value(N.operand(1)));
  OpBuilder B(L, Type, L.freshName(N.name()));
  B.in("x", X).in("y", Y);
  return finish(L, N, B);
}

llvm::Error lowerAdd(LoweringContext &L, const Node &N) { return binary(L, N, "add"); }
llvm::Error lowerSub(LoweringContext &L, const Node &N) { return binary(L, N, "sub"); }
llvm::Error lowerMul(LoweringContext &L, const Node &N) { return binary(L, N, "mul"); }
llvm::Error lowerDiv(LoweringContext &L, const Node &N) { return binary(L, N, "real_div"); }

/// The shared parameters of max_pool and avg_pool.
llvm::Error pool(LoweringContext &L, const Node &N, llvm::StringRef Type, bool Avg) {
  if (N.operand(0)->type().rank() != 4)
    return nodeError(N, "the input must be rank 4 (N, C, H, W), not " +
                            N.operand(0)->type().str());
  auto Kernel = perSpatial(N, "kernel_size", 2);
  if (!Kernel)
    return Kernel.takeError();
  std::vector<int64_t> Strides = *Kernel;
  if (!N.getInts("stride").empty()) {
    auto S = perSpatial(N, "stride", 2);
    if (!S)
      return S.takeError();
    Strides = *S;
  }
  auto Pad = milPad(N, N.getInts("padding"), 2);
  if (!Pad)
    return Pad.takeError();
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, Type, L.freshName(N.name()));
  B.in("x", X)
      .constIn("kernel_sizes", MilTensor::int32s(*Kernel))
      .constIn("strides", MilTensor::int32s(Strides))
      .constIn("pad_type", MilTensor::scalarString(allZero(*Pad) ? "valid" : "custom"))
      .constIn("pad", MilTensor::int32s(*Pad))
      .constIn("ceil_mode", MilTensor::scalarBool(N.getBool("ceil_mode")));
  if (Avg)
    B.constIn("exclude_padding_from_average",
              MilTensor::scalarBool(!N.getBool("count_include_pad")));
  return finish(L, N, B);
}

llvm::Error lowerMaxPool(LoweringContext &L, const Node &N) {
  for (int64_t D : N.getInts("dilation"))
    if (D != 1)
      return unsupported("dilated max pooling has no MIL equivalent");
  return pool(L, N, "max_pool", false);
}

llvm::Error lowerAvgPool(LoweringContext &L, const Node &N) {
  if (N.attr("divisor_override"))
    return unsupported("divisor_override has no MIL equivalent");
  return pool(L, N, "avg_pool", true);
}

llvm::Error lowerAdaptiveAvgPool(LoweringContext &L, const Node &N) {
  const Type &In = N.operand(0)->type();
  llvm::ArrayRef<int64_t> OutSize = N.getInts("output_size");
  if (In.rank() != 4 || OutSize.size() != 2)
    return nodeError(N, "expected a rank-4 input and two output sizes");
  TRY_NAME(X, L.value(N.operand(0)));
  if (OutSize[0] == 1 && OutSize[1] == 1) {
    // coremltools: a global average pool is reduce_mean over H and W.
    OpBuilder B(L, "reduce_mean", L.freshName(N.name()));
    B.in("x", X)
        .constIn("axes", MilTensor::int32s({-2, -1}))
        .constIn("keep_dims", MilTensor::scalarBool(true))
        .out(N.type());
    B.emit();
    L.define(&N, B.name());
    return llvm::Error::success();
  }
  int64_t H = In.dim(2), W = In.dim(3);
  if (H < 0 || W < 0 || OutSize[0] <= 0 || OutSize[1] <= 0 || H % OutSize[0] || W % OutSize[1])
    return unsupported(llvm::formatv("output size {0}x{1} does not divide the input {2}; MIL "
                                     "has no adaptive pooling",
                                     OutSize[0], OutSize[1], In.str()));
  std::vector<int64_t> K = {H / OutSize[0], W / OutSize[1]};
  OpBuilder B(L, "avg_pool", L.freshName(N.name()));
  B.in("x", X)
      .constIn("kernel_sizes", MilTensor::int32s(K))
      .constIn("strides", MilTensor::int32s(K))
      .constIn("pad_type", MilTensor::scalarString("valid"))
      .constIn("pad", MilTensor::int32s({0, 0, 0, 0}))
      .constIn("ceil_mode", MilTensor::scalarBool(false))
      .constIn("exclude_padding_from_average", MilTensor::scalarBool(false));
  return finish(L, N, B);
}

llvm::Error lowerCat(LoweringContext &L, const Node &N) {
  std::vector<std::string> Values;
  for (const Node *Op : N.operands()) {
    TRY_NAME(V, L.value(Op));
    Values.push_back(V);
  }
  OpBuilder B(L, "concat", L.freshName(N.name()));
  B.inTuple("values", Values)
      .constIn("axis", MilTensor::scalarInt32(int32_t(N.getInt("dim"))))
      .constIn("interleave", MilTensor::scalarBool(false));
  return finish(L, N, B);
}

/// flatten and reshape: reshape to the node's inferred shape (a symbolic
/// dim is written as -1, so at most one may be symbolic).
llvm::Error lowerReshape(LoweringContext &L, const Node &N) {
  const Type &Out = N.type();
  if (!Out.hasRank())
    return nodeError(N, "the result rank must be known");
  std::vector<int64_t> Shape;
  unsigned Symbolic = 0;
  for (int64_t D : Out.dims()) {
    Symbolic += D < 0;
    Shape.push_back(D < 0 ? -1 : D);
  }
  if (Symbolic > 1)
    return unsupported("a reshape result with more than one symbolic dim (" + Out.str() + ")");
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "reshape", L.freshName(N.name()));
  B.in("x", X).constIn("shape", MilTensor::int32s(Shape)).out(Out);
  B.emit();
  L.define(&N, B.name());
  return llvm::Error::success();
}

llvm::Error transposeTo(LoweringContext &L, const Node &N, std::vector<int64_t> Perm) {
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "transpose", L.freshName(N.name()));
  B.in("x", X).constIn("perm", MilTensor::int32s(Perm));
  return finish(L, N, B);
}

llvm::Error lowerPermute(LoweringContext &L, const Node &N) {
  int64_t R = N.operand(0)->type().rank();
  std::vector<int64_t> Perm;
  for (int64_t D : N.getInts("dims"))
    Perm.push_back(normAxis(D, R));
  return transposeTo(L, N, Perm);
}

llvm::Error lowerTranspose(LoweringContext &L, const Node &N) {
  int64_t R = N.operand(0)->type().rank();
  std::vector<int64_t> Perm;
  for (int64_t I = 0; I < R; ++I)
    Perm.push_back(I);
  std::swap(Perm[normAxis(N.getInt("dim0"), R)], Perm[normAxis(N.getInt("dim1"), R)]);
  return transposeTo(L, N, Perm);
}

llvm::Error lowerSqueeze(LoweringContext &L, const Node &N) {
  const Type &In = N.operand(0)->type();
  if (!In.hasRank() || !N.type().hasRank())
    return nodeError(N, "squeezing needs known ranks; give 'dims' explicitly");
  std::vector<int64_t> Axes;
  llvm::ArrayRef<int64_t> Dims = N.getInts("dims");
  for (int64_t I = 0; I < In.rank(); ++I) {
    bool Listed = Dims.empty() ? In.dim(I) == 1
                               : llvm::any_of(Dims, [&](int64_t D) {
                                   return normAxis(D, In.rank()) == I;
                                 });
    if (Listed)
      Axes.push_back(I);
  }
  if (Axes.empty())
    return unary(L, N, "identity");
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "squeeze", L.freshName(N.name()));
  B.in("x", X).constIn("axes", MilTensor::int32s(Axes));
  return finish(L, N, B);
}

llvm::Error lowerUnsqueeze(LoweringContext &L, const Node &N) {
  int64_t R = N.operand(0)->type().rank();
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "expand_dims", L.freshName(N.name()));
  B.in("x", X)
      .constIn("axes", MilTensor::int32s({normAxis(N.getInt("dim"), R + 1)}));
  return finish(L, N, B);
}

llvm::Error lowerMean(LoweringContext &L, const Node &N) {
  int64_t R = N.operand(0)->type().rank();
  std::vector<int64_t> Axes;
  for (int64_t D : N.getInts("dims"))
    Axes.push_back(normAxis(D, R));
  if (Axes.empty())
    for (int64_t I = 0; I < R; ++I)
      Axes.push_back(I);
  std::sort(Axes.begin(), Axes.end());
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "reduce_mean", L.freshName(N.name()));
  B.in("x", X)
      .constIn("axes", MilTensor::int32s(Axes))
      .constIn("keep_dims", MilTensor::scalarBool(N.getBool("keepdim")));
  return finish(L, N, B);
}

llvm::Error lowerPad(LoweringContext &L, const Node &N) {
  llvm::ArrayRef<int64_t> P = N.getInts("pads");
  size_t R = P.size() / 2;
  std::vector<int64_t> Pad;
  for (size_t I = 0; I < R; ++I) {
    if (P[I] < 0 || P[I + R] < 0)
      return unsupported("negative padding (cropping) has no MIL pad equivalent");
    Pad.push_back(P[I]);
    Pad.push_back(P[I + R]);
  }
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "pad", L.freshName(N.name()));
  B.in("x", X)
      .constIn("pad", MilTensor::int32s(Pad))
      .constIn("mode", MilTensor::scalarString(N.attr("mode")->getString()))
      .constIn("constant_val", MilTensor::scalarFloat(float(N.getFloat("value"))));
  return finish(L, N, B);
}

llvm::Error lowerSplit(LoweringContext &L, const Node &N) {
  if (!N.type().isTuple())
    return nodeError(N, "the result must be a tuple");
  llvm::ArrayRef<Type> Parts = N.type().elements();
  // Outputs take the names of the getitem nodes that read them.
  std::vector<std::string> Names(Parts.size());
  for (const Node *User : N.users())
    if (User->isCallTo("getitem")) {
      int64_t I = User->getInt("index");
      if (I >= 0 && size_t(I) < Names.size() && Names[I].empty())
        Names[I] = L.freshName(User->name());
    }
  std::string Name = L.freshName(N.name());
  for (size_t I = 0; I < Names.size(); ++I)
    if (Names[I].empty())
      Names[I] = L.freshName(Name + "_" + std::to_string(I));
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "split", Name);
  B.in("x", X)
      .constIn("num_splits", MilTensor::scalarInt32(int32_t(Parts.size())))
      .constIn("split_sizes", MilTensor::int32s(N.getInts("split_sizes")))
      .constIn("axis", MilTensor::scalarInt32(int32_t(N.getInt("dim"))));
  for (size_t I = 0; I < Parts.size(); ++I)
    B.out(Names[I], milDType(Parts[I].dtype()), Parts[I].dims());
  B.emit();
  L.TupleOutputs[&N] = Names;
  L.define(&N, Name);
  return llvm::Error::success();
}

llvm::Error lowerGetItem(LoweringContext &L, const Node &N) {
  auto It = L.TupleOutputs.find(N.operand(0));
  int64_t I = N.getInt("index");
  if (It == L.TupleOutputs.end() || I < 0 || size_t(I) >= It->second.size())
    return nodeError(N, "reads a tuple that is not the result of a split");
  L.define(&N, It->second[I]);
  return llvm::Error::success();
}

llvm::Error lowerSlice(LoweringContext &L, const Node &N) {
  const Type &In = N.operand(0)->type();
  if (!In.hasRank())
    return nodeError(N, "the input rank must be known");
  int64_t R = In.rank(), Dim = normAxis(N.getInt("dim"), R);
  int64_t Start = N.getInt("start"), End = N.getInt("end"), Step = N.getInt("step");
  std::vector<int64_t> Begin(R, 0), Ends(R, 0), Stride(R, 1);
  std::vector<bool> BeginMask(R, true), EndMask(R, true), SqueezeMask(R, false);
  Stride[Dim] = Step;
  int64_t Size = In.dim(Dim);
  BeginMask[Dim] = false;
  EndMask[Dim] = false;
  if (Size >= 0) {
    auto clampIndex = [Size](int64_t I) {
      if (I < 0)
        I += Size;
      return std::min(std::max<int64_t>(I, 0), Size);
    };
    Begin[Dim] = clampIndex(Start);
    Ends[Dim] = clampIndex(End);
  } else {
    Begin[Dim] = Start;
    if (End >= INT32_MAX)
      EndMask[Dim] = true;
    else
      Ends[Dim] = End;
  }
  for (int64_t V : {Begin[Dim], Ends[Dim]})
    if (V < INT32_MIN || V > INT32_MAX)
      return nodeError(N, "slice bounds must fit int32");
  TRY_NAME(X, L.value(N.operand(0)));
  OpBuilder B(L, "slice_by_index", L.freshName(N.name()));
  B.in("x", X)
      .constIn("begin", MilTensor::int32s(Begin))
      .constIn("end", MilTensor::int32s(Ends))
      .constIn("stride", MilTensor::int32s(Stride))
      .constIn("begin_mask", MilTensor::bools(BeginMask))
      .constIn("end_mask", MilTensor::bools(EndMask))
      .constIn("squeeze_mask", MilTensor::bools(SqueezeMask));
  return finish(L, N, B);
}

struct RuleEntry {
  const char *Op;
  LowerRule Rule;
};

const RuleEntry kRules[] = {
    {"conv1d", lowerConv},
    {"conv2d", lowerConv},
    {"conv_transpose2d", lowerConvTranspose},
    {"linear", lowerLinear},
    {"matmul", lowerMatmul},
    {"batch_norm", lowerBatchNorm},
    {"relu", lowerRelu},
    {"relu6", lowerRelu6},
    {"clamp", lowerClamp},
    {"hardswish", lowerHardSwish},
    {"hardsigmoid", lowerHardSigmoid},
    {"sigmoid", lowerSigmoid},
    {"tanh", lowerTanh},
    {"silu", lowerSilu},
    {"gelu", lowerGelu},
    {"leaky_relu", lowerLeakyRelu},
    {"softmax", lowerSoftmax},
    {"add", lowerAdd},
    {"sub", lowerSub},
    {"mul", lowerMul},
    {"div", lowerDiv},
    {"max_pool2d", lowerMaxPool},
    {"avg_pool2d", lowerAvgPool},
    {"adaptive_avg_pool2d", lowerAdaptiveAvgPool},
    {"cat", lowerCat},
    {"flatten", lowerReshape},
    {"reshape", lowerReshape},
    {"permute", lowerPermute},
    {"transpose", lowerTranspose},
    {"squeeze", lowerSqueeze},
    {"unsqueeze", lowerUnsqueeze},
    {"mean", lowerMean},
    {"pad", lowerPad},
    {"split", lowerSplit},
    {"getitem", lowerGetItem},
    {"slice", lowerSlice},
    {"dropout", lowerIdentity},
    {"identity", lowerIdentity},
    {"quantize", lowerQuantize},
    {"dequantize", lowerDequantize},
};

} // namespace

LowerRule lookupLowerRule(llvm::StringRef OpName) {
  for (const RuleEntry &E : kRules)
    if (OpName == E.Op)
      return E.Rule;
  return nullptr;
}

} // namespace mil
} // namespace qatc
