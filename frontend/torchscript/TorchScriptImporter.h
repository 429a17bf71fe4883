//===- TorchScriptImporter.h - Importing TorchScript archives into QIR -*- C++ -*-===//
//
// Loads a traced or scripted .pt archive with libtorch (torch::jit::load),
// walks `forward` through the methods it calls and builds canonical QIR
// (docs/frontends.md). libtorch takes half a second to initialize, so the
// qatc binary does not link it: this library runs inside the
// `qatc-torchscript` helper executable, which `importModel` starts as a
// subprocess (that also keeps a libtorch crash on a corrupt file from taking
// qatc down).
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_TORCHSCRIPT_TORCHSCRIPTIMPORTER_H
#define QATC_FRONTEND_TORCHSCRIPT_TORCHSCRIPTIMPORTER_H

#include "frontend/Importer.h"

namespace qatc {

/// Imports the TorchScript archive at Path in this process. The result is not
/// yet canonicalized or verified.
llvm::Expected<std::unique_ptr<Graph>> importTorchScriptModel(llvm::StringRef Path,
                                                              const ImportOptions &Opts);

} // namespace qatc

#endif // QATC_FRONTEND_TORCHSCRIPT_TORCHSCRIPTIMPORTER_H
