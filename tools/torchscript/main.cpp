//===- main.cpp - qatc-torchscript: TorchScript archive to QIR ------------===//
//
// The helper `qatc import` runs for TorchScript archives, so that the qatc
// binary itself never loads libtorch (half a second of start-up, and a crash
// in libtorch on a corrupt file stays in this process). Usage:
//   qatc-torchscript MODEL.pt -o OUT.qirb [--input-shape name=1x3x224x224]...
// Exit codes follow qatc's: 0 success, 2 bad input, 1 internal error.
//
//===----------------------------------------------------------------------===//
#include "frontend/torchscript/TorchScriptImporter.h"
#include "ir/GraphFile.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

namespace cl = llvm::cl;

static cl::opt<std::string> Input(cl::Positional, cl::desc("<model.pt>"), cl::Required);
static cl::opt<std::string> Output("o", cl::desc("Output graph (.qir or .qirb)"), cl::Required);
static cl::list<std::string> InputShapes("input-shape", cl::desc("name=dims, e.g. x=1x3x32x32"));

static int fail(llvm::Error E) {
  llvm::WithColor::error(llvm::errs(), "qatc-torchscript") << llvm::toString(std::move(E)) << "\n";
  return 2;
}

int main(int argc, char **argv) {
  llvm::InitLLVM Init(argc, argv);
  std::string Errors;
  llvm::raw_string_ostream ErrStream(Errors);
  if (!cl::ParseCommandLineOptions(argc, argv, "qatc TorchScript importer\n", &ErrStream)) {
    ErrStream.flush();
    llvm::errs() << Errors;
    return 2;
  }
  qatc::ImportOptions Opts;
  for (const std::string &Spec : InputShapes)
    if (llvm::Error E = qatc::parseInputShapeSpec(Spec, Opts))
      return fail(std::move(E));
  auto G = qatc::importTorchScriptModel(Input, Opts);
  if (!G)
    return fail(G.takeError());
  if (llvm::Error E = qatc::writeGraphFile(**G, Output))
    return fail(std::move(E));
  return 0;
}
