//===- StatsCommand.cpp - `qatc stats`: graph statistics as JSON ----------===//
#include "tools/qatc/CommandSupport.h"

#include "passes/quant/PreparedGraph.h"

#include "llvm/ADT/StringMap.h"

#include <map>

namespace qatc {

namespace cl = llvm::cl;

static cl::SubCommand StatsCmd("stats", "Print statistics of a graph as one JSON object");

static cl::opt<std::string> Input(cl::Positional, cl::desc("<input .qir/.qirb>"), cl::Required,
                                  cl::sub(StatsCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Accepted for uniformity: stats always prints JSON"),
                          cl::sub(StatsCmd), cl::cat(qatcCategory()));

cl::SubCommand &statsSubCommand() { return StatsCmd; }

int runStatsCommand() {
  auto G = loadVerifiedGraph(Input);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  std::map<std::string, int64_t> Ops;
  int64_t Placeholders = 0, Outputs = 0;
  for (const Node &N : (*G)->nodes()) {
    if (N.isCall())
      ++Ops[N.op()->name().str()];
    Placeholders += N.isPlaceholder();
    if (N.isOutput())
      Outputs += N.numOperands();
  }
  llvm::json::Object OpCounts;
  for (const auto &KV : Ops)
    OpCounts[KV.first] = KV.second;
  int64_t NumParams = (*G)->params().size();
  llvm::json::Object Stats{{"graph", (*G)->name()},
                           {"nodes", int64_t((*G)->numNodes())},
                           {"inputs", Placeholders},
                           {"outputs", Outputs},
                           {"ops", std::move(OpCounts)},
                           {"parameters", NumParams},
                           {"parameter_bytes", int64_t((*G)->parameterBytes())}};
  // Prepared graphs: how many fake quants, sharing which observer states.
  if (Ops.count("fake_quantize"))
    Stats["fake_quant"] = fakeQuantCensusJson(countFakeQuants(**G));
  printJson(std::move(Stats));
  return ExitSuccess;
}

} // namespace qatc
