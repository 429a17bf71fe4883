//===- MLPackage_fuzz.cpp - libFuzzer target for the .mlpackage reader ----===//
//
// The input is split into a package's two variable files: a 4-byte
// little-endian length N, N bytes of Data/com.apple.CoreML/model.mlmodel,
// and the rest as weights/weight.bin (absent when empty). They are written
// under a fixed valid Manifest.json and read back with readMLPackage and
// importMilProgram. The reader must never crash, hang or leak; a graph it
// returns must verify and round-trip through text and binary QIR
// (tools/fuzz/GraphChecks.h). tests/fuzz/make_seeds.sh writes seeds in this
// form.
//
//===----------------------------------------------------------------------===//
#include "passes/mil/PackageLayout.h"
#include "runtime/mil/MLPackageReader.h"
#include "runtime/mil/MilImporter.h"
#include "tools/fuzz/GraphChecks.h"

#include "ir/Graph.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

static std::string PackageDir;

static std::string inPackage(const char *Relative) {
  llvm::SmallString<128> P(PackageDir);
  llvm::sys::path::append(P, Relative);
  return P.str().str();
}

static void writeFile(const std::string &Path, llvm::StringRef Bytes) {
  std::error_code EC;
  llvm::raw_fd_ostream OS(Path, EC);
  if (EC)
    qatc::fuzz::fail(".mlpackage reader", "cannot write " + Path);
  OS << Bytes;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  llvm::SmallString<128> Dir;
  if (std::error_code EC = llvm::sys::fs::createUniqueDirectory("qatc-fuzz-mlpackage", Dir)) {
    llvm::errs() << "cannot create a scratch directory: " << EC.message() << "\n";
    std::exit(1);
  }
  llvm::sys::path::append(Dir, "fuzz.mlpackage");
  PackageDir = Dir.str().str();
  if (llvm::sys::fs::create_directories(inPackage(qatc::mil::kWeightsDir))) {
    llvm::errs() << "cannot create " << PackageDir << "\n";
    std::exit(1);
  }
  writeFile(inPackage(qatc::mil::kManifestFile),
            qatc::mil::manifestJson(qatc::mil::identifierFromSeed("model"),
                                    qatc::mil::identifierFromSeed("weights")));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  if (Size < 4)
    return 0;
  size_t ModelSize = size_t(Data[0]) | size_t(Data[1]) << 8 | size_t(Data[2]) << 16 |
                     size_t(Data[3]) << 24;
  llvm::StringRef Rest(reinterpret_cast<const char *>(Data) + 4, Size - 4);
  if (ModelSize > Rest.size())
    ModelSize = Rest.size();
  writeFile(inPackage(qatc::mil::kModelFile), Rest.take_front(ModelSize));
  std::string WeightPath = inPackage(qatc::mil::kWeightFile);
  if (ModelSize < Rest.size())
    writeFile(WeightPath, Rest.drop_front(ModelSize));
  else
    llvm::sys::fs::remove(WeightPath);

  auto P = qatc::mil::readMLPackage(PackageDir);
  if (!P) {
    llvm::consumeError(P.takeError());
    return 0;
  }
  auto G = qatc::mil::importMilProgram(**P);
  if (!G) {
    llvm::consumeError(G.takeError());
    return 0;
  }
  qatc::fuzz::checkGraph(**G, ".mlpackage reader");
  return 0;
}
