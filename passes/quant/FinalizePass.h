//===- FinalizePass.h - The `finalize` pass ---------------------*- C++ -*-===//
//
// `finalize` runs finalizeForDeployment (passes/quant/Finalize.h) in a
// pipeline, e.g. `qatc opt trained.qirb --passes=finalize -o q.qirb`.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_PASSES_QUANT_FINALIZEPASS_H
#define QATC_PASSES_QUANT_FINALIZEPASS_H

#include "passes/Pass.h"

#include <memory>

namespace qatc {

/// Creates the finalize pass (it takes no options).
llvm::Expected<std::unique_ptr<Pass>> createFinalizePass(const PassOptions &Opts);

} // namespace qatc

#endif // QATC_PASSES_QUANT_FINALIZEPASS_H
