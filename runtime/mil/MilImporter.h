//===- MilImporter.h - An ML Program as an executable QIR graph -*- C++ -*-===//
//
// The reference executor of Core ML programs: the `main` function of an
// opened .mlpackage is converted into a QIR graph that the runtime's
// Executor runs. MIL float ops become the QIR ops with the same semantics,
// const ops become parameters, constexpr weight ops become dequantize of
// integer parameters (or a folded f32 parameter for block-wise scales),
// and quantize/dequantize follow Core ML: quantize(x, s, zp) is
// clip(round_half_even(x / s) + zp), computed as div(x, s) followed by a QIR
// quantize with scale 1 (QIR's quantize multiplies by 1/s, as torch does).
// docs/coreml.md lists every op and the few decompositions it recognises.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_RUNTIME_MIL_MILIMPORTER_H
#define QATC_RUNTIME_MIL_MILIMPORTER_H

#include "runtime/mil/MLPackageReader.h"

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace qatc {
namespace mil {

/// Converts P's `main` function to a verified QIR graph. Node names are the
/// MIL value names, so the graph's inputs and outputs are named like the
/// model's features. Ops the executor does not know are all listed in one error.
llvm::Expected<std::unique_ptr<Graph>> importMilProgram(const MLPackage &P);

/// readMLPackage + importMilProgram; errors are prefixed with Path.
llvm::Expected<std::unique_ptr<Graph>> loadMLPackageGraph(llvm::StringRef Path);

} // namespace mil
} // namespace qatc

#endif // QATC_RUNTIME_MIL_MILIMPORTER_H
