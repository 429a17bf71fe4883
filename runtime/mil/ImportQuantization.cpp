//===- ImportQuantization.cpp - MIL quantization ops to QIR ---------------===//
//
// Core ML semantics of the quantization ops, expressed with QIR ops:
//   quantize(x, s, zp)  = clip(round_half_even(x / s) + zp) to the full
//                         u8/i8 range: QIR div(x, s) then quantize(., 1, zp);
//   dequantize(q, s, zp) = s * (q - zp): QIR dequantize;
//   constexpr_affine_dequantize: dequantize of integer parameters along axis;
//   constexpr_blockwise_shift_scale: dequantize of integer parameters (int4
//   and uint4 widened, bits = 4) when the scale is per tensor or per
//   channel, else folded into an f32 parameter at load time.
//
//===----------------------------------------------------------------------===//
#include "runtime/mil/ImportContext.h"

#include "passes/mil/MilValue.h"

#include "llvm/Support/FormatVariadic.h"

namespace qatc {
namespace mil {

namespace {

bool isFloat(MilDType T) { return T == Spec::FLOAT32 || T == Spec::FLOAT16; }

/// Scale and zero point expanded to one value per channel (Channels = 1 per tensor).
struct ChannelQParams {
  std::vector<float> Scale;
  std::vector<float> ZeroPoint;
  bool IntegerZeroPoint = true;
  std::optional<int64_t> Axis;
};

/// Reads scale (required) and zero point (optional, zeros) for a tensor of
/// Rank dims whose axis has AxisSize elements; a vector scale needs Axis.
llvm::Expected<ChannelQParams> channelQParams(const Spec::Operation &Op, const MilTensor &Scale,
                                              const std::optional<MilTensor> &ZeroPoint,
                                              std::optional<int64_t> Axis,
                                              llvm::ArrayRef<int64_t> Dims) {
  ChannelQParams Q;
  if (!isFloat(Scale.DType))
    return opError(Op, "'scale' must be fp32 or fp16");
  if (Scale.numel() < 1 || (ZeroPoint && ZeroPoint->numel() < 1))
    return opError(Op, "'scale' and 'zero_point' must not be empty");
  if (Scale.Shape.size() > 1 || (ZeroPoint && ZeroPoint->Shape.size() > 1))
    return opError(Op, "'scale' and 'zero_point' must be scalars or vectors");
  int64_t Channels = std::max<int64_t>(Scale.numel(), ZeroPoint ? ZeroPoint->numel() : 1);
  if (Channels > 1 || (Axis && !Scale.Shape.empty())) {
    if (!Axis)
      return opError(Op, "a vector 'scale' or 'zero_point' needs 'axis'");
    int64_t A = *Axis < 0 ? *Axis + int64_t(Dims.size()) : *Axis;
    if (A < 0 || A >= int64_t(Dims.size()))
      return opError(Op, llvm::formatv("'axis' {0} is outside the rank {1}", *Axis,
                                       Dims.size()));
    if (Dims[A] >= 0 && Channels > 1 && Dims[A] != Channels)
      return opError(Op, llvm::formatv("{0} quantization parameters for {1} channels along "
                                       "axis {2}",
                                       Channels, Dims[A], A));
    if (Dims[A] < 0)
      return opError(Op, "the quantization axis must have a static size");
    Channels = Dims[A];
    Q.Axis = A;
  }
  for (const MilTensor *T : {&Scale, ZeroPoint ? &*ZeroPoint : nullptr})
    if (T && T->numel() != 1 && T->numel() != Channels)
      return opError(Op, "'scale' and 'zero_point' must have one value or one per channel");
  std::vector<float> S = Scale.floatValues();
  Q.Scale.assign(size_t(Channels), S[0]);
  if (S.size() > 1)
    Q.Scale = S;
  Q.ZeroPoint.assign(size_t(Channels), 0.0f);
  if (ZeroPoint) {
    std::vector<float> Z;
    if (isFloat(ZeroPoint->DType)) {
      Z = ZeroPoint->floatValues();
      Q.IntegerZeroPoint = false;
    } else if (isIntegerDType(ZeroPoint->DType)) {
      for (int64_t V : ZeroPoint->intValues())
        Z.push_back(float(V));
    } else {
      return opError(Op, "'zero_point' must be an integer or float tensor");
    }
    if (Z.size() == 1)
      Q.ZeroPoint.assign(size_t(Channels), Z[0]);
    else
      Q.ZeroPoint = Z;
  }
  return Q;
}

/// The QIR integer dtype holding MIL integer data of type T (4-bit types widened).
std::optional<std::pair<MilDType, DType>> storageType(MilDType T) {
  switch (T) {
  case Spec::INT8:
  case Spec::INT4:
    return std::make_pair(Spec::INT8, DType::I8);
  case Spec::UINT8:
  case Spec::UINT4:
    return std::make_pair(Spec::UINT8, DType::U8);
  default:
    return std::nullopt;
  }
}

std::vector<int64_t> asIntegers(llvm::ArrayRef<float> V) {
  return std::vector<int64_t>(V.begin(), V.end());
}

/// Emits QIR dequantize(data, scale, zero point) named after Op's output.
llvm::Error emitDequantize(ImportContext &C, const Spec::Operation &Op, const MilTensor &Data,
                           const ChannelQParams &Q) {
  auto Storage = storageType(Data.DType);
  if (!Storage)
    return opError(Op, std::string("integer data of type ") + dtypeSpelling(Data.DType) +
                           " is not supported");
  std::string Out = Op.outputs(0).name();
  int64_t Channels = int64_t(Q.Scale.size());
  TRY(DataNode, C.parameter(Out + ".data", Data));
  TRY(ScaleNode, C.parameter(Out + ".scale", MilTensor::floats({Channels}, Q.Scale)));
  std::vector<int64_t> Zp = asIntegers(Q.ZeroPoint);
  auto [Lo, Hi] = integerRange(Storage->first);
  bool Fits = llvm::all_of(Zp, [&](int64_t V) { return V >= Lo && V <= Hi; });
  TRY(ZpNode, C.parameter(Out + ".zero_point",
                          MilTensor::integers(Fits ? Storage->first : Spec::INT32, {Channels},
                                              Zp)));
  Attrs A;
  if (Q.Axis)
    A.push_back({"axis", *Q.Axis});
  if (isSubByte(Data.DType))
    A.push_back({"bits", int64_t(dtypeBits(Data.DType))});
  return done(C.result(Op, "dequantize", {DataNode, ScaleNode, ZpNode}, std::move(A)));
}

/// Folds scale * (data - offset) with block-wise scale/offset of Data's rank
/// into an f32 parameter named after Op's output.
llvm::Error emitFolded(ImportContext &C, const Spec::Operation &Op, const MilTensor &Data,
                       const MilTensor &Scale, const std::optional<MilTensor> &Offset) {
  size_t R = Data.Shape.size();
  std::vector<float> D = isFloat(Data.DType) ? Data.floatValues() : std::vector<float>();
  if (!isFloat(Data.DType))
    for (int64_t V : Data.intValues())
      D.push_back(float(V));
  std::vector<float> S = Scale.floatValues(), O(size_t(Scale.numel()), 0.0f);
  if (Offset) {
    if (isFloat(Offset->DType)) {
      O = Offset->floatValues();
    } else {
      std::vector<int64_t> Ints = Offset->intValues();
      for (size_t I = 0; I < O.size(); ++I)
        O[I] = float(Ints[I]);
    }
  }
  std::vector<int64_t> Block(R);
  for (size_t I = 0; I < R; ++I)
    Block[I] = Data.Shape[I] / Scale.Shape[I];
  std::vector<float> Out(D.size());
  std::vector<int64_t> Index(R, 0);
  for (size_t E = 0; E < D.size(); ++E) {
    int64_t SIdx = 0;
    for (size_t I = 0; I < R; ++I)
      SIdx = SIdx * Scale.Shape[I] + Index[I] / Block[I];
    Out[E] = (D[E] - O[size_t(SIdx)]) * S[size_t(SIdx)];
    for (size_t I = R; I-- > 0;) {
      if (++Index[I] < Data.Shape[I])
        break;
      Index[I] = 0;
    }
  }
  TRY(N, C.parameter(Op.outputs(0).name(), MilTensor::floats(Data.Shape, Out)));
  C.define(Op.outputs(0).name(), N);
  return llvm::Error::success();
}

/// A constexpr parameter: an attribute (iOS16/17 form) or an input (iOS18 form).
llvm::Expected<std::optional<MilTensor>> constexprParam(ImportContext &C,
                                                        const Spec::Operation &Op,
                                                        llvm::StringRef Name) {
  auto It = Op.attributes().find(Name.str());
  if (It != Op.attributes().end()) {
    auto T = decodeValue(It->second, C.package().blobs(), Name);
    if (!T)
      return opError(Op, llvm::toString(T.takeError()));
    return std::optional<MilTensor>(std::move(*T));
  }
  if (!ImportContext::has(Op, Name))
    return std::optional<MilTensor>();
  auto T = C.constant(Op, Name);
  if (!T)
    return T.takeError();
  return std::optional<MilTensor>(std::move(*T));
}

/// scale, zero_point (of type Quantized, optional) and axis (optional) of an
/// activation quantize or dequantize of a tensor with dims Dims.
llvm::Expected<ChannelQParams> activationQParams(ImportContext &C, const Spec::Operation &Op,
                                                 MilDType Quantized,
                                                 llvm::ArrayRef<int64_t> Dims) {
  TRY(Scale, C.constant(Op, "scale"));
  std::optional<MilTensor> Zp;
  if (ImportContext::has(Op, "zero_point")) {
    TRY(Z, C.constant(Op, "zero_point"));
    Zp = Z;
  }
  std::optional<int64_t> Axis;
  if (ImportContext::has(Op, "axis")) {
    TRY(A, C.intParam(Op, "axis"));
    Axis = A;
  }
  if (Zp && Zp->DType != Quantized)
    return opError(Op, std::string("'zero_point' must be ") + dtypeSpelling(Quantized) +
                           ", the quantized dtype");
  return channelQParams(Op, Scale, Zp, Axis, Dims);
}

llvm::Expected<DType> quantizedDType(const Spec::Operation &Op, llvm::StringRef Spelling) {
  if (Spelling == "uint8")
    return DType::U8;
  if (Spelling == "int8")
    return DType::I8;
  return opError(Op, "'output_dtype' must be \"uint8\" or \"int8\", not \"" + Spelling + "\"");
}

} // namespace

llvm::Error importQuantize(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "input"));
  if (!X->type().hasRank())
    return opError(Op, "the input rank must be known");
  TRY(Spelling, C.stringParam(Op, "output_dtype"));
  TRY(Out, quantizedDType(Op, Spelling));
  MilDType OutMil = Out == DType::U8 ? Spec::UINT8 : Spec::INT8;
  TRY(Q, activationQParams(C, Op, OutMil, X->type().dims()));
  std::string Name = Op.outputs(0).name();
  int64_t Channels = int64_t(Q.Scale.size());
  // The scale broadcast along the axis: [C, 1, ..., 1] (trailing ones).
  std::vector<int64_t> ScaleShape = {Channels};
  if (Q.Axis)
    ScaleShape.resize(X->type().rank() - size_t(*Q.Axis), 1);
  TRY(ScaleNode, C.parameter(Name + ".scale", MilTensor::floats(ScaleShape, Q.Scale)));
  TRY(Scaled, C.call(nullptr, "div", {X, ScaleNode}, {}, Name + ".scaled"));
  TRY(One, C.parameter(Name + ".one",
                       MilTensor::floats({Channels}, std::vector<float>(size_t(Channels), 1.0f))));
  TRY(ZpNode, C.parameter(Name + ".zero_point",
                          MilTensor::integers(OutMil, {Channels}, asIntegers(Q.ZeroPoint))));
  Attrs A = {{"dtype", Out}};
  if (Q.Axis)
    A.push_back({"axis", *Q.Axis});
  return done(C.result(Op, "quantize", {Scaled, One, ZpNode}, std::move(A)));
}

llvm::Error importDequantize(ImportContext &C, const Spec::Operation &Op) {
  TRY(X, C.tensor(Op, "input"));
  DType In = X->type().dtype();
  if (In != DType::U8 && In != DType::I8)
    return opError(Op, "'input' must be uint8 or int8");
  MilDType InMil = In == DType::U8 ? Spec::UINT8 : Spec::INT8;
  TRY(Q, activationQParams(C, Op, InMil, X->type().dims()));
  std::string Name = Op.outputs(0).name();
  int64_t Channels = int64_t(Q.Scale.size());
  TRY(ScaleNode, C.parameter(Name + ".scale", MilTensor::floats({Channels}, Q.Scale)));
  TRY(ZpNode, C.parameter(Name + ".zero_point",
                          MilTensor::integers(InMil, {Channels}, asIntegers(Q.ZeroPoint))));
  Attrs A;
  if (Q.Axis)
    A.push_back({"axis", *Q.Axis});
  return done(C.result(Op, "dequantize", {X, ScaleNode, ZpNode}, std::move(A)));
}

llvm::Error importAffineDequantize(ImportContext &C, const Spec::Operation &Op) {
  if (Op.outputs_size() != 1)
    return opError(Op, "expected one output");
  TRY(Data, constexprParam(C, Op, "quantized_data"));
  TRY(Scale, constexprParam(C, Op, "scale"));
  TRY(Zp, constexprParam(C, Op, "zero_point"));
  TRY(AxisT, constexprParam(C, Op, "axis"));
  if (!Data || !Scale || !Zp || !AxisT)
    return opError(Op, "'quantized_data', 'zero_point', 'scale' and 'axis' are all required");
  if (Data->DType != Spec::INT8 && Data->DType != Spec::UINT8)
    return opError(Op, "'quantized_data' must be int8 or uint8");
  if (!isIntegerDType(AxisT->DType) || AxisT->numel() != 1)
    return opError(Op, "'axis' must be one integer");
  int64_t Axis = AxisT->intValues()[0];
  TRY(Q, channelQParams(Op, *Scale, Zp, Scale->numel() > 1 || Zp->numel() > 1
                                              ? std::optional<int64_t>(Axis)
                                              : std::nullopt,
                        Data->Shape));
  if (!Q.IntegerZeroPoint) {
    // A float zero point: fold scale * (data - zp) at load time.
    std::vector<int64_t> Shape(Data->Shape.size(), 1);
    if (Q.Axis)
      Shape[size_t(*Q.Axis)] = int64_t(Q.Scale.size());
    MilTensor S = MilTensor::floats(Shape, Q.Scale), O = MilTensor::floats(Shape, Q.ZeroPoint);
    return emitFolded(C, Op, *Data, S, O);
  }
  return emitDequantize(C, Op, *Data, Q);
}

llvm::Error importBlockwiseShiftScale(ImportContext &C, const Spec::Operation &Op) {
  if (Op.outputs_size() != 1)
    return opError(Op, "expected one output");
  TRY(Data, constexprParam(C, Op, "data"));
  TRY(Scale, constexprParam(C, Op, "scale"));
  TRY(Offset, constexprParam(C, Op, "offset"));
  if (!Data || !Scale)
    return opError(Op, "'data' and 'scale' are required");
  if (!isFloat(Scale->DType))
    return opError(Op, "'scale' must be fp32 or fp16");
  size_t R = Data->Shape.size();
  if (Scale->Shape.size() != R || (Offset && Offset->Shape != Scale->Shape))
    return opError(Op, "'scale' (and 'offset') must have the rank and shape of the blocks of "
                       "'data'");
  std::vector<size_t> Varying;
  for (size_t I = 0; I < R; ++I) {
    if (Scale->Shape[I] <= 0 || Data->Shape[I] % Scale->Shape[I])
      return opError(Op, llvm::formatv("'scale' dim {0} ({1}) does not divide the data dim "
                                       "({2})",
                                       I, Scale->Shape[I], Data->Shape[I]));
    if (Scale->Shape[I] != 1)
      Varying.push_back(I);
  }
  bool IntegerData = storageType(Data->DType).has_value();
  bool IntegerOffset = !Offset || isIntegerDType(Offset->DType);
  bool PerChannel = Varying.empty() ||
                    (Varying.size() == 1 && Scale->Shape[Varying[0]] == Data->Shape[Varying[0]]);
  if (!IntegerData || !IntegerOffset || !PerChannel)
    return emitFolded(C, Op, *Data, *Scale, Offset);
  // Per tensor or per channel: a QIR dequantize of the integer data.
  MilTensor S = *Scale;
  S.Shape = {Scale->numel()};
  std::optional<MilTensor> O;
  if (Offset) {
    O = *Offset;
    O->Shape = {Offset->numel()};
    // Sub-byte offsets are widened like the data.
    if (isSubByte(O->DType))
      *O = MilTensor::integers(Spec::INT32, O->Shape, Offset->intValues());
  }
  std::optional<int64_t> Axis;
  if (!Varying.empty())
    Axis = int64_t(Varying[0]);
  if (Varying.empty())
    S.Shape.clear(), O ? O->Shape.clear() : void();
  TRY(Q, channelQParams(Op, S, O, Axis, Data->Shape));
  return emitDequantize(C, Op, *Data, Q);
}

} // namespace mil
} // namespace qatc
