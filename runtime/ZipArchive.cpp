//===- ZipArchive.cpp - Reading and writing zip archives ------------------===//

#include "runtime/ZipArchive.h"

#include "ir/AtomicFile.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/FormatVariadic.h"

#include <zip.h>

using namespace qatc;
using namespace qatc::runtime;

static llvm::Error zipError(llvm::StringRef Origin, const llvm::Twine &What) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Origin + ": " + What);
}

llvm::Expected<std::vector<ZipMember>> runtime::decodeZip(llvm::StringRef Bytes,
                                                          llvm::StringRef Origin) {
  zip_error_t Error;
  zip_error_init(&Error);
  zip_source_t *Source = zip_source_buffer_create(Bytes.data(), Bytes.size(), 0, &Error);
  zip_t *Archive = Source ? zip_open_from_source(Source, ZIP_RDONLY, &Error) : nullptr;
  if (!Archive) {
    if (Source)
      zip_source_free(Source);
    std::string Why = zip_error_strerror(&Error);
    zip_error_fini(&Error);
    return zipError(Origin, "not a readable zip archive (" + Why + ")");
  }
  zip_error_fini(&Error);
  auto Close = llvm::make_scope_exit([&] { zip_discard(Archive); });

  std::vector<ZipMember> Members;
  zip_int64_t Entries = zip_get_num_entries(Archive, 0);
  for (zip_int64_t I = 0; I < Entries; ++I) {
    zip_stat_t Stat;
    if (zip_stat_index(Archive, I, 0, &Stat) != 0 || !(Stat.valid & ZIP_STAT_SIZE) ||
        !(Stat.valid & ZIP_STAT_NAME))
      return zipError(Origin, llvm::formatv("archive member {0} is unreadable", I));
    llvm::StringRef Name(Stat.name);
    if (Name.endswith("/"))
      continue;
    // Deflate expands at most about 1032:1, which bounds a truthful size by
    // the compressed size, itself bounded by the archive's; a larger declared
    // size is a lie, refused before allocating.
    if (!(Stat.valid & ZIP_STAT_COMP_SIZE) || Stat.comp_size > Bytes.size() ||
        Stat.size / 1100 > Stat.comp_size + 1)
      return zipError(Origin,
                      llvm::formatv("archive member '{0}' declares an implausible size", Name));
    if (Stat.size > (uint64_t(1) << 36))
      return zipError(Origin, llvm::formatv("archive member '{0}' is larger than 64 GiB", Name));
    ZipMember M{Name.str(), std::string(Stat.size, '\0')};
    zip_file_t *File = zip_fopen_index(Archive, I, 0);
    if (!File)
      return zipError(Origin, llvm::formatv("archive member '{0}' cannot be opened ({1})", Name,
                                            zip_strerror(Archive)));
    zip_int64_t Read = zip_fread(File, M.Data.data(), M.Data.size());
    zip_fclose(File);
    if (Read < 0 || uint64_t(Read) != Stat.size)
      return zipError(Origin, llvm::formatv("archive member '{0}' is truncated or corrupt", Name));
    Members.push_back(std::move(M));
  }
  return Members;
}

namespace {

void put16(std::string &S, uint16_t V) {
  S += char(V & 0xff);
  S += char(V >> 8);
}

void put32(std::string &S, uint32_t V) {
  put16(S, V & 0xffff);
  put16(S, V >> 16);
}

/// The fields shared by a local header and a central directory entry, from
/// "version needed" to the name length.
void putCommonFields(std::string &S, uint32_t Crc, uint32_t Size, uint16_t NameLength) {
  put16(S, 20);   // version needed to extract
  put16(S, 0);    // flags
  put16(S, 0);    // method: stored
  put16(S, 0);    // time
  put16(S, 0x21); // date: 1980-01-01
  put32(S, Crc);
  put32(S, Size); // compressed
  put32(S, Size); // uncompressed
  put16(S, NameLength);
}

} // namespace

llvm::Expected<std::string> runtime::encodeStoredZip(const std::vector<ZipMember> &Members) {
  uint64_t Total = 22;
  for (const ZipMember &M : Members)
    Total += 2 * M.Name.size() + M.Data.size() + 76;
  if (Total >= (uint64_t(1) << 32) || Members.size() >= 0xffff)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the archive would exceed zip's 4 GiB or 65535-member limit");
  std::string Out, Directory;
  for (const ZipMember &M : Members) {
    uint32_t Crc = llvm::crc32(llvm::arrayRefFromStringRef(M.Data));
    uint32_t Offset = Out.size();
    put32(Out, 0x04034b50); // local file header
    putCommonFields(Out, Crc, M.Data.size(), M.Name.size());
    put16(Out, 0); // extra field length
    Out += M.Name;
    Out += M.Data;

    put32(Directory, 0x02014b50); // central directory entry
    put16(Directory, 20);         // version made by
    putCommonFields(Directory, Crc, M.Data.size(), M.Name.size());
    put16(Directory, 0); // extra field length
    put16(Directory, 0); // comment length
    put16(Directory, 0); // disk number
    put16(Directory, 0); // internal attributes
    put32(Directory, 0); // external attributes
    put32(Directory, Offset);
    Directory += M.Name;
  }
  uint32_t DirectoryOffset = Out.size();
  Out += Directory;
  put32(Out, 0x06054b50); // end of central directory
  put16(Out, 0);
  put16(Out, 0);
  put16(Out, Members.size());
  put16(Out, Members.size());
  put32(Out, Directory.size());
  put32(Out, DirectoryOffset);
  put16(Out, 0);
  return Out;
}

llvm::Error runtime::writeZipFile(llvm::StringRef Path, const std::vector<ZipMember> &Members) {
  auto Image = encodeStoredZip(Members);
  if (!Image)
    return zipError(Path, llvm::toString(Image.takeError()));
  return writeFileAtomically(Path, [&](llvm::raw_ostream &OS) {
    OS << *Image;
    return llvm::Error::success();
  });
}
