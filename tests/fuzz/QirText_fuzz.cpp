//===- QirText_fuzz.cpp - libFuzzer target for the .qir text parser -------===//
//
// Feeds arbitrary text to parseGraphs. The parser must never crash, hang or
// leak; every graph it accepts that also verifies must round-trip through
// text and binary QIR (tools/fuzz/GraphChecks.h).
//
//===----------------------------------------------------------------------===//
#include "ir/Graph.h"
#include "ir/Verifier.h"
#include "ir/text/Parser.h"
#include "tools/fuzz/GraphChecks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Text(reinterpret_cast<const char *>(Data), Size);
  auto Graphs = qatc::parseGraphs(Text, "fuzz.qir");
  if (!Graphs) {
    llvm::consumeError(Graphs.takeError());
    return 0;
  }
  for (const auto &G : *Graphs) {
    // The parser checks syntax and names; types are the verifier's job.
    if (llvm::Error E = qatc::verify(*G)) {
      llvm::consumeError(std::move(E));
      continue;
    }
    qatc::fuzz::checkGraph(*G, "QIR text parser");
  }
  return 0;
}
