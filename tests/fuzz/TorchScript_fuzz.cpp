//===- TorchScript_fuzz.cpp - libFuzzer target for the TorchScript importer ===//
//
// Writes the input to a file (torch::jit::load reads a path) and imports it
// as a TorchScript zip archive. The importer must never crash, hang or leak;
// a graph it accepts must canonicalize (what importModel runs next), verify
// and round-trip through text and binary QIR (tools/fuzz/GraphChecks.h).
// libtorch itself is not instrumented: its own memory errors are out of
// sight, but its exceptions must all become llvm::Errors.
//
//===----------------------------------------------------------------------===//
#include "frontend/torchscript/TorchScriptImporter.h"
#include "ir/Graph.h"
#include "passes/PassManager.h"
#include "tools/fuzz/GraphChecks.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

static std::string ArchivePath;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  llvm::SmallString<128> Path;
  if (std::error_code EC = llvm::sys::fs::createUniqueDirectory("qatc-fuzz-torchscript", Path)) {
    llvm::errs() << "cannot create a scratch directory: " << EC.message() << "\n";
    std::exit(1);
  }
  ArchivePath = (Path + "/model.pt").str();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(ArchivePath, EC);
    if (EC)
      qatc::fuzz::fail("TorchScript importer", "cannot write " + ArchivePath);
    OS.write(reinterpret_cast<const char *>(Data), Size);
  }
  auto G = qatc::importTorchScriptModel(ArchivePath, {});
  if (!G) {
    llvm::consumeError(G.takeError());
    return 0;
  }
  qatc::PassManager PM;
  PM.VerifyEach = false;
  if (llvm::Error E = PM.addPipeline("canonicalize,dce"))
    qatc::fuzz::fail("TorchScript importer", llvm::toString(std::move(E)));
  if (llvm::Error E = PM.run(**G)) {
    llvm::consumeError(std::move(E));
    return 0;
  }
  qatc::fuzz::checkGraph(**G, "TorchScript importer");
  return 0;
}
