//===- Builder.cpp - Creating QIR nodes at an insertion point -------------===//
#include "ir/Builder.h"

#include <cassert>

namespace qatc {

Builder::Builder(Graph &G) : G(G) {}

Graph::NodeList::iterator Builder::insertPoint() const {
  switch (Mode) {
  case InsertMode::Before:
    return Anchor->getIterator();
  case InsertMode::After:
    return std::next(Anchor->getIterator());
  case InsertMode::AtEnd:
    break;
  }
  if (Node *Out = G.output())
    return Out->getIterator();
  return G.nodes().end();
}

Node *Builder::inserted(Node *N) {
  N->setLoc(Loc);
  // Consecutive insertions after a node keep their order.
  if (Mode == InsertMode::After)
    Anchor = N;
  notifyNodeCreated(N);
  return N;
}

void Builder::moveInsertionPointOffNode(Node *N) {
  if (Anchor != N)
    return;
  if (Mode == InsertMode::Before) {
    auto Next = std::next(N->getIterator());
    if (Next == G.nodes().end())
      setInsertionPointToEnd();
    else
      Anchor = &*Next;
  } else if (N->getIterator() == G.nodes().begin()) {
    auto Next = std::next(N->getIterator());
    if (Next == G.nodes().end())
      setInsertionPointToEnd();
    else
      setInsertionPointBefore(&*Next);
  } else {
    Anchor = &*std::prev(N->getIterator());
  }
}

Node *Builder::placeholder(llvm::StringRef Name, Type Ty) {
  return inserted(G.createUniquelyNamedNode(NodeKind::Placeholder, nullptr, Name, {},
                                            std::move(Ty), insertPoint()));
}

Node *Builder::getAttr(Parameter *P) {
  Node *N = G.createUniquelyNamedNode(NodeKind::GetAttr, nullptr, P->name(), {}, P->type(),
                                      insertPoint());
  N->setParam(P);
  return inserted(N);
}

llvm::Expected<Node *> Builder::call(llvm::StringRef OpName, llvm::ArrayRef<Node *> Operands,
                                     llvm::SmallVector<NamedAttribute, 0> Attrs,
                                     llvm::StringRef Name) {
  const OpInfo *Op = OpRegistry::get().lookup(OpName);
  if (!Op)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown op '" + OpName + "'");
  if (Operands.size() < Op->minOperands() || Operands.size() > Op->maxOperands())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "op '%s' takes %u to %u operands, not %zu",
                                   Op->name().str().c_str(), Op->minOperands(),
                                   Op->maxOperands(), Operands.size());
  llvm::SmallVector<Type, 4> Types;
  for (Node *O : Operands)
    Types.push_back(O->type());
  llvm::stable_sort(Attrs, [](const NamedAttribute &A, const NamedAttribute &B) {
    return A.Name < B.Name;
  });
  auto Ty = Op->inferType(Types, Attrs);
  if (!Ty)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "op '" + OpName + "': " + llvm::toString(Ty.takeError()));
  return callWithType(Op, Operands, std::move(Attrs), std::move(*Ty),
                      Name.empty() ? OpName : Name);
}

Node *Builder::callWithType(const OpInfo *Op, llvm::ArrayRef<Node *> Operands,
                            llvm::SmallVector<NamedAttribute, 0> Attrs, Type Ty,
                            llvm::StringRef Name) {
  Node *N = G.createUniquelyNamedNode(NodeKind::Call, Op, Name.empty() ? Op->name() : Name,
                                      Operands, std::move(Ty), insertPoint());
  N->setAttrs(std::move(Attrs));
  return inserted(N);
}

Node *Builder::output(llvm::ArrayRef<Node *> Results) {
  assert(!G.output() && "the graph already has an output node");
  return inserted(G.createNode(NodeKind::Output, nullptr, "", Results, Type(), insertPoint()));
}

} // namespace qatc
