//===- Importer.h - Importing model files into QIR --------------*- C++ -*-===//
//
// The entry point of the frontends: picks the importer by file extension
// (`.onnx`; `.pt`, `.pth`, `.torchscript` for TorchScript archives), imports
// into canonical QIR (see docs/frontends.md) and returns a verified graph.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_IMPORTER_H
#define QATC_FRONTEND_IMPORTER_H

#include "ir/Graph.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace qatc {

/// Options shared by every importer.
struct ImportOptions {
  /// Static shapes for model inputs, by input name (`--input-shape
  /// name=1x3x224x224`). They replace dynamic dims; a static dim that
  /// disagrees is an error.
  llvm::StringMap<llvm::SmallVector<int64_t, 4>> InputShapes;
};

/// Parses one `name=1x3x224x224` spec into Opts.InputShapes.
llvm::Error parseInputShapeSpec(llvm::StringRef Spec, ImportOptions &Opts);

/// The model formats qatc imports.
enum class ModelFormat { Onnx, TorchScript };

/// The format implied by Path's extension, or an error naming the path.
llvm::Expected<ModelFormat> modelFormatForPath(llvm::StringRef Path);

/// Imports the model at Path, canonicalizes and verifies it. Errors are one
/// sentence naming the file (and node or op where relevant).
llvm::Expected<std::unique_ptr<Graph>> importModel(llvm::StringRef Path,
                                                   const ImportOptions &Opts = {});

} // namespace qatc

#endif // QATC_FRONTEND_IMPORTER_H
