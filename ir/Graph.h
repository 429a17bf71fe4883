//===- Graph.h - A QIR graph ------------------------------------*- C++ -*-===//
//
// A graph owns its nodes (an intrusive list in program order), the table of
// unique node names and its named parameters. All structural mutation goes
// through this class, Node's operand/use API, or Builder.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_GRAPH_H
#define QATC_IR_GRAPH_H

#include "ir/NameTable.h"
#include "ir/Node.h"
#include "ir/Parameter.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/ilist.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/RecyclingAllocator.h"

#include <memory>
#include <string>
#include <vector>

namespace qatc {

/// The most nodes a graph file (.qir, .qirb) may hold. Readers count before
/// they build, so a hostile file cannot exhaust memory: a node takes about
/// 350 bytes, so a graph at the limit needs about 1.4 GB, while real models
/// have well under 100,000 nodes.
constexpr size_t kMaxGraphFileNodes = 4'000'000;

/// A QIR graph: nodes in a stable list, unique names, and parameters.
class Graph {
public:
  using NodeList = llvm::iplist<Node>;
  using ParamList = llvm::iplist<Parameter>;

  explicit Graph(std::string Name = "main");
  ~Graph();
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  llvm::StringRef name() const { return Name; }
  void setName(std::string N) { Name = std::move(N); }

  // Nodes.
  NodeList &nodes() { return Nodes; }
  const NodeList &nodes() const { return Nodes; }
  size_t numNodes() const { return Nodes.size(); }
  /// The output node, or null while the graph has none. (A graph being
  /// built or parsed may transiently hold more; the first one created wins
  /// and the verifier rejects the rest.)
  Node *output() const { return OutputNode; }
  /// The placeholder nodes, in order.
  std::vector<Node *> placeholders() const;
  /// Every call of the op named OpName, in order.
  std::vector<Node *> nodesWithOp(llvm::StringRef OpName) const;

  /// Creates a node named Name (which must be free; empty for the output
  /// node) before InsertBefore, with the given operands and type.
  Node *createNode(NodeKind Kind, const OpInfo *Op, llvm::StringRef Name,
                   llvm::ArrayRef<Node *> Operands, Type Ty, NodeList::iterator InsertBefore);
  /// Like createNode, named uniqueName(Base) (one name-table probe when Base
  /// is free, without building the name first).
  Node *createUniquelyNamedNode(NodeKind Kind, const OpInfo *Op, llvm::StringRef Base,
                                llvm::ArrayRef<Node *> Operands, Type Ty,
                                NodeList::iterator InsertBefore);
  /// Makes Node::order() valid. Appending keeps orders valid; inserting
  /// elsewhere invalidates them until the next call, which renumbers.
  void ensureOrdered() const;
  /// Makes Node::order() the node's position (0, 1, ...); erasing leaves
  /// gaps in valid orders, so this renumbers after erasures.
  void ensureDenseOrder() const;
  /// Unlinks and deletes a node; it must have no uses left.
  void erase(Node *N);
  /// Moves N right before Before, keeping the node (its name, operands and
  /// uses); the caller keeps every operand before its users.
  void moveBefore(Node *N, Node *Before);

  // Names.
  /// The node named Name, or null.
  Node *lookupNode(llvm::StringRef Name) const;
  /// Base if no node has that name, else Base_1, Base_2, ...
  std::string uniqueName(llvm::StringRef Base);
  /// Renames a node; the new name must be free.
  void rename(Node *N, llvm::StringRef NewName);
  /// Starts loading the name-table slot of a node name that is about to be
  /// created or looked up. Only a hint: on graphs whose name table outgrows
  /// the caches every new name costs a cache miss, and a pass that creates
  /// many nodes can name them a few steps ahead so the misses overlap.
  void prefetchNodeName(llvm::StringRef Name) const { NodeNames.prefetch(Name); }

  // Parameters.
  ParamList &params() { return Params; }
  const ParamList &params() const { return Params; }
  /// Adds a parameter without data; the name must be free.
  Parameter *addParameter(llvm::StringRef Name, Type Ty);
  /// The parameter named Name, or null.
  Parameter *lookupParameter(llvm::StringRef Name) const;
  /// A parameter name that is free, derived from Base.
  std::string uniqueParameterName(llvm::StringRef Base);
  /// prefetchNodeName for a parameter name.
  void prefetchParameterName(llvm::StringRef Name) const { ParamNames.prefetch(Name); }
  /// Makes room in the name tables for this many more nodes and parameters,
  /// so a pass that knows how many it adds grows them once.
  void reserveNames(size_t MoreNodes, size_t MoreParams);
  /// Removes a parameter; no get_attr node may still read it.
  void eraseParameter(Parameter *P);
  /// Total bytes of parameter data implied by the parameter types.
  size_t parameterBytes() const;

  /// A deep copy of the structure; parameter data is shared copy-on-write.
  std::unique_ptr<Graph> clone() const;

private:
  friend struct llvm::ilist_alloc_traits<Node>;
  Node *createNodeImpl(NodeKind Kind, const OpInfo *Op, llvm::StringRef Name, bool Uniquify,
                       llvm::ArrayRef<Node *> Operands, Type Ty,
                       NodeList::iterator InsertBefore);
  /// Destroys a node unlinked from Nodes and recycles its storage.
  void destroyNode(Node *N);
  /// Another output node than OutputNode, or null (after erasing it).
  Node *findOutput() const;

  std::string Name;
  Node *OutputNode = nullptr;
  /// True while node orders grow strictly along the list.
  mutable bool OrdersValid = true;
  /// True while valid orders are also positions (no node erased since).
  mutable bool OrdersDense = true;
  /// Node storage (declared before Nodes, which it outlives): nodes created
  /// one after another sit one after another in memory, with one stride, so
  /// walking a graph built or cloned in order streams through memory instead
  /// of chasing list pointers across the heap (on 1M-node graphs that is
  /// about 15 ns per node instead of 100). Erased nodes' slots are reused.
  llvm::RecyclingAllocator<llvm::BumpPtrAllocator, Node> NodeAlloc;
  NodeList Nodes;
  ParamList Params;
  NameTable<Node> NodeNames;
  NameTable<Parameter> ParamNames;
  /// Next suffix to try per base name, so uniqueName stays O(1) amortized.
  llvm::StringMap<unsigned> NextSuffix;
  llvm::StringMap<unsigned> NextParamSuffix;
};

} // namespace qatc

#endif // QATC_IR_GRAPH_H
