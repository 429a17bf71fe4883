//===- GraphEmitter.h - Building the QIR graph of a TorchScript model -*- C++ -*-===//
//
// Creates the nodes of an imported TorchScript model and names them once the
// whole graph is known, as docs/frontends.md specifies: calls by the module
// path they ran in (ModuleNamer), parameters by their PyTorch path, anonymous
// constants after their first user and operand (`layer1.0.mul.rhs`). Until
// finish(), calls carry provisional names starting with `$`.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_TORCHSCRIPT_GRAPHEMITTER_H
#define QATC_FRONTEND_TORCHSCRIPT_GRAPHEMITTER_H

#include "frontend/torchscript/ScriptValue.h"
#include "ir/Builder.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace qatc {

/// Emits the QIR graph of one TorchScript forward.
class GraphEmitter {
public:
  /// Every node created gets Loc.
  GraphEmitter(Graph &G, Location Loc);

  /// The module path of the ops emitted next (empty outside any module).
  void setModulePath(llvm::StringRef Path) { ModulePath = Path.str(); }

  /// A graph input.
  Node *input(llvm::StringRef Name, Type Ty);
  /// A call of Op; attributes equal to the registry default are left out.
  /// Errors come from shape inference.
  llvm::Expected<Node *> call(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
                              llvm::ArrayRef<NamedAttribute> Attrs = {});
  /// The get_attr node reading C, creating its parameter on first use.
  Node *read(const std::shared_ptr<TensorConstant> &C);
  /// A 0-d anonymous constant of type T holding Value, read by get_attr.
  Node *scalar(double Value, DType T);
  /// A 1-d anonymous constant of N copies of Value (f32).
  Node *filled(int64_t N, float Value);
  /// The graph's output node.
  void output(llvm::ArrayRef<Node *> Results);

  /// Removes nodes and parameters nothing uses, then gives every call, and
  /// every anonymous constant, its final name. Call once, after output().
  void finish();

private:
  /// Renames calls after their module paths (see ModuleNamer).
  void nameCalls();
  /// Moves anonymous constants into parameters named after their first user.
  void nameConstants();

  Graph &G;
  Builder B;
  std::string ModulePath;
  /// Module path of every call node.
  llvm::DenseMap<const Node *, std::string> CallPaths;
  /// Anonymous constants read so far, with their provisional parameters.
  std::vector<std::shared_ptr<TensorConstant>> Anonymous;
};

} // namespace qatc

#endif // QATC_FRONTEND_TORCHSCRIPT_GRAPHEMITTER_H
