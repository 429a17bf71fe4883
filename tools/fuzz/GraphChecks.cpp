//===- GraphChecks.cpp - What every fuzz target checks on a graph ---------===//
//
// Verifier, text round trip and binary round trip for fuzzed graphs.
//
//===----------------------------------------------------------------------===//
#include "tools/fuzz/GraphChecks.h"

#include "ir/Graph.h"
#include "ir/Verifier.h"
#include "ir/binary/BinaryFormat.h"
#include "ir/text/Parser.h"
#include "ir/text/Printer.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

namespace qatc {
namespace fuzz {

void fail(const char *Origin, const llvm::Twine &Why) {
  llvm::errs() << "fuzz check failed (" << Origin << "): " << Why << "\n";
  llvm::errs().flush();
  std::abort();
}

void checkGraph(const Graph &G, const char *Origin) {
  if (llvm::Error E = verify(G))
    fail(Origin, "the accepted graph does not verify: " + llvm::toString(std::move(E)));

  std::string Text = printGraphToString(G);
  auto Reparsed = parseGraph(Text, "printed.qir");
  if (!Reparsed)
    fail(Origin, "the printed graph does not parse: " + llvm::toString(Reparsed.takeError()) +
                     "\n" + Text);
  std::string Again = printGraphToString(**Reparsed);
  if (Again != Text)
    fail(Origin, "printing the re-parsed graph differs:\n" + Text + "\n--- versus ---\n" + Again);

  std::string Binary;
  llvm::raw_string_ostream OS(Binary);
  if (llvm::Error E = writeBinaryGraph(G, OS))
    fail(Origin, "the binary writer refused the graph: " + llvm::toString(std::move(E)));
  OS.flush();
  auto FromBinary = readBinaryGraph(Binary, "written.qirb");
  if (!FromBinary)
    fail(Origin, "the written binary graph does not read back: " +
                     llvm::toString(FromBinary.takeError()));
  std::string FromBinaryText = printGraphToString(**FromBinary);
  if (FromBinaryText != Text)
    fail(Origin, "the binary round trip prints differently:\n" + Text + "\n--- versus ---\n" +
                     FromBinaryText);
}

} // namespace fuzz
} // namespace qatc
