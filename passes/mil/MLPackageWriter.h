//===- MLPackageWriter.h - Writing .mlpackage directories -------*- C++ -*-===//
//
// writeMLPackage lowers a quantized QIR graph and writes the package:
// Manifest.json, Data/com.apple.CoreML/model.mlmodel (deterministically
// serialized) and weights/weight.bin. The package is written atomically
// (ir/AtomicFile.h: built in a temporary directory beside the target and
// renamed into place), so a failure at any point leaves neither a
// half-written package nor the temporary directory; an existing package at
// the path is replaced only once the new one is complete.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_MLPACKAGEWRITER_H
#define QATC_PASSES_MIL_MLPACKAGEWRITER_H

#include "passes/mil/LowerToMil.h"

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

namespace qatc {
namespace mil {

/// Lowers G for Opts.Target and writes the package at Path (which must end
/// in .mlpackage).
llvm::Error writeMLPackage(const Graph &G, llvm::StringRef Path, const MilOptions &Opts = {});

/// Writes an already lowered model as a package at Path.
llvm::Error writeLoweredPackage(const LoweredModel &M, llvm::StringRef Path);

/// model.mlmodel's bytes: M serialized deterministically (sorted map keys).
std::string serializeModel(const CoreML::Specification::Model &M);

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_MLPACKAGEWRITER_H
