//===- Builder.h - Creating QIR nodes at an insertion point -----*- C++ -*-===//
//
// Builder creates nodes at an insertion point, gives them unique names
// derived from a base and infers call results through the op registry.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_BUILDER_H
#define QATC_IR_BUILDER_H

#include "ir/Graph.h"

namespace qatc {

/// Creates nodes in a graph at an insertion point.
class Builder {
public:
  /// Inserts at the end of G (before its output node, if any).
  explicit Builder(Graph &G);
  virtual ~Builder() = default;

  Graph &graph() const { return G; }

  /// New nodes go right before N.
  void setInsertionPointBefore(Node *N) { InsertPt = N->getIterator(); AtEnd = false; }
  /// New nodes go right after N.
  void setInsertionPointAfter(Node *N) { InsertPt = std::next(N->getIterator()); AtEnd = false; }
  /// New nodes go at the end (before the output node, if any).
  void setInsertionPointToEnd() { AtEnd = true; }

  /// Location given to every new node.
  void setLoc(Location L) { Loc = L; }

  /// A graph input named Name (uniqued).
  Node *placeholder(llvm::StringRef Name, Type Ty);
  /// A get_attr node reading P, named after it (uniqued).
  Node *getAttr(Parameter *P);
  /// A call of the op named OpName. The result type is inferred; an unknown
  /// op or operands that do not fit give an error naming the op.
  llvm::Expected<Node *> call(llvm::StringRef OpName, llvm::ArrayRef<Node *> Operands,
                              llvm::SmallVector<NamedAttribute, 0> Attrs = {},
                              llvm::StringRef Name = "");
  /// A call with a given result type (no inference); the op must exist.
  Node *callWithType(const OpInfo *Op, llvm::ArrayRef<Node *> Operands,
                     llvm::SmallVector<NamedAttribute, 0> Attrs, Type Ty, llvm::StringRef Name);
  /// The output node; the graph must not have one yet.
  Node *output(llvm::ArrayRef<Node *> Results);

protected:
  /// Called for every node this builder creates.
  virtual void notifyNodeCreated(Node *N) {}

private:
  Graph::NodeList::iterator insertPoint() const;

  Graph &G;
  Graph::NodeList::iterator InsertPt;
  bool AtEnd = true;
  Location Loc;
};

} // namespace qatc

#endif // QATC_IR_BUILDER_H
