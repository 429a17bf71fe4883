//===- Parser.h - Reading QIR graphs from .qir text -------------*- C++ -*-===//
//
// Parses the text form printed by Printer.h. Errors are one sentence with
// `file:line:col`. The parser checks syntax, names and op existence; run
// verify() for types and structure.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_TEXT_PARSER_H
#define QATC_IR_TEXT_PARSER_H

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace qatc {

/// Parses exactly one graph. BufferName is used in messages; FirstLine is the
/// line number of the buffer's first line (for split input files).
llvm::Expected<std::unique_ptr<Graph>> parseGraph(llvm::StringRef Buffer,
                                                  llvm::StringRef BufferName,
                                                  uint32_t FirstLine = 1);

/// Parses every graph in the buffer (one or more).
llvm::Expected<std::vector<std::unique_ptr<Graph>>>
parseGraphs(llvm::StringRef Buffer, llvm::StringRef BufferName, uint32_t FirstLine = 1);

} // namespace qatc

#endif // QATC_IR_TEXT_PARSER_H
