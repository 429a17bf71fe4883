//===- GraphFile.h - Reading and writing graph files by extension -*- C++ -*-===//
//
// `.qir` is the text form, `.qirb` the binary form. Writes are atomic: the
// data goes to a temporary file that is renamed into place, so a failure never
// leaves a half-written file.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_GRAPHFILE_H
#define QATC_IR_GRAPHFILE_H

#include "ir/Graph.h"
#include "ir/text/Printer.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <memory>

namespace qatc {

/// The on-disk forms of a graph.
enum class GraphFormat { Text, Binary };

/// The format implied by a path's extension, or an error naming the path.
llvm::Expected<GraphFormat> graphFormatForPath(llvm::StringRef Path);

/// Reads a graph file (`-` reads text from stdin). Does not verify.
llvm::Expected<std::unique_ptr<Graph>> readGraphFile(llvm::StringRef Path);

/// Writes G to Path (`-` writes text to stdout), atomically.
llvm::Error writeGraphFile(const Graph &G, llvm::StringRef Path, const PrintOptions &Opts = {});

/// Writes whatever Write produces to Path atomically (`-` is stdout). On
/// failure nothing is left at Path and the error names it.
llvm::Error writeFileAtomically(llvm::StringRef Path,
                                const std::function<llvm::Error(llvm::raw_ostream &)> &Write);

} // namespace qatc

#endif // QATC_IR_GRAPHFILE_H
