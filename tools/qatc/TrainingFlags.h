//===- TrainingFlags.h - Training options shared by train and compile -*- C++ -*-===//
//
// `qatc train` and `qatc compile` take the same training options (loss,
// optimizer, learning rate and schedule, batch size, run length, seed);
// they are defined once here and registered under both subcommands, and
// turned into runtime::TrainOptions with one validation. (--threads, which
// more commands take, is ThreadsFlag.h's.)
//
//===----------------------------------------------------------------------===//

#ifndef QATC_TOOLS_QATC_TRAININGFLAGS_H
#define QATC_TOOLS_QATC_TRAININGFLAGS_H

#include "runtime/Trainer.h"

#include "llvm/Support/Error.h"

namespace qatc {

/// The training options given on the command line, checked (the error
/// names the option).
llvm::Expected<runtime::TrainOptions> trainOptionsFromFlags();

} // namespace qatc

#endif // QATC_TOOLS_QATC_TRAININGFLAGS_H
