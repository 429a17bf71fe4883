//===- PreparePass.h - The `prepare` pass -----------------------*- C++ -*-===//
//
// `prepare{config=FILE}` runs prepareForQAT with the LinearQuantizerConfig
// read from FILE (.json, .yaml or .yml), or with coremltools' defaults when
// no config is given.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_PREPAREPASS_H
#define QATC_PASSES_QUANT_PREPAREPASS_H

#include "passes/Pass.h"

#include <memory>

namespace qatc {

/// Creates the prepare pass; a config file that cannot be read or is invalid
/// is an error here, before any graph is touched.
llvm::Expected<std::unique_ptr<Pass>> createPreparePass(const PassOptions &Opts);

} // namespace qatc

#endif // QATC_PASSES_QUANT_PREPAREPASS_H
