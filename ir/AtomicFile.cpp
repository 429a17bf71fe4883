//===- AtomicFile.cpp - Writing files and directories atomically ----------===//
#include "ir/AtomicFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace qatc {

namespace {

llvm::Error writeError(llvm::StringRef Path, const llvm::Twine &Why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot write '" + Path + "': " + Why);
}

/// The directory holding Path ("." for a bare name).
std::string parentDirectory(llvm::StringRef Path) {
  llvm::StringRef Parent = llvm::sys::path::parent_path(Path);
  return Parent.empty() ? std::string(".") : Parent.str();
}

/// `<dir>/.<name>.tmp-`: what every temporary for Path starts with.
std::string temporaryStem(llvm::StringRef Path) {
  llvm::SmallString<256> Stem(parentDirectory(Path));
  llvm::sys::path::append(Stem, "." + llvm::sys::path::filename(Path).str() + ".tmp-");
  return std::string(Stem);
}

/// `<stem><pid>`, the prefix of this process's temporaries for Path.
std::string temporaryPrefix(llvm::StringRef Path) {
  return temporaryStem(Path) + std::to_string(llvm::sys::Process::getProcessId());
}

/// Whether the process Pid is gone (not merely someone else's).
bool processIsGone(long Pid) { return ::kill(static_cast<pid_t>(Pid), 0) != 0 && errno == ESRCH; }

/// Flushes the file at Path to disk; errors are ignored (the rename still
/// protects against a killed process).
void syncFile(llvm::StringRef Path) {
  int FD = ::open(Path.str().c_str(), O_RDONLY | O_CLOEXEC);
  if (FD < 0)
    return;
  ::fsync(FD);
  ::close(FD);
}

/// Swaps the directories From and To in one step (Linux renameat2
/// RENAME_EXCHANGE); false where the file system cannot.
bool exchangeDirectories(llvm::StringRef From, llvm::StringRef To) {
#ifdef RENAME_EXCHANGE
  return ::renameat2(AT_FDCWD, From.str().c_str(), AT_FDCWD, To.str().c_str(),
                     RENAME_EXCHANGE) == 0;
#else
  return false;
#endif
}

/// An error unless the directory that will hold Path exists.
llvm::Error checkParentDirectory(llvm::StringRef Path) {
  std::string Parent = parentDirectory(Path);
  if (llvm::sys::fs::is_directory(Parent))
    return llvm::Error::success();
  return writeError(Path, "directory '" + Parent + "' does not exist; create it first");
}

} // namespace

unsigned removeStaleTemporaries(llvm::StringRef Path) {
  std::string Stem = temporaryStem(Path);
  llvm::StringRef StemName = llvm::sys::path::filename(Stem);
  unsigned Removed = 0;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(parentDirectory(Path), EC), End; !EC && It != End;
       It.increment(EC)) {
    llvm::StringRef Name = llvm::sys::path::filename(It->path());
    if (!Name.consume_front(StemName))
      continue;
    long Pid = 0;
    if (Name.consumeInteger(10, Pid) || !Name.startswith("-") || !processIsGone(Pid))
      continue;
    std::error_code Gone = llvm::sys::fs::is_directory(It->path())
                               ? llvm::sys::fs::remove_directories(It->path())
                               : llvm::sys::fs::remove(It->path());
    if (!Gone)
      ++Removed;
  }
  return Removed;
}

llvm::Error writeFileAtomically(llvm::StringRef Path,
                                const std::function<llvm::Error(llvm::raw_ostream &)> &Write) {
  if (Path == "-") {
    if (llvm::Error E = Write(llvm::outs()))
      return E;
    llvm::outs().flush();
    return llvm::Error::success();
  }
  if (llvm::Error E = checkParentDirectory(Path))
    return E;
  removeStaleTemporaries(Path);
  int FD = -1;
  llvm::SmallString<256> Temp;
  if (std::error_code EC =
          llvm::sys::fs::createUniqueFile(temporaryPrefix(Path) + "-%%%%%%%%", FD, Temp))
    return writeError(Path, "cannot create a temporary file beside it (" + EC.message() + ")");
  llvm::sys::RemoveFileOnSignal(Temp);
  auto discard = [&](llvm::Error E) {
    llvm::sys::fs::remove(Temp);
    llvm::sys::DontRemoveFileOnSignal(Temp);
    return E;
  };
  {
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    if (llvm::Error E = Write(OS)) {
      OS.close();
      OS.clear_error();
      return discard(writeError(Path, llvm::toString(std::move(E))));
    }
    OS.flush();
    std::error_code Sync;
    if (!OS.has_error() && ::fsync(FD) != 0 && errno != EINVAL)
      Sync = std::error_code(errno, std::generic_category());
    OS.close();
    if (OS.has_error() || Sync) {
      std::string Why = OS.has_error() ? OS.error().message() : Sync.message();
      OS.clear_error();
      return discard(writeError(Path, Why));
    }
  }
  if (std::error_code EC = llvm::sys::fs::rename(Temp, Path))
    return discard(writeError(Path, EC.message()));
  llvm::sys::DontRemoveFileOnSignal(Temp);
  return llvm::Error::success();
}

llvm::Error
writeDirectoryAtomically(llvm::StringRef Path,
                         const std::function<llvm::Error(llvm::StringRef Dir)> &Fill) {
  if (llvm::Error E = checkParentDirectory(Path))
    return E;
  removeStaleTemporaries(Path);
  llvm::SmallString<256> Temp;
  if (std::error_code EC = llvm::sys::fs::createUniqueDirectory(temporaryPrefix(Path), Temp))
    return writeError(Path, "cannot create a temporary directory beside it (" + EC.message() +
                                ")");
  auto discard = [&](llvm::Error E) {
    llvm::sys::fs::remove_directories(Temp, /*IgnoreErrors=*/true);
    return E;
  };
  // Unique directories are private; the result gets mkdir's usual mode.
  llvm::sys::fs::setPermissions(
      Temp, static_cast<llvm::sys::fs::perms>(llvm::sys::fs::all_all & ~llvm::sys::fs::getUmask()));
  if (llvm::Error E = Fill(Temp))
    return discard(writeError(Path, llvm::toString(std::move(E))));
  std::error_code EC;
  for (llvm::sys::fs::recursive_directory_iterator It(Temp, EC), End; !EC && It != End;
       It.increment(EC))
    if (It->type() == llvm::sys::fs::file_type::regular_file)
      syncFile(It->path());

  bool Existed = llvm::sys::fs::is_directory(Path);
  if (Existed && exchangeDirectories(Temp, Path))
    return discard(llvm::Error::success()); // Temp now holds the old directory.
  if (Existed) {
    // No atomic exchange here: move the old directory aside first (it is a
    // temporary from then on, so a kill in between leaves it to be swept).
    llvm::SmallString<256> Old;
    if (std::error_code EC = llvm::sys::fs::createUniqueDirectory(temporaryPrefix(Path), Old))
      return discard(writeError(Path, EC.message()));
    llvm::sys::fs::remove(Old);
    if (std::error_code EC = llvm::sys::fs::rename(Path, Old))
      return discard(writeError(Path, "cannot move the existing directory aside (" +
                                          EC.message() + ")"));
    if (std::error_code EC = llvm::sys::fs::rename(Temp, Path)) {
      llvm::sys::fs::rename(Old, Path);
      return discard(writeError(Path, EC.message()));
    }
    llvm::sys::fs::remove_directories(Old, /*IgnoreErrors=*/true);
    return llvm::Error::success();
  }
  if (std::error_code EC = llvm::sys::fs::rename(Temp, Path))
    return discard(writeError(Path, EC.message() + (llvm::sys::fs::exists(Path)
                                                        ? "; a file of that name is in the way"
                                                        : "")));
  return llvm::Error::success();
}

} // namespace qatc
