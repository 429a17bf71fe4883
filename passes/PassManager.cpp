//===- PassManager.cpp - Running a pipeline of passes over a graph --------===//
#include "passes/PassManager.h"

#include "ir/Verifier.h"
#include "passes/PassRegistry.h"

#include "llvm/Support/Format.h"

#include <chrono>

namespace qatc {

llvm::Error PassManager::addPipeline(llvm::StringRef Text) {
  auto Elements = parsePipeline(Text);
  if (!Elements)
    return Elements.takeError();
  for (const PipelineElement &E : *Elements) {
    auto P = PassRegistry::get().create(E.Name, E.Options);
    if (!P)
      return P.takeError();
    addPass(std::move(*P));
  }
  return llvm::Error::success();
}

llvm::Error PassManager::run(Graph &G) {
  Timings.clear();
  if (!Context.Decisions)
    Context.Decisions = &Decisions;
  for (auto &P : Passes) {
    auto Start = std::chrono::steady_clock::now();
    llvm::Error E = P->run(G, Context);
    auto Stop = std::chrono::steady_clock::now();
    Timings.push_back(
        {P->name().str(), std::chrono::duration<double, std::milli>(Stop - Start).count()});
    if (E)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "pass '" + P->name() + "' failed: " + llvm::toString(std::move(E)));
    if (VerifyEach)
      if (llvm::Error V = verify(G))
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "the graph is invalid after pass '" + P->name() +
                                           "': " + llvm::toString(std::move(V)));
    if (PrintAfterAll) {
      *PrintAfterAll << "// -----// IR after pass '" << P->name() << "' //----- //\n";
      printGraph(G, *PrintAfterAll, PrintOpts);
    }
  }
  return llvm::Error::success();
}

void PassManager::printTimings(llvm::raw_ostream &OS) const {
  double Total = 0;
  for (const PassTiming &T : Timings)
    Total += T.Milliseconds;
  OS << "===-------------------------------------------===\n"
     << "                Pass execution timing\n"
     << "===-------------------------------------------===\n";
  OS << llvm::format("  Total: %.3f ms\n", Total);
  OS << "   Wall (ms)    %   Pass\n";
  for (const PassTiming &T : Timings)
    OS << llvm::format("  %10.3f  %5.1f%%  %s\n", T.Milliseconds,
                       Total > 0 ? 100.0 * T.Milliseconds / Total : 0.0, T.Name.c_str());
}

} // namespace qatc
