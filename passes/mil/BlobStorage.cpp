//===- BlobStorage.cpp - MIL blob storage version 2 (weight.bin) ----------===//
#include "passes/mil/BlobStorage.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

namespace qatc {
namespace mil {

namespace Spec = CoreML::Specification::MILSpec;

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

void putU32(std::string &S, size_t At, uint32_t V) {
  for (unsigned B = 0; B < 4; ++B)
    S[At + B] = char(V >> (8 * B));
}

void putU64(std::string &S, size_t At, uint64_t V) {
  for (unsigned B = 0; B < 8; ++B)
    S[At + B] = char(V >> (8 * B));
}

uint32_t getU32(llvm::StringRef S, size_t At) {
  uint32_t V = 0;
  for (unsigned B = 0; B < 4; ++B)
    V |= uint32_t(uint8_t(S[At + B])) << (8 * B);
  return V;
}

uint64_t getU64(llvm::StringRef S, size_t At) {
  uint64_t V = 0;
  for (unsigned B = 0; B < 8; ++B)
    V |= uint64_t(uint8_t(S[At + B])) << (8 * B);
  return V;
}

struct Code {
  MilDType T;
  uint32_t Blob;
};

// BlobDataType codes of MIL blob storage (append-only enum).
constexpr Code kCodes[] = {
    {Spec::FLOAT16, 1},  {Spec::FLOAT32, 2},       {Spec::UINT8, 3},       {Spec::INT8, 4},
    {Spec::BFLOAT16, 5}, {Spec::INT16, 6},         {Spec::UINT16, 7},      {Spec::INT4, 8},
    {Spec::UINT1, 9},    {Spec::UINT2, 10},        {Spec::UINT4, 11},      {Spec::UINT3, 12},
    {Spec::UINT6, 13},   {Spec::INT32, 14},        {Spec::UINT32, 15},     {Spec::FLOAT8E4M3FN, 16},
    {Spec::FLOAT8E5M2, 17},
};

} // namespace

std::optional<uint32_t> blobDataType(MilDType T) {
  for (const Code &C : kCodes)
    if (C.T == T)
      return C.Blob;
  return std::nullopt;
}

std::optional<MilDType> milDTypeOfBlob(uint32_t Blob) {
  for (const Code &C : kCodes)
    if (C.Blob == Blob)
      return C.T;
  return std::nullopt;
}

BlobWriter::BlobWriter() : Data(kBlobAlignment, '\0') { putU32(Data, 4, kBlobStorageVersion); }

uint64_t BlobWriter::add(const MilTensor &T) {
  std::optional<uint32_t> Type = blobDataType(T.DType);
  assert(Type && "the tensor's type has no blob data type");
  uint64_t Meta = (Data.size() + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment;
  uint64_t Size = T.byteSize();
  uint64_t Padding = Size * 8 - uint64_t(T.numel()) * dtypeBits(T.DType);
  Data.resize(Meta + kBlobAlignment, '\0');
  putU32(Data, Meta, kBlobSentinel);
  putU32(Data, Meta + 4, *Type);
  putU64(Data, Meta + 8, Size);
  putU64(Data, Meta + 16, Meta + kBlobAlignment);
  putU64(Data, Meta + 24, Padding);
  Data.append(reinterpret_cast<const char *>(T.Bytes.data()), Size);
  putU32(Data, 0, ++Count);
  return Meta;
}

llvm::Expected<BlobReader> BlobReader::create(llvm::StringRef Image, std::string Origin) {
  if (Image.size() < kBlobAlignment)
    return makeError(llvm::formatv("{0}: the file has {1} bytes, fewer than the 64-byte blob "
                                   "storage header; rewrite the package",
                                   Origin, Image.size()));
  uint32_t Version = getU32(Image, 4);
  if (Version != kBlobStorageVersion)
    return makeError(llvm::formatv("{0}: blob storage version {1} is not supported (expected "
                                   "2); rewrite the package with a current writer",
                                   Origin, Version));
  return BlobReader(Image, std::move(Origin), getU32(Image, 0));
}

llvm::Expected<BlobView> BlobReader::read(uint64_t Offset, MilDType Expected,
                                          int64_t Elements) const {
  if (Offset < kBlobAlignment || Offset > Image.size() ||
      Image.size() - Offset < kBlobAlignment)
    return makeError(llvm::formatv("{0}: blob offset {1} is outside the file ({2} bytes); the "
                                   "model refers to weights that are not there",
                                   Origin, Offset, Image.size()));
  if (getU32(Image, Offset) != kBlobSentinel)
    return makeError(llvm::formatv("{0}: no blob metadata (sentinel 0xDEADBEEF) at offset {1}; "
                                   "the model and its weights do not match",
                                   Origin, Offset));
  uint32_t Code = getU32(Image, Offset + 4);
  std::optional<MilDType> T = milDTypeOfBlob(Code);
  if (!T)
    return makeError(llvm::formatv("{0}: blob at offset {1} has unknown data type code {2}",
                                   Origin, Offset, Code));
  if (*T != Expected)
    return makeError(llvm::formatv("{0}: blob at offset {1} holds {2} but the model declares "
                                   "{3}; the model and its weights do not match",
                                   Origin, Offset, dtypeSpelling(*T), dtypeSpelling(Expected)));
  uint64_t Size = getU64(Image, Offset + 8), DataAt = getU64(Image, Offset + 16);
  uint64_t Padding = getU64(Image, Offset + 24);
  if (DataAt > Image.size() || Image.size() - DataAt < Size)
    return makeError(llvm::formatv("{0}: blob at offset {1} declares {2} bytes at offset {3}, "
                                   "past the end of the file ({4} bytes); the file is truncated",
                                   Origin, Offset, Size, DataAt, Image.size()));
  unsigned Bits = dtypeBits(*T);
  if (Padding >= 8 || (Bits >= 8 && Padding != 0) || Size * 8 < Padding ||
      (Size * 8 - Padding) / Bits != uint64_t(Elements) || (Size * 8 - Padding) % Bits != 0)
    return makeError(llvm::formatv("{0}: blob at offset {1} holds {2} bytes ({3} padding bits) "
                                   "but the model declares {4} {5} elements",
                                   Origin, Offset, Size, Padding, Elements, dtypeSpelling(*T)));
  BlobView V;
  V.DType = *T;
  V.Data = llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(Image.data()) + DataAt,
                                   size_t(Size));
  V.PaddingBits = Padding;
  return V;
}

} // namespace mil
} // namespace qatc
