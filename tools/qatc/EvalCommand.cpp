//===- EvalCommand.cpp - `qatc eval`: loss and accuracy on a dataset ------===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/ThreadsFlag.h"

#include "runtime/Trainer.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {

namespace cl = llvm::cl;
using namespace runtime;

cl::SubCommand &evalSubCommand() {
  static cl::SubCommand Cmd("eval", "Report loss and accuracy of a graph on a dataset");
  return Cmd;
}
static cl::SubCommand &EvalCmd = evalSubCommand();

static cl::opt<std::string> Input(cl::Positional, cl::desc("<input .qir/.qirb/.mlpackage>"),
                                  cl::Required, cl::sub(EvalCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Data("data", cl::desc("Data: .npz with arrays x and y"),
                                 cl::value_desc("path"), cl::Required, cl::sub(EvalCmd),
                                 cl::cat(qatcCategory()));
static cl::opt<std::string> LossName("loss", cl::desc("cross_entropy (default) or mse"),
                                     cl::init("cross_entropy"), cl::sub(EvalCmd),
                                     cl::cat(qatcCategory()));
static cl::opt<int64_t> BatchSize("batch-size", cl::desc("Samples per forward pass (256)"),
                                  cl::init(256), cl::sub(EvalCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print {loss, accuracy, samples} as JSON"),
                          cl::sub(EvalCmd), cl::cat(qatcCategory()));

int runEvalCommand() {
  if (BatchSize < 1)
    return reportError("--batch-size must be at least 1", ExitBadInput);
  if (llvm::Error E = applyThreadsFlag())
    return reportError(std::move(E), ExitBadInput);
  auto Loss = parseLossKind(LossName);
  if (!Loss)
    return reportError(Loss.takeError(), ExitBadInput);
  auto D = Dataset::load(Data);
  if (!D)
    return reportError(D.takeError(), ExitBadInput);
  auto G = loadModelGraph(Input);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  auto E = Executor::create(**G);
  if (!E)
    return reportError(Input + ": " + llvm::toString(E.takeError()), ExitBadInput);
  auto R = evaluate(**E, *D, *Loss, BatchSize);
  if (!R)
    return reportError(Input + ": " + llvm::toString(R.takeError()), ExitBadInput);
  if (Json) {
    printJson(llvm::json::Object{
        {"loss", R->Loss},
        {"accuracy", R->Accuracy ? llvm::json::Value(*R->Accuracy) : llvm::json::Value(nullptr)},
        {"samples", R->Samples}});
    return ExitSuccess;
  }
  llvm::outs() << llvm::formatv("{0} samples, loss {1:F4}", R->Samples, R->Loss);
  if (R->Accuracy)
    llvm::outs() << llvm::formatv(", accuracy {0:F2}%", *R->Accuracy * 100);
  llvm::outs() << "\n";
  return ExitSuccess;
}

} // namespace qatc
