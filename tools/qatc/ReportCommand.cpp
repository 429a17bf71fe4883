//===- ReportCommand.cpp - `qatc report`: per-layer quantization error ---===//
//
// qatc report MODEL --data sample.npz [--html OUT.html] [--json]
//             [--threshold-db 20]
// MODEL is a prepared graph (trained or calibrated); the measuring is
// passes/quant/QuantReport.h. The .npz gives one array per graph input: `x`
// (or the input's name, or the file's only array) for a one-input graph,
// else one array named after each input.
//
//===----------------------------------------------------------------------===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/ThreadsFlag.h"

#include "ir/AtomicFile.h"
#include "ir/GraphFile.h"
#include "passes/quant/QuantReport.h"
#include "passes/quant/QuantReportFormat.h"
#include "runtime/NpzFile.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {

namespace cl = llvm::cl;
using namespace runtime;

cl::SubCommand &reportSubCommand() {
  static cl::SubCommand Cmd("report", "Per-layer qparams, observed ranges and SQNR of a "
                            "prepared graph against its float form");
  return Cmd;
}
static cl::SubCommand &ReportCmd = reportSubCommand();

static cl::opt<std::string> Model(cl::Positional, cl::desc("<prepared .qir/.qirb>"), cl::Required,
                                  cl::sub(ReportCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Data("data",
                                 cl::desc(".npz with sample inputs (array x, or one per graph "
                                          "input named after it)"),
                                 cl::value_desc("path"), cl::Required, cl::sub(ReportCmd),
                                 cl::cat(qatcCategory()));
static cl::opt<std::string> Html("html",
                                 cl::desc("Also write an HTML page with an SVG chart of the SQNR"),
                                 cl::value_desc("path"), cl::sub(ReportCmd),
                                 cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print the report as JSON instead of Markdown"),
                          cl::sub(ReportCmd), cl::cat(qatcCategory()));
static cl::opt<double> ThresholdDb("threshold-db",
                                   cl::desc("Flag fake quants whose SQNR is below this (20)"),
                                   cl::init(20), cl::sub(ReportCmd), cl::cat(qatcCategory()));
static cl::opt<int64_t> BatchSize("batch-size", cl::desc("Samples per forward pass (32)"),
                                  cl::init(32), cl::sub(ReportCmd), cl::cat(qatcCategory()));

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// One array of Arrays per placeholder (see the file comment).
llvm::Expected<std::vector<Tensor>> bindArrays(const NamedTensors &Arrays,
                                               llvm::ArrayRef<Node *> Placeholders) {
  auto Find = [&](llvm::StringRef Name) -> const Tensor * {
    for (const auto &[ArrayName, T] : Arrays)
      if (ArrayName == Name)
        return &T;
    return nullptr;
  };
  std::vector<Tensor> Bound;
  for (Node *P : Placeholders) {
    const Tensor *T = Find(P->name());
    if (!T && Placeholders.size() == 1)
      T = Find("x") ? Find("x") : (Arrays.size() == 1 ? &Arrays.front().second : nullptr);
    if (!T)
      return makeError(llvm::formatv("{0} has no array for graph input '{1}'; name it {2}", Data,
                                     P->name(),
                                     Placeholders.size() == 1 ? "'x'" : "after the input"));
    Bound.push_back(*T);
  }
  return Bound;
}

} // namespace

int runReportCommand() {
  if (llvm::Error E = applyThreadsFlag())
    return reportError(std::move(E), ExitBadInput);
  if (BatchSize < 1)
    return reportError("--batch-size must be at least 1", ExitBadInput);
  if (!Html.empty() && !llvm::StringRef(Html).endswith(".html"))
    return reportError("--html must name an .html file, not '" + Html + "'", ExitBadInput);
  auto G = loadModelGraph(Model);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  auto Arrays = readNpz(Data);
  if (!Arrays)
    return reportError(Arrays.takeError(), ExitBadInput);
  auto Inputs = bindArrays(*Arrays, (*G)->placeholders());
  if (!Inputs)
    return reportError(Inputs.takeError(), ExitBadInput);
  QuantReportOptions Opts;
  Opts.ThresholdDb = ThresholdDb;
  Opts.BatchSize = BatchSize;
  auto Report = computeQuantReport(**G, *Inputs, Opts);
  if (!Report)
    return reportError(Model + ": " + llvm::toString(Report.takeError()), ExitBadInput);
  if (!Html.empty()) {
    if (llvm::Error Err = writeFileAtomically(Html, [&](llvm::raw_ostream &OS) {
          printReportHtml(*Report, Model, OS);
          return llvm::Error::success();
        }))
      return reportError(std::move(Err), ExitBadInput);
    llvm::errs() << "wrote " << Html << "\n";
  }
  if (Json)
    printJson(reportToJson(*Report));
  else
    printReportMarkdown(*Report, llvm::outs());
  return ExitSuccess;
}

} // namespace qatc
