//===- Graph.cpp - A QIR graph --------------------------------------------===//
#include "ir/Graph.h"

#include "llvm/ADT/DenseMap.h"

#include <cassert>

namespace qatc {

Graph::Graph(std::string N) : Name(std::move(N)) {}

Graph::~Graph() {
  // Drop every operand first so nodes can be destroyed in any order.
  for (Node &N : Nodes)
    N.dropAllOperands();
  Nodes.clear();
}

std::vector<Node *> Graph::placeholders() const {
  std::vector<Node *> R;
  for (const Node &N : Nodes)
    if (N.isPlaceholder())
      R.push_back(const_cast<Node *>(&N));
  return R;
}

std::vector<Node *> Graph::nodesWithOp(llvm::StringRef OpName) const {
  std::vector<Node *> R;
  for (const Node &N : Nodes)
    if (N.isCallTo(OpName))
      R.push_back(const_cast<Node *>(&N));
  return R;
}

Node *Graph::createNode(NodeKind Kind, const OpInfo *Op, llvm::StringRef NodeName,
                        llvm::ArrayRef<Node *> Operands, Type Ty,
                        NodeList::iterator InsertBefore) {
  return createNodeImpl(Kind, Op, NodeName, /*Uniquify=*/false, Operands, std::move(Ty),
                        InsertBefore);
}

Node *Graph::createUniquelyNamedNode(NodeKind Kind, const OpInfo *Op, llvm::StringRef Base,
                                     llvm::ArrayRef<Node *> Operands, Type Ty,
                                     NodeList::iterator InsertBefore) {
  return createNodeImpl(Kind, Op, Base, /*Uniquify=*/true, Operands, std::move(Ty),
                        InsertBefore);
}

Node *Graph::createNodeImpl(NodeKind Kind, const OpInfo *Op, llvm::StringRef NodeName,
                            bool Uniquify, llvm::ArrayRef<Node *> Operands, Type Ty,
                            NodeList::iterator InsertBefore) {
  assert((Kind == NodeKind::Call) == (Op != nullptr) && "only call nodes have an op");
  Node *N = new (NodeAlloc.Allocate()) Node(this, Kind, Op);
  if (Kind != NodeKind::Output) {
    auto Ins = NodeNames.insert(NodeName, N);
    if (!Ins.second && Uniquify)
      Ins = NodeNames.insert(uniqueName(NodeName), N);
    assert(Ins.second && "node name already taken");
    N->NameEntry = Ins.first;
  }
  N->Ty = std::move(Ty);
  N->setOperands(Operands);
  if (InsertBefore == Nodes.end() && (Nodes.empty() || Nodes.back().Order < UINT32_MAX))
    N->Order = Nodes.empty() ? 0 : Nodes.back().Order + 1;
  else
    OrdersValid = false;
  Nodes.insert(InsertBefore, N);
  if (Kind == NodeKind::Output && !OutputNode)
    OutputNode = N;
  return N;
}

void Graph::destroyNode(Node *N) {
  N->~Node();
  NodeAlloc.Deallocate(N);
}

void Graph::ensureOrdered() const {
  if (!OrdersValid)
    ensureDenseOrder();
}

void Graph::ensureDenseOrder() const {
  if (OrdersValid && OrdersDense)
    return;
  uint32_t I = 0;
  for (const Node &N : Nodes)
    N.Order = I++;
  OrdersValid = OrdersDense = true;
}

void Graph::erase(Node *N) {
  assert(N->graph() == this && "erasing a node of another graph");
  assert(!N->hasUses() && "erasing a node that still has uses");
  if (N->NameEntry)
    NodeNames.erase(N->NameEntry->getKey());
  if (N == OutputNode)
    OutputNode = findOutput();
  N->NameEntry = nullptr;
  if (&Nodes.back() != N)
    OrdersDense = false;
  Nodes.erase(N);
}

void Graph::moveBefore(Node *N, Node *Before) {
  assert(N->graph() == this && Before->graph() == this && "moving across graphs");
  if (N == Before || std::next(N->getIterator()) == Before->getIterator())
    return;
  Nodes.splice(Before->getIterator(), Nodes, N->getIterator());
  OrdersValid = false;
}

Node *Graph::findOutput() const {
  for (const Node &N : Nodes)
    if (N.isOutput() && &N != OutputNode)
      return const_cast<Node *>(&N);
  return nullptr;
}

Node *Graph::lookupNode(llvm::StringRef N) const {
  auto *E = NodeNames.find(N);
  return E ? E->getValue() : nullptr;
}

/// Appends _1, _2, ... to Base until Taken says no.
template <typename TakenFn>
static std::string freshName(llvm::StringRef Base, llvm::StringMap<unsigned> &Next,
                             TakenFn Taken) {
  if (!Taken(Base))
    return Base.str();
  unsigned &K = Next[Base];
  std::string Candidate;
  do {
    Candidate = (Base + "_" + llvm::Twine(++K)).str();
  } while (Taken(Candidate));
  return Candidate;
}

std::string Graph::uniqueName(llvm::StringRef Base) {
  return freshName(Base, NextSuffix,
                   [&](llvm::StringRef S) { return NodeNames.find(S) != nullptr; });
}

void Graph::rename(Node *N, llvm::StringRef NewName) {
  assert(!N->isOutput() && "the output node has no name");
  if (N->name() == NewName)
    return;
  auto Ins = NodeNames.insert(NewName, N);
  assert(Ins.second && "node name already taken");
  NodeNames.erase(N->NameEntry->getKey());
  N->NameEntry = Ins.first;
}

Parameter *Graph::addParameter(llvm::StringRef PName, Type Ty) {
  auto Ins = ParamNames.insert(PName, nullptr);
  assert(Ins.second && "parameter name already taken");
  Parameter *P = new Parameter(Ins.first, std::move(Ty));
  Ins.first->setValue(P);
  Params.push_back(P);
  return P;
}

Parameter *Graph::lookupParameter(llvm::StringRef PName) const {
  auto *E = ParamNames.find(PName);
  return E ? E->getValue() : nullptr;
}

std::string Graph::uniqueParameterName(llvm::StringRef Base) {
  return freshName(Base, NextParamSuffix,
                   [&](llvm::StringRef S) { return ParamNames.find(S) != nullptr; });
}

void Graph::reserveNames(size_t MoreNodes, size_t MoreParams) {
  NodeNames.reserve(NodeNames.size() + MoreNodes);
  ParamNames.reserve(ParamNames.size() + MoreParams);
}

void Graph::eraseParameter(Parameter *P) {
#ifndef NDEBUG
  for (const Node &N : Nodes)
    assert(N.param() != P && "erasing a parameter that a get_attr node reads");
#endif
  ParamNames.erase(P->name());
  Params.erase(P);
}

size_t Graph::parameterBytes() const {
  size_t Total = 0;
  for (const Parameter &P : Params)
    Total += P.byteSize();
  return Total;
}

std::unique_ptr<Graph> Graph::clone() const {
  auto G = std::make_unique<Graph>(Name);
  G->NodeNames.reserve(NodeNames.size());
  G->ParamNames.reserve(ParamNames.size());
  llvm::DenseMap<const Parameter *, Parameter *> ParamMap;
  ParamMap.reserve(ParamNames.size());
  for (const Parameter &P : Params) {
    Parameter *Q = G->addParameter(P.name(), P.type());
    Q->Data = P.Data;
    ParamMap[&P] = Q;
  }
  llvm::DenseMap<const Node *, Node *> NodeMap;
  NodeMap.reserve(NodeNames.size() + 1);
  llvm::SmallVector<Node *, 4> Ops;
  for (const Node &N : Nodes) {
    Ops.clear();
    for (const Use &U : N.operandUses())
      Ops.push_back(NodeMap.lookup(U.get()));
    Node *M = G->createNode(N.kind(), N.op(), N.name(), Ops, N.type(), G->Nodes.end());
    M->Attrs = N.Attrs;
    M->Loc = N.Loc;
    if (N.param())
      M->Param = ParamMap.lookup(N.param());
    NodeMap[&N] = M;
  }
  return G;
}

} // namespace qatc

void llvm::ilist_alloc_traits<qatc::Node>::deleteNode(qatc::Node *N) {
  N->graph()->destroyNode(N);
}
