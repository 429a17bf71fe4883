//===- TorchVisionModels_test.cpp - Import the torchvision fixture models -===//
//
// Imports the archives tools/fixtures/export_models.py writes (traced and
// --scripted) for every model of the frontend issue, checks that each
// verifies before and after canonicalize,dce, pins its node counts, checks
// that the traced and the scripted archive give the same graph, and prints
// the counts and import times. The archives are large, so this test is
// manual:
//   tools/fixtures/export_models.py --out /tmp/fixtures --scripted
//   bazel test //frontend/torchscript:torchvision_models_test
//       --test_env=QATC_FIXTURES=/tmp/fixtures --test_output=all
//
//===----------------------------------------------------------------------===//
#include "frontend/torchscript/TorchScriptImporter.h"
#include "ir/Verifier.h"
#include "ir/text/Printer.h"
#include "passes/PassManager.h"

#include "tests/support/TestHelpers.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>

using namespace qatc;

namespace {

struct ModelCase {
  const char *Name;
  const char *Input;
  std::vector<int64_t> Shape;
  /// Nodes and calls of the imported graph, and calls after canonicalize,dce.
  size_t Nodes, Calls, CanonicalCalls;
};

const std::vector<ModelCase> &modelCases() {
  static const std::vector<ModelCase> Cases = {
      {"resnet18", "x", {1, 3, 224, 224}, 173, 69, 69},
      {"resnet50", "x", {1, 3, 224, 224}, 444, 175, 175},
      {"mobilenet_v2", "x", {1, 3, 224, 224}, 417, 153, 152},
      {"mobilenet_v3_large", "x", {1, 3, 224, 224}, 455, 187, 186},
      {"shufflenet_v2_x1_0", "x", {1, 3, 224, 224}, 539, 255, 255},
      {"squeezenet1_1", "x", {1, 3, 224, 224}, 120, 66, 65},
      {"efficientnet_b0", "x", {1, 3, 224, 224}, 553, 240, 239},
      {"vgg11_bn", "x", {1, 3, 224, 224}, 94, 38, 36},
      {"seed", "input", {1, 1, 20, 20}, 10, 4, 4},
      {"digits", "x", {1, 1, 8, 8}, 25, 9, 9},
  };
  return Cases;
}

size_t countCalls(const Graph &G) {
  size_t N = 0;
  for (const Node &Op : G.nodes())
    N += Op.isCall();
  return N;
}

/// The graph's text without parameter data, locations or graph name.
std::string structure(const Graph &G) {
  PrintOptions Opts;
  Opts.ElideParamsAbove = 0;
  Opts.PrintLocations = false;
  std::string Text = printGraphToString(G, Opts);
  return Text.substr(Text.find('{'));
}

} // namespace

TEST_CASE("the torchvision models import, traced and scripted alike", "[models]") {
  const char *Dir = std::getenv("QATC_FIXTURES");
  REQUIRE(Dir);
  for (const ModelCase &Case : modelCases()) {
    INFO(Case.Name);
    ImportOptions Opts;
    Opts.InputShapes[Case.Input] =
        llvm::SmallVector<int64_t, 4>(Case.Shape.begin(), Case.Shape.end());
    std::string Traced = std::string(Dir) + "/" + Case.Name + ".pt";
    auto Start = std::chrono::steady_clock::now();
    auto G = importTorchScriptModel(Traced, Opts);
    double Ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - Start).count();
    REQUIRE_OK(G);
    REQUIRE_OK(verify(**G));
    CHECK((*G)->numNodes() == Case.Nodes);
    CHECK(countCalls(**G) == Case.Calls);
    size_t Calls = countCalls(**G);

    auto Scripted =
        importTorchScriptModel(std::string(Dir) + "/" + Case.Name + ".scripted.pt", Opts);
    REQUIRE_OK(Scripted);
    CHECK(structure(**Scripted) == structure(**G));

    PassManager PM;
    REQUIRE_OK(PM.addPipeline("canonicalize,dce"));
    REQUIRE_OK(PM.run(**G));
    REQUIRE_OK(verify(**G));
    CHECK(countCalls(**G) == Case.CanonicalCalls);
    llvm::outs() << llvm::format("%-20s %4zu nodes %4zu calls, %4zu after canonicalize,dce; "
                                 "import %7.1f ms\n",
                                 Case.Name, Case.Nodes, Calls, countCalls(**G), Ms);
  }
}
