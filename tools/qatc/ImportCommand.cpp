//===- ImportCommand.cpp - `qatc import`: model file to QIR ---------------===//
#include "tools/qatc/CommandSupport.h"

#include "frontend/Importer.h"
#include "ir/GraphFile.h"

#include <chrono>
#include <map>

namespace qatc {

namespace cl = llvm::cl;

static cl::SubCommand ImportCmd("import", "Import an ONNX or TorchScript model into QIR");

static cl::opt<std::string> Input(cl::Positional, cl::desc("<model .onnx/.pt>"), cl::Required,
                                  cl::sub(ImportCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o", cl::desc("Output graph (.qir or .qirb)"),
                                   cl::value_desc("path"), cl::Required, cl::sub(ImportCmd),
                                   cl::cat(qatcCategory()));
static cl::list<std::string>
    InputShapes("input-shape", cl::desc("Fix an input's shape, e.g. input=1x3x224x224; ? leaves a dim open "
                         "(input=?x3x224x224 accepts any batch size)"),
                cl::value_desc("name=dims"), cl::sub(ImportCmd), cl::cat(qatcCategory()));
static cl::opt<bool> ElideParams("elide-params",
                                 cl::desc("Write parameters as 'elided' (text output only)"),
                                 cl::sub(ImportCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print a JSON summary on stdout"), cl::sub(ImportCmd),
                          cl::cat(qatcCategory()));

cl::SubCommand &importSubCommand() { return ImportCmd; }

int runImportCommand() {
  ImportOptions Opts;
  for (const std::string &Spec : InputShapes)
    if (llvm::Error E = parseInputShapeSpec(Spec, Opts))
      return reportError(std::move(E), ExitBadInput);
  if (auto F = graphFormatForPath(Output); !F)
    return reportError(F.takeError(), ExitBadInput);
  auto Start = std::chrono::steady_clock::now();
  auto G = importModel(Input, Opts);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  double ImportMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - Start).count();
  PrintOptions Print;
  if (ElideParams)
    Print.ElideParamsAbove = 0;
  if (llvm::Error E = writeGraphFile(**G, Output, Print))
    return reportError(std::move(E), ExitBadInput);
  if (Json) {
    std::map<std::string, int64_t> Ops;
    for (const Node &N : (*G)->nodes())
      if (N.isCall())
        ++Ops[N.op()->name().str()];
    llvm::json::Object OpCounts;
    for (const auto &KV : Ops)
      OpCounts[KV.first] = KV.second;
    printJson(llvm::json::Object{{"model", Input.getValue()},
                                 {"output", Output.getValue()},
                                 {"nodes", int64_t((*G)->numNodes())},
                                 {"ops", std::move(OpCounts)},
                                 {"parameters", int64_t((*G)->params().size())},
                                 {"parameter_bytes", int64_t((*G)->parameterBytes())},
                                 {"import_ms", ImportMs}});
  }
  return ExitSuccess;
}

} // namespace qatc
