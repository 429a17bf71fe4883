//===- main.cpp - The qatc command line: subcommand dispatch --------------===//
//
// `qatc <command> [options]`. Each subcommand lives in its own file and
// registers its options under its llvm::cl::SubCommand.
//
//===----------------------------------------------------------------------===//
#include "tools/qatc/CommandLineErrors.h"
#include "tools/qatc/CommandSupport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <csignal>
#include <string>

namespace {

constexpr const char *kVersion = "0.1.0";

constexpr const char *kOverview =
    "qatc: quantization-aware training compiler for Core ML\n\n"
    "  qatc import MODEL -o OUT [--input-shape ..] import an ONNX or TorchScript model\n"
    "  qatc opt IN [--passes=PIPELINE] [-o OUT]   run graph passes over a .qir/.qirb graph\n"
    "  qatc prepare IN [--config CFG] [-o OUT]    insert fake quants for quantization-aware training\n"
    "  qatc stats IN [--json]                     print graph statistics as JSON\n"
    "  qatc train IN --data D.npz -o OUT          train (float, or QAT on a prepared graph)\n"
    "  qatc eval IN --data D.npz [--json]         loss and accuracy on a dataset\n"
    "  qatc calibrate IN --data D.npz -o OUT      run a prepared graph's observers over data\n"
    "  qatc finalize IN -o OUT                    quantized QIR from a trained prepared graph\n"
    "  qatc report IN --data D.npz [--html H]     per-layer SQNR; layers under 20 dB flagged\n"
    "  qatc viz MODEL -o graph.svg                draw the graph, quantization nodes highlighted\n"
    "  qatc run MODEL --input n=x.npy -o y.npz    run a graph or an .mlpackage on inputs\n"
    "  qatc compile MODEL --data D.npz -o O.mlpackage  import, prepare, QAT, finalize, export\n"
    "  qatc demo [-o OUT.mlpackage]               compile the bundled digits CNN\n\n"
    "Run 'qatc <command> --help' for the options of one command.\n";

bool isKnownCommand(llvm::StringRef Name) {
  return llvm::StringSwitch<bool>(Name)
      .Cases("import", "opt", "prepare", "stats", "train", true)
      .Cases("eval", "run", "finalize", "calibrate", true)
      .Cases("compile", "demo", true)
      .Cases("report", "viz", true)
      .Default(false);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM Init(argc, argv);
  // Past a file-size limit (ulimit -f) a write then fails with "File too
  // large", reported in one sentence, instead of the signal killing qatc.
  std::signal(SIGXFSZ, SIG_IGN);
  llvm::cl::SetVersionPrinter(
      [](llvm::raw_ostream &OS) { OS << "qatc version " << kVersion << "\n"; });
  llvm::cl::HideUnrelatedOptions(qatc::qatcCategory());
  // Make sure every subcommand's options are registered before parsing.
  llvm::cl::SubCommand &Import = qatc::importSubCommand();
  llvm::cl::SubCommand &Opt = qatc::optSubCommand();
  llvm::cl::SubCommand &Prepare = qatc::prepareSubCommand();
  llvm::cl::SubCommand &Stats = qatc::statsSubCommand();
  llvm::cl::SubCommand &Train = qatc::trainSubCommand();
  llvm::cl::SubCommand &Eval = qatc::evalSubCommand();
  llvm::cl::SubCommand &Finalize = qatc::finalizeSubCommand();
  llvm::cl::SubCommand &Calibrate = qatc::calibrateSubCommand();
  llvm::cl::SubCommand &Run = qatc::runSubCommand();
  llvm::cl::SubCommand &Compile = qatc::compileSubCommand();
  llvm::cl::SubCommand &Demo = qatc::demoSubCommand();
  llvm::cl::SubCommand &Report = qatc::reportSubCommand();
  llvm::cl::SubCommand &Viz = qatc::vizSubCommand();

  if (argc > 1 && argv[1][0] != '-' && !isKnownCommand(argv[1]))
    return qatc::reportError(llvm::Twine("unknown command '") + argv[1] +
                                 "'; run 'qatc --help' for the list of commands",
                             qatc::ExitBadInput);

  std::string Sentence;
  if (!qatc::parseCommandLine(argc, argv, kOverview, Sentence))
    return qatc::reportError(Sentence, qatc::ExitBadInput);
  if (Import)
    return qatc::runImportCommand();
  if (Compile)
    return qatc::runCompileCommand();
  if (Demo)
    return qatc::runDemoCommand();
  if (Opt)
    return qatc::runOptCommand();
  if (Prepare)
    return qatc::runPrepareCommand();
  if (Stats)
    return qatc::runStatsCommand();
  if (Train)
    return qatc::runTrainCommand();
  if (Eval)
    return qatc::runEvalCommand();
  if (Finalize)
    return qatc::runFinalizeCommand();
  if (Calibrate)
    return qatc::runCalibrateCommand();
  if (Run)
    return qatc::runRunCommand();
  if (Report)
    return qatc::runReportCommand();
  if (Viz)
    return qatc::runVizCommand();
  llvm::cl::PrintHelpMessage();
  return qatc::ExitBadInput;
}
