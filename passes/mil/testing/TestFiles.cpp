//===- TestFiles.cpp - Files and directories for the export tests ---------===//
#include "passes/mil/testing/TestFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <catch2/catch.hpp>

#include <cstdlib>

namespace qatc {
namespace mil {
namespace testing {

std::string freshDir(llvm::StringRef Name) {
  const char *Tmp = std::getenv("TEST_TMPDIR");
  std::string P = joinPath(Tmp ? Tmp : "/tmp", Name);
  llvm::sys::fs::remove_directories(P);
  REQUIRE(!llvm::sys::fs::create_directories(P));
  return P;
}

std::string joinPath(llvm::StringRef A, llvm::StringRef B) {
  llvm::SmallString<256> P(A);
  llvm::sys::path::append(P, B);
  return std::string(P);
}

std::string readFile(llvm::StringRef Path) {
  auto B = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  INFO("reading " << Path.str());
  REQUIRE(B);
  return (*B)->getBuffer().str();
}

void writeFile(llvm::StringRef Path, llvm::StringRef Bytes) {
  std::error_code EC;
  llvm::raw_fd_ostream OS(Path, EC);
  INFO("writing " << Path.str());
  REQUIRE(!EC);
  OS << Bytes;
}

} // namespace testing
} // namespace mil
} // namespace qatc
