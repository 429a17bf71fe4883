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

/// The training options given on the command line, checked (the error
/// names the option). Also applies --threads.
llvm::Expected<runtime::TrainOptions> trainOptionsFromFlags();

} // namespace qatc

#endif // QATC_TOOLS_QATC_TRAININGFLAGS_H
