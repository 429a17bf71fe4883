//===- Printer.h - Writing QIR graphs as .qir text --------------*- C++ -*-===//
//
// Deterministic printing of the text form; parse(print(G)) prints the same.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_TEXT_PRINTER_H
#define QATC_IR_TEXT_PRINTER_H

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace qatc {

class Graph;

/// How to print a graph.
struct PrintOptions {
  /// Parameters with more elements than this print as `elided`; negative
  /// means print every parameter's data, 0 elides all.
  int64_t ElideParamsAbove = -1;
  /// Print source locations.
  bool PrintLocations = true;
};

/// Prints G in the text form.
void printGraph(const Graph &G, llvm::raw_ostream &OS, const PrintOptions &Opts = {});

/// The text form as a string.
std::string printGraphToString(const Graph &G, const PrintOptions &Opts = {});

/// Prints a node or parameter name with its sigil, quoted when it is not a
/// bare name (`%conv1`, `%"onnx::Conv_3"`).
void printName(llvm::raw_ostream &OS, char Sigil, llvm::StringRef Name);

} // namespace qatc

#endif // QATC_IR_TEXT_PRINTER_H
