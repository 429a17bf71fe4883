//===- GraphChecks.h - What every fuzz target checks on a graph -*- C++ -*-===//
//
// A graph a parser accepted must verify and survive both serialized forms:
// print(parse(print(G))) == print(G) in text, and the binary form read back
// prints the same text. A failed check prints what differs and aborts, so
// libFuzzer saves the input as a crash.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_TOOLS_FUZZ_GRAPHCHECKS_H
#define QATC_TOOLS_FUZZ_GRAPHCHECKS_H

#include "llvm/Support/Error.h"

namespace qatc {

class Graph;

namespace fuzz {

/// Aborts unless G verifies and round-trips through text and binary.
/// Origin names the parser in the message.
void checkGraph(const Graph &G, const char *Origin);

/// Aborts with Origin and Why (a parser broke one of its own promises).
[[noreturn]] void fail(const char *Origin, const llvm::Twine &Why);

} // namespace fuzz
} // namespace qatc

#endif // QATC_TOOLS_FUZZ_GRAPHCHECKS_H
