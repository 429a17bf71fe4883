//===- OnnxConstantFolding.cpp - Evaluating ONNX ops on constants ---------===//
#include "frontend/onnx/OnnxConstantFolding.h"

#include "frontend/onnx/OnnxNodeContext.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

namespace qatc {

namespace {

using Dims = llvm::SmallVector<int64_t, 4>;

llvm::Error foldError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

std::string dimsStr(llvm::ArrayRef<int64_t> D) {
  std::string S = "[";
  for (size_t I = 0; I < D.size(); ++I)
    S += (I ? ", " : "") + std::to_string(D[I]);
  return S + "]";
}

/// Product of Dims, or nullopt above kMaxFoldElements (or negative dims).
std::optional<int64_t> foldableCount(llvm::ArrayRef<int64_t> D) {
  int64_t N = 1;
  for (int64_t X : D) {
    if (X < 0 || (X != 0 && N > kMaxFoldElements / X))
      return std::nullopt;
    N *= X;
  }
  return N > kMaxFoldElements ? std::nullopt : std::optional<int64_t>(N);
}

/// A zero-filled tensor that owns its data (the caller checked the size).
std::shared_ptr<ConstTensor> newTensor(DType Elem, llvm::ArrayRef<int64_t> D) {
  auto T = std::make_shared<ConstTensor>(Elem, D);
  T->setOwned(std::vector<uint8_t>(T->numElements() * dtypeSize(Elem)));
  return T;
}

uint8_t *mutableData(ConstTensor &T) { return const_cast<uint8_t *>(T.bytes().data()); }

/// memcpy that accepts the null pointers of empty tensors.
void copyBytes(uint8_t *Dst, const uint8_t *Src, size_t N) {
  if (N)
    std::memcpy(Dst, Src, N);
}

bool isIntegral(DType T) {
  return T == DType::I64 || T == DType::I32 || T == DType::I8 || T == DType::U8 ||
         T == DType::Bool;
}

/// Stores V (already checked to fit) as element I of T.
void storeInt(ConstTensor &T, int64_t I, int64_t V) {
  uint8_t *P = mutableData(T) + I * dtypeSize(T.dtype());
  switch (T.dtype()) {
  case DType::I64:
    std::memcpy(P, &V, 8);
    break;
  case DType::I32: {
    int32_t X = int32_t(V);
    std::memcpy(P, &X, 4);
    break;
  }
  case DType::I8:
  case DType::U8:
    *P = uint8_t(V);
    break;
  case DType::Bool:
    *P = V != 0;
    break;
  case DType::F32: {
    float F = float(V);
    std::memcpy(P, &F, 4);
    break;
  }
  case DType::F16:
    break;
  }
}

void storeFloat(ConstTensor &T, int64_t I, float V) {
  std::memcpy(mutableData(T) + I * 4, &V, 4);
}

/// True when V is representable in integer type T.
bool fitsIn(DType T, int64_t V) {
  switch (T) {
  case DType::I32:
    return V >= INT32_MIN && V <= INT32_MAX;
  case DType::I8:
    return V >= -128 && V <= 127;
  case DType::U8:
    return V >= 0 && V <= 255;
  case DType::Bool:
    return V == 0 || V == 1;
  default:
    return true;
  }
}

/// Row-major strides of D, with 0 for dims broadcast to Out (D aligned to
/// the back of Out).
Dims broadcastStrides(llvm::ArrayRef<int64_t> D, llvm::ArrayRef<int64_t> Out) {
  Dims S(Out.size(), 0);
  int64_t Stride = 1;
  for (int64_t I = D.size() - 1, J = Out.size() - 1; I >= 0; --I, --J) {
    S[J] = D[I] == 1 ? 0 : Stride;
    Stride *= D[I];
  }
  return S;
}

/// Calls F(OutIndex, AIndex, BIndex) over Out in row-major order.
template <typename Fn>
void forEachBroadcast(llvm::ArrayRef<int64_t> Out, llvm::ArrayRef<int64_t> SA,
                      llvm::ArrayRef<int64_t> SB, Fn F) {
  Dims Idx(Out.size(), 0);
  int64_t N = 1;
  for (int64_t D : Out)
    N *= D;
  int64_t A = 0, B = 0;
  for (int64_t I = 0; I < N; ++I) {
    F(I, A, B);
    for (int64_t K = Out.size() - 1; K >= 0; --K) {
      A += SA[K];
      B += SB[K];
      if (++Idx[K] < Out[K])
        break;
      A -= SA[K] * Out[K];
      B -= SB[K] * Out[K];
      Idx[K] = 0;
    }
  }
}

llvm::Expected<int64_t> intOp(llvm::StringRef Op, int64_t A, int64_t B) {
  int64_t R = 0;
  bool Overflow = false;
  if (Op == "Add")
    Overflow = __builtin_add_overflow(A, B, &R);
  else if (Op == "Sub")
    Overflow = __builtin_sub_overflow(A, B, &R);
  else if (Op == "Mul")
    Overflow = __builtin_mul_overflow(A, B, &R);
  else if (B == 0)
    return foldError("division by zero in a constant computation");
  else if (A == INT64_MIN && B == -1)
    Overflow = true;
  else
    R = A / B;
  if (Overflow)
    return foldError(llvm::formatv("{0} of {1} and {2} overflows int64", Op, A, B).str());
  return R;
}

float floatOp(llvm::StringRef Op, float A, float B) {
  if (Op == "Add")
    return A + B;
  if (Op == "Sub")
    return A - B;
  if (Op == "Mul")
    return A * B;
  return A / B;
}

/// The single value of a scalar or one-element constant input.
llvm::Expected<const ConstTensor *> scalarInput(OnnxNodeContext &Ctx, unsigned I,
                                                llvm::StringRef What) {
  const ConstTensorRef &T = Ctx.constInput(I);
  if (T->numElements() != 1)
    return foldError("'" + What + "' must have one element, not " +
                     llvm::Twine(T->numElements()));
  return T.get();
}

} // namespace

std::shared_ptr<ConstTensor> int64Tensor(llvm::ArrayRef<int64_t> Values) {
  auto T = newTensor(DType::I64, {int64_t(Values.size())});
  copyBytes(mutableData(*T), reinterpret_cast<const uint8_t *>(Values.data()), Values.size() * 8);
  return T;
}

llvm::Expected<SliceBounds> sliceBounds(OnnxNodeContext &Ctx) {
  SliceBounds R;
  for (auto [I, What, Out] : {std::tuple(1u, "starts", &R.Starts), std::tuple(2u, "ends", &R.Ends),
                              std::tuple(3u, "axes", &R.Axes), std::tuple(4u, "steps", &R.Steps)}) {
    if (I >= 3 && !Ctx.hasInput(I))
      continue;
    auto V = Ctx.constantInts(I, What);
    if (!V)
      return V.takeError();
    *Out = std::move(*V);
  }
  if (!Ctx.hasInput(3))
    for (size_t I = 0; I < R.Starts.size(); ++I)
      R.Axes.push_back(I);
  if (!Ctx.hasInput(4))
    R.Steps.assign(R.Starts.size(), 1);
  size_t N = R.Starts.size();
  if (R.Ends.size() != N || R.Axes.size() != N || R.Steps.size() != N)
    return foldError("starts, ends, axes and steps must have the same length");
  return R;
}

std::shared_ptr<ConstTensor> floatScalar(float Value) {
  auto T = newTensor(DType::F32, {});
  storeFloat(*T, 0, Value);
  return T;
}

std::shared_ptr<ConstTensor> reshapeView(const ConstTensorRef &T, llvm::ArrayRef<int64_t> D) {
  auto R = std::make_shared<ConstTensor>(T->dtype(), D);
  R->setView(T->bytes(), T);
  return R;
}

std::shared_ptr<ConstTensor> transposeTensor(const ConstTensor &T, llvm::ArrayRef<int64_t> Perm) {
  Dims Out;
  for (int64_t P : Perm)
    Out.push_back(T.dims()[P]);
  auto R = newTensor(T.dtype(), Out);
  // Strides of the input read in output order.
  Dims InStrides(T.rank(), 1);
  for (int64_t I = int64_t(T.rank()) - 2; I >= 0; --I)
    InStrides[I] = InStrides[I + 1] * T.dims()[I + 1];
  Dims Gather;
  for (int64_t P : Perm)
    Gather.push_back(InStrides[P]);
  Dims Zero(Out.size(), 0);
  size_t Size = dtypeSize(T.dtype());
  const uint8_t *Src = T.bytes().data();
  uint8_t *Dst = mutableData(*R);
  forEachBroadcast(Out, Gather, Zero, [&](int64_t O, int64_t I, int64_t) {
    std::memcpy(Dst + O * Size, Src + I * Size, Size);
  });
  return R;
}

ConstTensorRef shapeTensor(llvm::ArrayRef<int64_t> D, OnnxNodeContext &Ctx) {
  int64_t Rank = D.size();
  int64_t Start = Ctx.attrs().getInt("start", 0), End = Ctx.attrs().getInt("end", Rank);
  auto Clamp = [Rank](int64_t X) {
    if (X < 0)
      X = X < -Rank ? 0 : X + Rank;
    return std::min(X, Rank);
  };
  Start = Clamp(Start);
  End = std::max(Clamp(End), Start);
  return int64Tensor(D.slice(Start, End - Start));
}

llvm::Expected<bool> foldShape(OnnxNodeContext &Ctx) {
  Ctx.setOutput(0, shapeTensor(Ctx.constInput(0)->dims(), Ctx));
  return true;
}

llvm::Expected<bool> foldBinary(OnnxNodeContext &Ctx) {
  const ConstTensor &A = *Ctx.constInput(0), &B = *Ctx.constInput(1);
  DType T = A.dtype();
  if (T != B.dtype() || (T != DType::I64 && T != DType::I32 && T != DType::F32))
    return false;
  size_t R = std::max(A.rank(), B.rank());
  Dims Out(R);
  for (size_t I = 0; I < R; ++I) {
    int64_t X = I < R - A.rank() ? 1 : A.dims()[I - (R - A.rank())];
    int64_t Y = I < R - B.rank() ? 1 : B.dims()[I - (R - B.rank())];
    if (X != Y && X != 1 && Y != 1)
      return foldError("operands of shapes " + dimsStr(A.dims()) + " and " + dimsStr(B.dims()) +
                       " do not broadcast");
    Out[I] = X == 1 ? Y : X;
  }
  if (!foldableCount(Out))
    return false;
  auto Result = newTensor(T, Out);
  llvm::StringRef Op = Ctx.proto().op_type();
  llvm::Error Err = llvm::Error::success();
  forEachBroadcast(Out, broadcastStrides(A.dims(), Out), broadcastStrides(B.dims(), Out),
                   [&](int64_t O, int64_t I, int64_t J) {
                     if (T == DType::F32) {
                       storeFloat(*Result, O, floatOp(Op, A.floatAt(I), B.floatAt(J)));
                       return;
                     }
                     if (Err)
                       return;
                     auto V = intOp(Op, A.intAt(I), B.intAt(J));
                     if (V && !fitsIn(T, *V))
                       V = foldError(Op + " of " + llvm::Twine(A.intAt(I)) + " and " +
                                     llvm::Twine(B.intAt(J)) + " overflows int32");
                     if (!V)
                       Err = V.takeError();
                     else
                       storeInt(*Result, O, *V);
                   });
  if (Err)
    return Err;
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldUnaryFloat(OnnxNodeContext &Ctx) {
  const ConstTensor &A = *Ctx.constInput(0);
  if (A.dtype() != DType::F32 || !foldableCount(A.dims()))
    return false;
  bool Floor = Ctx.proto().op_type() == "Floor";
  auto Result = newTensor(DType::F32, A.dims());
  for (int64_t I = 0; I < A.numElements(); ++I) {
    float V = A.floatAt(I);
    storeFloat(*Result, I, Floor ? std::floor(V) : std::ceil(V));
  }
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldCast(OnnxNodeContext &Ctx) {
  const ConstTensorRef &A = Ctx.constInput(0);
  std::optional<DType> To = dtypeFromOnnx(Ctx.attrs().getInt("to", 0));
  if (!To || *To == DType::F16 || A->dtype() == DType::F16 || !foldableCount(A->dims()))
    return false;
  if (*To == A->dtype()) {
    Ctx.setOutput(0, reshapeView(A, A->dims()));
    return true;
  }
  auto Result = newTensor(*To, A->dims());
  for (int64_t I = 0; I < A->numElements(); ++I) {
    if (*To == DType::F32) {
      storeFloat(*Result, I, float(A->floatAt(I)));
      continue;
    }
    if (*To == DType::Bool) {
      storeInt(*Result, I, A->floatAt(I) != 0.0);
      continue;
    }
    int64_t V;
    if (A->dtype() == DType::F32) {
      double F = std::trunc(A->floatAt(I));
      if (!(F >= -9.2233720368547758e18 && F < 9.2233720368547758e18))
        return foldError("cannot cast " + std::to_string(A->floatAt(I)) + " to an integer");
      V = int64_t(F);
    } else {
      V = A->intAt(I);
    }
    if (!fitsIn(*To, V))
      return foldError("cannot cast " + llvm::Twine(V) + " to " + dtypeName(*To));
    storeInt(*Result, I, V);
  }
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldConcat(OnnxNodeContext &Ctx) {
  llvm::SmallVector<const ConstTensor *, 4> Parts;
  for (unsigned I = 0; I < Ctx.numInputs(); ++I)
    if (Ctx.hasInput(I))
      Parts.push_back(Ctx.constInput(I).get());
  if (Parts.empty())
    return foldError("Concat needs at least one input");
  const ConstTensor &First = *Parts.front();
  auto Axis = normalizeAxis(Ctx.attrs().getInt("axis", 0), First.rank());
  if (!Axis)
    return Axis.takeError();
  Dims Out(First.dims().begin(), First.dims().end());
  Out[*Axis] = 0;
  for (const ConstTensor *P : Parts) {
    if (P->dtype() != First.dtype() || P->rank() != First.rank())
      return foldError("inputs have different element types or ranks");
    for (unsigned D = 0; D < First.rank(); ++D)
      if (D != *Axis && P->dims()[D] != First.dims()[D])
        return foldError("input shapes " + dimsStr(First.dims()) + " and " +
                         dimsStr(P->dims()) + " differ outside the concatenated axis");
    Out[*Axis] += P->dims()[*Axis];
    if (Out[*Axis] > kMaxFoldElements)
      return false;
  }
  if (!foldableCount(Out))
    return false;
  auto Result = newTensor(First.dtype(), Out);
  int64_t Outer = 1, Inner = dtypeSize(First.dtype());
  for (int64_t D = 0; D < *Axis; ++D)
    Outer *= Out[D];
  for (size_t D = *Axis + 1; D < Out.size(); ++D)
    Inner *= Out[D];
  uint8_t *Dst = mutableData(*Result);
  for (int64_t O = 0; O < Outer; ++O)
    for (const ConstTensor *P : Parts) {
      int64_t Chunk = P->dims()[*Axis] * Inner;
      copyBytes(Dst, P->bytes().data() + O * Chunk, Chunk);
      Dst += Chunk;
    }
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldConstantOfShape(OnnxNodeContext &Ctx) {
  const ConstTensor &Shape = *Ctx.constInput(0);
  if (!isIntegral(Shape.dtype()) || Shape.rank() != 1)
    return foldError("the shape input must be a 1-D int64 tensor");
  std::vector<int64_t> D = Shape.toInts();
  if (llvm::Error E = checkDims(D, DType::F32, "the result"))
    return E;
  if (!foldableCount(D))
    return foldError("the result would have more than " + llvm::Twine(kMaxFoldElements) +
                     " elements, more than qatc computes at import time");
  auto Value = Ctx.tensorAttr("value");
  if (!Value)
    return Value.takeError();
  if (*Value && (*Value)->numElements() != 1)
    return foldError("'value' must hold one element, not " +
                     llvm::Twine((*Value)->numElements()));
  DType Elem = *Value ? (*Value)->dtype() : DType::F32;
  std::vector<uint8_t> Fill(dtypeSize(Elem), 0);
  if (*Value)
    Fill.assign((*Value)->bytes().begin(), (*Value)->bytes().end());
  auto Result = newTensor(Elem, D);
  size_t Size = dtypeSize(Elem);
  for (int64_t I = 0; I < Result->numElements(); ++I)
    std::memcpy(mutableData(*Result) + I * Size, Fill.data(), Size);
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldGather(OnnxNodeContext &Ctx) {
  const ConstTensor &Data = *Ctx.constInput(0), &Indices = *Ctx.constInput(1);
  if (!isIntegral(Indices.dtype()) || Indices.dtype() == DType::Bool)
    return foldError("indices must be integers");
  if (Data.rank() == 0)
    return foldError("cannot gather from a scalar");
  auto Axis = normalizeAxis(Ctx.attrs().getInt("axis", 0), Data.rank());
  if (!Axis)
    return Axis.takeError();
  Dims Out(Data.dims().begin(), Data.dims().begin() + *Axis);
  Out.append(Indices.dims().begin(), Indices.dims().end());
  Out.append(Data.dims().begin() + *Axis + 1, Data.dims().end());
  if (!foldableCount(Out))
    return false;
  int64_t Outer = 1, Inner = dtypeSize(Data.dtype()), Size = Data.dims()[*Axis];
  for (int64_t D = 0; D < *Axis; ++D)
    Outer *= Data.dims()[D];
  for (size_t D = *Axis + 1; D < Data.rank(); ++D)
    Inner *= Data.dims()[D];
  auto Result = newTensor(Data.dtype(), Out);
  uint8_t *Dst = mutableData(*Result);
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t K = 0; K < Indices.numElements(); ++K) {
      int64_t Idx = Indices.intAt(K);
      if (Idx < -Size || Idx >= Size)
        return foldError("index " + llvm::Twine(Idx) + " is out of range for a dim of size " +
                         llvm::Twine(Size));
      if (Idx < 0)
        Idx += Size;
      copyBytes(Dst, Data.bytes().data() + (O * Size + Idx) * Inner, Inner);
      Dst += Inner;
    }
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldRange(OnnxNodeContext &Ctx) {
  const ConstTensor *Start, *Limit, *Delta;
  for (auto [I, What, P] : {std::tuple(0u, "start", &Start), std::tuple(1u, "limit", &Limit),
                            std::tuple(2u, "delta", &Delta)}) {
    auto S = scalarInput(Ctx, I, What);
    if (!S)
      return S.takeError();
    *P = *S;
  }
  DType T = Start->dtype();
  if (Limit->dtype() != T || Delta->dtype() != T ||
      (T != DType::I64 && T != DType::I32 && T != DType::F32))
    return false;
  double S = Start->floatAt(0), L = Limit->floatAt(0), D = Delta->floatAt(0);
  if (D == 0)
    return foldError("'delta' must not be zero");
  double Count = std::max(std::ceil((L - S) / D), 0.0);
  if (T != DType::F32) {
    // Exact integer count (doubles lose precision near the int64 limits).
    __int128 IS = Start->intAt(0), IL = Limit->intAt(0), ID = Delta->intAt(0);
    __int128 Diff = IL - IS;
    __int128 N = ID > 0 ? (Diff > 0 ? (Diff + ID - 1) / ID : 0)
                        : (Diff < 0 ? (-Diff - ID - 1) / -ID : 0);
    Count = double(N);
  }
  if (!(Count <= double(kMaxFoldElements)))
    return foldError("the range would have more than " + llvm::Twine(kMaxFoldElements) +
                     " elements, more than qatc computes at import time");
  auto Result = newTensor(T, {int64_t(Count)});
  for (int64_t I = 0; I < int64_t(Count); ++I) {
    if (T == DType::F32)
      storeFloat(*Result, I, float(S) + float(I) * float(D));
    else
      storeInt(*Result, I, int64_t(__int128(Start->intAt(0)) + __int128(I) * Delta->intAt(0)));
  }
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldReshapeLike(OnnxNodeContext &Ctx) {
  const ConstTensorRef &In = Ctx.constInput(0);
  llvm::StringRef Op = Ctx.proto().op_type();
  Dims Out;
  if (Op == "Reshape") {
    const ConstTensor &Shape = *Ctx.constInput(1);
    if (!isIntegral(Shape.dtype()) || Shape.rank() != 1)
      return foldError("the shape input must be a 1-D int64 tensor");
    bool AllowZero = Ctx.attrs().getInt("allowzero", 0) != 0;
    int Infer = -1;
    int64_t Known = 1;
    for (int64_t I = 0; I < Shape.numElements(); ++I) {
      int64_t D = Shape.intAt(I);
      if (D == 0 && !AllowZero) {
        if (I >= (int64_t)In->rank())
          return foldError("shape entry " + llvm::Twine(I) +
                           " is 0 (copy the input dim) but the input has rank " +
                           llvm::Twine(In->rank()));
        D = In->dims()[I];
      }
      if (D == -1 && Infer < 0)
        Infer = I;
      else if (D < 0)
        return foldError("shape " + dimsStr(Shape.toInts()) + " is invalid");
      else if (__builtin_mul_overflow(Known, D, &Known))
        Known = -1;
      Out.push_back(D);
    }
    bool Fits = Infer >= 0 ? Known > 0 && In->numElements() % Known == 0
                           : Known == In->numElements();
    if (!Fits)
      return foldError("cannot reshape " + dimsStr(In->dims()) + " into " +
                       dimsStr(Shape.toInts()));
    if (Infer >= 0)
      Out[Infer] = In->numElements() / Known;
  } else if (Op == "Flatten") {
    auto Axis = normalizeSplitPoint(Ctx.attrs().getInt("axis", 1), In->rank());
    if (!Axis)
      return Axis.takeError();
    Out = {1, 1};
    for (int64_t D = 0; D < (int64_t)In->rank(); ++D)
      Out[D < *Axis ? 0 : 1] *= In->dims()[D];
  } else if (Op == "Squeeze") {
    auto Axes = Ctx.intsFromAttrOrInput("axes", 1, 13);
    if (!Axes)
      return Axes.takeError();
    llvm::SmallVector<bool, 8> Drop(In->rank(), false);
    for (size_t D = 0; D < In->rank(); ++D)
      Drop[D] = !*Axes && In->dims()[D] == 1;
    for (int64_t A : Axes->value_or(std::vector<int64_t>())) {
      auto N = normalizeAxis(A, In->rank());
      if (!N)
        return N.takeError();
      if (In->dims()[*N] != 1)
        return foldError("cannot squeeze dim " + llvm::Twine(*N) + " of size " +
                         llvm::Twine(In->dims()[*N]));
      Drop[*N] = true;
    }
    for (size_t D = 0; D < In->rank(); ++D)
      if (!Drop[D])
        Out.push_back(In->dims()[D]);
  } else {
    auto Axes = Ctx.intsFromAttrOrInput("axes", 1, 13);
    if (!Axes)
      return Axes.takeError();
    if (!*Axes)
      return foldError("Unsqueeze needs 'axes'");
    int64_t Rank = In->rank() + (*Axes)->size();
    llvm::SmallVector<bool, 8> New(Rank, false);
    for (int64_t A : **Axes) {
      auto N = normalizeAxis(A, Rank);
      if (!N)
        return N.takeError();
      if (New[*N])
        return foldError("'axes' repeats " + llvm::Twine(*N));
      New[*N] = true;
    }
    for (int64_t D = 0, J = 0; D < Rank; ++D)
      Out.push_back(New[D] ? 1 : In->dims()[J++]);
  }
  Ctx.setOutput(0, reshapeView(In, Out));
  return true;
}

llvm::Expected<bool> foldSlice(OnnxNodeContext &Ctx) {
  const ConstTensor &Data = *Ctx.constInput(0);
  int64_t Rank = Data.rank();
  auto Bounds = sliceBounds(Ctx);
  if (!Bounds)
    return Bounds.takeError();
  auto &[Starts, Ends, Axes, Steps] = *Bounds;
  Dims Begin(Rank, 0), Step(Rank, 1), Out(Data.dims().begin(), Data.dims().end());
  for (size_t I = 0; I < Starts.size(); ++I) {
    auto A = normalizeAxis(Axes[I], Rank);
    if (!A)
      return A.takeError();
    int64_t Size = Data.dims()[*A], S = Steps[I];
    if (S == 0 || S == INT64_MIN)
      return foldError("slice step " + llvm::Twine(S) + " is invalid");
    auto Clamp = [Size](int64_t X, int64_t Lo, int64_t Hi) {
      if (X < 0)
        X = X < -Size ? -1 : X + Size;
      return std::min(std::max(X, Lo), Hi);
    };
    int64_t B = S > 0 ? Clamp(Starts[I], 0, Size) : Clamp(Starts[I], 0, Size - 1);
    int64_t E = S > 0 ? Clamp(Ends[I], 0, Size) : Clamp(Ends[I], -1, Size - 1);
    int64_t N = S > 0 ? (E > B ? (E - B + S - 1) / S : 0) : (B > E ? (B - E - S - 1) / -S : 0);
    Begin[*A] = B;
    Step[*A] = N > 1 ? S : 1; // a larger step would only matter past the end
    Out[*A] = N;
  }
  if (!foldableCount(Out))
    return false;
  auto Result = newTensor(Data.dtype(), Out);
  Dims InStrides(Rank, 1);
  for (int64_t I = Rank - 2; I >= 0; --I)
    InStrides[I] = InStrides[I + 1] * Data.dims()[I + 1];
  int64_t Offset = 0;
  Dims Gather(Rank);
  for (int64_t I = 0; I < Rank; ++I) {
    Offset += Begin[I] * InStrides[I];
    Gather[I] = Step[I] * InStrides[I];
  }
  size_t Size = dtypeSize(Data.dtype());
  const uint8_t *Src = Data.bytes().data();
  uint8_t *Dst = mutableData(*Result);
  forEachBroadcast(Out, Gather, Dims(Rank, 0), [&](int64_t O, int64_t I, int64_t) {
    std::memcpy(Dst + O * Size, Src + (Offset + I) * Size, Size);
  });
  Ctx.setOutput(0, Result);
  return true;
}

llvm::Expected<bool> foldTranspose(OnnxNodeContext &Ctx) {
  const ConstTensor &In = *Ctx.constInput(0);
  std::vector<int64_t> Default;
  for (int64_t I = In.rank() - 1; I >= 0; --I)
    Default.push_back(I);
  std::vector<int64_t> Perm = Ctx.attrs().getInts("perm", Default);
  llvm::SmallVector<bool, 8> Seen(In.rank(), false);
  if (Perm.size() != In.rank())
    return foldError("'perm' has " + llvm::Twine(Perm.size()) + " values for a rank-" +
                     llvm::Twine(In.rank()) + " input");
  for (int64_t &P : Perm) {
    auto A = normalizeAxis(P, In.rank(), "'perm' value");
    if (!A)
      return A.takeError();
    if (Seen[*A])
      return foldError("'perm' repeats " + llvm::Twine(*A));
    Seen[*A] = true;
    P = *A;
  }
  if (!foldableCount(In.dims()))
    return false;
  Ctx.setOutput(0, transposeTensor(In, Perm));
  return true;
}

} // namespace qatc
