//===- GraphFile.h - Reading and writing graph files by extension -*- C++ -*-===//
//
// `.qir` is the text form, `.qirb` the binary form. Writes are atomic
// (ir/AtomicFile.h), so a failure never leaves a half-written file.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_GRAPHFILE_H
#define QATC_IR_GRAPHFILE_H

#include "ir/Graph.h"
#include "ir/text/Printer.h"

#include "llvm/Support/Error.h"

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

} // namespace qatc

#endif // QATC_IR_GRAPHFILE_H
