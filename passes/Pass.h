//===- Pass.h - The interface every graph pass implements -------*- C++ -*-===//
//
// A pass has a kebab-case name, string options given in pipeline text
// (`canonicalize{training=true}`) and a run method over one graph.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_PASS_H
#define QATC_PASSES_PASS_H

#include "ir/Graph.h"
#include "passes/QuantDecisions.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>

namespace qatc {

/// Options of one pass instance, as given in pipeline text (sorted by key).
using PassOptions = std::map<std::string, std::string>;

/// What a running pass may use besides the graph.
struct PassContext {
  /// When set, passes explain their decisions here (pattern matches and
  /// failures, quantization choices).
  llvm::raw_ostream *Explain = nullptr;
  /// Quantization decisions passes made for a later prepare in the same
  /// pipeline (the PassManager provides one when unset).
  QuantDecisions *Decisions = nullptr;
};

/// A graph transformation.
class Pass {
public:
  virtual ~Pass() = default;
  /// The registered kebab-case name.
  virtual llvm::StringRef name() const = 0;
  /// Transforms G. Errors are reported with the pass's name by the manager.
  virtual llvm::Error run(Graph &G, PassContext &Ctx) = 0;
};

/// Reads a boolean option (`true`/`false`/`1`/`0`), or Default when absent.
llvm::Expected<bool> getBoolOption(const PassOptions &Opts, llvm::StringRef Pass,
                                   llvm::StringRef Key, bool Default);

} // namespace qatc

#endif // QATC_PASSES_PASS_H
