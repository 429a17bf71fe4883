//===- AtomicFile_test.cpp - Atomic file and directory writes -------------===//
#include "ir/AtomicFile.h"

#include "tests/support/TestHelpers.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

using namespace qatc;

namespace {

/// A fresh directory under the test's temporary directory.
std::string freshDirectory() {
  llvm::SmallString<256> Dir;
  REQUIRE(!llvm::sys::fs::createUniqueDirectory("atomic-file-test", Dir));
  return std::string(Dir);
}

std::string join(llvm::StringRef Dir, llvm::StringRef Name) {
  llvm::SmallString<256> P(Dir);
  llvm::sys::path::append(P, Name);
  return std::string(P);
}

std::string contents(llvm::StringRef Path) {
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  return Buf ? (*Buf)->getBuffer().str() : "<missing>";
}

/// The names in Dir, sorted.
std::vector<std::string> listing(llvm::StringRef Dir) {
  std::vector<std::string> Names;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Dir, EC), End; !EC && It != End; It.increment(EC))
    Names.push_back(llvm::sys::path::filename(It->path()).str());
  std::sort(Names.begin(), Names.end());
  return Names;
}

llvm::Error failure() {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "the writer gave up");
}

/// The pid of a process that has exited.
int deadProcessId() {
  pid_t Child = ::fork();
  if (Child == 0)
    ::_exit(0);
  int Status = 0;
  ::waitpid(Child, &Status, 0);
  return Child;
}

} // namespace

TEST_CASE("a file is written whole and replaces the old one", "[atomic]") {
  std::string Dir = freshDirectory();
  std::string Path = join(Dir, "out.qir");
  REQUIRE_OK(writeFileAtomically(Path, [](llvm::raw_ostream &OS) {
    OS << "first";
    return llvm::Error::success();
  }));
  REQUIRE_OK(writeFileAtomically(Path, [](llvm::raw_ostream &OS) {
    OS << "second";
    return llvm::Error::success();
  }));
  CHECK(contents(Path) == "second");
  CHECK(listing(Dir) == std::vector<std::string>{"out.qir"});
}

TEST_CASE("a failed write keeps the old file and leaves no temporary", "[atomic]") {
  std::string Dir = freshDirectory();
  std::string Path = join(Dir, "out.qir");
  REQUIRE_OK(writeFileAtomically(Path, [](llvm::raw_ostream &OS) {
    OS << "kept";
    return llvm::Error::success();
  }));
  std::string Message = testing::errorText(writeFileAtomically(Path, [](llvm::raw_ostream &OS) {
    OS << "half";
    return failure();
  }));
  CHECK(Message == "cannot write '" + Path + "': the writer gave up");
  CHECK(contents(Path) == "kept");
  CHECK(listing(Dir) == std::vector<std::string>{"out.qir"});
}

TEST_CASE("a file cannot be written into a missing directory", "[atomic]") {
  std::string Path = join(freshDirectory(), "missing/out.qir");
  std::string Message = testing::errorText(writeFileAtomically(Path, [](llvm::raw_ostream &OS) {
    return llvm::Error::success();
  }));
  CHECK(Message == "cannot write '" + Path + "': directory '" + llvm::sys::path::parent_path(Path).str() +
                       "' does not exist; create it first");
}

TEST_CASE("a directory is built aside and swapped in whole", "[atomic]") {
  std::string Dir = freshDirectory();
  std::string Path = join(Dir, "m.mlpackage");
  auto fill = [](llvm::StringRef Text) {
    return [Text](llvm::StringRef Temp) {
      return writeFileAtomically(join(Temp, "a.txt"), [&](llvm::raw_ostream &OS) {
        OS << Text;
        return llvm::Error::success();
      });
    };
  };
  REQUIRE_OK(writeDirectoryAtomically(Path, fill("one")));
  REQUIRE_OK(writeDirectoryAtomically(Path, fill("two")));
  CHECK(contents(join(Path, "a.txt")) == "two");
  CHECK(listing(Dir) == std::vector<std::string>{"m.mlpackage"});

  std::string Message = testing::errorText(writeDirectoryAtomically(Path, [&](llvm::StringRef Temp) {
    REQUIRE_OK(fill("three")(Temp));
    return failure();
  }));
  CHECK(Message == "cannot write '" + Path + "': the writer gave up");
  CHECK(contents(join(Path, "a.txt")) == "two");
  CHECK(listing(Dir) == std::vector<std::string>{"m.mlpackage"});
}

TEST_CASE("temporaries of dead processes are swept, live ones kept", "[atomic]") {
  std::string Dir = freshDirectory();
  std::string Path = join(Dir, "out.qirb");
  std::string Dead = join(Dir, ".out.qirb.tmp-" + std::to_string(deadProcessId()) + "-abcd");
  std::string DeadDir = Dead + "dir";
  std::string Live = join(Dir, ".out.qirb.tmp-" + std::to_string(::getppid()) + "-abcd");
  std::string Other = join(Dir, ".other.qirb.tmp-1-abcd");
  for (const std::string &F : {Dead, Live, Other})
    REQUIRE_OK(writeFileAtomically(F, [](llvm::raw_ostream &) { return llvm::Error::success(); }));
  REQUIRE(!llvm::sys::fs::create_directories(join(DeadDir, "sub")));
  CHECK(removeStaleTemporaries(Path) == 2);
  CHECK(listing(Dir) == std::vector<std::string>{".other.qirb.tmp-1-abcd",
                                                 llvm::sys::path::filename(Live).str()});
}
