//===- MLPackageReader.h - Reading .mlpackage directories -------*- C++ -*-===//
//
// Opens an .mlpackage the way Core ML's package reader does: Manifest.json
// (supported version, complete items whose paths exist, a root model), the
// root model.mlmodel parsed as a Core ML Model holding an ML Program with a
// matched specification version and opset, and weights/weight.bin (next to
// the model file, i.e. `@model_path/weights/weight.bin`) with its header
// checked. Blob references are resolved later, each with bounds checks.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_RUNTIME_MIL_MLPACKAGEREADER_H
#define QATC_RUNTIME_MIL_MLPACKAGEREADER_H

#include "passes/mil/BlobStorage.h"

#include "proto/coreml/Model.pb.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>

namespace qatc {
namespace mil {

/// An opened package.
struct MLPackage {
  /// The package directory as given.
  std::string Path;
  CoreML::Specification::Model Model;
  /// The `main` function and its active block.
  const CoreML::Specification::MILSpec::Function *Main = nullptr;
  const CoreML::Specification::MILSpec::Block *Block = nullptr;
  /// weight.bin, when the package has one.
  std::unique_ptr<llvm::MemoryBuffer> WeightFile;
  std::optional<BlobReader> Blobs;

  /// The blob reader, or null when there is no weight file.
  const BlobReader *blobs() const { return Blobs ? &*Blobs : nullptr; }
};

/// Opens the package at Path. Errors name the file and say what is wrong.
llvm::Expected<std::unique_ptr<MLPackage>> readMLPackage(llvm::StringRef Path);

/// True when Path names an .mlpackage (by its extension, ignoring a trailing slash).
bool isMLPackagePath(llvm::StringRef Path);

} // namespace mil
} // namespace qatc

#endif // QATC_RUNTIME_MIL_MLPACKAGEREADER_H
