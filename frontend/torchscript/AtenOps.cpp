//===- AtenOps.cpp - The TorchScript op-mapping table ---------------------===//
//
// Handlers first, grouped as the table is; the table itself is at the end.
//
//===----------------------------------------------------------------------===//
#include "frontend/torchscript/AtenOps.h"

#include "frontend/ImportSupport.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>
#include <numeric>

namespace qatc {

namespace {

using Results = std::vector<ScriptValue>;
using Attrs = llvm::SmallVector<NamedAttribute, 6>;

/// The result of an op that emitted N (or failed).
Results single(Node *N) { return {N ? ScriptValue::tensor(N) : ScriptValue::skipped()}; }

/// The element type of a tensor-like value.
DType dtypeOf(const ScriptValue &V) {
  if (V.kind() == ScriptValue::Kind::Constant)
    return V.getConstant()->Ty.dtype();
  return V.getTensor()->type().dtype();
}

/// The first unknown value among the arguments, if any.
const ScriptValue *firstUnknown(AtenCall &C) {
  for (unsigned I = 0; I < C.numArgs(); ++I)
    if (C.arg(I).kind() == ScriptValue::Kind::Unknown)
      return &C.arg(I);
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Convolution and linear layers
//===----------------------------------------------------------------------===//

/// The arguments of any convolution, canonicalized.
struct ConvArgs {
  Node *X = nullptr, *W = nullptr, *B = nullptr;
  std::vector<int64_t> Stride, Padding, Dilation, OutputPadding;
  int64_t Groups = 1;
  bool Transposed = false;
};

/// The number of spatial dims of a convolution: from the weight's rank, else
/// Default.
unsigned spatialDims(Node *W, unsigned Default) {
  return W && W->type().hasRank() && W->type().rank() >= 2 ? W->type().rank() - 2 : Default;
}

/// Canonical conv padding from argument I: an int list, or "valid"/"same".
std::vector<int64_t> convPadding(AtenCall &C, unsigned I, Node *W, llvm::ArrayRef<int64_t> Dilation,
                                 unsigned Spatial) {
  if (C.arg(I).kind() != ScriptValue::Kind::String) {
    std::vector<int64_t> P = C.ints(I, Spatial);
    return canonicalPadding(P, P);
  }
  std::string Mode = C.string(I);
  if (Mode == "valid")
    return std::vector<int64_t>(Spatial, 0);
  if (Mode != "same") {
    C.fail("padding must be 'valid', 'same' or a list of ints, not '" + Mode + "'");
    return {};
  }
  if (!W || !W->type().hasStaticShape() || Dilation.size() != Spatial) {
    C.needShapes("padding='same' needs the static kernel size");
    return {};
  }
  std::vector<int64_t> Begins, Ends;
  for (unsigned D = 0; D < Spatial; ++D) {
    int64_t Total = Dilation[D] * (W->type().dim(2 + D) - 1);
    Begins.push_back(Total / 2);
    Ends.push_back(Total - Total / 2);
  }
  return canonicalPadding(Begins, Ends);
}

Node *emitConv(AtenCall &C, const ConvArgs &A, unsigned Spatial) {
  if (C.failed())
    return nullptr;
  if (A.Transposed ? Spatial != 2 : Spatial != 1 && Spatial != 2) {
    C.unsupported((A.Transposed ? "transposed with " : "with ") + llvm::Twine(Spatial) +
                  " spatial dims");
    return nullptr;
  }
  const char *Op = A.Transposed ? "conv_transpose2d" : Spatial == 1 ? "conv1d" : "conv2d";
  Attrs At = {
      {"stride", A.Stride}, {"padding", A.Padding}, {"dilation", A.Dilation}, {"groups", A.Groups}};
  if (A.Transposed)
    At.push_back({"output_padding", A.OutputPadding});
  llvm::SmallVector<Node *, 3> Operands = {A.X, A.W};
  if (A.B)
    Operands.push_back(A.B);
  return C.emit(Op, Operands, At);
}

/// aten::_convolution(input, weight, bias?, stride, padding, dilation,
/// transposed, output_padding, groups, benchmark, deterministic, cudnn, tf32).
Results convolution(AtenCall &C) {
  ConvArgs A;
  A.X = C.tensor(0);
  A.W = C.tensor(1);
  A.B = C.optionalTensor(2);
  unsigned Spatial = spatialDims(A.W, C.ints(3).size());
  A.Stride = C.ints(3, Spatial);
  A.Dilation = C.ints(5, Spatial);
  A.Padding = convPadding(C, 4, A.W, A.Dilation, Spatial);
  A.Transposed = C.boolean(6);
  A.OutputPadding = C.ints(7, Spatial);
  A.Groups = C.integer(8);
  return single(emitConv(C, A, Spatial));
}

/// aten::conv1d/conv2d/_convolution_mode(input, weight, bias?, stride,
/// padding (ints or 'valid'/'same'), dilation, groups).
Results conv(AtenCall &C) {
  ConvArgs A;
  A.X = C.tensor(0);
  A.W = C.tensor(1);
  A.B = C.optionalTensor(2);
  unsigned Spatial = spatialDims(A.W, C.qirOp() == "conv1d" ? 1 : 2);
  A.Stride = C.ints(3, Spatial);
  A.Dilation = C.ints(5, Spatial);
  A.Padding = convPadding(C, 4, A.W, A.Dilation, Spatial);
  A.Groups = C.integer(6);
  return single(emitConv(C, A, Spatial));
}

/// aten::conv_transpose2d(input, weight, bias?, stride, padding,
/// output_padding, groups, dilation).
Results convTranspose(AtenCall &C) {
  ConvArgs A;
  A.X = C.tensor(0);
  A.W = C.tensor(1);
  A.B = C.optionalTensor(2);
  A.Stride = C.ints(3, 2);
  std::vector<int64_t> Padding = C.ints(4, 2);
  A.Padding = canonicalPadding(Padding, Padding);
  A.OutputPadding = C.ints(5, 2);
  A.Groups = C.integer(6);
  A.Dilation = C.ints(7, 2);
  A.Transposed = true;
  return single(emitConv(C, A, 2));
}

/// aten::linear(input, weight, bias?).
Results linear(AtenCall &C) {
  Node *X = C.tensor(0), *W = C.tensor(1), *B = C.optionalTensor(2);
  llvm::SmallVector<Node *, 3> Operands = {X, W};
  if (B)
    Operands.push_back(B);
  return single(C.emit("linear", Operands));
}

/// True for a permute swapping the two dims of a parameter (`weight.t()`).
bool isTransposedParameter(Node *N) {
  if (!N || !N->isCallTo("permute") || !N->operand(0)->isGetAttr())
    return false;
  llvm::ArrayRef<int64_t> Dims = N->getInts("dims");
  return Dims.size() == 2 && Dims[0] == 1 && Dims[1] == 0;
}

/// aten::addmm(self, mat1, mat2, beta, alpha) = beta * self + alpha * mat1 @
/// mat2: `linear` when mat2 is a transposed weight, as traced nn.Linear was.
Results addmm(AtenCall &C) {
  Node *Self = C.tensor(0), *M1 = C.tensor(1), *M2 = C.tensor(2);
  double Beta = C.real(3), Alpha = C.real(4);
  if (C.failed())
    return single(nullptr);
  if (Beta == 1 && Alpha == 1 && isTransposedParameter(M2) && Self->type().hasRank() &&
      Self->type().rank() == 1)
    return single(C.emit("linear", {M1, M2->operand(0), Self}));
  DType T = M1->type().dtype();
  Node *Product = C.emit("matmul", {M1, M2});
  if (Alpha != 1)
    Product = C.emit("mul", {Product, C.emitter().scalar(Alpha, T)});
  if (Beta == 0)
    return single(Product);
  if (Beta != 1)
    Self = C.emit("mul", {Self, C.emitter().scalar(Beta, T)});
  return single(C.emit("add", {Product, Self}));
}

/// aten::matmul/mm/bmm(a, b).
Results matmul(AtenCall &C) {
  Node *A = C.tensor(0), *B = C.tensor(1);
  return single(C.emit("matmul", {A, B}));
}

/// aten::batch_norm(input, weight?, bias?, running_mean?, running_var?,
/// training, momentum, eps, cudnn_enabled). Affine-free batch norm gets
/// ones/zeros parameters.
Results batchNorm(AtenCall &C) {
  Node *X = C.tensor(0), *W = C.optionalTensor(1), *B = C.optionalTensor(2);
  if (C.arg(3).isNone() || C.arg(4).isNone()) {
    C.unsupported("without running statistics");
    return single(nullptr);
  }
  Node *Mean = C.tensor(3), *Var = C.tensor(4);
  if (C.arg(6).isNone()) {
    C.unsupported("with momentum=None");
    return single(nullptr);
  }
  double Momentum = C.real(6), Eps = C.real(7);
  if (C.failed())
    return single(nullptr);
  if (!Mean->type().hasStaticShape() || Mean->type().rank() != 1) {
    C.fail("running_mean must be a 1-d tensor of static size, not " + Mean->type().str());
    return single(nullptr);
  }
  int64_t Channels = Mean->type().dim(0);
  if (!W)
    W = C.emitter().filled(Channels, 1.0f);
  if (!B)
    B = C.emitter().filled(Channels, 0.0f);
  return single(C.emit("batch_norm", {X, W, B, Mean, Var}, {{"eps", Eps}, {"momentum", Momentum}}));
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// An op with one tensor input and no attributes (relu, sigmoid, ...).
Results unary(AtenCall &C) { return single(C.emit(C.qirOp(), {C.tensor(0)})); }

/// aten::hardtanh(input, min_val, max_val) -> clamp.
Results hardtanh(AtenCall &C) {
  Node *X = C.tensor(0);
  return single(C.emit("clamp", {X}, {{"min", C.real(1)}, {"max", C.real(2)}}));
}

/// aten::relu6(input) -> clamp{0, 6}.
Results relu6(AtenCall &C) {
  return single(C.emit("clamp", {C.tensor(0)}, {{"min", 0.0}, {"max", 6.0}}));
}

/// aten::clamp(input, min?, max?) with number bounds.
Results clamp(AtenCall &C) {
  Node *X = C.tensor(0);
  Attrs At;
  for (unsigned I : {1u, 2u}) {
    if (C.arg(I).isNone())
      continue;
    if (!C.arg(I).isNumber()) {
      C.unsupported("with tensor bounds");
      return single(nullptr);
    }
    At.push_back({I == 1 ? "min" : "max", C.real(I)});
  }
  return single(C.emit("clamp", {X}, At));
}

/// aten::gelu(input, approximate).
Results gelu(AtenCall &C) {
  Node *X = C.tensor(0);
  Attrs At;
  if (C.numArgs() > 1)
    At.push_back({"approximate", C.string(1)});
  return single(C.emit("gelu", {X}, At));
}

/// aten::leaky_relu(input, negative_slope).
Results leakyRelu(AtenCall &C) {
  Node *X = C.tensor(0);
  return single(C.emit("leaky_relu", {X}, {{"negative_slope", C.real(1)}}));
}

/// aten::softmax(input, dim, dtype?).
Results softmax(AtenCall &C) {
  Node *X = C.tensor(0);
  if (!C.arg(2).isNone()) {
    C.unsupported("with a dtype");
    return single(nullptr);
  }
  return single(C.emit("softmax", {X}, {{"dim", C.integer(1)}}));
}

//===----------------------------------------------------------------------===//
// Arithmetic: element-wise on tensors, folded on numbers
//===----------------------------------------------------------------------===//

/// Python's floor division of numbers.
ScriptValue floorDivide(AtenCall &C, const ScriptValue &A, const ScriptValue &B) {
  if (B.getFloat() == 0) {
    C.fail("integer division by zero");
    return ScriptValue::skipped();
  }
  bool Ints = A.kind() != ScriptValue::Kind::Float && B.kind() != ScriptValue::Kind::Float;
  if (!Ints)
    return ScriptValue::real(std::floor(A.getFloat() / B.getFloat()));
  int64_t X = A.getInt(), Y = B.getInt(), Q = X / Y;
  if ((X % Y != 0) && ((X < 0) != (Y < 0)))
    --Q;
  return ScriptValue::integer(Q);
}

/// aten::add/sub(self, other, alpha), aten::mul(self, other) and
/// aten::div(self, other, rounding_mode?): on numbers they fold; on tensors
/// they become the QIR op, with number operands as constants.
Results binary(AtenCall &C) {
  llvm::StringRef Op = C.qirOp();
  bool HasAlpha = Op == "add" || Op == "sub";
  if (Op == "div" && !C.arg(2).isNone()) {
    C.unsupported("with a rounding mode");
    return single(nullptr);
  }
  if (const ScriptValue *U = firstUnknown(C))
    return {*U};
  const ScriptValue &A = C.arg(0), &B = C.arg(1);
  double Alpha = HasAlpha && C.numArgs() > 2 ? C.real(2) : 1.0;
  if (A.isNumber() && B.isNumber()) {
    bool Ints = A.kind() != ScriptValue::Kind::Float && B.kind() != ScriptValue::Kind::Float &&
                C.arg(2).kind() != ScriptValue::Kind::Float;
    if (Op == "div")
      return {ScriptValue::real(A.getFloat() / B.getFloat())};
    if (Ints) {
      int64_t X = A.getInt(), Y = B.getInt() * int64_t(Alpha);
      return {ScriptValue::integer(Op == "add" ? X + Y : Op == "sub" ? X - Y : X * Y)};
    }
    double X = A.getFloat(), Y = B.getFloat() * Alpha;
    return {ScriptValue::real(Op == "add" ? X + Y : Op == "sub" ? X - Y : X * Y)};
  }
  DType T = A.isTensorLike() ? dtypeOf(A) : B.isTensorLike() ? dtypeOf(B) : DType::F32;
  Node *L = C.operand(0, T);
  Node *R = B.isNumber() ? C.emitter().scalar(B.getFloat() * Alpha, T) : C.operand(1, T);
  if (Alpha != 1 && !B.isNumber())
    R = C.emit("mul", {R, C.emitter().scalar(Alpha, T)});
  return single(C.emit(Op, {L, R}));
}

/// aten::floor_divide/floordiv(a, b) on numbers (shape arithmetic).
Results floorDivideNumbers(AtenCall &C) {
  if (const ScriptValue *U = firstUnknown(C))
    return {*U};
  if (!C.arg(0).isNumber() || !C.arg(1).isNumber()) {
    C.unsupported("on tensors");
    return {ScriptValue::skipped()};
  }
  return {floorDivide(C, C.arg(0), C.arg(1))};
}

/// aten::eq/ne/lt/le/gt/ge on numbers (or eq/ne on strings).
Results compare(AtenCall &C) {
  if (const ScriptValue *U = firstUnknown(C))
    return {*U};
  const ScriptValue &A = C.arg(0), &B = C.arg(1);
  llvm::StringRef Op = C.qirOp();
  if (A.kind() == ScriptValue::Kind::String && B.kind() == ScriptValue::Kind::String &&
      (Op == "eq" || Op == "ne"))
    return {ScriptValue::boolean((A.getString() == B.getString()) == (Op == "eq"))};
  if (!A.isNumber() || !B.isNumber()) {
    C.unsupported("on " +
                  llvm::Twine(A.isTensorLike() || B.isTensorLike() ? "tensors" : "these values"));
    return {ScriptValue::skipped()};
  }
  double X = A.getFloat(), Y = B.getFloat();
  bool R = llvm::StringSwitch<bool>(Op)
               .Case("eq", X == Y)
               .Case("ne", X != Y)
               .Case("lt", X < Y)
               .Case("le", X <= Y)
               .Case("gt", X > Y)
               .Default(X >= Y);
  return {ScriptValue::boolean(R)};
}

/// True when two numbers or two strings are equal.
bool sameValue(const ScriptValue &A, const ScriptValue &B) {
  if (A.isNumber() && B.isNumber())
    return A.getFloat() == B.getFloat();
  return A.kind() == ScriptValue::Kind::String && B.kind() == ScriptValue::Kind::String &&
         A.getString() == B.getString();
}

/// aten::__is__/__isnot__: the None checks of scripted code.
Results identity(AtenCall &C) {
  const ScriptValue &A = C.arg(0), &B = C.arg(1);
  if (!A.isNone() && !B.isNone()) {
    C.unsupported("on values other than None");
    return {ScriptValue::skipped()};
  }
  return {ScriptValue::boolean((A.isNone() && B.isNone()) == (C.qirOp() == "is"))};
}

/// aten::__contains__(list, value) on numbers and strings.
Results contains(AtenCall &C) {
  if (const ScriptValue *U = firstUnknown(C))
    return {*U};
  const ScriptValue &L = C.arg(0), &V = C.arg(1);
  if (L.kind() != ScriptValue::Kind::List ||
      !(V.isNumber() || V.kind() == ScriptValue::Kind::String)) {
    C.unsupported("on " + llvm::Twine(L.describe()));
    return {ScriptValue::skipped()};
  }
  return {ScriptValue::boolean(
      llvm::any_of(L.getList(), [&](const ScriptValue &E) { return sameValue(E, V); }))};
}

/// aten::__not__(bool).
Results logicalNot(AtenCall &C) {
  if (const ScriptValue *U = firstUnknown(C))
    return {*U};
  return {ScriptValue::boolean(!C.boolean(0))};
}

//===----------------------------------------------------------------------===//
// Pooling and reductions
//===----------------------------------------------------------------------===//

/// Pool attributes shared by max_pool2d and avg_pool2d: the stride is left
/// out when it equals the kernel (or is empty, which means the kernel).
void addPoolWindow(AtenCall &C, Attrs &At) {
  std::vector<int64_t> Kernel = C.ints(1, 2);
  std::vector<int64_t> Stride;
  if (C.arg(2).kind() != ScriptValue::Kind::List || !C.arg(2).getList().empty())
    Stride = C.ints(2, 2);
  std::vector<int64_t> Padding = C.ints(3, 2);
  At.push_back({"kernel_size", Kernel});
  if (!Stride.empty() && Stride != Kernel)
    At.push_back({"stride", Stride});
  At.push_back({"padding", canonicalPadding(Padding, Padding)});
}

/// aten::max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode).
Results maxPool(AtenCall &C) {
  Node *X = C.tensor(0);
  Attrs At;
  addPoolWindow(C, At);
  At.push_back({"dilation", C.ints(4, 2)});
  At.push_back({"ceil_mode", C.boolean(5)});
  return single(C.emit("max_pool2d", {X}, At));
}

/// aten::avg_pool2d(input, kernel_size, stride, padding, ceil_mode,
/// count_include_pad, divisor_override?).
Results avgPool(AtenCall &C) {
  Node *X = C.tensor(0);
  Attrs At;
  addPoolWindow(C, At);
  At.push_back({"ceil_mode", C.boolean(4)});
  At.push_back({"count_include_pad", C.boolean(5)});
  if (!C.arg(6).isNone())
    At.push_back({"divisor_override", C.integer(6)});
  return single(C.emit("avg_pool2d", {X}, At));
}

/// aten::adaptive_avg_pool2d(input, output_size). An output size that
/// divides the static input size, other than 1x1, gives even windows:
/// avg_pool2d with kernel = stride = input / output, as torch.onnx exports it.
Results adaptiveAvgPool(AtenCall &C) {
  Node *X = C.tensor(0);
  std::vector<int64_t> Out = C.ints(1, 2);
  if (C.failed() || Out == std::vector<int64_t>{1, 1} || !X->type().hasStaticShape() ||
      X->type().rank() < 2)
    return single(C.emit("adaptive_avg_pool2d", {X}, {{"output_size", Out}}));
  std::vector<int64_t> Kernel;
  for (unsigned I = 0; I < 2; ++I) {
    int64_t In = X->type().dim(int(I) - 2);
    if (Out[I] <= 0 || In % Out[I] != 0)
      return single(C.emit("adaptive_avg_pool2d", {X}, {{"output_size", Out}}));
    Kernel.push_back(In / Out[I]);
  }
  return single(C.emit("avg_pool2d", {X}, {{"kernel_size", Kernel}}));
}

/// aten::mean(input, dtype?) and aten::mean(input, dims?, keepdim, dtype?).
Results mean(AtenCall &C) {
  Node *X = C.tensor(0);
  bool AllDims = C.numArgs() <= 2;
  if (!C.arg(AllDims ? 1 : 3).isNone()) {
    C.unsupported("with a dtype");
    return single(nullptr);
  }
  if (AllDims)
    return single(C.emit("mean", {X}));
  std::vector<int64_t> Dims;
  if (!C.arg(1).isNone())
    Dims = C.ints(1, C.arg(1).kind() == ScriptValue::Kind::Int ? 1 : 0);
  return single(C.emit("mean", {X}, {{"dims", Dims}, {"keepdim", C.boolean(2)}}));
}

//===----------------------------------------------------------------------===//
// Shape and layout
//===----------------------------------------------------------------------===//

/// Ops that return their input unchanged in a functional graph (clone,
/// contiguous, detach): in-place ops rebind the values they update instead
/// of writing to shared storage.
Results alias(AtenCall &C) { return {C.arg(0)}; }

/// aten::dropout(input, p, train): kept as dropout{p}; canonicalize removes
/// it from inference graphs.
Results dropout(AtenCall &C) {
  Node *X = C.tensor(0);
  return single(C.emit("dropout", {X}, {{"p", C.real(1)}}));
}

/// aten::cat(tensors, dim).
Results cat(AtenCall &C) {
  std::vector<Node *> Inputs = C.tensors(0);
  return single(C.emit("cat", Inputs, {{"dim", C.integer(1)}}));
}

/// aten::flatten(input, start_dim, end_dim).
Results flatten(AtenCall &C) {
  Node *X = C.tensor(0);
  return single(C.emit("flatten", {X}, {{"start_dim", C.integer(1)}, {"end_dim", C.integer(2)}}));
}

/// aten::view/reshape(input, shape).
Results reshape(AtenCall &C) {
  Node *X = C.tensor(0);
  return single(C.emit("reshape", {X}, {{"shape", C.ints(1)}}));
}

/// aten::permute(input, dims); negative dims are normalized.
Results permute(AtenCall &C) {
  Node *X = C.tensor(0);
  std::vector<int64_t> Dims = C.ints(1);
  for (int64_t &D : Dims)
    if (D < 0)
      D = C.normalizedDim(X, D);
  return single(C.emit("permute", {X}, {{"dims", Dims}}));
}

/// The permutation that swaps dims A and B of X.
std::vector<int64_t> swapPermutation(AtenCall &C, Node *X, int64_t A, int64_t B) {
  std::vector<int64_t> Dims(C.rank(X));
  std::iota(Dims.begin(), Dims.end(), 0);
  int64_t DA = C.normalizedDim(X, A), DB = C.normalizedDim(X, B);
  if (!C.failed())
    std::swap(Dims[DA], Dims[DB]);
  return Dims;
}

/// aten::transpose(input, dim0, dim1) -> permute.
Results transpose(AtenCall &C) {
  Node *X = C.tensor(0);
  std::vector<int64_t> Dims = swapPermutation(C, X, C.integer(1), C.integer(2));
  return single(C.emit("permute", {X}, {{"dims", Dims}}));
}

/// aten::t(input): transposes a matrix; vectors and scalars stay.
Results matrixTranspose(AtenCall &C) {
  Node *X = C.tensor(0);
  if (C.rank(X) < 2)
    return {C.arg(0)};
  return single(C.emit("permute", {X}, {{"dims", swapPermutation(C, X, 0, 1)}}));
}

/// split{Sizes, Dim} plus one getitem per part, as a list value.
Results emitSplit(AtenCall &C, Node *X, const std::vector<int64_t> &Sizes, int64_t Dim) {
  Node *Split = C.emit("split", {X}, {{"split_sizes", Sizes}, {"dim", Dim}});
  std::vector<ScriptValue> Parts;
  for (size_t I = 0; Split && I < Sizes.size(); ++I)
    Parts.push_back(ScriptValue::tensor(C.emit("getitem", {Split}, {{"index", int64_t(I)}})));
  return {ScriptValue::list(std::move(Parts))};
}

/// Sizes of the parts of a dim of size Total cut every Step elements.
std::vector<int64_t> evenParts(int64_t Total, int64_t Step) {
  std::vector<int64_t> Sizes;
  for (int64_t Start = 0; Start < Total; Start += Step)
    Sizes.push_back(std::min(Step, Total - Start));
  if (Sizes.empty())
    Sizes.push_back(0);
  return Sizes;
}

/// aten::chunk(input, chunks, dim).
Results chunk(AtenCall &C) {
  Node *X = C.tensor(0);
  int64_t Chunks = C.integer(1), Dim = C.integer(2);
  int64_t Total = C.dimSize(X, Dim);
  if (!C.failed() && Chunks <= 0)
    C.fail("chunks must be positive, not " + llvm::Twine(Chunks));
  if (C.failed())
    return single(nullptr);
  return emitSplit(C, X, evenParts(Total, (Total + Chunks - 1) / Chunks), Dim);
}

/// aten::split(input, split_size or sizes, dim) and
/// aten::split_with_sizes(input, sizes, dim).
Results split(AtenCall &C) {
  Node *X = C.tensor(0);
  int64_t Dim = C.integer(2);
  if (C.arg(1).kind() != ScriptValue::Kind::Int)
    return emitSplit(C, X, C.ints(1), Dim);
  int64_t Step = C.integer(1), Total = C.dimSize(X, Dim);
  if (!C.failed() && Step <= 0)
    C.fail("split_size must be positive, not " + llvm::Twine(Step));
  if (C.failed())
    return single(nullptr);
  return emitSplit(C, X, evenParts(Total, Step), Dim);
}

/// Canonical `pads` (begins then ends, every dim) from PyTorch's pad list,
/// which gives (begin, end) pairs starting from the last dim.
std::vector<int64_t> padsFromTorch(AtenCall &C, Node *X, llvm::ArrayRef<int64_t> Pad) {
  unsigned R = C.rank(X);
  if (C.failed())
    return {};
  if (Pad.size() % 2 != 0 || Pad.size() > 2 * R) {
    C.fail("the pad list has " + llvm::Twine(Pad.size()) + " values; expected pairs for at most " +
           llvm::Twine(R) + " dims");
    return {};
  }
  std::vector<int64_t> Pads(2 * R, 0);
  for (unsigned I = 0; I < Pad.size() / 2; ++I) {
    Pads[R - 1 - I] = Pad[2 * I];
    Pads[2 * R - 1 - I] = Pad[2 * I + 1];
  }
  return Pads;
}

/// aten::constant_pad_nd(input, pad, value).
Results constantPad(AtenCall &C) {
  Node *X = C.tensor(0);
  std::vector<int64_t> Pads = padsFromTorch(C, X, C.ints(1));
  return single(C.emit("pad", {X}, {{"pads", Pads}, {"value", C.real(2)}}));
}

/// aten::pad(input, pad, mode, value?).
Results pad(AtenCall &C) {
  Node *X = C.tensor(0);
  std::vector<int64_t> Pads = padsFromTorch(C, X, C.ints(1));
  std::string Mode = C.string(2);
  if (!C.failed() && Mode != "constant" && Mode != "reflect" && Mode != "replicate") {
    C.unsupported("with mode '" + Mode + "'");
    return single(nullptr);
  }
  Attrs At = {{"pads", Pads}, {"mode", Mode}};
  if (!C.arg(3).isNone())
    At.push_back({"value", C.real(3)});
  return single(C.emit("pad", {X}, At));
}

/// aten::squeeze(input[, dim]); squeezing a dim whose size is not 1 is a
/// no-op, as in PyTorch.
Results squeeze(AtenCall &C) {
  Node *X = C.tensor(0);
  if (C.numArgs() < 2)
    return single(C.emit("squeeze", {X}));
  int64_t Dim = C.integer(1);
  if (X && X->type().hasRank() && !C.failed()) {
    int64_t Size = X->type().dim(C.normalizedDim(X, Dim));
    if (Size != 1 && Size != kDynamicDim)
      return {C.arg(0)};
  }
  return single(C.emit("squeeze", {X}, {{"dims", std::vector<int64_t>{Dim}}}));
}

/// aten::unsqueeze(input, dim); a negative dim is normalized when the rank
/// is known, as the ONNX importer does.
Results unsqueeze(AtenCall &C) {
  Node *X = C.tensor(0);
  int64_t Dim = C.integer(1);
  if (Dim < 0 && X && X->type().hasRank())
    Dim += X->type().rank() + 1;
  return single(C.emit("unsqueeze", {X}, {{"dim", Dim}}));
}

/// aten::slice(input, dim, start?, end?, step) on tensors, and
/// aten::slice(list, start?, end?, step) folded.
Results slice(AtenCall &C) {
  constexpr int64_t End = std::numeric_limits<int64_t>::max();
  if (C.arg(0).kind() == ScriptValue::Kind::List) {
    llvm::ArrayRef<ScriptValue> L = C.arg(0).getList();
    int64_t N = L.size(), Step = C.integer(3);
    auto Clamp = [N](int64_t I) { return std::min(std::max(I < 0 ? I + N : I, int64_t(0)), N); };
    int64_t Begin = C.arg(1).isNone() ? 0 : Clamp(C.integer(1));
    int64_t Stop = C.arg(2).isNone() ? N : Clamp(C.integer(2));
    if (Step < 1) {
      C.unsupported("with a step below 1");
      return {ScriptValue::skipped()};
    }
    std::vector<ScriptValue> R;
    for (int64_t I = Begin; I < Stop; I += Step)
      R.push_back(L[I]);
    return {ScriptValue::list(std::move(R))};
  }
  Node *X = C.tensor(0);
  int64_t Dim = C.integer(1), Start = C.arg(2).isNone() ? 0 : C.integer(2),
          Stop = C.arg(3).isNone() ? End : C.integer(3), Step = C.integer(4);
  // Tracing `x[:, 1:3]` also records the full slice `x[:]` of dim 0.
  if (Start == 0 && Stop == End && Step == 1 && !C.failed())
    return {C.arg(0)};
  return single(
      C.emit("slice", {X}, {{"dim", Dim}, {"start", Start}, {"end", Stop}, {"step", Step}}));
}

//===----------------------------------------------------------------------===//
// Shape arithmetic and containers (folded)
//===----------------------------------------------------------------------===//

/// Why a dim of T is not static, for unknown values.
std::string dynamicDimReason(const Type &T, unsigned D) {
  return "dim " + std::to_string(D) + " of " + T.str() + " is dynamic";
}

/// aten::size(input) and aten::size(input, dim), from the QIR type.
Results size(AtenCall &C) {
  Node *X = C.tensor(0);
  if (C.failed())
    return {ScriptValue::skipped()};
  const Type &T = X->type();
  if (!T.hasRank())
    return {ScriptValue::unknown("the rank of " + T.str() + " is not known")};
  auto DimValue = [&](unsigned D) {
    return T.dim(D) == kDynamicDim ? ScriptValue::unknown(dynamicDimReason(T, D))
                                   : ScriptValue::integer(T.dim(D));
  };
  if (C.numArgs() > 1) {
    int64_t D = C.normalizedDim(X, C.integer(1));
    return {C.failed() ? ScriptValue::skipped() : DimValue(D)};
  }
  std::vector<ScriptValue> Dims;
  for (unsigned D = 0; D < T.rank(); ++D)
    Dims.push_back(DimValue(D));
  return {ScriptValue::list(std::move(Dims))};
}

/// aten::dim(input).
Results rankOf(AtenCall &C) {
  Node *X = C.tensor(0);
  if (C.failed())
    return {ScriptValue::skipped()};
  if (!X->type().hasRank())
    return {ScriptValue::unknown("the rank of " + X->type().str() + " is not known")};
  return {ScriptValue::integer(X->type().rank())};
}

/// aten::len(list).
Results length(AtenCall &C) {
  const ScriptValue &L = C.arg(0);
  if (L.kind() == ScriptValue::Kind::Unknown)
    return {L};
  if (L.kind() != ScriptValue::Kind::List) {
    C.unsupported("of " + L.describe());
    return {ScriptValue::skipped()};
  }
  return {ScriptValue::integer(L.getList().size())};
}

/// aten::__getitem__(list, index).
Results getItem(AtenCall &C) {
  const ScriptValue &L = C.arg(0);
  if (L.kind() == ScriptValue::Kind::Unknown)
    return {L};
  if (L.kind() != ScriptValue::Kind::List) {
    C.unsupported("of " + L.describe());
    return {ScriptValue::skipped()};
  }
  int64_t N = L.getList().size(), I = C.integer(1);
  if (!C.failed() && (I < -N || I >= N))
    C.fail("index " + llvm::Twine(I) + " is out of range for a list of " + llvm::Twine(N));
  if (C.failed())
    return {ScriptValue::skipped()};
  return {L.getList()[I < 0 ? I + N : I]};
}

/// aten::Int/Float/ScalarImplicit and prim::NumToTensor on numbers; the
/// shape arithmetic of traced models passes sizes through 0-d tensors.
Results toNumber(AtenCall &C) {
  const ScriptValue &V = C.arg(0);
  if (V.kind() == ScriptValue::Kind::Unknown)
    return {V};
  if (!V.isNumber()) {
    C.unsupported("of a tensor computed at run time");
    return {ScriptValue::skipped()};
  }
  if (C.qirOp() == "int")
    return {ScriptValue::integer(V.kind() == ScriptValue::Kind::Float ? int64_t(V.getFloat())
                                                                      : V.getInt())};
  if (C.qirOp() == "float")
    return {ScriptValue::real(V.getFloat())};
  return {V};
}

/// aten::format(text, args...): `{}` fields, as in exception messages.
Results format(AtenCall &C) {
  std::string Text = C.string(0), R;
  unsigned Next = 1;
  for (size_t I = 0; I < Text.size(); ++I) {
    if (Text.compare(I, 2, "{}") != 0) {
      R += Text[I];
      continue;
    }
    const ScriptValue &V = C.arg(Next++);
    switch (V.kind()) {
    case ScriptValue::Kind::Int:
      R += std::to_string(V.getInt());
      break;
    case ScriptValue::Kind::Bool:
      R += V.getBool() ? "True" : "False";
      break;
    case ScriptValue::Kind::String:
      R += V.getString();
      break;
    default:
      R += V.isNumber() ? std::to_string(V.getFloat()) : V.describe().str();
    }
    ++I;
  }
  return {ScriptValue::string(R)};
}

/// prim::ListConstruct/TupleConstruct.
Results makeList(AtenCall &C) {
  std::vector<ScriptValue> Elements;
  for (unsigned I = 0; I < C.numArgs(); ++I)
    Elements.push_back(C.arg(I));
  return {ScriptValue::list(std::move(Elements))};
}

/// prim::ListUnpack/TupleUnpack.
Results unpack(AtenCall &C) {
  const ScriptValue &L = C.arg(0);
  if (L.kind() == ScriptValue::Kind::Unknown)
    return Results(C.numResults(), L);
  if (L.kind() != ScriptValue::Kind::List || L.getList().size() != C.numResults()) {
    C.fail("cannot unpack " + llvm::Twine(L.describe()) + " into " + llvm::Twine(C.numResults()) +
           " values");
    return Results(C.numResults(), ScriptValue::skipped());
  }
  return Results(L.getList().begin(), L.getList().end());
}

/// prim::Uninitialized: the placeholder value of a branch that raises.
Results uninitialized(AtenCall &C) {
  return {ScriptValue::unknown("an uninitialized value is used")};
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

struct TableRow {
  const char *Kind;
  AtenHandler Handler;
  const char *QirOp;
};

const TableRow Table[] = {
    // Convolution and linear layers.
    {"aten::_convolution", convolution, ""},
    {"aten::_convolution_mode", conv, "conv2d"},
    {"aten::conv1d", conv, "conv1d"},
    {"aten::conv2d", conv, "conv2d"},
    {"aten::conv_transpose2d", convTranspose, "conv_transpose2d"},
    {"aten::linear", linear, "linear"},
    {"aten::addmm", addmm, "linear"},
    {"aten::matmul", matmul, "matmul"},
    {"aten::mm", matmul, "matmul"},
    {"aten::bmm", matmul, "matmul"},
    {"aten::batch_norm", batchNorm, "batch_norm"},
    // Activations; in-place variants (`_`) map like the others.
    {"aten::relu", unary, "relu"},
    {"aten::relu_", unary, "relu"},
    {"aten::relu6", relu6, "clamp"},
    {"aten::hardtanh", hardtanh, "clamp"},
    {"aten::hardtanh_", hardtanh, "clamp"},
    {"aten::clamp", clamp, "clamp"},
    {"aten::clamp_", clamp, "clamp"},
    {"aten::hardswish", unary, "hardswish"},
    {"aten::hardswish_", unary, "hardswish"},
    {"aten::hardsigmoid", unary, "hardsigmoid"},
    {"aten::hardsigmoid_", unary, "hardsigmoid"},
    {"aten::sigmoid", unary, "sigmoid"},
    {"aten::sigmoid_", unary, "sigmoid"},
    {"aten::silu", unary, "silu"},
    {"aten::silu_", unary, "silu"},
    {"aten::tanh", unary, "tanh"},
    {"aten::tanh_", unary, "tanh"},
    {"aten::gelu", gelu, "gelu"},
    {"aten::leaky_relu", leakyRelu, "leaky_relu"},
    {"aten::leaky_relu_", leakyRelu, "leaky_relu"},
    {"aten::softmax", softmax, "softmax"},
    // Arithmetic.
    {"aten::add", binary, "add"},
    {"aten::add_", binary, "add"},
    {"aten::sub", binary, "sub"},
    {"aten::sub_", binary, "sub"},
    {"aten::mul", binary, "mul"},
    {"aten::mul_", binary, "mul"},
    {"aten::div", binary, "div"},
    {"aten::div_", binary, "div"},
    {"aten::floor_divide", floorDivideNumbers, ""},
    {"aten::floordiv", floorDivideNumbers, ""},
    {"aten::eq", compare, "eq"},
    {"aten::ne", compare, "ne"},
    {"aten::lt", compare, "lt"},
    {"aten::le", compare, "le"},
    {"aten::gt", compare, "gt"},
    {"aten::ge", compare, "ge"},
    {"aten::__not__", logicalNot, ""},
    {"aten::__is__", identity, "is"},
    {"aten::__isnot__", identity, "isnot"},
    {"aten::__contains__", contains, ""},
    // Pooling and reductions.
    {"aten::max_pool2d", maxPool, "max_pool2d"},
    {"aten::avg_pool2d", avgPool, "avg_pool2d"},
    {"aten::adaptive_avg_pool2d", adaptiveAvgPool, "adaptive_avg_pool2d"},
    {"aten::mean", mean, "mean"},
    // Shape and layout.
    {"aten::clone", alias, ""},
    {"aten::contiguous", alias, ""},
    {"aten::detach", alias, ""},
    {"prim::unchecked_cast", alias, ""},
    {"aten::dropout", dropout, "dropout"},
    {"aten::dropout_", dropout, "dropout"},
    {"aten::cat", cat, "cat"},
    {"aten::flatten", flatten, "flatten"},
    {"aten::view", reshape, "reshape"},
    {"aten::reshape", reshape, "reshape"},
    {"aten::permute", permute, "permute"},
    {"aten::transpose", transpose, "permute"},
    {"aten::t", matrixTranspose, "permute"},
    {"aten::chunk", chunk, "split"},
    {"aten::split", split, "split"},
    {"aten::split_with_sizes", split, "split"},
    {"aten::constant_pad_nd", constantPad, "pad"},
    {"aten::pad", pad, "pad"},
    {"aten::squeeze", squeeze, "squeeze"},
    {"aten::unsqueeze", unsqueeze, "unsqueeze"},
    {"aten::slice", slice, "slice"},
    // Shape arithmetic and containers.
    {"aten::size", size, ""},
    {"aten::dim", rankOf, ""},
    {"aten::len", length, ""},
    {"aten::__getitem__", getItem, ""},
    {"aten::format", format, ""},
    {"aten::Int", toNumber, "int"},
    {"aten::Float", toNumber, "float"},
    {"aten::ScalarImplicit", toNumber, ""},
    {"prim::NumToTensor", toNumber, ""},
    {"prim::ListConstruct", makeList, ""},
    {"prim::TupleConstruct", makeList, ""},
    {"prim::ListUnpack", unpack, ""},
    {"prim::TupleUnpack", unpack, ""},
    {"prim::Uninitialized", uninitialized, ""},
};

} // namespace

std::optional<AtenOpMapping> lookupAtenOp(llvm::StringRef Kind) {
  static const llvm::StringMap<AtenOpMapping> Map = [] {
    llvm::StringMap<AtenOpMapping> M;
    for (const TableRow &Row : Table)
      M[Row.Kind] = {Row.Handler, Row.QirOp};
    return M;
  }();
  auto It = Map.find(Kind);
  if (It == Map.end())
    return std::nullopt;
  return It->second;
}

} // namespace qatc
