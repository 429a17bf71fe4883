//===- OnnxTensor.cpp - Constant tensors read from ONNX -------------------===//
#include "frontend/onnx/OnnxTensor.h"

#include "frontend/onnx/OnnxExternalData.h"

#include "llvm/Support/SwapByteOrder.h"

#include <cassert>
#include <cstring>

static_assert(llvm::sys::IsLittleEndianHost,
              "ONNX tensors and QIR parameters are little-endian; views assume the host is too");

namespace qatc {

static llvm::Error tensorError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

int64_t ConstTensor::numElements() const {
  int64_t N = 1;
  for (int64_t D : Dims)
    N *= D;
  return N;
}

void ConstTensor::setOwned(std::vector<uint8_t> Data) {
  assert(Data.size() == size_t(numElements()) * dtypeSize(Elem) && "data size mismatch");
  Storage = std::move(Data);
  Bytes = Storage;
  Base.reset();
}

void ConstTensor::setView(llvm::ArrayRef<uint8_t> Data, std::shared_ptr<const ConstTensor> Owner) {
  assert(Data.size() == size_t(numElements()) * dtypeSize(Elem) && "data size mismatch");
  Storage.clear();
  Bytes = Data;
  Base = std::move(Owner);
}

template <typename T> static T load(const uint8_t *P) {
  T V;
  std::memcpy(&V, P, sizeof(T));
  return V;
}

int64_t ConstTensor::intAt(int64_t I) const {
  const uint8_t *P = Bytes.data() + I * dtypeSize(Elem);
  switch (Elem) {
  case DType::I64:
    return load<int64_t>(P);
  case DType::I32:
    return load<int32_t>(P);
  case DType::I8:
    return load<int8_t>(P);
  case DType::U8:
  case DType::Bool:
    return *P;
  case DType::F32:
  case DType::F16:
    break;
  }
  assert(false && "intAt on a float tensor");
  return 0;
}

double ConstTensor::floatAt(int64_t I) const {
  if (Elem == DType::F32)
    return load<float>(Bytes.data() + I * 4);
  return double(intAt(I));
}

std::vector<int64_t> ConstTensor::toInts() const {
  std::vector<int64_t> R(numElements());
  for (int64_t I = 0; I < (int64_t)R.size(); ++I)
    R[I] = intAt(I);
  return R;
}

std::optional<DType> dtypeFromOnnx(int32_t OnnxType) {
  switch (OnnxType) {
  case onnx::TensorProto::FLOAT:
    return DType::F32;
  case onnx::TensorProto::FLOAT16:
    return DType::F16;
  case onnx::TensorProto::INT8:
    return DType::I8;
  case onnx::TensorProto::UINT8:
    return DType::U8;
  case onnx::TensorProto::INT32:
    return DType::I32;
  case onnx::TensorProto::INT64:
    return DType::I64;
  case onnx::TensorProto::BOOL:
    return DType::Bool;
  default:
    return std::nullopt;
  }
}

std::string onnxTypeName(int32_t OnnxType) {
  if (onnx::TensorProto::DataType_IsValid(OnnxType))
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(OnnxType));
  return "unknown type " + std::to_string(OnnxType);
}

llvm::Error checkDims(llvm::ArrayRef<int64_t> Dims, DType Elem, const llvm::Twine &What) {
  // Zero dims are left out of the product so that every partial product of
  // the dims fits in int64 too, even for empty tensors.
  int64_t Bytes = dtypeSize(Elem);
  for (int64_t D : Dims) {
    if (D < 0)
      return tensorError(What + " has a negative dimension " + llvm::Twine(D));
    if (D > kMaxDim)
      return tensorError(What + " has dimension " + llvm::Twine(D) +
                         ", larger than qatc supports (2^30)");
    if (D != 0 && Bytes > INT64_MAX / D)
      return tensorError(What + " declares more elements than fit in memory");
    Bytes *= std::max<int64_t>(D, 1);
  }
  return llvm::Error::success();
}

bool isAnonymousOnnxName(llvm::StringRef Name) { return Name.startswith("onnx::"); }

/// The value of a TensorProto external_data key, or "".
static std::string externalKey(const onnx::TensorProto &T, llvm::StringRef Key) {
  for (const onnx::StringStringEntryProto &E : T.external_data())
    if (E.key() == Key)
      return E.value();
  return "";
}

/// Reads an unsigned decimal external_data value (offset, length).
static llvm::Expected<std::optional<uint64_t>> externalNumber(const onnx::TensorProto &T,
                                                              llvm::StringRef Key,
                                                              const llvm::Twine &What) {
  std::string S = externalKey(T, Key);
  if (S.empty())
    return std::nullopt;
  uint64_t V;
  if (llvm::StringRef(S).getAsInteger(10, V))
    return tensorError(What + " has an invalid external data " + Key + " '" + S + "'");
  return V;
}

/// Views the bytes of a repeated numeric field whose element type is the
/// tensor's own.
template <typename T>
static llvm::ArrayRef<uint8_t> fieldBytes(const google::protobuf::RepeatedField<T> &F) {
  return {reinterpret_cast<const uint8_t *>(F.data()), F.size() * sizeof(T)};
}

llvm::Expected<std::unique_ptr<ConstTensor>>
readTensor(const onnx::TensorProto &T, const llvm::Twine &What, OnnxExternalData &External,
           std::optional<llvm::ArrayRef<uint8_t>> RawData) {
  std::optional<DType> Elem = dtypeFromOnnx(T.data_type());
  if (!Elem)
    return tensorError(What + " has element type " + onnxTypeName(T.data_type()) +
                       ", which qatc does not support (use float32, float16, int8, uint8, "
                       "int32, int64 or bool)");
  llvm::SmallVector<int64_t, 4> Dims(T.dims().begin(), T.dims().end());
  if (llvm::Error E = checkDims(Dims, *Elem, What))
    return E;
  if (T.has_segment())
    return tensorError(What + " is a segment of a larger tensor, which qatc does not support");
  auto R = std::make_unique<ConstTensor>(*Elem, Dims);
  R->Name = T.name();
  uint64_t N = R->numElements(), Size = N * dtypeSize(*Elem);
  auto Mismatch = [&](uint64_t Have, llvm::StringRef Unit) {
    return tensorError(What + " has " + llvm::Twine(Have) + " " + Unit + " of data but its type " +
                       R->type().str() + " needs " +
                       llvm::Twine(Unit == "bytes" ? Size : N));
  };

  if (T.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string Location = externalKey(T, "location");
    auto Offset = externalNumber(T, "offset", What);
    if (!Offset)
      return Offset.takeError();
    auto Length = externalNumber(T, "length", What);
    if (!Length)
      return Length.takeError();
    auto Data = External.read(Location, Offset->value_or(0), *Length, Size, What);
    if (!Data)
      return Data.takeError();
    R->setView(*Data);
    return R;
  }
  if (!RawData && T.has_raw_data())
    RawData = llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(T.raw_data().data()),
                                      T.raw_data().size());
  if (RawData) {
    if (RawData->size() != Size)
      return Mismatch(RawData->size(), "bytes");
    R->setView(*RawData);
    return R;
  }
  switch (*Elem) {
  case DType::F32:
    if ((uint64_t)T.float_data_size() != N)
      return Mismatch(T.float_data_size(), "values");
    R->setView(fieldBytes(T.float_data()));
    break;
  case DType::I64:
    if ((uint64_t)T.int64_data_size() != N)
      return Mismatch(T.int64_data_size(), "values");
    R->setView(fieldBytes(T.int64_data()));
    break;
  case DType::I32:
    if ((uint64_t)T.int32_data_size() != N)
      return Mismatch(T.int32_data_size(), "values");
    R->setView(fieldBytes(T.int32_data()));
    break;
  case DType::F16:
  case DType::I8:
  case DType::U8:
  case DType::Bool: {
    // These narrow types travel widened in int32_data.
    if ((uint64_t)T.int32_data_size() != N)
      return Mismatch(T.int32_data_size(), "values");
    size_t Width = dtypeSize(*Elem);
    std::vector<uint8_t> Data(Size);
    for (uint64_t I = 0; I < N; ++I) {
      uint32_t V = uint32_t(T.int32_data(I));
      if (*Elem == DType::Bool)
        V = V != 0;
      std::memcpy(&Data[I * Width], &V, Width);
    }
    R->setOwned(std::move(Data));
    break;
  }
  }
  return R;
}

} // namespace qatc
