//===- QirBinary_fuzz.cpp - libFuzzer target for the .qirb reader ---------===//
//
// Feeds arbitrary bytes to readBinaryGraph. The reader must never crash,
// hang or leak; a graph it returns that verifies must round-trip through
// text and binary QIR (tools/fuzz/GraphChecks.h).
//
//===----------------------------------------------------------------------===//
#include "ir/Graph.h"
#include "ir/Verifier.h"
#include "ir/binary/BinaryFormat.h"
#include "tools/fuzz/GraphChecks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Bytes(reinterpret_cast<const char *>(Data), Size);
  auto G = qatc::readBinaryGraph(Bytes, "fuzz.qirb");
  if (!G) {
    llvm::consumeError(G.takeError());
    return 0;
  }
  // The reader promises structure (operands, ops, names); types are the
  // verifier's job.
  if (llvm::Error E = qatc::verify(**G)) {
    llvm::consumeError(std::move(E));
    return 0;
  }
  qatc::fuzz::checkGraph(**G, "QIR binary reader");
  return 0;
}
