//===- MLPackageWriter_test.cpp - .mlpackage files on disk, wire checks ---===//
//
// Writes packages into the test's temporary directory and checks them from
// the outside: the layout and manifest, `protoc --decode_raw` on
// model.mlmodel (field numbers at the top levels, independent of qatc's
// .proto files), the schema-free checker tests/mil/mil_wire_check.py, every
// blob reference, determinism, and atomic replacement and failure.
//
//===----------------------------------------------------------------------===//
#include "passes/mil/BlobStorage.h"
#include "passes/mil/MLPackageWriter.h"
#include "passes/mil/MilTensor.h"
#include "passes/mil/MilValue.h"
#include "passes/mil/PackageLayout.h"
#include "passes/mil/testing/TestFiles.h"
#include "passes/mil/testing/TestGraphs.h"

#include "tests/support/TestHelpers.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>
#include <unistd.h>

using namespace qatc;
using namespace qatc::mil;
using namespace qatc::mil::testing;
namespace Spec = CoreML::Specification::MILSpec;

namespace {

std::vector<std::string> listDir(llvm::StringRef Dir) {
  std::vector<std::string> Names;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Dir, EC), End; It != End && !EC; It.increment(EC))
    Names.push_back(llvm::sys::path::filename(It->path()).str());
  std::sort(Names.begin(), Names.end());
  return Names;
}

/// Runs Program with Args, stdin from In (or none), stdout captured.
int run(llvm::StringRef Program, llvm::ArrayRef<llvm::StringRef> Args, llvm::StringRef In,
        std::string &Out) {
  llvm::SmallString<128> OutFile;
  REQUIRE(!llvm::sys::fs::createTemporaryFile("qatc-test", "txt", OutFile));
  std::optional<llvm::StringRef> Redirects[] = {In.empty() ? std::optional<llvm::StringRef>()
                                                           : std::optional<llvm::StringRef>(In),
                                                llvm::StringRef(OutFile),
                                                llvm::StringRef(OutFile)};
  std::vector<llvm::StringRef> Argv = {Program};
  Argv.insert(Argv.end(), Args.begin(), Args.end());
  int RC = llvm::sys::ExecuteAndWait(Program, Argv, std::nullopt, Redirects);
  Out = readFile(OutFile);
  llvm::sys::fs::remove(OutFile);
  return RC;
}

/// The field numbers of the top-level fields in `protoc --decode_raw` text,
/// and of the fields nested directly under field Within (at depth 1).
std::vector<std::string> rawFields(llvm::StringRef Text, llvm::StringRef Within = "") {
  std::vector<std::string> Fields;
  int Depth = 0;
  bool Inside = Within.empty();
  llvm::SmallVector<llvm::StringRef, 0> Lines;
  Text.split(Lines, '\n');
  for (llvm::StringRef Line : Lines) {
    llvm::StringRef T = Line.trim();
    if (T.empty())
      continue;
    if (T == "}") {
      --Depth;
      if (!Within.empty() && Depth == 0)
        Inside = false;
      continue;
    }
    std::string Number = T.take_while([](char C) { return llvm::isDigit(C); }).str();
    bool Opens = T.endswith("{");
    if (Within.empty() ? Depth == 0 : (Inside && Depth == 1))
      Fields.push_back(Number);
    if (!Within.empty() && Depth == 0 && Opens && Number == Within)
      Inside = true;
    if (Opens)
      ++Depth;
  }
  return Fields;
}

/// Calls Fn on every Value of the block: const vals, attributes, literals.
void forEachValue(const Spec::Block &B, const std::function<void(const Spec::Value &)> &Fn) {
  for (const Spec::Operation &Op : B.operations()) {
    for (const auto &KV : Op.attributes())
      Fn(KV.second);
    for (const auto &KV : Op.inputs())
      for (const auto &Bd : KV.second.arguments())
        if (Bd.has_value())
          Fn(Bd.value());
  }
}

MilOptions target(MilTarget T) {
  MilOptions O;
  O.Target = T;
  return O;
}

} // namespace

TEST_CASE("a package has Core ML's layout and manifest", "[mil][package]") {
  std::string Dir = freshDir("layout");
  std::string Pkg = joinPath(Dir, "digits.mlpackage");
  std::unique_ptr<Graph> G = quantizedCnn(8);
  REQUIRE_OK(writeMLPackage(*G, Pkg));
  CHECK(listDir(Dir) == std::vector<std::string>{"digits.mlpackage"});
  CHECK(listDir(Pkg) == std::vector<std::string>{"Data", "Manifest.json"});
  CHECK(listDir(joinPath(Pkg, "Data")) == std::vector<std::string>{"com.apple.CoreML"});
  CHECK(listDir(joinPath(Pkg, kCoreMLDir)) == std::vector<std::string>{"model.mlmodel", "weights"});
  CHECK(listDir(joinPath(Pkg, kWeightsDir)) == std::vector<std::string>{"weight.bin"});
  auto M = parseManifest(readFile(joinPath(Pkg, kManifestFile)), "Manifest.json");
  REQUIRE_OK(M);
  for (const ManifestItem &I : M->Items)
    CHECK(llvm::sys::fs::exists(joinPath(joinPath(Pkg, "Data"), I.Path)));
  CHECK(M->rootItem().Path == "com.apple.CoreML/model.mlmodel");

  CoreML::Specification::Model Model;
  std::string Bytes = readFile(joinPath(Pkg, kModelFile));
  REQUIRE(Model.ParseFromString(Bytes));
  CHECK(Model.specificationversion() == 8);
  std::string Weights = readFile(joinPath(Pkg, kWeightFile));
  CHECK(Weights.size() > 64);

  // Writing again gives the same bytes (deterministic maps and identifiers).
  std::string Pkg2 = joinPath(Dir, "again.mlpackage");
  REQUIRE_OK(writeMLPackage(*G, Pkg2));
  CHECK(readFile(joinPath(Pkg2, kModelFile)) == Bytes);
  CHECK(readFile(joinPath(Pkg2, kWeightFile)) == Weights);
  CHECK(readFile(joinPath(Pkg2, kManifestFile)) == readFile(joinPath(Pkg, kManifestFile)));
}

TEST_CASE("every blob reference lands on a valid blob header", "[mil][package]") {
  for (MilTarget T : {MilTarget::IOS17, MilTarget::IOS18}) {
    for (int Bits : {8, 4}) {
      if (T == MilTarget::IOS17 && Bits == 4)
        continue;
      std::string Dir = freshDir("blobs");
      std::string Pkg = joinPath(Dir, "m.mlpackage");
      std::unique_ptr<Graph> G = quantizedCnn(Bits);
      REQUIRE_OK(writeMLPackage(*G, Pkg, target(T)));
      CoreML::Specification::Model Model;
      REQUIRE(Model.ParseFromString(readFile(joinPath(Pkg, kModelFile))));
      std::string Image = readFile(joinPath(Pkg, kWeightFile));
      auto R = BlobReader::create(Image, "weight.bin");
      REQUIRE_OK(R);
      const Spec::Function &F = Model.mlprogram().functions().at("main");
      unsigned Refs = 0;
      std::set<uint64_t> Offsets;
      forEachValue(F.block_specializations().at(F.opset()), [&](const Spec::Value &V) {
        if (!V.has_blobfilevalue())
          return;
        ++Refs;
        CHECK(V.blobfilevalue().filename() == "@model_path/weights/weight.bin");
        uint64_t Off = V.blobfilevalue().offset();
        CHECK(Off % 64 == 0);
        Offsets.insert(Off);
        auto Info = tensorTypeInfo(V.type(), "v");
        REQUIRE_OK(Info);
        int64_t N = 1;
        for (int64_t D : Info->Dims)
          N *= D;
        auto B = R->read(Off, Info->DType, N);
        CHECK_OK(B);
      });
      CHECK(Refs > 0);
      CHECK(Offsets.size() == Refs);
      CHECK(Refs == R->count());
    }
  }
}

TEST_CASE("model.mlmodel decodes with protoc --decode_raw", "[mil][package][wire]") {
  std::string Dir = freshDir("decode_raw");
  std::string Pkg = joinPath(Dir, "m.mlpackage");
  std::unique_ptr<Graph> G = quantizedCnn(4);
  REQUIRE_OK(writeMLPackage(*G, Pkg, target(MilTarget::IOS18)));
  std::string Out;
  REQUIRE(run("/usr/bin/protoc", {"--decode_raw"}, joinPath(Pkg, kModelFile), Out) == 0);
  // Model: 1 specificationVersion, 2 description, 502 mlProgram.
  CHECK(rawFields(Out) == std::vector<std::string>{"1", "2", "502"});
  CHECK(llvm::StringRef(Out).startswith("1: 9\n"));
  // ModelDescription: 1 input, 10 output, 100 metadata.
  CHECK(rawFields(Out, "2") == std::vector<std::string>{"1", "10", "100"});
  // Program: 1 version, 2 functions.
  CHECK(rawFields(Out, "502") == std::vector<std::string>{"1", "2"});
  CHECK(Out.find("502 {\n  1: 1\n") != std::string::npos);
  CHECK(Out.find("1: \"main\"") != std::string::npos);
  CHECK(Out.find("2: \"CoreML8\"") != std::string::npos);
  CHECK(Out.find("\"constexpr_blockwise_shift_scale\"") != std::string::npos);
  CHECK(Out.find("\"@model_path/weights/weight.bin\"") != std::string::npos);
}

TEST_CASE("the schema-free wire checker accepts every target", "[mil][package][wire]") {
  std::string Dir = freshDir("wire_check");
  struct Case {
    MilTarget T;
    int Bits;
    const char *Expect;
  } Cases[] = {{MilTarget::IOS17, 8, "spec 8 opset CoreML7"},
               {MilTarget::IOS18, 4, "spec 9 opset CoreML8"},
               {MilTarget::IOS18, 8, "spec 9 opset CoreML8"}};
  for (const Case &C : Cases) {
    std::string Pkg = joinPath(Dir, "m" + std::to_string(int(C.T)) + "_" + std::to_string(C.Bits) +
                                    ".mlpackage");
    std::unique_ptr<Graph> G = quantizedCnn(C.Bits);
    REQUIRE_OK(writeMLPackage(*G, Pkg, target(C.T)));
    std::string Out;
    int RC = run("/usr/bin/python3", {"tests/mil/mil_wire_check.py", Pkg}, "", Out);
    INFO(Out);
    CHECK(RC == 0);
    CHECK(llvm::StringRef(Out).startswith(C.Expect));
  }
  std::string Float = joinPath(Dir, "float.mlpackage");
  std::unique_ptr<Graph> FG = floatCnn();
  REQUIRE_OK(writeMLPackage(*FG, Float, target(MilTarget::IOS16)));
  std::string Out;
  CHECK(run("/usr/bin/python3", {"tests/mil/mil_wire_check.py", Float}, "", Out) == 0);
  CHECK(llvm::StringRef(Out).startswith("spec 7 opset CoreML6"));

  // The checker itself fails on a corrupted package (so this test can fail).
  std::string Image = readFile(joinPath(Float, kWeightFile));
  Image[64] = 0; // break the first blob's sentinel
  writeFile(joinPath(Float, kWeightFile), Image);
  CHECK(run("/usr/bin/python3", {"tests/mil/mil_wire_check.py", Float}, "", Out) == 1);
  CHECK(Out.find("bad sentinel at 64") != std::string::npos);
}

TEST_CASE("writes are atomic and failures leave nothing behind", "[mil][package]") {
  std::string Dir = freshDir("atomic");
  std::string Pkg = joinPath(Dir, "m.mlpackage");

  // An unsupported op fails before any file is touched.
  GraphMaker U("unsupported");
  Node *X = U.input("x", {1, 4});
  Node *S = U.floats("s", {1}, {0.1f});
  Node *Z = U.ints("z", DType::U8, {1}, {0});
  U.output({U.call("fake_quantize", {X, S, Z}, {}, "fq")});
  std::unique_ptr<Graph> UG = U.take();
  CHECK(qatc::testing::errorText(writeMLPackage(*UG, Pkg)) ==
        "graph 'unsupported' has 1 node(s) without a Core ML (MIL) mapping: 'fq' "
        "(fake_quantize: a training-time op; run qatc finalize first)");
  CHECK(listDir(Dir).empty());

  // A missing directory.
  CHECK(qatc::testing::errorText(writeMLPackage(*floatCnn(), joinPath(Dir, "no/m.mlpackage"))) ==
        "cannot write '" + joinPath(Dir, "no/m.mlpackage") + "': directory '" + joinPath(Dir, "no") +
            "' does not exist; create it first");
  CHECK(qatc::testing::errorText(writeMLPackage(*floatCnn(), joinPath(Dir, "m.mlmodel"))) ==
        "output '" + joinPath(Dir, "m.mlmodel") +
            "' must end in .mlpackage (Core ML packages are directories named *.mlpackage)");
  CHECK(listDir(Dir).empty());

  // A file in the way: the rename fails after the package was built; the
  // file stays and the temporary directory is removed.
  writeFile(Pkg, "not a package");
  std::string Err = qatc::testing::errorText(writeMLPackage(*floatCnn(), Pkg));
  CHECK(Err.find("cannot write '" + Pkg + "'") == 0);
  CHECK(Err.find("a file of that name is in the way") != std::string::npos);
  CHECK(listDir(Dir) == std::vector<std::string>{"m.mlpackage"});
  CHECK(readFile(Pkg) == "not a package");
  llvm::sys::fs::remove(Pkg);

  // An existing package is replaced as a whole.
  REQUIRE_OK(writeMLPackage(*quantizedCnn(8), Pkg));
  std::string Old = readFile(joinPath(Pkg, kModelFile));
  writeFile(joinPath(Pkg, "Data/stale.txt"), "stale");
  REQUIRE_OK(writeMLPackage(*floatCnn(), Pkg));
  CHECK(readFile(joinPath(Pkg, kModelFile)) != Old);
  CHECK_FALSE(llvm::sys::fs::exists(joinPath(Pkg, "Data/stale.txt")));
  CHECK(listDir(Dir) == std::vector<std::string>{"m.mlpackage"});

  // An unwritable directory (only meaningful when not running as root).
  if (geteuid() != 0) {
    std::string Locked = freshDir("locked");
    llvm::sys::fs::setPermissions(Locked, llvm::sys::fs::perms(0555));
    Err = qatc::testing::errorText(writeMLPackage(*floatCnn(), joinPath(Locked, "m.mlpackage")));
    CHECK(Err.find("cannot create a temporary directory") != std::string::npos);
    CHECK(listDir(Locked).empty());
    llvm::sys::fs::setPermissions(Locked, llvm::sys::fs::perms(0755));
  }
}
