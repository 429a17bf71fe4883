//===- BlobStorage.h - MIL blob storage version 2 (weight.bin) --*- C++ -*-===//
//
// weights/weight.bin holds large constants: a 64-byte header (blob count,
// format version 2), then per blob a 64-byte metadata record (sentinel
// 0xDEADBEEF, blob data type, size, absolute data offset, padding bits) at a
// 64-aligned offset followed by the data. A program refers to a blob by the
// offset of its metadata record. The writer follows coremltools'
// StorageWriter byte for byte; the reader checks every bound before use.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_BLOBSTORAGE_H
#define QATC_PASSES_MIL_BLOBSTORAGE_H

#include "passes/mil/MilTensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace qatc {
namespace mil {

/// The blob metadata sentinel.
inline constexpr uint32_t kBlobSentinel = 0xDEADBEEF;
/// The only storage format version Core ML reads.
inline constexpr uint32_t kBlobStorageVersion = 2;
/// Header, metadata and alignment size.
inline constexpr uint64_t kBlobAlignment = 64;

/// The BlobDataType code of a MIL data type, or none when blobs cannot hold it.
std::optional<uint32_t> blobDataType(MilDType T);
/// The MIL data type of a BlobDataType code, or none for unknown codes.
std::optional<MilDType> milDTypeOfBlob(uint32_t Code);

/// Builds a weight.bin image in memory.
class BlobWriter {
public:
  /// Starts with the header only (count 0, version 2).
  BlobWriter();
  /// Appends T's data as one blob and returns the offset of its metadata
  /// record. T's type must have a blob data type.
  uint64_t add(const MilTensor &T);
  /// Number of blobs written.
  uint32_t count() const { return Count; }
  /// The file image.
  const std::string &bytes() const { return Data; }

private:
  std::string Data;
  uint32_t Count = 0;
};

/// One blob as the reader found it.
struct BlobView {
  MilDType DType;
  llvm::ArrayRef<uint8_t> Data;
  uint64_t PaddingBits = 0;
};

/// Reads blobs from a weight.bin image, checking bounds, sentinel and types.
class BlobReader {
public:
  /// Checks the header of Image (which must outlive the reader); Origin names
  /// the file in messages.
  static llvm::Expected<BlobReader> create(llvm::StringRef Image, std::string Origin);
  /// The blob whose metadata is at Offset; Expected is the MIL type the
  /// referring value declares (a mismatch is an error) and Elements its
  /// element count (the data size must fit it).
  llvm::Expected<BlobView> read(uint64_t Offset, MilDType Expected, int64_t Elements) const;
  /// The blob count from the header.
  uint32_t count() const { return Count; }
  llvm::StringRef origin() const { return Origin; }

private:
  BlobReader(llvm::StringRef Image, std::string Origin, uint32_t Count)
      : Image(Image), Origin(std::move(Origin)), Count(Count) {}
  llvm::StringRef Image;
  std::string Origin;
  uint32_t Count;
};

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_BLOBSTORAGE_H
