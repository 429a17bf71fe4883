//===- ImportSupport.h - Helpers shared by the ONNX and TorchScript importers -*- C++ -*-===//
//
// Module-path naming (the names per-layer quantization configs refer to),
// the report of unsupported ops, and small builders for canonical QIR.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_IMPORTSUPPORT_H
#define QATC_FRONTEND_IMPORTSUPPORT_H

#include "ir/Builder.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qatc {

/// Collects every unsupported op met during an import, so the error lists all
/// of them at once: each op type with its count and the first node names.
class UnsupportedOpReport {
public:
  /// Records one node of an unsupported op type.
  void add(llvm::StringRef OpType, llvm::StringRef NodeName);
  bool empty() const { return Ops.empty(); }
  /// The error for File, e.g. "model.onnx: 2 unsupported op types: Resize
  /// (3 nodes: /up/Resize, ...), NonMaxSuppression (1 node: nms); ...".
  llvm::Error toError(llvm::StringRef File, llvm::StringRef Hint) const;

private:
  struct Entry {
    unsigned Count = 0;
    std::vector<std::string> FirstNames;
  };
  llvm::MapVector<std::string, Entry, llvm::StringMap<unsigned>> Ops;
};

/// Names nodes after the PyTorch module that produced them, the same way for
/// both frontends. Each op is recorded with its module path and op kind; once
/// all are known, a module whose path extends another's makes the latter a
/// container. Ops of leaf modules are named by the module path
/// (`layer1.0.conv1`); ops run by a container's own forward are named
/// `<path>.<op>` (`layer1.0.add`); ops outside any module by the op
/// (`flatten`). Repeats get `_1`, `_2`, ... (`layer1.0.relu_1`).
class ModuleNamer {
public:
  /// Records an op; returns its ticket for name().
  unsigned add(llvm::StringRef ModulePath, llvm::StringRef OpKind);
  /// The final name of a recorded op (call after every add()).
  std::string name(unsigned Ticket);

private:
  struct Entry {
    std::string Path, Kind;
  };
  std::vector<Entry> Entries;
  std::vector<std::string> Names;
  void assign();
};

/// The module path of a node name written by torch.onnx.export, such as
/// `/layer1/layer1.0/conv1/Conv` -> `layer1.0.conv1`, or nullopt when the
/// name does not have that form. Scope components that extend the previous
/// one (`layer1` then `layer1.0`) replace it.
std::optional<std::string> modulePathFromOnnxName(llvm::StringRef NodeName);

/// Sets an attribute on a list under construction unless it equals the op's
/// registry default (canonical QIR leaves defaults out).
void addAttrUnlessDefault(const OpInfo &Op, llvm::SmallVectorImpl<NamedAttribute> &Attrs,
                          llvm::StringRef Name, Attribute Value);

/// Canonical spatial padding: one value per spatial dim when symmetric,
/// otherwise begins then ends.
std::vector<int64_t> canonicalPadding(llvm::ArrayRef<int64_t> Begins,
                                      llvm::ArrayRef<int64_t> Ends);

} // namespace qatc

#endif // QATC_FRONTEND_IMPORTSUPPORT_H
