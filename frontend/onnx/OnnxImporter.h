//===- OnnxImporter.h - Importing ONNX models into QIR ----------*- C++ -*-===//
//
// Reads a .onnx file (with external data files, opsets 11 to 17) through
// Debian's libonnx protobufs and builds canonical QIR (docs/frontends.md).
// Node K of graph.node (1-based) gives its QIR nodes loc("<path>":K:1).
// Initializers are read when a node uses them, so an unused one is never
// checked. Every failure is one sentence starting with the file path;
// unsupported op types are all listed in one error.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXIMPORTER_H
#define QATC_FRONTEND_ONNX_ONNXIMPORTER_H

#include "frontend/Importer.h"

namespace qatc {

/// Imports the ONNX model at Path. The result is not yet canonicalized or
/// verified (importModel does both).
llvm::Expected<std::unique_ptr<Graph>> importOnnxModel(llvm::StringRef Path,
                                                       const ImportOptions &Opts);

/// Imports an ONNX model from bytes already in memory (fuzzing, tests);
/// external data is resolved relative to BaseDir. Name is used in messages.
llvm::Expected<std::unique_ptr<Graph>> importOnnxBuffer(llvm::StringRef Bytes,
                                                        llvm::StringRef Name,
                                                        llvm::StringRef BaseDir,
                                                        const ImportOptions &Opts);

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXIMPORTER_H
