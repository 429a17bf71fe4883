//===- PassManager.h - Running a pipeline of passes over a graph -*- C++ -*-===//
//
// Runs passes in order, optionally verifying the graph after each one,
// printing the IR after each one and timing them.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_PASSMANAGER_H
#define QATC_PASSES_PASSMANAGER_H

#include "ir/text/Printer.h"
#include "passes/Pass.h"
#include "passes/Pipeline.h"

#include <memory>
#include <vector>

namespace qatc {

/// Time spent in one pass.
struct PassTiming {
  std::string Name;
  double Milliseconds = 0;
};

/// Runs a sequence of passes.
class PassManager {
public:
  /// Verify the graph after every pass (the verifier names the pass).
  bool VerifyEach = true;
  /// If set, the graph is printed here after every pass.
  llvm::raw_ostream *PrintAfterAll = nullptr;
  /// How PrintAfterAll prints.
  PrintOptions PrintOpts;
  /// Context handed to every pass.
  PassContext Context;

  /// Appends a pass.
  void addPass(std::unique_ptr<Pass> P) { Passes.push_back(std::move(P)); }
  /// Appends the passes of a pipeline text, creating them from the registry.
  llvm::Error addPipeline(llvm::StringRef Text);
  size_t size() const { return Passes.size(); }

  /// Runs every pass on G. A failing pass or verification stops the run with
  /// an error naming the pass.
  llvm::Error run(Graph &G);

  /// Per-pass timings of the last run, in order.
  llvm::ArrayRef<PassTiming> timings() const { return Timings; }
  /// Prints the timings as a table.
  void printTimings(llvm::raw_ostream &OS) const;

private:
  std::vector<std::unique_ptr<Pass>> Passes;
  std::vector<PassTiming> Timings;
  /// Context.Decisions when the caller gives none.
  QuantDecisions Decisions;
};

} // namespace qatc

#endif // QATC_PASSES_PASSMANAGER_H
