//===- ImportBenchmark.cpp - Model import time against Python's loaders ---===//
//
// Exports resnet50 (ONNX and traced TorchScript) with Debian's torch, then
// prints the best of five import times for qatc's importers (in process)
// next to Python's onnx.load and torch.jit.load on the same files, measured
// in the same run (interpreter start-up and `import torch` excluded).
// Run: bazel run //tools:import_benchmark [-- MODEL]   (default resnet50)
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxImporter.h"
#include "frontend/torchscript/TorchScriptImporter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

using namespace qatc;

namespace {

/// Best of Runs wall times of Fn, in milliseconds.
double bestMs(int Runs, const std::function<void()> &Fn) {
  double Best = 1e300;
  for (int I = 0; I < Runs; ++I) {
    auto Start = std::chrono::steady_clock::now();
    Fn();
    Best = std::min(Best, std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - Start)
                              .count());
  }
  return Best;
}

int run(const std::string &Command) { return std::system(Command.c_str()); }

} // namespace

int main(int argc, char **argv) {
  std::string Model = argc > 1 ? argv[1] : "resnet50";
  llvm::SmallString<128> Dir;
  if (llvm::sys::fs::createUniqueDirectory("qatc-import-bench", Dir)) {
    llvm::errs() << "cannot create a temporary directory\n";
    return 1;
  }
  std::string D = Dir.str().str();
  llvm::outs() << "exporting " << Model << " with /usr/bin/python3 ...\n";
  llvm::outs().flush();
  if (run("/usr/bin/python3 tools/fixtures/export_models.py --out " + D + " --models " + Model +
          " > " + D + "/export.log 2>&1") != 0) {
    llvm::errs() << "export failed; see " << D << "/export.log\n";
    return 1;
  }
  std::string Onnx = D + "/" + Model + ".onnx", Pt = D + "/" + Model + ".pt";
  ImportOptions Opts;
  llvm::cantFail(parseInputShapeSpec("x=1x3x224x224", Opts));

  size_t Nodes = 0;
  double OnnxMs = bestMs(5, [&] {
    auto G = llvm::cantFail(importOnnxModel(Onnx, Opts));
    Nodes = G->numNodes();
  });
  size_t PtNodes = 0;
  double PtMs = bestMs(5, [&] {
    auto G = llvm::cantFail(importTorchScriptModel(Pt, Opts));
    PtNodes = G->numNodes();
  });

  std::string Script = D + "/peer.py";
  {
    std::error_code EC;
    llvm::raw_fd_ostream S(Script, EC);
    S << "import time, sys, onnx, torch\n"
         "def best(f):\n"
         "    b = 1e9\n"
         "    for _ in range(5):\n"
         "        t = time.perf_counter(); f(); b = min(b, time.perf_counter() - t)\n"
         "    return b * 1e3\n"
         "print('%.1f %.1f' % (best(lambda: onnx.load(sys.argv[1])),"
         " best(lambda: torch.jit.load(sys.argv[2]))))\n";
  }
  std::string PeerOut = D + "/peer.txt";
  if (run("/usr/bin/python3 " + Script + " " + Onnx + " " + Pt + " > " + PeerOut) != 0) {
    llvm::errs() << "the Python peer failed\n";
    return 1;
  }
  double PyOnnxMs = 0, PyPtMs = 0;
  if (auto Buf = llvm::MemoryBuffer::getFile(PeerOut)) {
    auto [A, B] = (*Buf)->getBuffer().trim().split(' ');
    A.getAsDouble(PyOnnxMs);
    B.getAsDouble(PyPtMs);
  }
  llvm::outs() << "format              nodes    qatc ms      python ms    ratio\n";
  llvm::outs() << llvm::format("onnx           %10zu %10.1f %14.1f %7.2fx   (onnx.load)\n", Nodes,
                               OnnxMs, PyOnnxMs, PyOnnxMs / OnnxMs);
  llvm::outs() << llvm::format("torchscript    %10zu %10.1f %14.1f %7.2fx   (torch.jit.load)\n",
                               PtNodes, PtMs, PyPtMs, PyPtMs / PtMs);
  llvm::outs() << "(ratio > 1: qatc is faster; qatc times include building and shape-checking "
                  "the QIR graph)\n";
  llvm::sys::fs::remove_directories(D);
  return 0;
}
