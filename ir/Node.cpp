//===- Node.cpp - Nodes of a QIR graph and their uses ---------------------===//
#include "ir/Node.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cassert>

namespace qatc {

llvm::StringRef nodeKindName(NodeKind K) {
  switch (K) {
  case NodeKind::Placeholder: return "placeholder";
  case NodeKind::GetAttr: return "get_attr";
  case NodeKind::Call: return "call";
  case NodeKind::Output: return "output";
  }
  return "?";
}

unsigned Use::operandNumber() const { return this - User->Operands.data(); }

void Use::link() {
  if (!Value)
    return;
  Next = Value->FirstUse;
  if (Next)
    Next->Prev = &Next;
  Prev = &Value->FirstUse;
  Value->FirstUse = this;
}

void Use::unlink() {
  if (!Value)
    return;
  *Prev = Next;
  if (Next)
    Next->Prev = Prev;
  Next = nullptr;
  Prev = nullptr;
}

void Use::set(Node *V) {
  unlink();
  Value = V;
  link();
}

Node::~Node() {
  assert(!FirstUse && "destroying a node that still has uses");
  dropAllOperands();
}

llvm::StringRef Node::opName() const { return Op ? Op->name() : nodeKindName(Kind); }

llvm::SmallVector<Node *, 4> Node::operands() const {
  llvm::SmallVector<Node *, 4> R;
  for (const Use &U : Operands)
    R.push_back(U.get());
  return R;
}

void Node::dropAllOperands() {
  for (Use &U : Operands)
    U.unlink();
  Operands.clear();
}

void Node::setOperands(llvm::ArrayRef<Node *> Vs) {
  // Uses are linked by address, so unlink all before the vector may move.
  dropAllOperands();
  Operands.resize(Vs.size());
  for (size_t I = 0; I < Vs.size(); ++I) {
    Operands[I].User = this;
    Operands[I].Value = Vs[I];
    Operands[I].link();
  }
}

unsigned Node::numUses() const {
  unsigned N = 0;
  for (Use *U = FirstUse; U; U = U->next())
    ++N;
  return N;
}

llvm::SmallVector<Node *, 4> Node::users() const {
  llvm::SmallVector<Node *, 4> R;
  for (Use *U = FirstUse; U; U = U->next())
    if (!llvm::is_contained(R, U->user()))
      R.push_back(U->user());
  return R;
}

void Node::replaceAllUsesWith(Node *New) {
  assert(New != this && "replacing a node's uses with itself");
  while (FirstUse)
    FirstUse->set(New);
}

const Attribute *Node::getExplicitAttr(llvm::StringRef Name) const {
  for (const NamedAttribute &A : Attrs)
    if (A.Name == Name)
      return &A.Value;
  return nullptr;
}

const Attribute *Node::attr(llvm::StringRef Name) const {
  if (const Attribute *A = getExplicitAttr(Name))
    return A;
  if (Op)
    if (const AttrSpec *S = Op->attrSpec(Name))
      if (S->Default)
        return &*S->Default;
  return nullptr;
}

void Node::setAttr(llvm::StringRef Name, Attribute Value) {
  auto It = std::lower_bound(Attrs.begin(), Attrs.end(), Name,
                             [](const NamedAttribute &A, llvm::StringRef N) { return A.Name < N; });
  if (It != Attrs.end() && It->Name == Name) {
    It->Value = std::move(Value);
    return;
  }
  Attrs.insert(It, NamedAttribute{Name.str(), std::move(Value)});
}

bool Node::removeAttr(llvm::StringRef Name) {
  auto It = llvm::find_if(Attrs, [&](const NamedAttribute &A) { return A.Name == Name; });
  if (It == Attrs.end())
    return false;
  Attrs.erase(It);
  return true;
}

void Node::setAttrs(llvm::SmallVector<NamedAttribute, 0> As) {
  std::stable_sort(As.begin(), As.end(),
                   [](const NamedAttribute &A, const NamedAttribute &B) { return A.Name < B.Name; });
  Attrs = std::move(As);
}

} // namespace qatc
