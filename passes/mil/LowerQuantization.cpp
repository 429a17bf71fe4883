//===- LowerQuantization.cpp - quantize/dequantize to MIL -----------------===//
//
// Activations: QIR quantize/dequantize become the iOS17 MIL ops with a
// scalar (per tensor) or 1-D (per channel, with axis) scale, the zero point
// cast to the quantized dtype and omitted when all zero (coremltools' torch
// frontend). Weights: a dequantize of three parameters becomes
// constexpr_affine_dequantize (iOS16/17: parameters as attributes, axis
// always present) or constexpr_blockwise_shift_scale (iOS18: parameters as
// literal inputs, scale at the data's rank, offset only when a zero point is
// non-zero, int4/uint4 data when the values fit).
//
//===----------------------------------------------------------------------===//
#include "passes/mil/LoweringContext.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace qatc {
namespace mil {

namespace {

/// The values of an integer (or integral f32) parameter tensor.
llvm::Expected<std::vector<int64_t>> integerValues(const Node &N, const Node &Param,
                                                   const MilTensor &T) {
  if (isIntegerDType(T.DType))
    return T.intValues();
  if (T.DType == Spec::FLOAT32) {
    std::vector<int64_t> Out;
    for (float F : T.floatValues()) {
      if (F != std::nearbyint(F))
        return nodeError(N, llvm::formatv("zero point '{0}' holds {1}, not an integer; Core ML "
                                          "quantized zero points are integers",
                                          Param.name(), F));
      Out.push_back(int64_t(F));
    }
    return Out;
  }
  return nodeError(N, llvm::formatv("zero point '{0}' has type {1}; use an integer dtype",
                                    Param.name(), dtypeSpelling(T.DType)));
}

/// Checks every value of Values fits integer type T.
llvm::Error checkFits(const Node &N, const Node &Param, llvm::ArrayRef<int64_t> Values,
                      MilDType T) {
  auto [Lo, Hi] = integerRange(T);
  for (int64_t V : Values)
    if (V < Lo || V > Hi)
      return nodeError(N, llvm::formatv("'{0}' holds {1}, outside the {2} range [{3}, {4}]",
                                        Param.name(), V, dtypeSpelling(T), Lo, Hi));
  return llvm::Error::success();
}

bool fitsIn(llvm::ArrayRef<int64_t> Values, MilDType T) {
  auto [Lo, Hi] = integerRange(T);
  return llvm::all_of(Values, [&](int64_t V) { return V >= Lo && V <= Hi; });
}

/// Scale and zero point of a quantize/dequantize, read from parameters.
struct QParams {
  std::vector<float> Scale;
  std::vector<int64_t> ZeroPoint;
  /// Normalized axis for per-channel qparams; none per tensor.
  std::optional<int64_t> Axis;
};

llvm::Expected<QParams> readQParams(const Node &N, int64_t InputRank) {
  const Node *S = N.operand(1), *Z = N.operand(2);
  for (const Node *P : {S, Z})
    if (!P->isGetAttr())
      return nodeError(N, llvm::formatv("'{0}' must be a parameter: Core ML quantization "
                                        "parameters are constants",
                                        P->name()));
  auto ST = parameterTensor(*S);
  if (!ST)
    return ST.takeError();
  auto ZT = parameterTensor(*Z);
  if (!ZT)
    return ZT.takeError();
  QParams Q;
  if (ST->DType != Spec::FLOAT32)
    return nodeError(N, "scale '" + S->name() + "' must be f32");
  Q.Scale = ST->floatValues();
  for (float F : Q.Scale)
    if (!(F > 0) || !std::isfinite(F))
      return nodeError(N, llvm::formatv("scale '{0}' holds {1}; scales must be positive and "
                                        "finite",
                                        S->name(), F));
  auto Zp = integerValues(N, *Z, *ZT);
  if (!Zp)
    return Zp.takeError();
  Q.ZeroPoint = std::move(*Zp);
  if (Q.ZeroPoint.size() != Q.Scale.size())
    return nodeError(N, llvm::formatv("scale has {0} values but zero point has {1}",
                                      Q.Scale.size(), Q.ZeroPoint.size()));
  if (Q.Scale.size() > 1) {
    const Attribute *A = N.attr("axis");
    if (!A)
      return nodeError(N, "per-channel scale and zero point need the 'axis' attribute");
    int64_t Axis = A->getInt() < 0 ? A->getInt() + InputRank : A->getInt();
    if (Axis < 0 || Axis >= InputRank)
      return nodeError(N, llvm::formatv("'axis' {0} is outside the rank {1}", A->getInt(),
                                        InputRank));
    Q.Axis = Axis;
  }
  return Q;
}

bool allZero(llvm::ArrayRef<int64_t> V) {
  return llvm::all_of(V, [](int64_t X) { return X == 0; });
}

/// Scale (fp32) and zero point (T) as MIL tensors: scalars per tensor, 1-D per channel.
MilTensor scaleTensor(const QParams &Q) {
  if (!Q.Axis)
    return MilTensor::scalarFloat(Q.Scale[0]);
  return MilTensor::floats({int64_t(Q.Scale.size())}, Q.Scale);
}

MilTensor zeroPointTensor(const QParams &Q, MilDType T) {
  if (!Q.Axis)
    return MilTensor::integers(T, {}, {Q.ZeroPoint[0]});
  return MilTensor::integers(T, {int64_t(Q.ZeroPoint.size())}, Q.ZeroPoint);
}

/// Binds scale, zero_point (unless all zero) and axis (per channel) of an
/// activation quantize/dequantize as const ops.
void bindQParams(OpBuilder &B, const QParams &Q, MilDType ZeroPointType) {
  B.constIn("scale", scaleTensor(Q));
  if (!allZero(Q.ZeroPoint))
    B.constIn("zero_point", zeroPointTensor(Q, ZeroPointType));
  if (Q.Axis)
    B.constIn("axis", MilTensor::scalarInt32(int32_t(*Q.Axis)));
}

/// A weight dequantize as a constexpr op.
llvm::Error lowerConstantDequantize(LoweringContext &L, const Node &N) {
  const Node *DataNode = N.operand(0);
  auto Data = parameterTensor(*DataNode);
  if (!Data)
    return Data.takeError();
  if (Data->DType != Spec::INT8 && Data->DType != Spec::UINT8)
    return nodeError(N, "weight data '" + DataNode->name() +
                            "' must be i8 or u8 for Core ML's constexpr dequantization");
  int64_t Rank = int64_t(Data->Shape.size());
  if (Rank < 1)
    return nodeError(N, "weight data must have rank 1 or more");
  auto Q = readQParams(N, Rank);
  if (!Q)
    return Q.takeError();
  if (Q->Axis && int64_t(Q->Scale.size()) != Data->Shape[*Q->Axis])
    return nodeError(N, llvm::formatv("{0} scales for {1} channels along axis {2}",
                                      Q->Scale.size(), Data->Shape[*Q->Axis], *Q->Axis));
  if (llvm::Error E = checkFits(N, *N.operand(2), Q->ZeroPoint, Data->DType))
    return E;
  int64_t Bits = N.getInt("bits");
  if (Bits != 4 && Bits != 8)
    return nodeError(N, llvm::formatv("'bits' is {0}; Core ML weights are 4 or 8 bits", Bits));
  std::vector<int64_t> Values = Data->intValues();
  bool Signed = Data->DType == Spec::INT8;
  MilDType Narrow = Signed ? Spec::INT4 : Spec::UINT4;
  bool Fits4 = fitsIn(Values, Narrow) && fitsIn(Q->ZeroPoint, Narrow);
  if (Bits == 4 && !Fits4)
    return nodeError(N, llvm::formatv("'bits' is 4 but the data or zero point leaves the {0} "
                                      "range; requantize to 4 bits or set bits = 8",
                                      dtypeSpelling(Narrow)));
  std::string Name = L.freshName(N.name());

  if (!hasBlockwiseShiftScale(L.target())) {
    OpBuilder B(L, "constexpr_affine_dequantize", Name);
    B.attr("quantized_data", *Data)
        .attr("zero_point", zeroPointTensor(*Q, Data->DType))
        .attr("scale", scaleTensor(*Q))
        .attr("axis", MilTensor::scalarInt32(int32_t(Q->Axis.value_or(0))))
        .out(N.type());
    B.emit();
    L.define(&N, Name);
    return llvm::Error::success();
  }

  // iOS18: int4/uint4 storage whenever the values fit (coremltools' rule).
  MilDType Stored = Fits4 ? Narrow : Data->DType;
  MilTensor Stored4 = Fits4 ? MilTensor::integers(Stored, Data->Shape, Values) : *Data;
  llvm::SmallVector<int64_t, 4> QShape(size_t(Rank), 1);
  if (Q->Axis)
    QShape[*Q->Axis] = int64_t(Q->Scale.size());
  OpBuilder B(L, "constexpr_blockwise_shift_scale", Name);
  B.literalIn("data", Stored4).literalIn("scale", MilTensor::floats(QShape, Q->Scale));
  if (!allZero(Q->ZeroPoint))
    B.literalIn("offset", MilTensor::integers(Stored, QShape, Q->ZeroPoint));
  B.out(N.type());
  B.emit();
  L.define(&N, Name);
  return llvm::Error::success();
}

} // namespace

llvm::Error lowerQuantize(LoweringContext &L, const Node &N) {
  DType Out = N.type().dtype();
  if (Out != DType::U8 && Out != DType::I8)
    return unsupported(llvm::formatv("quantizing to {0}; Core ML quantizes to u8 or i8 only",
                                     dtypeName(Out)));
  const Type &In = N.operand(0)->type();
  if (!In.hasRank())
    return nodeError(N, "the input rank must be known");
  auto Q = readQParams(N, In.rank());
  if (!Q)
    return Q.takeError();
  if (llvm::Error E = checkFits(N, *N.operand(2), Q->ZeroPoint, milDType(Out)))
    return E;
  auto X = L.value(N.operand(0));
  if (!X)
    return X.takeError();
  OpBuilder B(L, "quantize", L.freshName(N.name()));
  B.in("input", *X);
  bindQParams(B, *Q, milDType(Out));
  B.constIn("output_dtype", MilTensor::scalarString(Out == DType::U8 ? "uint8" : "int8"));
  B.out(N.type());
  B.emit();
  L.define(&N, B.name());
  return llvm::Error::success();
}

llvm::Error lowerDequantize(LoweringContext &L, const Node &N) {
  if (N.operand(0)->isGetAttr() && N.operand(1)->isGetAttr() && N.operand(2)->isGetAttr())
    return lowerConstantDequantize(L, N);
  DType In = N.operand(0)->type().dtype();
  if (In != DType::U8 && In != DType::I8)
    return unsupported(llvm::formatv("dequantizing {0}; Core ML dequantizes u8 or i8 only",
                                     dtypeName(In)));
  if (N.getInt("bits") != 8)
    return unsupported("activations of fewer than 8 bits do not exist in Core ML");
  const Type &InTy = N.operand(0)->type();
  if (!InTy.hasRank())
    return nodeError(N, "the input rank must be known");
  auto Q = readQParams(N, InTy.rank());
  if (!Q)
    return Q.takeError();
  if (llvm::Error E = checkFits(N, *N.operand(2), Q->ZeroPoint, milDType(In)))
    return E;
  auto X = L.value(N.operand(0));
  if (!X)
    return X.takeError();
  OpBuilder B(L, "dequantize", L.freshName(N.name()));
  B.in("input", *X);
  bindQParams(B, *Q, milDType(In));
  B.out(N.type());
  B.emit();
  L.define(&N, B.name());
  return llvm::Error::success();
}

} // namespace mil
} // namespace qatc
