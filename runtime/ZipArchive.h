//===- ZipArchive.h - Reading and writing zip archives ----------*- C++ -*-===//
//
// The container of .npz files and training checkpoints. Reading goes through
// libzip (stored and deflated members) with every declared size checked
// before allocation; writing produces stored (uncompressed) archives in
// memory, as numpy.savez does, and lands them atomically.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_ZIPARCHIVE_H
#define QATC_RUNTIME_ZIPARCHIVE_H

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qatc {
namespace runtime {

/// One archive member.
struct ZipMember {
  std::string Name;
  std::string Data;
};

/// The file members of a zip image, in archive order; Origin names the
/// archive in messages.
llvm::Expected<std::vector<ZipMember>> decodeZip(llvm::StringRef Bytes, llvm::StringRef Origin);

/// A stored zip image of Members; fails beyond the 4 GiB / 65535-member limits
/// of zip without zip64.
llvm::Expected<std::string> encodeStoredZip(const std::vector<ZipMember> &Members);

/// Writes Members as a stored zip at Path, atomically.
llvm::Error writeZipFile(llvm::StringRef Path, const std::vector<ZipMember> &Members);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_ZIPARCHIVE_H
