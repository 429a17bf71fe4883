//===- OnnxImporter_fuzz.cpp - libFuzzer target for the ONNX importer -----===//
//
// Feeds arbitrary bytes to importOnnxBuffer. The importer must never crash,
// leak or trip a sanitizer; a graph it accepts must pass the verifier.
// External data resolves against a directory that does not exist, so inputs
// cannot make the fuzzer read files. Built and run by fuzz_test.sh.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxImporter.h"
#include "ir/Verifier.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Bytes(reinterpret_cast<const char *>(Data), Size);
  auto G = qatc::importOnnxBuffer(Bytes, "fuzz.onnx", "/nonexistent/qatc-fuzz", {});
  if (!G) {
    llvm::consumeError(G.takeError());
    return 0;
  }
  if (llvm::Error E = qatc::verify(**G)) {
    std::fprintf(stderr, "imported graph does not verify: %s\n",
                 llvm::toString(std::move(E)).c_str());
    std::abort();
  }
  return 0;
}
