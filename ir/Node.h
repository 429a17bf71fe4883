//===- Node.h - Nodes of a QIR graph and their uses -------------*- C++ -*-===//
//
// A node is a placeholder (graph input), a get_attr (reads a parameter), a
// call of a registered op, or the output. Nodes live in their graph's
// intrusive list; every operand is a Use linked into its producer's use list,
// so `add(%x, %x)` has two uses of %x and replace-all-uses-with is exact.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_NODE_H
#define QATC_IR_NODE_H

#include "ir/Attribute.h"
#include "ir/Location.h"
#include "ir/OpRegistry.h"
#include "ir/Type.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/ilist.h"
#include "llvm/ADT/iterator_range.h"
#include "llvm/ADT/ilist_node.h"

#include <iterator>

namespace qatc {

class Graph;
class Node;
class Parameter;

/// One operand slot of a node: which node it reads, linked into that node's
/// list of uses.
class Use {
public:
  /// The node whose result is used.
  Node *get() const { return Value; }
  /// The node that has this operand.
  Node *user() const { return User; }
  /// Index of this operand in its user.
  unsigned operandNumber() const;
  /// The next use of the same value.
  Use *next() const { return Next; }
  /// Points this operand at another node (relinks the use lists).
  void set(Node *V);

private:
  friend class Node;
  void link();
  void unlink();

  Node *Value = nullptr;
  Node *User = nullptr;
  Use *Next = nullptr;
  Use **Prev = nullptr;
};

/// Iterates over the uses of one node.
class UseIterator {
public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = Use;
  using difference_type = std::ptrdiff_t;
  using pointer = Use *;
  using reference = Use &;

  explicit UseIterator(Use *U = nullptr) : U(U) {}
  Use &operator*() const { return *U; }
  Use *operator->() const { return U; }
  UseIterator &operator++() {
    U = U->next();
    return *this;
  }
  UseIterator operator++(int) {
    UseIterator Old = *this;
    ++*this;
    return Old;
  }
  bool operator==(const UseIterator &O) const { return U == O.U; }
  bool operator!=(const UseIterator &O) const { return U != O.U; }

private:
  Use *U;
};

/// The four node kinds of torch.fx, made strict.
enum class NodeKind : uint8_t { Placeholder, GetAttr, Call, Output };

/// Spelling of a node kind in messages.
llvm::StringRef nodeKindName(NodeKind K);

/// A node of a QIR graph. Created and destroyed only through Graph.
class Node : public llvm::ilist_node<Node> {
public:
  Node(const Node &) = delete;
  Node &operator=(const Node &) = delete;
  ~Node();

  NodeKind kind() const { return Kind; }
  bool isPlaceholder() const { return Kind == NodeKind::Placeholder; }
  bool isGetAttr() const { return Kind == NodeKind::GetAttr; }
  bool isCall() const { return Kind == NodeKind::Call; }
  bool isOutput() const { return Kind == NodeKind::Output; }
  /// True for a call of the op named Name.
  bool isCallTo(llvm::StringRef Name) const { return Op && Op->name() == Name; }

  /// The graph that owns this node.
  Graph *graph() const { return Parent; }
  /// A number that grows along the node list, valid after
  /// Graph::ensureOrdered(): A comes before B iff A->order() < B->order().
  uint32_t order() const { return Order; }
  /// The op of a call node (null for other kinds).
  const OpInfo *op() const { return Op; }
  /// The op name of a call node, else the kind's name.
  llvm::StringRef opName() const;

  /// The node's unique name (empty for the output node).
  llvm::StringRef name() const { return NameEntry ? NameEntry->getKey() : llvm::StringRef(); }
  /// True when the graph's name table maps this node's name to this node.
  bool ownsName() const { return NameEntry && NameEntry->getValue() == this; }

  /// The result type (none for the output node).
  const Type &type() const { return Ty; }
  void setType(Type T) { Ty = std::move(T); }

  /// The parameter a get_attr node reads.
  Parameter *param() const { return Param; }
  /// Points a get_attr node at another parameter of the same graph.
  void setParam(Parameter *P) { Param = P; }

  const Location &loc() const { return Loc; }
  void setLoc(Location L) { Loc = L; }

  // Operands.
  unsigned numOperands() const { return Operands.size(); }
  Node *operand(unsigned I) const { return Operands[I].get(); }
  llvm::ArrayRef<Use> operandUses() const { return Operands; }
  /// The operand nodes, in order.
  llvm::SmallVector<Node *, 4> operands() const;
  void setOperand(unsigned I, Node *V) { Operands[I].set(V); }
  /// Replaces the whole operand list.
  void setOperands(llvm::ArrayRef<Node *> Vs);

  // Uses of this node's result.
  llvm::iterator_range<UseIterator> uses() const {
    return {UseIterator(FirstUse), UseIterator()};
  }
  bool hasUses() const { return FirstUse != nullptr; }
  bool hasOneUse() const { return FirstUse && !FirstUse->next(); }
  unsigned numUses() const;
  /// The distinct users, in no particular order.
  llvm::SmallVector<Node *, 4> users() const;
  /// Makes every use of this node use New instead.
  void replaceAllUsesWith(Node *New);

  // Attributes, kept sorted by name.
  llvm::ArrayRef<NamedAttribute> attrs() const { return Attrs; }
  /// The attribute set on this node, or null (ignores registry defaults).
  const Attribute *getExplicitAttr(llvm::StringRef Name) const;
  /// The attribute set on this node, else the op's default, else null.
  const Attribute *attr(llvm::StringRef Name) const;
  int64_t getInt(llvm::StringRef Name) const { return attr(Name)->getInt(); }
  double getFloat(llvm::StringRef Name) const { return attr(Name)->getFloat(); }
  bool getBool(llvm::StringRef Name) const { return attr(Name)->getBool(); }
  llvm::ArrayRef<int64_t> getInts(llvm::StringRef Name) const { return attr(Name)->getInts(); }
  /// Sets (or replaces) an attribute.
  void setAttr(llvm::StringRef Name, Attribute Value);
  /// Removes an attribute; returns whether it was set.
  bool removeAttr(llvm::StringRef Name);
  /// Replaces all attributes (they are sorted by name here).
  void setAttrs(llvm::SmallVector<NamedAttribute, 0> As);

private:
  friend class Graph;
  friend class Use;
  Node(Graph *G, NodeKind K, const OpInfo *Op) : Kind(K), Op(Op), Parent(G) {}
  void dropAllOperands();

  NodeKind Kind;
  /// See order(); maintained by Graph.
  mutable uint32_t Order = 0;
  const OpInfo *Op;
  Graph *Parent;
  llvm::StringMapEntry<Node *> *NameEntry = nullptr;
  Parameter *Param = nullptr;
  Use *FirstUse = nullptr;
  Type Ty;
  llvm::SmallVector<Use, 2> Operands;
  llvm::SmallVector<NamedAttribute, 0> Attrs;
  Location Loc;
};

} // namespace qatc

namespace llvm {
/// A graph's node list hands erased nodes back to the graph's node storage
/// (Graph allocates nodes next to each other; see Graph::NodeAlloc).
template <> struct ilist_alloc_traits<qatc::Node> {
  static void deleteNode(qatc::Node *N);
};
} // namespace llvm

#endif // QATC_IR_NODE_H
