//===- PluginHost.h - The host side of the plugin C ABI ---------*- C++ -*-===//
//
// What the opaque handles of qatc_plugin.h are inside qatc, and the function
// table handed to plugins. Used by the loader and by tests that drive the
// table without a shared library; plugins never see this header.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_PLUGIN_PLUGINHOST_H
#define QATC_PASSES_PLUGIN_PLUGINHOST_H

#include "ir/Graph.h"
#include "passes/QuantDecisions.h"
#include "passes/plugin/qatc_plugin.h"

#include "llvm/ADT/StringRef.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace qatc {
/// A pass or prepare hook a plugin registers.
struct PluginCallback {
  std::string Name;
  std::string Description;
  qatc_graph_fn Run = nullptr;
  void *UserData = nullptr;
};
} // namespace qatc

/// A plugin callback's error message.
struct qatc_error {
  std::string Message;
};

/// A graph as a plugin callback sees it.
struct qatc_graph {
  explicit qatc_graph(qatc::Graph &G) : G(G) {}
  qatc::Graph &G;
  /// Where set_quantization writes; null refuses decisions.
  qatc::QuantDecisions *Decisions = nullptr;
  /// False in prepare hooks: the graph is read-only there.
  bool AllowMutation = true;
  /// Who decides, for --explain (`plugin 'x' (pass 'y')`).
  std::string DecidedBy;
  /// Why the last host call failed.
  std::string LastError;
};

/// What one plugin registers; the loader commits it after register_plugin
/// returned and every registration was accepted.
struct qatc_registrar {
  std::vector<qatc::PluginCallback> Passes;
  std::vector<qatc::PluginCallback> Hooks;
  /// Backend rows; their op names point into OpNames.
  std::vector<qatc_backend_op> Rows;
  std::deque<std::string> OpNames;
  std::vector<std::pair<std::string, std::string>> Fusions;
  /// The first refused registration, which fails the load.
  std::string Refused;
};

namespace qatc {

/// The function table handed to every plugin.
const qatc_host_api &pluginHostApi();

/// A qatc_string viewing S.
inline qatc_string toQatcString(llvm::StringRef S) { return {S.data(), S.size()}; }
/// A StringRef viewing S (null data reads as empty).
inline llvm::StringRef fromQatcString(qatc_string S) {
  return S.data ? llvm::StringRef(S.data, S.size) : llvm::StringRef();
}

} // namespace qatc

#endif // QATC_PASSES_PLUGIN_PLUGINHOST_H
