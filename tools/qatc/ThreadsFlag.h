//===- ThreadsFlag.h - --threads of the commands that run graphs -*- C++ -*-===//
//
// One --threads option, registered with every subcommand that executes a
// graph (train, compile, demo, eval, run, calibrate, report), checked and
// applied in one place.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_TOOLS_QATC_THREADSFLAG_H
#define QATC_TOOLS_QATC_THREADSFLAG_H

#include "llvm/Support/Error.h"

namespace qatc {

/// Applies the running command's --threads: a positive count sets the
/// runtime's threads, 0 (the default) keeps every core, and a negative one
/// is an error saying so.
llvm::Error applyThreadsFlag();

} // namespace qatc

#endif // QATC_TOOLS_QATC_THREADSFLAG_H
