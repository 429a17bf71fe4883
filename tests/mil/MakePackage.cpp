//===- MakePackage.cpp - Test tool: QIR files to .mlpackage ---------------===//
//
//   make_mlpackage IN.{qir,qirb} OUT.mlpackage [ios16|ios17|ios18]
//   make_mlpackage --graph float|quantized8|quantized4 OUT.{qir,qirb}
// The first form calls writeMLPackage on a graph file (what `qatc finalize
// -o OUT.mlpackage` does after finalizing); the second writes the test graphs
// of passes/mil/testing (dynamic batch) for the command-line tests.
//
//===----------------------------------------------------------------------===//
#include "passes/mil/MLPackageWriter.h"
#include "passes/mil/testing/TestGraphs.h"

#include "ir/GraphFile.h"
#include "ir/Verifier.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace qatc;

static int fail(llvm::Error E) {
  llvm::errs() << "make_mlpackage: " << llvm::toString(std::move(E)) << "\n";
  return 1;
}

int main(int argc, char **argv) {
  if (argc >= 4 && std::strcmp(argv[1], "--graph") == 0) {
    std::string Kind = argv[2];
    std::unique_ptr<Graph> G = Kind == "float"        ? mil::testing::floatCnn(true)
                               : Kind == "quantized8" ? mil::testing::quantizedCnn(8, true, true)
                               : Kind == "quantized4" ? mil::testing::quantizedCnn(4, true, true)
                                                      : nullptr;
    if (!G) {
      llvm::errs() << "make_mlpackage: unknown graph '" << Kind << "'\n";
      return 1;
    }
    if (llvm::Error E = writeGraphFile(*G, argv[3]))
      return fail(std::move(E));
    return 0;
  }
  if (argc < 3) {
    llvm::errs() << "usage: make_mlpackage IN OUT.mlpackage [ios16|ios17|ios18]\n"
                    "       make_mlpackage --graph float|quantized8|quantized4 OUT\n";
    return 1;
  }
  mil::MilOptions Opts;
  if (argc > 3) {
    auto T = mil::parseTarget(argv[3]);
    if (!T)
      return fail(T.takeError());
    Opts.Target = *T;
  }
  auto G = readGraphFile(argv[1]);
  if (!G)
    return fail(G.takeError());
  if (llvm::Error E = mil::writeMLPackage(**G, argv[2], Opts))
    return fail(std::move(E));
  return 0;
}
