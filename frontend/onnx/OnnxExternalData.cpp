//===- OnnxExternalData.cpp - Tensor data stored beside an ONNX model -----===//
#include "frontend/onnx/OnnxExternalData.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

namespace qatc {

static llvm::Error externalError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

llvm::Expected<const llvm::MemoryBuffer *> OnnxExternalData::open(llvm::StringRef Location,
                                                                  const llvm::Twine &What) {
  auto It = Files.find(Location);
  if (It != Files.end())
    return It->second.get();
  // Like onnx.checker: data files must sit inside the model's directory.
  bool Escapes = llvm::sys::path::is_absolute(Location) ||
                 llvm::any_of(llvm::make_range(llvm::sys::path::begin(Location),
                                               llvm::sys::path::end(Location)),
                              [](llvm::StringRef C) { return C == ".."; });
  if (Location.empty() || Escapes)
    return externalError(What + " has external data location '" + Location +
                         "', which is not a path inside the model's directory");
  llvm::SmallString<256> Path(BaseDir);
  llvm::sys::path::append(Path, Location);
  llvm::sys::fs::file_status Status;
  if (std::error_code EC = llvm::sys::fs::status(Path, Status))
    return externalError(What + " stores its data in '" + Path +
                         "', which cannot be read: " + EC.message() +
                         "; keep the data file next to the model");
  if (!llvm::sys::fs::is_regular_file(Status))
    return externalError(What + " stores its data in '" + Path +
                         "', which is not a regular file");
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf)
    return externalError(What + " stores its data in '" + Path +
                         "', which cannot be read: " + Buf.getError().message());
  const llvm::MemoryBuffer *Result = Buf->get();
  Files[Location] = std::move(*Buf);
  return Result;
}

llvm::Expected<llvm::ArrayRef<uint8_t>>
OnnxExternalData::read(llvm::StringRef Location, uint64_t Offset,
                       std::optional<uint64_t> Length, uint64_t Size, const llvm::Twine &What) {
  if (Length && *Length != Size)
    return externalError(What + " declares " + llvm::Twine(*Length) +
                         " bytes of external data but its type needs " + llvm::Twine(Size));
  auto Buf = open(Location, What);
  if (!Buf)
    return Buf.takeError();
  uint64_t FileSize = (*Buf)->getBufferSize();
  if (Offset > FileSize || Size > FileSize - Offset)
    return externalError(What + " reads bytes " + llvm::Twine(Offset) + " to " +
                         llvm::Twine(Offset + Size) + " of '" + Location +
                         "', but the file has only " + llvm::Twine(FileSize) + " bytes");
  const auto *Start = reinterpret_cast<const uint8_t *>((*Buf)->getBufferStart());
  return llvm::ArrayRef<uint8_t>(Start + Offset, Size);
}

} // namespace qatc
