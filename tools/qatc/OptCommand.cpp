//===- OptCommand.cpp - `qatc opt`: run a pass pipeline over a graph ------===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/PluginOption.h"

#include "ir/AtomicFile.h"
#include "ir/GraphFile.h"
#include "ir/Verifier.h"
#include "ir/text/Parser.h"
#include "ir/text/Printer.h"
#include "passes/PassManager.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace qatc {

namespace cl = llvm::cl;

static cl::SubCommand OptCmd("opt", "Run a pass pipeline over a .qir or .qirb graph");

static cl::opt<std::string> Input(cl::Positional, cl::desc("<input .qir/.qirb, or - for stdin>"),
                                  cl::Required, cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o", cl::desc("Write the result here (.qir or .qirb); "
                                                 "without it the text goes to stdout"),
                                   cl::value_desc("path"), cl::sub(OptCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<std::string> Passes("passes",
                                   cl::desc("Pass pipeline, e.g. 'canonicalize,cse,dce'"),
                                   cl::value_desc("pipeline"), cl::sub(OptCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<bool> PrintIRAfterAll("print-ir-after-all",
                                     cl::desc("Print the graph to stderr after every pass"),
                                     cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<bool> TimePasses("time-passes", cl::desc("Print the time of every pass to stderr"),
                                cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<bool> SplitInputFile(
    "split-input-file",
    cl::desc("Treat '// -----' lines as separators of independent graphs (text input)"),
    cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<bool> ElideParams("elide-params", cl::desc("Print every parameter as 'elided'"),
                                 cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<int64_t>
    ElideParamsAbove("elide-params-above",
                     cl::desc("Print parameters with more than N elements as 'elided'"),
                     cl::value_desc("N"), cl::init(-1), cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<bool> NoLocations("no-locations", cl::desc("Do not print source locations"),
                                 cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Explain("explain",
                             cl::desc("Explain pass decisions (pattern matches) on stderr"),
                             cl::sub(OptCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print a JSON summary on stdout"), cl::sub(OptCmd),
                          cl::cat(qatcCategory()));
static PluginOption Plugins(OptCmd);

cl::SubCommand &optSubCommand() { return OptCmd; }

namespace {

PrintOptions printOptions() {
  PrintOptions P;
  P.ElideParamsAbove = ElideParams ? 0 : ElideParamsAbove.getValue();
  P.PrintLocations = !NoLocations;
  return P;
}

/// Outcome of running the pipeline on one graph.
struct RunResult {
  ExitCode Code = ExitSuccess;
  size_t NodesBefore = 0, NodesAfter = 0;
  double PassMs = 0;
};

RunResult runPipeline(Graph &G, llvm::StringRef Where) {
  RunResult R;
  R.NodesBefore = G.numNodes();
  if (llvm::Error E = verify(G)) {
    reportError(Where + ": " + llvm::toString(std::move(E)), ExitBadInput);
    R.Code = ExitBadInput;
    return R;
  }
  PassManager PM;
  if (PrintIRAfterAll)
    PM.PrintAfterAll = &llvm::errs();
  PM.PrintOpts = printOptions();
  if (Explain)
    PM.Context.Explain = &llvm::errs();
  if (llvm::Error E = PM.addPipeline(Passes)) {
    reportError(std::move(E), ExitBadInput);
    R.Code = ExitBadInput;
    return R;
  }
  llvm::Error E = PM.run(G);
  for (const PassTiming &T : PM.timings())
    R.PassMs += T.Milliseconds;
  if (TimePasses)
    PM.printTimings(llvm::errs());
  if (E) {
    // A pass that leaves an invalid graph is our bug; other failures are
    // about the input.
    std::string Msg = llvm::toString(std::move(E));
    R.Code = llvm::StringRef(Msg).startswith("the graph is invalid after pass") ? ExitInternal
                                                                                : ExitBadInput;
    reportError(Where + ": " + Msg, R.Code);
  }
  R.NodesAfter = G.numNodes();
  return R;
}

/// `--split-input-file`: every chunk separately, results joined by `// -----`.
int runSplit() {
  auto Buf = llvm::MemoryBuffer::getFileOrSTDIN(Input);
  if (!Buf)
    return reportError("cannot read '" + Input + "': " + Buf.getError().message(), ExitBadInput);
  llvm::StringRef Rest = (*Buf)->getBuffer();
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  ExitCode Worst = ExitSuccess;
  uint32_t Line = 1;
  bool First = true;
  while (true) {
    // Find the next separator line.
    size_t Sep = llvm::StringRef::npos, Search = 0;
    while ((Search = Rest.find("// -----", Search)) != llvm::StringRef::npos) {
      if (Search == 0 || Rest[Search - 1] == '\n') {
        Sep = Search;
        break;
      }
      ++Search;
    }
    llvm::StringRef Chunk = Rest.substr(0, Sep);
    auto G = parseGraph(Chunk, Input == "-" ? std::string("<stdin>") : Input.getValue(), Line);
    if (!G) {
      reportError(G.takeError(), ExitBadInput);
      Worst = std::max(Worst, ExitBadInput);
    } else {
      RunResult R = runPipeline(**G, Input);
      if (R.Code != ExitSuccess)
        Worst = ExitCode(std::max<int>(Worst, R.Code));
      else {
        if (!First)
          OS << "// -----\n";
        First = false;
        printGraph(**G, OS, printOptions());
      }
    }
    if (Sep == llvm::StringRef::npos)
      break;
    Line += Chunk.count('\n');
    Rest = Rest.substr(Sep);
    size_t Eol = Rest.find('\n');
    Rest = Eol == llvm::StringRef::npos ? llvm::StringRef() : Rest.substr(Eol + 1);
    Line += 1;
  }
  OS.flush();
  if (Output.empty() || Output == "-") {
    llvm::outs() << Out;
  } else if (llvm::Error E = writeFileAtomically(Output, [&](llvm::raw_ostream &F) {
               F << Out;
               return llvm::Error::success();
             })) {
    return reportError(std::move(E), ExitBadInput);
  }
  return Worst;
}

} // namespace

int runOptCommand() {
  if (int Rc = Plugins.loadOrReport())
    return Rc;
  if (SplitInputFile)
    return runSplit();
  if (!Output.empty())
    if (auto F = graphFormatForPath(Output); !F)
      return reportError(F.takeError(), ExitBadInput);
  auto Start = std::chrono::steady_clock::now();
  auto G = readGraphFile(Input);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  RunResult R = runPipeline(**G, Input);
  if (R.Code != ExitSuccess)
    return R.Code;
  if (!Output.empty() || !Json)
    if (llvm::Error E = writeGraphFile(**G, Output.empty() ? std::string("-") : Output.getValue(),
                                    printOptions()))
      return reportError(std::move(E), ExitBadInput);
  if (Json) {
    double TotalMs = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - Start)
                         .count();
    printJson(llvm::json::Object{{"input", Input.getValue()},
                                 {"output", Output.getValue()},
                                 {"passes", Passes.getValue()},
                                 {"nodes_before", int64_t(R.NodesBefore)},
                                 {"nodes_after", int64_t(R.NodesAfter)},
                                 {"pass_ms", R.PassMs},
                                 {"total_ms", TotalMs}});
  }
  return ExitSuccess;
}

} // namespace qatc
