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
  assert((Kind == NodeKind::Call) == (Op != nullptr) && "only call nodes have an op");
  Node *N = new Node(this, Kind, Op);
  if (Kind != NodeKind::Output) {
    auto Ins = NodeNames.try_emplace(NodeName, N);
    assert(Ins.second && "node name already taken");
    N->NameEntry = &*Ins.first;
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

Node *Graph::findOutput() const {
  for (const Node &N : Nodes)
    if (N.isOutput() && &N != OutputNode)
      return const_cast<Node *>(&N);
  return nullptr;
}

Node *Graph::lookupNode(llvm::StringRef N) const {
  auto It = NodeNames.find(N);
  return It == NodeNames.end() ? nullptr : It->second;
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
  return freshName(Base, NextSuffix, [&](llvm::StringRef S) { return NodeNames.count(S) != 0; });
}

void Graph::rename(Node *N, llvm::StringRef NewName) {
  assert(!N->isOutput() && "the output node has no name");
  if (N->name() == NewName)
    return;
  auto Ins = NodeNames.try_emplace(NewName, N);
  assert(Ins.second && "node name already taken");
  NodeNames.erase(N->NameEntry->getKey());
  N->NameEntry = &*Ins.first;
}

Parameter *Graph::addParameter(llvm::StringRef PName, Type Ty) {
  auto Ins = ParamNames.try_emplace(PName, nullptr);
  assert(Ins.second && "parameter name already taken");
  Parameter *P = new Parameter(&*Ins.first, std::move(Ty));
  Ins.first->second = P;
  Params.push_back(P);
  return P;
}

Parameter *Graph::lookupParameter(llvm::StringRef PName) const {
  auto It = ParamNames.find(PName);
  return It == ParamNames.end() ? nullptr : It->second;
}

std::string Graph::uniqueParameterName(llvm::StringRef Base) {
  return freshName(Base, NextParamSuffix,
                   [&](llvm::StringRef S) { return ParamNames.count(S) != 0; });
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
  llvm::DenseMap<const Parameter *, Parameter *> ParamMap;
  for (const Parameter &P : Params) {
    Parameter *Q = G->addParameter(P.name(), P.type());
    Q->Data = P.Data;
    ParamMap[&P] = Q;
  }
  llvm::DenseMap<const Node *, Node *> NodeMap;
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
