//===- AtenOps.h - The TorchScript op-mapping table -------------*- C++ -*-===//
//
// The one table that says how each TorchScript node kind (`aten::conv2d`,
// `prim::ListConstruct`, ...) becomes canonical QIR (docs/frontends.md) or
// folds to a constant. A handler reads the node's arguments through AtenCall,
// emits QIR through the GraphEmitter and returns one ScriptValue per node
// output. Nodes that need libtorch itself (constants, attributes, calls,
// control flow) are handled by the importer, not here.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_TORCHSCRIPT_ATENOPS_H
#define QATC_FRONTEND_TORCHSCRIPT_ATENOPS_H

#include "frontend/torchscript/AtenCall.h"

#include <optional>
#include <vector>

namespace qatc {

/// Imports one node; returns one value per node output (ignored after a
/// recorded failure).
using AtenHandler = std::vector<ScriptValue> (*)(AtenCall &);

/// How a node kind is imported.
struct AtenOpMapping {
  AtenHandler Handler;
  /// The QIR op the handler emits, for handlers shared by several kinds.
  llvm::StringRef QirOp;
};

/// The mapping of a TorchScript node kind (`aten::relu_`), or nullopt when
/// qatc does not support it.
std::optional<AtenOpMapping> lookupAtenOp(llvm::StringRef Kind);

} // namespace qatc

#endif // QATC_FRONTEND_TORCHSCRIPT_ATENOPS_H
