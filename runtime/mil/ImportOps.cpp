//===- ImportOps.cpp - MIL float ops to QIR ops ---------------------------===//
//
// One rule per MIL op the writer emits (plus the usual MIL spellings of the
// same operations, e.g. conv pad_type "same"): the rule reads the op's
// parameters with MIL's defaults and creates the QIR op with the same
// semantics. coremltools' hardswish decomposition (thresholded_relu(x, -3),
// sigmoid_hard(., 1/6, 1/2), mul) is recognised and run as QIR hardswish;
// sigmoid_hard(1/6, 1/2) alone is QIR hardsigmoid; other sigmoid_hard
// parameters are decomposed into mul, add and clamp; reduce_mean over H and
// W of a rank-4 tensor with keep_dims (a global average pool) is QIR
// adaptive_avg_pool2d to 1x1.
//
//===----------------------------------------------------------------------===//
#include "runtime/mil/ImportContext.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

namespace qatc {
namespace mil {

namespace {

/// QIR spatial padding from MIL's [b0, e0, b1, e1, ...]: one value per dim
/// when symmetric, else all begins then all ends.
std::vector<int64_t> qirPadding(llvm::ArrayRef<int64_t> Pad) {
  size_t S = Pad.size() / 2;
  std::vector<int64_t> Begins, Ends;
  bool Symmetric = true;
  for (size_t I = 0; I < S; ++I) {
    Begins.push_back(Pad[2 * I]);
    Ends.push_back(Pad[2 * I + 1]);
    Symmetric &= Pad[2 * I] == Pad[2 * I + 1];
  }
  if (Symmetric)
    return Begins;
  Begins.insert(Begins.end(), Ends.begin(), Ends.end());
  return Begins;
}

/// MIL's pad for pad_type on a conv or pool: [b0, e0, ...] for every spatial dim.
llvm::Expected<std::vector<int64_t>>
resolvePad(ImportContext &C, const Spec::Operation &Op, const Type &In,
           llvm::ArrayRef<int64_t> Kernel, llvm::ArrayRef<int64_t> Strides,
           llvm::ArrayRef<int64_t> Dilations, llvm::StringRef DefaultType) {
  size_t S = Kernel.size();
  TRY(PadType, C.stringParam(Op, "pad_type", DefaultType.str()));
  if (PadType == "valid")
    return std::vector<int64_t>(2 * S, 0);
  if (PadType == "custom") {
    TRY(Pad, C.intsParam(Op, "pad", std::vector<int64_t>(2 * S, 0)));
    if (Pad.size() != 2 * S)
      return opError(Op, llvm::formatv("'pad' has {0} values for {1} spatial dims", Pad.size(),
                                       S));
    return Pad;
  }
  if (PadType == "same" || PadType == "same_lower") {
    std::vector<int64_t> Pad;
    for (size_t I = 0; I < S; ++I) {
      int64_t Size = In.dim(int(In.rank() - S + I));
      if (Size < 0)
        return opError(Op, "pad_type \"same\" needs static spatial sizes");
      int64_t Out = (Size + Strides[I] - 1) / Strides[I];
      int64_t Total = std::max<int64_t>(
          (Out - 1) * Strides[I] + (Kernel[I] - 1) * Dilations[I] + 1 - Size, 0);
      int64_t Small = Total / 2, Large = Total - Small;
      Pad.push_back(PadType == "same" ? Small : Large);
      Pad.push_back(PadType == "same" ? Large : Small);
    }
    return Pad;
  }
  return opError(Op, "unknown pad_type \"" + PadType + "\"");
}

llvm::Error importConv(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(W, C.tensor(Op, "weight"));
  const Type &WT = W->type();
  if (!WT.hasRank() || (WT.rank() != 3 && WT.rank() != 4))
    return opError(Op, "only 1-D and 2-D convolutions are supported, not weight " + WT.str());
  size_t S = WT.rank() - 2;
  std::vector<int64_t> Kernel(WT.dims().begin() + 2, WT.dims().end());
  TRY(Strides, C.intsParam(Op, "strides", std::vector<int64_t>(S, 1)));
  TRY(Dilations, C.intsParam(Op, "dilations", std::vector<int64_t>(S, 1)));
  TRY(Groups, C.intParam(Op, "groups", 1));
  if (Strides.size() != S || Dilations.size() != S)
    return opError(Op, "'strides' and 'dilations' need one value per spatial dim");
  TRY(Pad, resolvePad(C, Op, X->type(), Kernel, Strides, Dilations, "valid"));
  std::vector<Node *> Operands = {X, W};
  if (C.has(Op, "bias")) {
    TRY(Bias, C.tensor(Op, "bias"));
    Operands.push_back(Bias);
  }
  Attrs A = {{"stride", Strides},
             {"padding", qirPadding(Pad)},
             {"dilation", Dilations},
             {"groups", Groups}};
  return done(C.result(Op, S == 1 ? "conv1d" : "conv2d", Operands, std::move(A)));
}

llvm::Error importConvTranspose(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(W, C.tensor(Op, "weight"));
  const Type &WT = W->type();
  if (!WT.hasRank() || WT.rank() != 4)
    return opError(Op, "only 2-D transposed convolutions are supported, not weight " +
                           WT.str());
  if (C.has(Op, "output_shape"))
    return opError(Op, "an explicit 'output_shape' is not supported");
  TRY(Strides, C.intsParam(Op, "strides", std::vector<int64_t>(2, 1)));
  TRY(Dilations, C.intsParam(Op, "dilations", std::vector<int64_t>(2, 1)));
  TRY(Groups, C.intParam(Op, "groups", 1));
  TRY(PadType, C.stringParam(Op, "pad_type", std::string("valid")));
  std::vector<int64_t> Pad(4, 0);
  if (PadType == "custom") {
    TRY(P, C.intsParam(Op, "pad", Pad));
    Pad = P;
  } else if (PadType != "valid") {
    return opError(Op, "pad_type \"" + PadType + "\" is not supported for conv_transpose");
  }
  if (Pad.size() != 4 || Strides.size() != 2 || Dilations.size() != 2)
    return opError(Op, "expected 2 spatial dims in 'pad', 'strides' and 'dilations'");
  // MIL crops pad[begin] and pad[end]; QIR crops padding on both sides and
  // adds output_padding at the end.
  std::vector<int64_t> Padding, OutPad;
  for (unsigned I = 0; I < 2; ++I) {
    int64_t B = Pad[2 * I], E = Pad[2 * I + 1];
    if (B < E)
      return opError(Op, "a larger end than begin padding has no QIR equivalent");
    Padding.push_back(B);
    OutPad.push_back(B - E);
  }
  std::vector<Node *> Operands = {X, W};
  if (C.has(Op, "bias")) {
    TRY(Bias, C.tensor(Op, "bias"));
    Operands.push_back(Bias);
  }
  Attrs A = {{"stride", Strides},
             {"padding", Padding},
             {"output_padding", OutPad},
             {"dilation", Dilations},
             {"groups", Groups}};
  return done(C.result(Op, "conv_transpose2d", Operands, std::move(A)));
}

llvm::Error importLinear(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(W, C.tensor(Op, "weight"));
  std::vector<Node *> Operands = {X, W};
  if (C.has(Op, "bias")) {
    TRY(Bias, C.tensor(Op, "bias"));
    Operands.push_back(Bias);
  }
  return done(C.result(Op, "linear", Operands));
}

llvm::Error importMatmul(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Y, C.tensor(Op, "y"));
  TRY(TX, C.boolParam(Op, "transpose_x", false));
  TRY(TY, C.boolParam(Op, "transpose_y", false));
  std::string Out = Op.outputs_size() ? Op.outputs(0).name() : "matmul";
  auto swapLast = [&](Node *N, llvm::StringRef Suffix) -> llvm::Expected<Node *> {
    return C.call(nullptr, "transpose", {N}, {{"dim0", int64_t(-2)}, {"dim1", int64_t(-1)}},
                  Out + "." + Suffix.str());
  };
  if (TX) {
    TRY(T, swapLast(X, "x_t"));
    X = T;
  }
  if (TY) {
    TRY(T, swapLast(Y, "y_t"));
    Y = T;
  }
  return done(C.result(Op, "matmul", {X, Y}));
}

/// A parameter of Shape filled with Value, named Name.
llvm::Expected<Node *> filled(ImportContext &C, llvm::StringRef Name,
                              llvm::ArrayRef<int64_t> Shape, float Value) {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return C.parameter(Name, MilTensor::floats(Shape, std::vector<float>(size_t(N), Value)));
}

llvm::Error importBatchNorm(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Mean, C.tensor(Op, "mean"));
  TRY(Var, C.tensor(Op, "variance"));
  TRY(Eps, C.floatParam(Op, "epsilon", 1e-5f));
  std::string Out = Op.outputs_size() ? Op.outputs(0).name() : "batch_norm";
  Node *Gamma, *Beta;
  if (C.has(Op, "gamma")) {
    TRY(G, C.tensor(Op, "gamma"));
    Gamma = G;
  } else {
    TRY(G, filled(C, Out + ".gamma", Mean->type().dims(), 1.0f));
    Gamma = G;
  }
  if (C.has(Op, "beta")) {
    TRY(B, C.tensor(Op, "beta"));
    Beta = B;
  } else {
    TRY(B, filled(C, Out + ".beta", Mean->type().dims(), 0.0f));
    Beta = B;
  }
  return done(C.result(Op, "batch_norm", {X, Gamma, Beta, Mean, Var}, {{"eps", double(Eps)}}));
}

template <const char *QirOp> llvm::Error importUnary(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  return done(C.result(Op, QirOp, {X}));
}

constexpr char kRelu[] = "relu", kRelu6[] = "relu6", kSigmoid[] = "sigmoid", kTanh[] = "tanh",
               kSilu[] = "silu", kIdentity[] = "identity";

llvm::Error importClip(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Lo, C.floatParam(Op, "alpha"));
  TRY(Hi, C.floatParam(Op, "beta"));
  return done(C.result(Op, "clamp", {X}, {{"min", double(Lo)}, {"max", double(Hi)}}));
}

/// The alpha and beta of torch's hardsigmoid as Core ML stores them.
bool isHardSigmoidParams(float Alpha, float Beta) {
  return Alpha == 1.0f / 6.0f && Beta == 0.5f;
}

/// For thresholded_relu T: the mul of coremltools' hardswish pattern
/// (T = thresholded_relu(x, -3); S = sigmoid_hard(T, 1/6, 1/2); mul(T, S),
/// with T and S used nowhere else), or null.
const Spec::Operation *hardSwishMul(ImportContext &C, const Spec::Operation &T) {
  if (T.type() != "thresholded_relu" || T.outputs_size() != 1)
    return nullptr;
  auto Alpha = C.floatParam(T, "alpha", 1.0f);
  if (!Alpha) {
    llvm::consumeError(Alpha.takeError());
    return nullptr;
  }
  const std::string &TOut = T.outputs(0).name();
  llvm::ArrayRef<const Spec::Operation *> Users = C.consumers(TOut);
  if (*Alpha != -3.0f || Users.size() != 2 || C.uses(TOut) != 2)
    return nullptr;
  const Spec::Operation *S = nullptr, *M = nullptr;
  for (const Spec::Operation *U : Users) {
    if (U->type() == "sigmoid_hard")
      S = U;
    else if (U->type() == "mul")
      M = U;
  }
  if (!S || !M || S->outputs_size() != 1 || ImportContext::boundName(*S, "x") != TOut)
    return nullptr;
  auto SA = C.floatParam(*S, "alpha", 0.2f);
  auto SB = C.floatParam(*S, "beta", 0.5f);
  bool Params = SA && SB && isHardSigmoidParams(*SA, *SB);
  if (!SA)
    llvm::consumeError(SA.takeError());
  if (!SB)
    llvm::consumeError(SB.takeError());
  const std::string &SOut = S->outputs(0).name();
  if (!Params || C.uses(SOut) != 1 || C.consumers(SOut).size() != 1 ||
      C.consumers(SOut)[0] != M)
    return nullptr;
  std::string MX = ImportContext::boundName(*M, "x"), MY = ImportContext::boundName(*M, "y");
  if (!((MX == TOut && MY == SOut) || (MX == SOut && MY == TOut)))
    return nullptr;
  return M;
}

llvm::Error importThresholdedRelu(ImportContext &C, const Spec::Operation &Op) {
  if (hardSwishMul(C, Op))
    return llvm::Error::success(); // run as part of the hardswish at its mul
  return opError(Op, "thresholded_relu is supported only inside the hardswish decomposition "
                     "(thresholded_relu(x, -3), sigmoid_hard(1/6, 1/2), mul)");
}

llvm::Error importSigmoidHard(ImportContext &C, const Spec::Operation &Op) {
  if (const Spec::Operation *T = C.producer(ImportContext::boundName(Op, "x")))
    if (hardSwishMul(C, *T))
      return llvm::Error::success(); // part of a hardswish
  TRY(X, C.tensor(Op, "x"));
  TRY(Alpha, C.floatParam(Op, "alpha", 0.2f));
  TRY(Beta, C.floatParam(Op, "beta", 0.5f));
  if (isHardSigmoidParams(Alpha, Beta))
    return done(C.result(Op, "hardsigmoid", {X}));
  // clip(alpha * x + beta, 0, 1)
  std::string Out = Op.outputs(0).name();
  TRY(A, C.parameter(Out + ".alpha", MilTensor::floats({}, {Alpha})));
  TRY(B, C.parameter(Out + ".beta", MilTensor::floats({}, {Beta})));
  TRY(Scaled, C.call(nullptr, "mul", {X, A}, {}, Out + ".scaled"));
  TRY(Shifted, C.call(nullptr, "add", {Scaled, B}, {}, Out + ".shifted"));
  return done(C.result(Op, "clamp", {Shifted}, {{"min", 0.0}, {"max", 1.0}}));
}

llvm::Error importGelu(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Mode, C.stringParam(Op, "mode", std::string("EXACT")));
  if (Mode != "EXACT" && Mode != "TANH_APPROXIMATION")
    return opError(Op, "gelu mode \"" + Mode + "\" is not supported");
  return done(C.result(Op, "gelu", {X},
                       {{"approximate", std::string(Mode == "EXACT" ? "none" : "tanh")}}));
}

llvm::Error importLeakyRelu(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Alpha, C.floatParam(Op, "alpha", 0.01f));
  return done(C.result(Op, "leaky_relu", {X}, {{"negative_slope", double(Alpha)}}));
}

llvm::Error importSoftmax(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Axis, C.intParam(Op, "axis", -1));
  return done(C.result(Op, "softmax", {X}, {{"dim", Axis}}));
}

template <const char *QirOp>
llvm::Error importBinary(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Y, C.tensor(Op, "y"));
  return done(C.result(Op, QirOp, {X, Y}));
}

constexpr char kAdd[] = "add", kSub[] = "sub", kMul[] = "mul", kDiv[] = "div";

llvm::Error importMul(ImportContext &C, const Spec::Operation &Op) {
  for (llvm::StringRef Param : {"x", "y"})
    if (const Spec::Operation *T = C.producer(ImportContext::boundName(Op, Param)))
      if (hardSwishMul(C, *T) == &Op) {
        TRY(X, C.tensor(*T, "x"));
        return done(C.result(Op, "hardswish", {X}));
      }
  return importBinary<kMul>(C, Op);
}

llvm::Error importPool(ImportContext &C, const Spec::Operation &Op, bool Avg) {
  TRY(X, C.tensor(Op, "x"));
  if (!X->type().hasRank() || X->type().rank() != 4)
    return opError(Op, "only 2-D pooling of rank-4 inputs is supported");
  TRY(Kernel, C.intsParam(Op, "kernel_sizes"));
  if (Kernel.size() != 2)
    return opError(Op, "'kernel_sizes' must have 2 values");
  TRY(Strides, C.intsParam(Op, "strides", std::vector<int64_t>(2, 1)));
  if (Strides.size() != 2)
    return opError(Op, "'strides' must have 2 values");
  TRY(Pad, resolvePad(C, Op, X->type(), Kernel, Strides, {1, 1}, "valid"));
  TRY(Ceil, C.boolParam(Op, "ceil_mode", false));
  Attrs A = {{"kernel_size", Kernel},
             {"stride", Strides},
             {"padding", qirPadding(Pad)},
             {"ceil_mode", Ceil}};
  if (Avg) {
    TRY(Exclude, C.boolParam(Op, "exclude_padding_from_average", false));
    A.push_back({"count_include_pad", !Exclude});
  }
  return done(C.result(Op, Avg ? "avg_pool2d" : "max_pool2d", {X}, std::move(A)));
}

llvm::Error importMaxPool(ImportContext &C, const Spec::Operation &Op) {
  return importPool(C, Op, false);
}

llvm::Error importAvgPool(ImportContext &C, const Spec::Operation &Op) {
  return importPool(C, Op, true);
}

llvm::Error importReduceMean(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Axes, C.intsParam(Op, "axes", std::vector<int64_t>()));
  TRY(Keep, C.boolParam(Op, "keep_dims", false));
  // A global average pool (what coremltools and qatc write for
  // adaptive_avg_pool2d to 1x1) runs as QIR adaptive_avg_pool2d, whose
  // kernel sums like the trained graph's.
  const Type &In = X->type();
  if (Keep && In.hasRank() && In.rank() == 4 && Axes.size() == 2) {
    std::vector<int64_t> Norm = Axes;
    for (int64_t &A : Norm)
      A = A < 0 ? A + 4 : A;
    std::sort(Norm.begin(), Norm.end());
    if (Norm == std::vector<int64_t>{2, 3})
      return done(C.result(Op, "adaptive_avg_pool2d", {X},
                           {{"output_size", std::vector<int64_t>{1, 1}}}));
  }
  return done(C.result(Op, "mean", {X}, {{"dims", Axes}, {"keepdim", Keep}}));
}

llvm::Error importConcat(ImportContext &C, const Spec::Operation &Op) {
  TRY(Values, C.tuple(Op, "values"));
  TRY(Axis, C.intParam(Op, "axis"));
  TRY(Interleave, C.boolParam(Op, "interleave", false));
  if (Interleave)
    return opError(Op, "interleaved concat is not supported");
  return done(C.result(Op, "cat", Values, {{"dim", Axis}}));
}

llvm::Error importReshape(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Shape, C.intsParam(Op, "shape"));
  const Type &In = X->type();
  for (size_t I = 0; I < Shape.size(); ++I) {
    if (Shape[I] != 0)
      continue;
    // 0 copies the input's dim (when the ranks agree).
    if (!In.hasRank() || In.rank() != Shape.size() || In.dim(int(I)) < 0)
      return opError(Op, "a 0 in 'shape' needs a static input dim at the same position");
    Shape[I] = In.dim(int(I));
  }
  return done(C.result(Op, "reshape", {X}, {{"shape", Shape}}));
}

llvm::Error importTranspose(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Perm, C.intsParam(Op, "perm"));
  return done(C.result(Op, "permute", {X}, {{"dims", Perm}}));
}

llvm::Error importSqueeze(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Axes, C.intsParam(Op, "axes", std::vector<int64_t>()));
  return done(C.result(Op, "squeeze", {X}, {{"dims", Axes}}));
}

llvm::Error importExpandDims(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Axes, C.intsParam(Op, "axes"));
  if (!X->type().hasRank())
    return opError(Op, "the input rank must be known");
  int64_t OutRank = int64_t(X->type().rank() + Axes.size());
  for (int64_t &A : Axes) {
    if (A < 0)
      A += OutRank;
    if (A < 0 || A >= OutRank)
      return opError(Op, "an axis is out of range");
  }
  std::sort(Axes.begin(), Axes.end());
  std::string Out = Op.outputs(0).name();
  Node *Cur = X;
  for (size_t I = 0; I + 1 < Axes.size(); ++I) {
    TRY(N, C.call(nullptr, "unsqueeze", {Cur}, {{"dim", Axes[I]}},
                  Out + ".unsqueeze" + std::to_string(I)));
    Cur = N;
  }
  if (Axes.empty())
    return done(C.result(Op, "identity", {Cur}));
  return done(C.result(Op, "unsqueeze", {Cur}, {{"dim", Axes.back()}}));
}

llvm::Error importPad(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Pad, C.intsParam(Op, "pad"));
  TRY(Mode, C.stringParam(Op, "mode", std::string("constant")));
  TRY(Value, C.floatParam(Op, "constant_val", 0.0f));
  if (!X->type().hasRank() || Pad.size() % 2 || Pad.size() / 2 > X->type().rank())
    return opError(Op, "'pad' must have two values for each of the last dims");
  size_t R = X->type().rank(), N = Pad.size() / 2;
  std::vector<int64_t> Pads(2 * R, 0);
  for (size_t I = 0; I < N; ++I) {
    Pads[R - N + I] = Pad[2 * I];
    Pads[R + R - N + I] = Pad[2 * I + 1];
  }
  return done(C.result(Op, "pad", {X},
                       {{"pads", Pads}, {"mode", Mode}, {"value", double(Value)}}));
}

llvm::Error importSplit(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  TRY(Axis, C.intParam(Op, "axis"));
  std::vector<int64_t> Sizes;
  if (C.has(Op, "split_sizes")) {
    TRY(S, C.intsParam(Op, "split_sizes"));
    Sizes = S;
  } else {
    TRY(Num, C.intParam(Op, "num_splits"));
    const Type &In = X->type();
    int64_t A = Axis < 0 ? Axis + In.rank() : Axis;
    if (!In.hasRank() || A < 0 || A >= int64_t(In.rank()) || In.dim(int(A)) < 0 || Num <= 0 ||
        In.dim(int(A)) % Num)
      return opError(Op, "an even split needs a static dim divisible by 'num_splits'");
    Sizes.assign(size_t(Num), In.dim(int(A)) / Num);
  }
  if (int(Sizes.size()) != Op.outputs_size())
    return opError(Op, llvm::formatv("{0} split sizes for {1} outputs", Sizes.size(),
                                     Op.outputs_size()));
  TRY(Split, C.call(nullptr, "split", {X}, {{"split_sizes", Sizes}, {"dim", Axis}},
                    operationName(Op) + ".split"));
  for (int I = 0; I < Op.outputs_size(); ++I) {
    TRY(Item, C.call(&Op, "getitem", {Split}, {{"index", int64_t(I)}}, Op.outputs(I).name(),
                     unsigned(I)));
    C.define(Op.outputs(I).name(), Item);
  }
  return llvm::Error::success();
}

llvm::Error importSliceByIndex(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "x"));
  if (!X->type().hasRank())
    return opError(Op, "the input rank must be known");
  size_t R = X->type().rank();
  TRY(Begin, C.intsParam(Op, "begin"));
  TRY(End, C.intsParam(Op, "end"));
  TRY(Stride, C.intsParam(Op, "stride", std::vector<int64_t>(R, 1)));
  TRY(BeginMask, C.boolsParam(Op, "begin_mask", std::vector<bool>(R, false)));
  TRY(EndMask, C.boolsParam(Op, "end_mask", std::vector<bool>(R, false)));
  TRY(SqueezeMask, C.boolsParam(Op, "squeeze_mask", std::vector<bool>(R, false)));
  for (size_t N : {Begin.size(), End.size(), Stride.size(), BeginMask.size(), EndMask.size(),
                   SqueezeMask.size()})
    if (N != R)
      return opError(Op, "every slice parameter needs one value per input dim");
  constexpr int64_t Max = std::numeric_limits<int64_t>::max();
  std::string Out = Op.outputs(0).name();
  std::vector<std::pair<int64_t, std::array<int64_t, 3>>> Slices;
  std::vector<int64_t> Squeeze;
  for (size_t D = 0; D < R; ++D) {
    int64_t Step = Stride[D];
    if (Step <= 0)
      return opError(Op, "negative or zero strides are not supported");
    int64_t S = BeginMask[D] ? 0 : Begin[D];
    int64_t E = EndMask[D] ? Max : End[D];
    if (SqueezeMask[D]) {
      E = S == -1 ? Max : S + 1;
      Step = 1;
      Squeeze.push_back(int64_t(D));
    }
    int64_t Size = X->type().dim(int(D));
    bool Whole = Step == 1 && S == 0 && (E == Max || (Size >= 0 && E >= Size));
    if (!Whole)
      Slices.push_back({int64_t(D), {S, E, Step}});
  }
  Node *Cur = X;
  if (Slices.empty() && Squeeze.empty())
    return done(C.result(Op, "identity", {Cur}));
  for (size_t I = 0; I < Slices.size(); ++I) {
    Attrs A = {{"dim", Slices[I].first},
               {"start", Slices[I].second[0]},
               {"end", Slices[I].second[1]},
               {"step", Slices[I].second[2]}};
    bool Last = I + 1 == Slices.size() && Squeeze.empty();
    if (Last)
      return done(C.result(Op, "slice", {Cur}, std::move(A)));
    TRY(N, C.call(nullptr, "slice", {Cur}, std::move(A), Out + ".slice" + std::to_string(I)));
    Cur = N;
  }
  return done(C.result(Op, "squeeze", {Cur}, {{"dims", Squeeze}}));
}

struct RuleEntry {
  const char *Op;
  ImportRule Rule;
};

const RuleEntry kRules[] = {
    {"conv", importConv},
    {"conv_transpose", importConvTranspose},
    {"linear", importLinear},
    {"matmul", importMatmul},
    {"batch_norm", importBatchNorm},
    {"relu", importUnary<kRelu>},
    {"relu6", importUnary<kRelu6>},
    {"sigmoid", importUnary<kSigmoid>},
    {"tanh", importUnary<kTanh>},
    {"silu", importUnary<kSilu>},
    {"identity", importUnary<kIdentity>},
    {"clip", importClip},
    {"thresholded_relu", importThresholdedRelu},
    {"sigmoid_hard", importSigmoidHard},
    {"gelu", importGelu},
    {"leaky_relu", importLeakyRelu},
    {"softmax", importSoftmax},
    {"add", importBinary<kAdd>},
    {"sub", importBinary<kSub>},
    {"mul", importMul},
    {"real_div", importBinary<kDiv>},
    {"max_pool", importMaxPool},
    {"avg_pool", importAvgPool},
    {"reduce_mean", importReduceMean},
    {"concat", importConcat},
    {"reshape", importReshape},
    {"transpose", importTranspose},
    {"squeeze", importSqueeze},
    {"expand_dims", importExpandDims},
    {"pad", importPad},
    {"split", importSplit},
    {"slice_by_index", importSliceByIndex},
    {"quantize", importQuantize},
    {"dequantize", importDequantize},
    {"constexpr_affine_dequantize", importAffineDequantize},
    {"constexpr_blockwise_shift_scale", importBlockwiseShiftScale},
};

} // namespace

ImportRule lookupImportRule(llvm::StringRef MilOp) {
  for (const RuleEntry &E : kRules)
    if (MilOp == E.Op)
      return E.Rule;
  return nullptr;
}

} // namespace mil
} // namespace qatc
