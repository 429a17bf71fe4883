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

  /// New nodes go right before N (each after the previous one).
  void setInsertionPointBefore(Node *N) {
    Mode = InsertMode::Before;
    Anchor = N;
  }
  /// New nodes go right after N (each after the previous one).
  void setInsertionPointAfter(Node *N) {
    Mode = InsertMode::After;
    Anchor = N;
  }
  /// New nodes go at the end (before the output node, if any).
  void setInsertionPointToEnd() {
    Mode = InsertMode::AtEnd;
    Anchor = nullptr;
  }

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
  /// Keeps the insertion point valid when N, about to be erased, anchors it.
  void moveInsertionPointOffNode(Node *N);

private:
  enum class InsertMode { AtEnd, Before, After };
  Graph::NodeList::iterator insertPoint() const;
  /// Places N at the insertion point and reports it.
  Node *inserted(Node *N);

  Graph &G;
  InsertMode Mode = InsertMode::AtEnd;
  Node *Anchor = nullptr;
  Location Loc;
};

} // namespace qatc

#endif // QATC_IR_BUILDER_H
