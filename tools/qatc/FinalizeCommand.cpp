//===- FinalizeCommand.cpp - `qatc finalize`: quantized QIR for deployment ===//
#include "tools/qatc/CommandSupport.h"

#include "ir/GraphFile.h"
#include "ir/Verifier.h"
#include "passes/mil/MLPackageWriter.h"
#include "passes/quant/Finalize.h"

#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace qatc {

namespace cl = llvm::cl;

static cl::SubCommand FinalizeCmd("finalize",
                                  "Fold batch norm and observers into quantized ops (after "
                                  "QAT), writing quantized QIR");

static cl::opt<std::string> Input(cl::Positional, cl::desc("<trained prepared .qir/.qirb>"),
                                  cl::Required, cl::sub(FinalizeCmd), cl::cat(qatcCategory()));
static cl::opt<std::string>
    Output("o", cl::desc("Write the quantized graph here: .qir or .qirb (QIR) or .mlpackage (Core ML)"),
           cl::value_desc("path"), cl::Required, cl::sub(FinalizeCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Target("target",
                                   cl::desc("Core ML deployment target: ios16, ios17 (default) or "
                                            "ios18 (.mlpackage output)"),
                                   cl::init("ios17"), cl::sub(FinalizeCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print a JSON summary on stdout"),
                          cl::sub(FinalizeCmd), cl::cat(qatcCategory()));

cl::SubCommand &finalizeSubCommand() { return FinalizeCmd; }

int runFinalizeCommand() {
  bool Package = llvm::StringRef(Output).endswith(".mlpackage");
  if (!Package)
    if (auto F = graphFormatForPath(Output); !F)
      return reportError(F.takeError(), ExitBadInput);
  mil::MilOptions MilOpts;
  auto ParsedTarget = mil::parseTarget(Target);
  if (!ParsedTarget)
    return reportError(ParsedTarget.takeError(), ExitBadInput);
  MilOpts.Target = *ParsedTarget;
  auto G = loadVerifiedGraph(Input);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  auto Start = std::chrono::steady_clock::now();
  auto Summary = finalizeForDeployment(**G);
  double Ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - Start).count();
  if (!Summary)
    return reportError(Input + ": " + llvm::toString(Summary.takeError()), ExitBadInput);
  if (llvm::Error E = verify(**G))
    return reportError("finalize left an invalid graph: " + llvm::toString(std::move(E)),
                       ExitInternal);
  if (llvm::Error E = Package ? mil::writeMLPackage(**G, Output, MilOpts)
                              : writeGraphFile(**G, Output))
    return reportError(std::move(E), ExitBadInput);
  if (Json)
    printJson(llvm::json::Object{
        {"input", Input.getValue()},
        {"output", Output.getValue()},
        {"target", Target.getValue()},
        {"batch_norms_folded", int64_t(Summary->BatchNormsFolded)},
        {"weights_quantized", int64_t(Summary->WeightsQuantized)},
        {"activation_pairs", int64_t(Summary->ActivationPairs)},
        {"parameter_bytes_before", int64_t(Summary->ParameterBytesBefore)},
        {"parameter_bytes_after", int64_t(Summary->ParameterBytesAfter)},
        {"pass_ms", Ms}});
  return ExitSuccess;
}

} // namespace qatc
