//===- PrepareCommand.cpp - `qatc prepare`: insert fake quants for QAT ----===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/PluginOption.h"

#include "ir/GraphFile.h"
#include "ir/Verifier.h"
#include "passes/quant/ConfigReader.h"
#include "passes/quant/Prepare.h"
#include "passes/quant/PreparedGraph.h"

#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace qatc {

namespace cl = llvm::cl;

static cl::SubCommand PrepareCmd("prepare",
                                 "Insert fake quants for quantization-aware training (coremltools' "
                                 "LinearQuantizer placement)");

static cl::opt<std::string> Input(cl::Positional, cl::desc("<input .qir/.qirb, or - for stdin>"),
                                  cl::Required, cl::sub(PrepareCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o",
                                   cl::desc("Write the prepared graph here (.qir or .qirb); "
                                            "without it the text goes to stdout"),
                                   cl::value_desc("path"), cl::sub(PrepareCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<std::string> ConfigPath(
    "config",
    cl::desc("LinearQuantizerConfig as .json or .yaml/.yml; without it coremltools' defaults"),
    cl::value_desc("path"), cl::sub(PrepareCmd), cl::cat(qatcCategory()));
static cl::opt<bool>
    Explain("explain",
            cl::desc("Say for every graph input and op on stderr why it was or was "
                     "not quantized"),
            cl::sub(PrepareCmd), cl::cat(qatcCategory()));
static cl::opt<bool> ElideParams("elide-params", cl::desc("Print every parameter as 'elided'"),
                                 cl::sub(PrepareCmd), cl::cat(qatcCategory()));
static cl::opt<int64_t> ElideParamsAbove(
    "elide-params-above", cl::desc("Print parameters with more than N elements as 'elided'"),
    cl::value_desc("N"), cl::init(-1), cl::sub(PrepareCmd), cl::cat(qatcCategory()));
static cl::opt<bool> NoLocations("no-locations", cl::desc("Do not print source locations"),
                                 cl::sub(PrepareCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print a JSON summary on stdout"), cl::sub(PrepareCmd),
                          cl::cat(qatcCategory()));
static PluginOption Plugins(PrepareCmd);

cl::SubCommand &prepareSubCommand() { return PrepareCmd; }

int runPrepareCommand() {
  if (int Rc = Plugins.loadOrReport())
    return Rc;
  if (!Output.empty())
    if (auto F = graphFormatForPath(Output); !F)
      return reportError(F.takeError(), ExitBadInput);
  auto Start = std::chrono::steady_clock::now();
  auto Config = ConfigPath.empty()
                    ? llvm::Expected<LinearQuantizerConfig>(defaultLinearQuantizerConfig())
                    : readConfigFile(ConfigPath);
  if (!Config)
    return reportError(Config.takeError(), ExitBadInput);
  auto Resolver = ConfigResolver::create(std::move(*Config));
  if (!Resolver)
    return reportError(Resolver.takeError(), ExitBadInput);
  auto G = loadVerifiedGraph(Input);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  size_t NodesBefore = (*G)->numNodes();

  PrepareOptions Opts;
  if (Explain)
    Opts.Explain = &llvm::errs();
  auto PassStart = std::chrono::steady_clock::now();
  auto Summary = prepareForQAT(**G, *Resolver, Opts);
  double PassMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - PassStart)
          .count();
  if (!Summary)
    return reportError(Input + ": " + llvm::toString(Summary.takeError()), ExitBadInput);
  // An invalid result is our bug, not the input's.
  if (llvm::Error E = verify(**G))
    return reportError("prepare left an invalid graph: " + llvm::toString(std::move(E)),
                       ExitInternal);

  if (!Output.empty() || !Json) {
    PrintOptions Print;
    Print.ElideParamsAbove = ElideParams ? 0 : ElideParamsAbove.getValue();
    Print.PrintLocations = !NoLocations;
    if (llvm::Error E =
            writeGraphFile(**G, Output.empty() ? std::string("-") : Output.getValue(), Print))
      return reportError(std::move(E), ExitBadInput);
  }
  if (Json) {
    double TotalMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - Start).count();
    printJson(llvm::json::Object{{"input", Input.getValue()},
                                 {"output", Output.getValue()},
                                 {"config", ConfigPath.getValue()},
                                 {"nodes_before", int64_t(NodesBefore)},
                                 {"nodes_after", int64_t((*G)->numNodes())},
                                 {"patterns", int64_t(Summary->Patterns)},
                                 {"quantized_patterns", int64_t(Summary->QuantizedPatterns)},
                                 {"batch_norms_folded", int64_t(Summary->BatchNormsFolded)},
                                 {"fake_quant", fakeQuantCensusJson(Summary->FakeQuants)},
                                 {"pass_ms", PassMs},
                                 {"total_ms", TotalMs}});
  }
  return ExitSuccess;
}

} // namespace qatc
