//===- TrainingFlags.h - Training options shared by train and compile -*- C++ -*-===//
//
// `qatc train` and `qatc compile` take the same training options (loss,
// optimizer, learning rate and schedule, batch size, run length, seed,
// threads); they are defined once here and registered under both
// subcommands, and turned into runtime::TrainOptions with one validation.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_TOOLS_QATC_TRAININGFLAGS_H
#define QATC_TOOLS_QATC_TRAININGFLAGS_H

#include "runtime/Trainer.h"

#include "llvm/Support/Error.h"

namespace qatc {

/// The training options given on the command line, checked. Also applies
/// --threads.
llvm::Expected<runtime::TrainOptions> trainOptionsFromFlags();

/// Checks the flags that do not depend on the data (before anything is
/// loaded), so that a bad value fails fast.
llvm::Error checkTrainingFlags();

} // namespace qatc

#endif // QATC_TOOLS_QATC_TRAININGFLAGS_H
