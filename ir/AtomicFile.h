//===- AtomicFile.h - Writing files and directories atomically ---*- C++ -*-===//
//
// Every output qatc writes (graphs, checkpoints, .npz arrays, reports,
// .mlpackage directories) goes through these two functions. The data is
// written to a temporary beside the target, `.<name>.tmp-<pid>-<random>`
// (same directory, so the final rename stays on one file system), flushed to
// disk and renamed into place: a reader sees either the old output or the
// complete new one, never a half-written one. A failure removes the
// temporary; a process killed outright (SIGKILL, power loss) can leave one,
// and the next write to the same target removes temporaries whose process
// is gone.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_ATOMICFILE_H
#define QATC_IR_ATOMICFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

namespace qatc {

/// Writes whatever Write produces to Path atomically (`-` is stdout). On
/// failure nothing is left at Path (an existing file is kept) and the error
/// names Path.
llvm::Error writeFileAtomically(llvm::StringRef Path,
                                const std::function<llvm::Error(llvm::raw_ostream &)> &Write);

/// Creates the directory Path atomically: Fill populates an empty temporary
/// directory beside Path, which then takes Path's place (an existing
/// directory there is swapped out in one step and removed). On failure
/// nothing changes at Path and the error names it.
llvm::Error
writeDirectoryAtomically(llvm::StringRef Path,
                         const std::function<llvm::Error(llvm::StringRef Dir)> &Fill);

/// Removes temporaries of writes to Path left by processes that no longer
/// run. Returns how many were removed.
unsigned removeStaleTemporaries(llvm::StringRef Path);

} // namespace qatc

#endif // QATC_IR_ATOMICFILE_H
