//===- OnnxImporter_fuzz.cpp - libFuzzer target for the ONNX importer -----===//
//
// Feeds arbitrary bytes to importOnnxBuffer. The importer must never crash,
// leak or trip a sanitizer; a graph it accepts must verify and round-trip
// through text and binary QIR (tools/fuzz/GraphChecks.h). External data
// resolves against a directory that does not exist, so inputs cannot make
// the fuzzer read files. Built and run by qatc_fuzz_test (tools/fuzz/fuzz.bzl).
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxImporter.h"
#include "tools/fuzz/GraphChecks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Bytes(reinterpret_cast<const char *>(Data), Size);
  auto G = qatc::importOnnxBuffer(Bytes, "fuzz.onnx", "/nonexistent/qatc-fuzz", {});
  if (!G) {
    llvm::consumeError(G.takeError());
    return 0;
  }
  qatc::fuzz::checkGraph(**G, "ONNX importer");
  return 0;
}
