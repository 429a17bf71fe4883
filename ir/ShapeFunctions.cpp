//===- ShapeFunctions.cpp - Result-type inference for built-in ops --------===//
#include "ir/ShapeFunctions.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

namespace qatc {
namespace shape {

namespace {

using Dims = llvm::SmallVector<int64_t, 4>;

template <typename... Ts> llvm::Error fail(const char *Fmt, Ts &&...Vals) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::formatv(Fmt, std::forward<Ts>(Vals)...).str());
}

/// A shape for messages, with ? for dynamic dims.
std::string dimsStr(llvm::ArrayRef<int64_t> D) {
  return Type::tensor(DType::F32, D).str().substr(3);
}

/// A list of ints for messages, printed as written.
std::string intsStr(llvm::ArrayRef<int64_t> V) {
  std::string S = "[";
  for (size_t I = 0; I < V.size(); ++I)
    S += (I ? ", " : "") + std::to_string(V[I]);
  return S + "]";
}

/// Requires operand I to be a tensor (not a tuple).
llvm::Error requireTensor(const ShapeContext &C, unsigned I) {
  if (!C.operand(I).isTensor())
    return fail("operand {0} ('{1}') must be a tensor, not {2}", I,
                C.op().operands()[std::min<size_t>(I, C.op().operands().size() - 1)].Name,
                C.operand(I).str());
  return llvm::Error::success();
}

llvm::Error requireFloat(const ShapeContext &C, unsigned I) {
  if (auto E = requireTensor(C, I))
    return E;
  if (!isFloatDType(C.operand(I).dtype()))
    return fail("operand {0} must have a float element type, not {1}", I,
                dtypeName(C.operand(I).dtype()));
  return llvm::Error::success();
}

/// Normalizes a possibly negative axis into [0, Rank); fails when out of range.
llvm::Expected<int64_t> normAxis(int64_t Axis, int64_t Rank, llvm::StringRef What) {
  if (Axis < -Rank || Axis >= Rank)
    return fail("{0} {1} is out of range for rank {2}", What, Axis, Rank);
  return Axis < 0 ? Axis + Rank : Axis;
}

} // namespace

llvm::Error expandPadding(llvm::ArrayRef<int64_t> Pad, size_t Spatial,
                          llvm::SmallVectorImpl<int64_t> &Begin,
                          llvm::SmallVectorImpl<int64_t> &End) {
  if (Pad.size() == Spatial) {
    Begin.assign(Pad.begin(), Pad.end());
    End.assign(Pad.begin(), Pad.end());
  } else if (Pad.size() == 2 * Spatial) {
    Begin.assign(Pad.begin(), Pad.begin() + Spatial);
    End.assign(Pad.begin() + Spatial, Pad.end());
  } else {
    return fail("padding has {0} values; expected {1} or {2}", Pad.size(), Spatial,
                2 * Spatial);
  }
  for (int64_t P : Pad)
    if (P < 0)
      return fail("padding values must be non-negative");
  return llvm::Error::success();
}

namespace {

llvm::Error requireLength(llvm::ArrayRef<int64_t> V, size_t N, llvm::StringRef Name,
                          int64_t MinValue) {
  if (V.size() != N)
    return fail("'{0}' has {1} values; expected {2}", Name, V.size(), N);
  for (int64_t X : V)
    if (X < MinValue)
      return fail("'{0}' values must be at least {1}", Name, MinValue);
  return llvm::Error::success();
}

int64_t floorDiv(int64_t A, int64_t B) { return A >= 0 ? A / B : -((-A + B - 1) / B); }

/// Sizes computed from attributes can be arbitrarily large in a hostile
/// file; dimension arithmetic is checked and an overflow is an error.
struct CheckedDim {
  int64_t Value = 0;
  bool Overflow = false;
  CheckedDim(int64_t V = 0) : Value(V) {}
  CheckedDim operator+(CheckedDim O) const { return combine(O, __builtin_add_overflow(Value, O.Value, &O.Value), O); }
  CheckedDim operator-(CheckedDim O) const { return combine(O, __builtin_sub_overflow(Value, O.Value, &O.Value), O); }
  CheckedDim operator*(CheckedDim O) const { return combine(O, __builtin_mul_overflow(Value, O.Value, &O.Value), O); }

private:
  CheckedDim combine(CheckedDim Other, bool Flow, CheckedDim Result) const {
    Result.Overflow = Overflow || Other.Overflow || Flow;
    return Result;
  }
};

llvm::Error overflowError() { return fail("the computed size overflows 64-bit integers"); }

/// Output size of a sliding window along one dim.
llvm::Expected<int64_t> windowOut(int64_t In, int64_t K, int64_t S, int64_t PB, int64_t PE,
                                  int64_t Dil, bool Ceil) {
  if (In < 0)
    return kDynamicDim;
  CheckedDim Checked = CheckedDim(In) + PB + PE - CheckedDim(Dil) * (K - 1) - 1;
  if (Checked.Overflow)
    return overflowError();
  int64_t Span = Checked.Value;
  if (Span < 0)
    return fail("window of size {0} (dilation {1}) does not fit an input of size {2} with "
                "padding {3}+{4}",
                K, Dil, In, PB, PE);
  int64_t Out = (Ceil ? (Span + S - 1) / S : floorDiv(Span, S)) + 1;
  // PyTorch: the last window must start inside the input or its left padding.
  if (Ceil && (Out - 1) * S >= In + PB)
    --Out;
  return Out;
}

bool allRanked(const ShapeContext &C) {
  for (const Type &T : C.operands())
    if (T.isTensor() && !T.hasRank())
      return false;
  return true;
}

} // namespace

llvm::Expected<Dims> broadcastShapes(llvm::ArrayRef<int64_t> A, llvm::ArrayRef<int64_t> B) {
  size_t R = std::max(A.size(), B.size());
  Dims Out(R);
  for (size_t I = 0; I < R; ++I) {
    int64_t X = I < R - A.size() ? 1 : A[I - (R - A.size())];
    int64_t Y = I < R - B.size() ? 1 : B[I - (R - B.size())];
    if (X == 1)
      Out[I] = Y;
    else if (Y == 1)
      Out[I] = X;
    else if (X < 0)
      Out[I] = Y;
    else if (Y < 0 || X == Y)
      Out[I] = X;
    else
      return fail("shapes {0} and {1} do not broadcast", dimsStr(A), dimsStr(B));
  }
  return Out;
}

llvm::Expected<Type> inferSameAsInput(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  return C.operand(0);
}

llvm::Expected<Type> inferGelu(const ShapeContext &C) {
  const std::string &A = C.attr("approximate")->getString();
  if (A != "none" && A != "tanh")
    return fail("'approximate' must be \"none\" or \"tanh\", not \"{0}\"", A);
  return inferSameAsInput(C);
}

llvm::Expected<Type> inferSoftmax(const ShapeContext &C) {
  if (auto E = requireFloat(C, 0))
    return E;
  const Type &In = C.operand(0);
  if (In.hasRank())
    if (auto A = normAxis(C.getInt("dim"), In.rank(), "'dim'"); !A)
      return A.takeError();
  return In;
}

/// The attributes and operand ranks shared by conv and conv_transpose.
struct ConvGeometry {
  size_t Spatial;
  int64_t Groups;
  llvm::ArrayRef<int64_t> Stride, Dil;
  Dims PB, PE;
};

llvm::Error readConvGeometry(const ShapeContext &C, size_t Spatial, ConvGeometry &G) {
  if (auto E = requireFloat(C, 0))
    return E;
  if (auto E = requireFloat(C, 1))
    return E;
  G.Spatial = Spatial;
  G.Groups = C.getInt("groups");
  if (G.Groups < 1)
    return fail("'groups' must be at least 1, not {0}", G.Groups);
  G.Stride = C.getInts("stride");
  G.Dil = C.getInts("dilation");
  if (auto E = requireLength(G.Stride, Spatial, "stride", 1))
    return E;
  if (auto E = requireLength(G.Dil, Spatial, "dilation", 1))
    return E;
  if (auto E = expandPadding(C.getInts("padding"), Spatial, G.PB, G.PE))
    return E;
  const Type &In = C.operand(0), &W = C.operand(1);
  if (In.hasRank() && In.rank() != Spatial + 2)
    return fail("input must have rank {0}, not {1}", Spatial + 2, In.rank());
  if (W.hasRank() && W.rank() != Spatial + 2)
    return fail("weight must have rank {0}, not {1}", Spatial + 2, W.rank());
  return llvm::Error::success();
}

/// The optional bias (operand 2) must be a float vector of OutChannels.
llvm::Error checkBias(const ShapeContext &C, int64_t OutChannels) {
  if (C.numOperands() < 3)
    return llvm::Error::success();
  if (auto E = requireFloat(C, 2))
    return E;
  const Type &B = C.operand(2);
  if (B.hasRank() &&
      (B.rank() != 1 || (OutChannels >= 0 && B.dim(0) >= 0 && B.dim(0) != OutChannels)))
    return fail("bias must have shape [{0}], not {1}", OutChannels, B.str());
  return llvm::Error::success();
}

llvm::Expected<Type> inferConv(const ShapeContext &C) {
  ConvGeometry G;
  if (auto E = readConvGeometry(C, C.op().name() == "conv1d" ? 1 : 2, G))
    return E;
  const Type &In = C.operand(0), &W = C.operand(1);
  if (auto E = checkBias(C, W.hasRank() ? W.dim(0) : kDynamicDim))
    return E;
  if (!In.hasRank() || !W.hasRank())
    return Type::unranked(In.dtype());
  if (W.dim(0) >= 0 && W.dim(0) % G.Groups != 0)
    return fail("weight has {0} output channels, not divisible by groups {1}", W.dim(0),
                G.Groups);
  CheckedDim Expected = CheckedDim(W.dim(1)) * G.Groups;
  if (W.dim(1) >= 0 && Expected.Overflow)
    return overflowError();
  if (In.dim(1) >= 0 && W.dim(1) >= 0 && In.dim(1) != Expected.Value)
    return fail("input has {0} channels but weight expects {1} (= {2} x groups {3})", In.dim(1),
                Expected.Value, W.dim(1), G.Groups);
  Dims Out = {In.dim(0), W.dim(0)};
  for (size_t I = 0; I < G.Spatial; ++I) {
    auto O = windowOut(In.dim(2 + I), W.dim(2 + I), G.Stride[I], G.PB[I], G.PE[I], G.Dil[I],
                       false);
    if (!O)
      return O.takeError();
    Out.push_back(W.dim(2 + I) < 0 ? kDynamicDim : *O);
  }
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferConvTranspose(const ShapeContext &C) {
  ConvGeometry G;
  if (auto E = readConvGeometry(C, 2, G))
    return E;
  auto OutPad = C.getInts("output_padding");
  if (auto E = requireLength(OutPad, G.Spatial, "output_padding", 0))
    return E;
  const Type &In = C.operand(0), &W = C.operand(1);
  auto Stride = G.Stride, Dil = G.Dil;
  const Dims &PB = G.PB, &PE = G.PE;
  if (!In.hasRank() || !W.hasRank())
    return Type::unranked(In.dtype());
  if (In.dim(1) >= 0 && W.dim(0) >= 0 && In.dim(1) != W.dim(0))
    return fail("input has {0} channels but weight expects {1}", In.dim(1), W.dim(0));
  CheckedDim Channels = CheckedDim(W.dim(1)) * G.Groups;
  if (W.dim(1) >= 0 && Channels.Overflow)
    return overflowError();
  int64_t OutC = W.dim(1) < 0 ? kDynamicDim : Channels.Value;
  if (auto E = checkBias(C, OutC))
    return E;
  Dims Out = {In.dim(0), OutC};
  for (size_t I = 0; I < G.Spatial; ++I) {
    int64_t X = In.dim(2 + I), K = W.dim(2 + I);
    if (OutPad[I] >= std::max(Stride[I], Dil[I]))
      return fail("output_padding {0} must be smaller than stride or dilation", OutPad[I]);
    if (X < 0 || K < 0) {
      Out.push_back(kDynamicDim);
      continue;
    }
    CheckedDim Checked = (CheckedDim(X) - 1) * Stride[I] - PB[I] - PE[I] +
                         CheckedDim(Dil[I]) * (K - 1) + OutPad[I] + 1;
    if (Checked.Overflow)
      return overflowError();
    int64_t O = Checked.Value;
    if (O <= 0)
      return fail("transposed convolution output size {0} is not positive", O);
    Out.push_back(O);
  }
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferLinear(const ShapeContext &C) {
  if (auto E = requireFloat(C, 0))
    return E;
  if (auto E = requireFloat(C, 1))
    return E;
  const Type &In = C.operand(0), &W = C.operand(1);
  if (W.hasRank() && W.rank() != 2)
    return fail("weight must have rank 2, not {0}", W.rank());
  if (In.hasRank() && In.rank() < 1)
    return fail("input must have rank at least 1");
  if (C.numOperands() == 3) {
    if (auto E = requireFloat(C, 2))
      return E;
    const Type &B = C.operand(2);
    if (B.hasRank() && (B.rank() != 1 || (W.hasRank() && B.dim(0) >= 0 && W.dim(0) >= 0 &&
                                          B.dim(0) != W.dim(0))))
      return fail("bias must have shape [{0}], not {1}", W.hasRank() ? W.dim(0) : -1, B.str());
  }
  if (!In.hasRank() || !W.hasRank())
    return Type::unranked(In.dtype());
  if (In.dim(-1) >= 0 && W.dim(1) >= 0 && In.dim(-1) != W.dim(1))
    return fail("input has {0} features but weight expects {1}", In.dim(-1), W.dim(1));
  Dims Out(In.dims().begin(), In.dims().end());
  Out.back() = W.dim(0);
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferMatmul(const ShapeContext &C) {
  if (auto E = requireFloat(C, 0))
    return E;
  if (auto E = requireFloat(C, 1))
    return E;
  const Type &A = C.operand(0), &B = C.operand(1);
  if (A.dtype() != B.dtype())
    return fail("operands have different element types {0} and {1}", dtypeName(A.dtype()),
                dtypeName(B.dtype()));
  if (!allRanked(C))
    return Type::unranked(A.dtype());
  if (A.rank() == 0 || B.rank() == 0)
    return fail("matmul operands must have rank at least 1");
  Dims DA(A.dims().begin(), A.dims().end()), DB(B.dims().begin(), B.dims().end());
  bool VecA = DA.size() == 1, VecB = DB.size() == 1;
  if (VecA)
    DA.insert(DA.begin(), 1);
  if (VecB)
    DB.push_back(1);
  int64_t K1 = DA.back(), K2 = DB[DB.size() - 2];
  if (K1 >= 0 && K2 >= 0 && K1 != K2)
    return fail("inner dimensions differ: {0} and {1}", K1, K2);
  auto Batch = broadcastShapes(llvm::ArrayRef<int64_t>(DA).drop_back(2),
                               llvm::ArrayRef<int64_t>(DB).drop_back(2));
  if (!Batch)
    return Batch.takeError();
  Dims Out = *Batch;
  if (!VecA)
    Out.push_back(DA[DA.size() - 2]);
  if (!VecB)
    Out.push_back(DB.back());
  return Type::tensor(A.dtype(), Out);
}

llvm::Expected<Type> inferBatchNorm(const ShapeContext &C) {
  for (unsigned I = 0; I < 5; ++I)
    if (auto E = requireFloat(C, I))
      return E;
  const Type &In = C.operand(0);
  if (C.getFloat("eps") <= 0)
    return fail("'eps' must be positive");
  if (In.hasRank() && In.rank() < 2)
    return fail("input must have rank at least 2, not {0}", In.rank());
  int64_t Ch = In.hasRank() ? In.dim(1) : kDynamicDim;
  for (unsigned I = 1; I < 5; ++I) {
    const Type &P = C.operand(I);
    if (P.hasRank() && (P.rank() != 1 || (Ch >= 0 && P.dim(0) >= 0 && P.dim(0) != Ch)))
      return fail("'{0}' must have shape [{1}], not {2}", C.op().operands()[I].Name, Ch, P.str());
  }
  return In;
}

llvm::Expected<Type> inferBatchNormScale(const ShapeContext &C) {
  for (unsigned I = 0; I < 2; ++I)
    if (auto E = requireFloat(C, I))
      return E;
  if (C.getFloat("eps") <= 0)
    return fail("'eps' must be positive");
  const Type &W = C.operand(0), &V = C.operand(1);
  for (const Type *T : {&W, &V})
    if (T->hasRank() && T->rank() != 1)
      return fail("'weight' and 'running_var' must have rank 1, not {0}", T->str());
  if (W.hasRank() && V.hasRank() && W.dim(0) >= 0 && V.dim(0) >= 0 && W.dim(0) != V.dim(0))
    return fail("'weight' {0} and 'running_var' {1} differ in size", W.str(), V.str());
  return W.hasRank() ? W : V;
}

llvm::Expected<Type> inferBroadcast(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  if (auto E = requireTensor(C, 1))
    return E;
  const Type &A = C.operand(0), &B = C.operand(1);
  if (A.dtype() != B.dtype())
    return fail("operands have different element types {0} and {1}", dtypeName(A.dtype()),
                dtypeName(B.dtype()));
  if (!allRanked(C))
    return Type::unranked(A.dtype());
  auto D = broadcastShapes(A.dims(), B.dims());
  if (!D)
    return D.takeError();
  return Type::tensor(A.dtype(), *D);
}

llvm::Expected<Type> inferPool(const ShapeContext &C) {
  if (auto E = requireFloat(C, 0))
    return E;
  const Type &In = C.operand(0);
  const size_t Spatial = 2;
  auto K = C.getInts("kernel_size");
  if (auto E = requireLength(K, Spatial, "kernel_size", 1))
    return E;
  Dims Stride(C.getInts("stride").begin(), C.getInts("stride").end());
  if (Stride.empty())
    Stride.assign(K.begin(), K.end());
  if (auto E = requireLength(Stride, Spatial, "stride", 1))
    return E;
  Dims Dil = {1, 1};
  if (const Attribute *D = C.attr("dilation"))
    Dil.assign(D->getInts().begin(), D->getInts().end());
  if (auto E = requireLength(Dil, Spatial, "dilation", 1))
    return E;
  Dims PB, PE;
  if (auto E = expandPadding(C.getInts("padding"), Spatial, PB, PE))
    return E;
  for (size_t I = 0; I < Spatial; ++I)
    if (2 * std::max(PB[I], PE[I]) > K[I])
      return fail("padding {0} must be at most half the kernel size {1}",
                  std::max(PB[I], PE[I]), K[I]);
  if (const Attribute *D = C.attr("divisor_override"); D && D->getInt() <= 0)
    return fail("'divisor_override' must be positive");
  if (!In.hasRank())
    return In;
  if (In.rank() != 3 && In.rank() != 4)
    return fail("input must have rank 3 or 4, not {0}", In.rank());
  Dims Out(In.dims().begin(), In.dims().end() - Spatial);
  for (size_t I = 0; I < Spatial; ++I) {
    auto O = windowOut(In.dim(In.rank() - Spatial + I), K[I], Stride[I], PB[I], PE[I], Dil[I],
                       C.getBool("ceil_mode"));
    if (!O)
      return O.takeError();
    Out.push_back(*O);
  }
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferAdaptivePool(const ShapeContext &C) {
  if (auto E = requireFloat(C, 0))
    return E;
  const Type &In = C.operand(0);
  auto OS = C.getInts("output_size");
  if (auto E = requireLength(OS, 2, "output_size", 1))
    return E;
  if (!In.hasRank())
    return In;
  if (In.rank() != 3 && In.rank() != 4)
    return fail("input must have rank 3 or 4, not {0}", In.rank());
  Dims Out(In.dims().begin(), In.dims().end() - 2);
  Out.append(OS.begin(), OS.end());
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferCat(const ShapeContext &C) {
  if (C.numOperands() == 0)
    return fail("cat needs at least one input");
  for (unsigned I = 0; I < C.numOperands(); ++I)
    if (auto E = requireTensor(C, I))
      return E;
  const Type &First = C.operand(0);
  for (const Type &T : C.operands())
    if (T.dtype() != First.dtype())
      return fail("inputs have different element types {0} and {1}", dtypeName(First.dtype()),
                  dtypeName(T.dtype()));
  if (!allRanked(C))
    return Type::unranked(First.dtype());
  auto Axis = normAxis(C.getInt("dim"), First.rank(), "'dim'");
  if (!Axis)
    return Axis.takeError();
  Dims Out(First.dims().begin(), First.dims().end());
  for (unsigned I = 1; I < C.numOperands(); ++I) {
    const Type &T = C.operand(I);
    if (T.rank() != First.rank())
      return fail("input {0} has rank {1}, expected {2}", I, T.rank(), First.rank());
    for (unsigned D = 0; D < Out.size(); ++D) {
      if (D == *Axis) {
        CheckedDim Sum = CheckedDim(Out[D]) + T.dim(D);
        if (Sum.Overflow)
          return overflowError();
        Out[D] = (Out[D] < 0 || T.dim(D) < 0) ? kDynamicDim : Sum.Value;
        continue;
      }
      if (Out[D] >= 0 && T.dim(D) >= 0 && Out[D] != T.dim(D))
        return fail("input {0} has size {1} in dim {2}, expected {3}", I, T.dim(D), D, Out[D]);
      if (Out[D] < 0)
        Out[D] = T.dim(D);
    }
  }
  return Type::tensor(First.dtype(), Out);
}

llvm::Expected<Type> inferFlatten(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  if (!In.hasRank())
    return In;
  int64_t R = std::max<int64_t>(In.rank(), 1);
  auto S = normAxis(C.getInt("start_dim"), R, "'start_dim'");
  if (!S)
    return S.takeError();
  auto E = normAxis(C.getInt("end_dim"), R, "'end_dim'");
  if (!E)
    return E.takeError();
  if (*S > *E)
    return fail("'start_dim' {0} is after 'end_dim' {1}", *S, *E);
  if (In.rank() == 0)
    return Type::tensor(In.dtype(), {1});
  Dims Out(In.dims().begin(), In.dims().begin() + *S);
  int64_t P = 1;
  for (int64_t D = *S; D <= *E; ++D) {
    CheckedDim Product = CheckedDim(P) * In.dim(D);
    if (P >= 0 && In.dim(D) >= 0 && Product.Overflow)
      return overflowError();
    P = (P < 0 || In.dim(D) < 0) ? kDynamicDim : Product.Value;
  }
  Out.push_back(P);
  Out.append(In.dims().begin() + *E + 1, In.dims().end());
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferReshape(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  auto Shape = C.getInts("shape");
  int Infer = -1;
  int64_t Known = 1;
  for (size_t I = 0; I < Shape.size(); ++I) {
    if (Shape[I] == -1) {
      if (Infer >= 0)
        return fail("'shape' has more than one -1");
      Infer = I;
    } else if (Shape[I] < 0) {
      return fail("'shape' value {0} is invalid; use -1 for the one inferred dim", Shape[I]);
    } else {
      if (__builtin_mul_overflow(Known, Shape[I], &Known))
        return overflowError();
    }
  }
  Dims Out(Shape.begin(), Shape.end());
  auto N = In.numElements();
  if (Infer >= 0) {
    if (!N)
      Out[Infer] = kDynamicDim;
    else if (Known == 0 || *N % Known != 0)
      return fail("cannot reshape {0} elements into {1}", *N, intsStr(Shape));
    else
      Out[Infer] = *N / Known;
  } else if (N && *N != Known) {
    return fail("cannot reshape {0} elements into {1}", *N, intsStr(Shape));
  }
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferPermute(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  auto P = C.getInts("dims");
  if (!In.hasRank())
    return In;
  if (P.size() != In.rank())
    return fail("'dims' has {0} values for a rank-{1} input", P.size(), In.rank());
  Dims Out;
  llvm::SmallVector<bool, 8> Seen(P.size(), false);
  for (int64_t D : P) {
    auto A = normAxis(D, In.rank(), "'dims' value");
    if (!A)
      return A.takeError();
    if (Seen[*A])
      return fail("'dims' repeats dimension {0}", *A);
    Seen[*A] = true;
    Out.push_back(In.dim(*A));
  }
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferTranspose(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  if (!In.hasRank())
    return In;
  auto A = normAxis(C.getInt("dim0"), In.rank(), "'dim0'");
  if (!A)
    return A.takeError();
  auto B = normAxis(C.getInt("dim1"), In.rank(), "'dim1'");
  if (!B)
    return B.takeError();
  Dims Out(In.dims().begin(), In.dims().end());
  std::swap(Out[*A], Out[*B]);
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferSqueeze(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  if (!In.hasRank())
    return In;
  auto Ds = C.getInts("dims");
  llvm::SmallVector<bool, 8> Drop(In.rank(), false);
  if (Ds.empty()) {
    for (unsigned I = 0; I < In.rank(); ++I) {
      if (In.dim(I) < 0)
        return Type::unranked(In.dtype());
      Drop[I] = In.dim(I) == 1;
    }
  } else {
    for (int64_t D : Ds) {
      auto A = normAxis(D, In.rank(), "'dims' value");
      if (!A)
        return A.takeError();
      if (In.dim(*A) > 1)
        return fail("cannot squeeze dim {0} of size {1}", *A, In.dim(*A));
      Drop[*A] = true;
    }
  }
  Dims Out;
  for (unsigned I = 0; I < In.rank(); ++I)
    if (!Drop[I])
      Out.push_back(In.dim(I));
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferUnsqueeze(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  if (!In.hasRank())
    return In;
  auto A = normAxis(C.getInt("dim"), In.rank() + 1, "'dim'");
  if (!A)
    return A.takeError();
  Dims Out(In.dims().begin(), In.dims().end());
  Out.insert(Out.begin() + *A, 1);
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferReduce(const ShapeContext &C) {
  if (auto E = requireFloat(C, 0))
    return E;
  const Type &In = C.operand(0);
  if (!In.hasRank())
    return In;
  bool Keep = C.getBool("keepdim");
  auto Ds = C.getInts("dims");
  llvm::SmallVector<bool, 8> Red(In.rank(), Ds.empty());
  for (int64_t D : Ds) {
    auto A = normAxis(D, In.rank(), "'dims' value");
    if (!A)
      return A.takeError();
    if (Red[*A])
      return fail("'dims' repeats dimension {0}", *A);
    Red[*A] = true;
  }
  Dims Out;
  for (unsigned I = 0; I < In.rank(); ++I)
    if (!Red[I])
      Out.push_back(In.dim(I));
    else if (Keep)
      Out.push_back(1);
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferPad(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  const std::string &Mode = C.attr("mode")->getString();
  if (Mode != "constant" && Mode != "reflect" && Mode != "replicate")
    return fail("'mode' must be \"constant\", \"reflect\" or \"replicate\", not \"{0}\"", Mode);
  auto P = C.getInts("pads");
  if (!In.hasRank())
    return In;
  if (P.size() != 2 * In.rank())
    return fail("'pads' has {0} values; expected {1} (begins, then ends, for every dim)",
                P.size(), 2 * In.rank());
  Dims Out;
  for (unsigned I = 0; I < In.rank(); ++I) {
    int64_t D = In.dim(I);
    CheckedDim Padded = CheckedDim(D) + P[I] + P[I + In.rank()];
    if (D >= 0 && Padded.Overflow)
      return overflowError();
    int64_t O = D < 0 ? kDynamicDim : Padded.Value;
    if (D >= 0 && O < 0)
      return fail("'pads' make dim {0} negative", I);
    Out.push_back(O);
  }
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferSplit(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  auto Sizes = C.getInts("split_sizes");
  if (Sizes.empty())
    return fail("'split_sizes' must not be empty");
  for (int64_t S : Sizes)
    if (S < 0)
      return fail("'split_sizes' values must be non-negative");
  std::vector<Type> Parts;
  if (!In.hasRank()) {
    Parts.assign(Sizes.size(), In);
    return Type::tuple(std::move(Parts));
  }
  auto A = normAxis(C.getInt("dim"), In.rank(), "'dim'");
  if (!A)
    return A.takeError();
  int64_t Total = 0;
  for (int64_t S : Sizes)
    Total += S;
  if (In.dim(*A) >= 0 && Total != In.dim(*A))
    return fail("'split_sizes' add up to {0} but dim {1} has size {2}", Total, *A, In.dim(*A));
  for (int64_t S : Sizes) {
    Dims D(In.dims().begin(), In.dims().end());
    D[*A] = S;
    Parts.push_back(Type::tensor(In.dtype(), D));
  }
  return Type::tuple(std::move(Parts));
}

llvm::Expected<Type> inferSlice(const ShapeContext &C) {
  if (auto E = requireTensor(C, 0))
    return E;
  const Type &In = C.operand(0);
  int64_t Step = C.getInt("step");
  if (Step < 1)
    return fail("'step' must be at least 1, not {0}", Step);
  if (!In.hasRank())
    return In;
  auto A = normAxis(C.getInt("dim"), In.rank(), "'dim'");
  if (!A)
    return A.takeError();
  Dims Out(In.dims().begin(), In.dims().end());
  int64_t Size = In.dim(*A);
  if (Size < 0)
    return Type::tensor(In.dtype(), Out);
  auto clampIndex = [Size](int64_t I) {
    if (I < 0)
      I += Size;
    return std::min(std::max<int64_t>(I, 0), Size);
  };
  int64_t Start = clampIndex(C.getInt("start")), End = clampIndex(C.getInt("end"));
  Out[*A] = End > Start ? (End - Start - 1) / Step + 1 : 0;
  return Type::tensor(In.dtype(), Out);
}

llvm::Expected<Type> inferGetItem(const ShapeContext &C) {
  const Type &T = C.operand(0);
  if (!T.isTuple())
    return fail("operand must be a tuple, not {0}", T.str());
  int64_t I = C.getInt("index");
  if (I < 0 || I >= (int64_t)T.elements().size())
    return fail("'index' {0} is out of range for a tuple of {1}", I, T.elements().size());
  return T.elements()[I];
}

/// Checks scale and zero point of the quantization ops against the input.
static llvm::Error checkQParams(const ShapeContext &C) {
  for (unsigned I = 0; I < 3; ++I)
    if (auto E = requireTensor(C, I))
      return E;
  const Type &In = C.operand(0), &S = C.operand(1), &Z = C.operand(2);
  if (S.dtype() != DType::F32)
    return fail("'scale' must be f32, not {0}", dtypeName(S.dtype()));
  if (Z.dtype() == DType::Bool || Z.dtype() == DType::F16)
    return fail("'zero_point' must be an integer or f32 tensor, not {0}", dtypeName(Z.dtype()));
  const Attribute *Axis = C.attr("axis");
  for (const Type *Q : {&S, &Z}) {
    if (!Q->hasRank())
      continue;
    if (!Axis) {
      if (Q->rank() > 1 || (Q->rank() == 1 && Q->dim(0) > 1))
        return fail("per-tensor scale and zero point must have one element, not {0}", Q->str());
      continue;
    }
    if (Q->rank() != 1)
      return fail("per-channel scale and zero point must have rank 1, not {0}", Q->str());
    if (In.hasRank()) {
      auto A = normAxis(Axis->getInt(), In.rank(), "'axis'");
      if (!A)
        return A.takeError();
      if (In.dim(*A) >= 0 && Q->dim(0) >= 0 && In.dim(*A) != Q->dim(0))
        return fail("per-channel scale has {0} values but axis {1} has size {2}", Q->dim(0), *A,
                    In.dim(*A));
    }
  }
  return llvm::Error::success();
}

/// Checks a string attribute against its allowed spellings.
static llvm::Error requireOneOf(const ShapeContext &C, llvm::StringRef Name,
                                llvm::ArrayRef<llvm::StringRef> Allowed) {
  const std::string &V = C.attr(Name)->getString();
  if (llvm::is_contained(Allowed, V))
    return llvm::Error::success();
  std::string List;
  for (llvm::StringRef A : Allowed)
    List += (List.empty() ? "\"" : ", \"") + A.str() + "\"";
  return fail("'{0}' must be one of {1}, not \"{2}\"", Name, List, V);
}

/// Checks the observer state operands of a prepared fake_quantize: two u8
/// flags, then min_val and max_val shaped like scale (observing kinds only).
static llvm::Error checkObserverState(const ShapeContext &C) {
  bool Observing = C.attr("observer")->getString() != "fixed";
  unsigned N = C.numOperands();
  if (Observing && N != 7)
    return fail("observer \"{0}\" needs its state operands observer_enabled, "
                "fake_quant_enabled, min_val and max_val (7 operands, not {1})",
                C.attr("observer")->getString(), N);
  if (!Observing && N != 3 && N != 5)
    return fail("a fixed fake quant takes 3 operands, or 5 with observer_enabled and "
                "fake_quant_enabled, not {0}",
                N);
  for (unsigned I = 3; I < std::min(N, 5u); ++I) {
    if (auto E = requireTensor(C, I))
      return E;
    const Type &F = C.operand(I);
    if (F.dtype() != DType::U8 || (F.hasRank() && F.numElements().value_or(1) != 1))
      return fail("'{0}' must be a u8 tensor of one element, not {1}",
                  C.op().operands()[I].Name, F.str());
  }
  for (unsigned I = 5; I < N; ++I) {
    if (auto E = requireTensor(C, I))
      return E;
    const Type &M = C.operand(I), &S = C.operand(1);
    if (M.dtype() != DType::F32 || (M.hasRank() && S.hasRank() && !M.isCompatibleWith(S)))
      return fail("'{0}' must have the type of 'scale' {1}, not {2}", C.op().operands()[I].Name,
                  S.str(), M.str());
  }
  return llvm::Error::success();
}

llvm::Expected<Type> inferFakeQuantize(const ShapeContext &C) {
  if (auto E = checkQParams(C))
    return E;
  if (auto E = requireFloat(C, 0))
    return E;
  if (C.getInt("quant_min") >= C.getInt("quant_max"))
    return fail("'quant_min' {0} must be below 'quant_max' {1}", C.getInt("quant_min"),
                C.getInt("quant_max"));
  if (auto E = requireOneOf(C, "observer", {"moving_average_min_max", "min_max", "ema_min_max",
                                            "fixed"}))
    return E;
  if (auto E = requireOneOf(C, "scheme", {"symmetric", "affine"}))
    return E;
  if (auto E = requireOneOf(C, "algorithm", {"vanilla", "learnable"}))
    return E;
  auto Spelled = [](double D) {
    std::string S;
    llvm::raw_string_ostream OS(S);
    printFloat(OS, D);
    return OS.str();
  };
  double Avg = C.getFloat("averaging_constant"), Ema = C.getFloat("ema_ratio");
  if (!(Avg > 0 && Avg <= 1))
    return fail("'averaging_constant' must be in (0, 1], not {0}", Spelled(Avg));
  if (!(Ema >= 0 && Ema <= 1))
    return fail("'ema_ratio' must be in [0, 1], not {0}", Spelled(Ema));
  if (auto E = checkObserverState(C))
    return E;
  return C.operand(0);
}

llvm::Expected<Type> inferQuantize(const ShapeContext &C) {
  if (auto E = checkQParams(C))
    return E;
  if (auto E = requireFloat(C, 0))
    return E;
  DType T = C.attr("dtype")->getDType();
  if (T != DType::U8 && T != DType::I8 && T != DType::I32)
    return fail("'dtype' must be u8, i8 or i32, not {0}", dtypeName(T));
  return C.operand(0).withDType(T);
}

llvm::Expected<Type> inferDequantize(const ShapeContext &C) {
  if (auto E = checkQParams(C))
    return E;
  DType T = C.operand(0).dtype();
  if (T != DType::U8 && T != DType::I8 && T != DType::I32)
    return fail("input must be u8, i8 or i32, not {0}", dtypeName(T));
  return C.operand(0).withDType(DType::F32);
}

} // namespace shape
} // namespace qatc
