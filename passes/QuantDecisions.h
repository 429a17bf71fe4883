//===- QuantDecisions.h - Per-node quantization decisions for prepare -*- C++ -*-===//
//
// Nodes a pass or plugin asked prepare to keep in float, with who asked.
// prepare treats each like a null module_name_configs entry naming exactly
// that node, checked before the config: the node's whole pattern stays float.
// Decisions are keyed by node name, so they survive passes that rewrite
// other nodes, and live as long as one pipeline run (PassContext) or one
// prepare call (prepare hooks).
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANTDECISIONS_H
#define QATC_PASSES_QUANTDECISIONS_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace qatc {

/// Node name -> who decided to keep it float (`plugin 'keep-ends-float'`).
class QuantDecisions {
public:
  /// Keeps the node named Node in float; By names the decider for --explain.
  void keepFloat(llvm::StringRef Node, llvm::StringRef By) { Float[Node] = By.str(); }
  /// Lets the config decide for Node again.
  void clear(llvm::StringRef Node) { Float.erase(Node); }
  /// Who keeps Node in float, or null when the config decides.
  const std::string *floatDecision(llvm::StringRef Node) const {
    auto It = Float.find(Node);
    return It == Float.end() ? nullptr : &It->second;
  }
  bool empty() const { return Float.empty(); }
  /// Adds every decision of Other (Other's win).
  void merge(const QuantDecisions &Other) {
    for (const auto &E : Other.Float)
      Float[E.getKey()] = E.getValue();
  }

private:
  llvm::StringMap<std::string> Float;
};

} // namespace qatc

#endif // QATC_PASSES_QUANTDECISIONS_H
