//===- MilValue.cpp - MIL types and values in the protobuf form -----------===//
#include "passes/mil/MilValue.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

namespace qatc {
namespace mil {

namespace Spec = CoreML::Specification::MILSpec;

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// The TensorValue field an element type uses for immediate values.
enum class Field { Floats, Ints, Bools, Strings, LongInts, Doubles, Bytes, None };

Field immediateField(MilDType T) {
  switch (T) {
  case Spec::FLOAT32:
    return Field::Floats;
  case Spec::INT32:
  case Spec::INT16:
  case Spec::UINT16:
    return Field::Ints;
  case Spec::BOOL:
    return Field::Bools;
  case Spec::STRING:
    return Field::Strings;
  case Spec::INT64:
  case Spec::UINT64:
    return Field::LongInts;
  case Spec::FLOAT64:
    return Field::Doubles;
  case Spec::FLOAT16:
  case Spec::INT8:
  case Spec::UINT8:
  case Spec::UINT32:
  case Spec::INT4:
  case Spec::UINT1:
  case Spec::UINT2:
  case Spec::UINT3:
  case Spec::UINT4:
  case Spec::UINT6:
    return Field::Bytes;
  default:
    return Field::None;
  }
}

} // namespace

Spec::ValueType tensorValueType(MilDType T, llvm::ArrayRef<int64_t> Dims) {
  Spec::ValueType VT;
  Spec::TensorType *TT = VT.mutable_tensortype();
  TT->set_datatype(T);
  TT->set_rank(int64_t(Dims.size()));
  for (int64_t D : Dims) {
    Spec::Dimension *Dim = TT->add_dimensions();
    if (D < 0)
      Dim->mutable_unknown()->set_variadic(false);
    else
      Dim->mutable_constant()->set_size(uint64_t(D));
  }
  return VT;
}

bool belongsInBlob(const MilTensor &T, size_t Threshold) {
  switch (T.DType) {
  case Spec::FLOAT16:
  case Spec::FLOAT32:
  case Spec::INT8:
  case Spec::UINT8:
  case Spec::INT4:
  case Spec::UINT4:
    return T.numel() >= int64_t(Threshold);
  default:
    return false;
  }
}

Spec::Value encodeValue(const MilTensor &T, BlobWriter *Blobs) {
  Spec::Value V;
  *V.mutable_type() = tensorValueType(T.DType, T.Shape);
  if (Blobs) {
    Spec::Value::BlobFileValue *B = V.mutable_blobfilevalue();
    B->set_filename(kWeightFileRef);
    B->set_offset(Blobs->add(T));
    return V;
  }
  Spec::TensorValue *TV = V.mutable_immediatevalue()->mutable_tensor();
  int64_t N = T.numel();
  switch (immediateField(T.DType)) {
  case Field::Floats: {
    auto *R = TV->mutable_floats();
    std::vector<float> Fs = T.floatValues();
    R->mutable_values()->Add(Fs.begin(), Fs.end());
    break;
  }
  case Field::Ints: {
    auto *R = TV->mutable_ints();
    for (int64_t X : T.intValues())
      R->add_values(int32_t(X));
    break;
  }
  case Field::Bools: {
    auto *R = TV->mutable_bools();
    for (int64_t I = 0; I < N; ++I)
      R->add_values(T.Bytes[I] != 0);
    break;
  }
  case Field::Strings: {
    auto *R = TV->mutable_strings();
    for (const std::string &S : T.Strings)
      R->add_values(S);
    break;
  }
  case Field::LongInts: {
    auto *R = TV->mutable_longints();
    for (int64_t X : T.intValues())
      R->add_values(X);
    break;
  }
  case Field::Doubles: {
    auto *R = TV->mutable_doubles();
    for (int64_t I = 0; I < N; ++I) {
      double D;
      std::memcpy(&D, &T.Bytes[I * 8], 8);
      R->add_values(D);
    }
    break;
  }
  case Field::Bytes:
    TV->mutable_bytes()->set_values(
        std::string(reinterpret_cast<const char *>(T.Bytes.data()), T.byteSize()));
    break;
  case Field::None:
    break;
  }
  return V;
}

llvm::Expected<TensorTypeInfo> tensorTypeInfo(const Spec::ValueType &T, llvm::StringRef What) {
  if (!T.has_tensortype())
    return makeError(llvm::formatv("{0}: expected a tensor type; qatc reads tensor values only",
                                   What));
  const Spec::TensorType &TT = T.tensortype();
  TensorTypeInfo Info;
  Info.DType = TT.datatype();
  if (TT.rank() < 0)
    return makeError(llvm::formatv("{0}: tensors of variable rank are not supported", What));
  if (TT.rank() != TT.dimensions_size())
    return makeError(llvm::formatv("{0}: the tensor type declares rank {1} but lists {2} "
                                   "dimensions",
                                   What, TT.rank(), TT.dimensions_size()));
  for (const Spec::Dimension &D : TT.dimensions()) {
    if (D.has_constant()) {
      if (D.constant().size() > uint64_t(INT64_MAX / 2))
        return makeError(llvm::formatv("{0}: dimension {1} is too large", What,
                                       D.constant().size()));
      Info.Dims.push_back(int64_t(D.constant().size()));
    } else if (D.has_unknown() && !D.unknown().variadic()) {
      Info.Dims.push_back(kUnknownDim);
    } else {
      return makeError(llvm::formatv("{0}: variadic dimensions are not supported", What));
    }
  }
  return Info;
}

llvm::Expected<MilTensor> decodeValue(const Spec::Value &V, const BlobReader *Blobs,
                                      llvm::StringRef What) {
  auto Info = tensorTypeInfo(V.type(), What);
  if (!Info)
    return Info.takeError();
  MilTensor T;
  T.DType = Info->DType;
  int64_t N = 1;
  for (int64_t D : Info->Dims) {
    if (D < 0)
      return makeError(llvm::formatv("{0}: a constant must have a static shape", What));
    if (D != 0 && N > (int64_t(1) << 40) / D)
      return makeError(llvm::formatv("{0}: the constant is too large", What));
    N *= D;
  }
  T.Shape = Info->Dims;
  if (V.has_blobfilevalue()) {
    if (!Blobs)
      return makeError(llvm::formatv("{0}: refers to weights/weight.bin, which the package "
                                     "lacks",
                                     What));
    llvm::StringRef File = V.blobfilevalue().filename();
    if (!File.endswith("weight.bin"))
      return makeError(llvm::formatv("{0}: refers to blob file '{1}'; only "
                                     "weights/weight.bin is supported",
                                     What, File));
    auto Blob = Blobs->read(V.blobfilevalue().offset(), T.DType, N);
    if (!Blob)
      return makeError(llvm::formatv("{0}: {1}", What, llvm::toString(Blob.takeError())));
    T.Bytes.assign(Blob->Data.begin(), Blob->Data.end());
    return T;
  }
  if (!V.has_immediatevalue() || !V.immediatevalue().has_tensor())
    return makeError(llvm::formatv("{0}: expected an immediate tensor or a blob value", What));
  const Spec::TensorValue &TV = V.immediatevalue().tensor();
  Field F = immediateField(T.DType);
  auto countError = [&](int64_t Got) {
    return makeError(llvm::formatv("{0}: the {1} value holds {2} elements but its type {3} "
                                   "needs {4}",
                                   What, dtypeSpelling(T.DType), Got, dtypeSpelling(T.DType),
                                   N));
  };
  switch (F) {
  case Field::Floats:
    if (!TV.has_floats() || TV.floats().values_size() != N)
      return countError(TV.floats().values_size());
    T = MilTensor::floats(Info->Dims, {TV.floats().values().data(), size_t(N)});
    return T;
  case Field::Ints: {
    if (!TV.has_ints() || TV.ints().values_size() != N)
      return countError(TV.ints().values_size());
    std::vector<int64_t> Vals(TV.ints().values().begin(), TV.ints().values().end());
    return MilTensor::integers(T.DType, Info->Dims, Vals);
  }
  case Field::LongInts: {
    if (!TV.has_longints() || TV.longints().values_size() != N)
      return countError(TV.longints().values_size());
    std::vector<int64_t> Vals(TV.longints().values().begin(), TV.longints().values().end());
    return MilTensor::integers(T.DType, Info->Dims, Vals);
  }
  case Field::Bools: {
    if (!TV.has_bools() || TV.bools().values_size() != N)
      return countError(TV.bools().values_size());
    for (bool B : TV.bools().values())
      T.Bytes.push_back(B ? 1 : 0);
    return T;
  }
  case Field::Strings:
    if (!TV.has_strings() || TV.strings().values_size() != N)
      return countError(TV.strings().values_size());
    T.Strings.assign(TV.strings().values().begin(), TV.strings().values().end());
    return T;
  case Field::Doubles: {
    if (!TV.has_doubles() || TV.doubles().values_size() != N)
      return countError(TV.doubles().values_size());
    T.Bytes.resize(size_t(N) * 8);
    if (N)
      std::memcpy(T.Bytes.data(), TV.doubles().values().data(), size_t(N) * 8);
    return T;
  }
  case Field::Bytes: {
    const std::string &B = TV.bytes().values();
    if (!TV.has_bytes() || B.size() != T.byteSize())
      return makeError(llvm::formatv("{0}: the {1} value holds {2} bytes but its type needs "
                                     "{3}",
                                     What, dtypeSpelling(T.DType), B.size(), T.byteSize()));
    T.Bytes.assign(B.begin(), B.end());
    return T;
  }
  case Field::None:
    break;
  }
  return makeError(llvm::formatv("{0}: values of type {1} are not supported", What,
                                 dtypeSpelling(T.DType)));
}

} // namespace mil
} // namespace qatc
