//===- GraphEmitter.cpp - Building the QIR graph of a TorchScript model ---===//
#include "frontend/torchscript/GraphEmitter.h"

#include "frontend/ImportSupport.h"

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cstring>

namespace qatc {

namespace {

/// The bytes of Value as one element of type T.
std::vector<uint8_t> encodeElement(double Value, DType T) {
  std::vector<uint8_t> Bytes(dtypeSize(T));
  auto Store = [&](auto V) { std::memcpy(Bytes.data(), &V, sizeof(V)); };
  switch (T) {
  case DType::F32:
    Store(float(Value));
    break;
  case DType::F16: {
    bool LosesInfo;
    llvm::APFloat F(Value);
    F.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven, &LosesInfo);
    Store(uint16_t(F.bitcastToAPInt().getZExtValue()));
    break;
  }
  case DType::I8:
    Store(int8_t(Value));
    break;
  case DType::U8:
    Store(uint8_t(Value));
    break;
  case DType::I32:
    Store(int32_t(Value));
    break;
  case DType::I64:
    Store(int64_t(Value));
    break;
  case DType::Bool:
    Store(uint8_t(Value != 0));
    break;
  }
  return Bytes;
}

} // namespace

GraphEmitter::GraphEmitter(Graph &G, Location Loc) : G(G), B(G) { B.setLoc(Loc); }

Node *GraphEmitter::input(llvm::StringRef Name, Type Ty) {
  return B.placeholder(Name, std::move(Ty));
}

llvm::Expected<Node *> GraphEmitter::call(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
                                          llvm::ArrayRef<NamedAttribute> Attrs) {
  const OpInfo *Info = OpRegistry::get().lookup(Op);
  assert(Info && "the aten op table names an op the registry does not have");
  llvm::SmallVector<NamedAttribute, 0> Canonical;
  for (const NamedAttribute &A : Attrs)
    addAttrUnlessDefault(*Info, Canonical, A.Name, A.Value);
  auto N = B.call(Op, Operands, std::move(Canonical), ("$" + Op).str());
  if (N)
    CallPaths[*N] = ModulePath;
  return N;
}

Node *GraphEmitter::read(const std::shared_ptr<TensorConstant> &C) {
  if (C->Read)
    return C->Read;
  Parameter *P;
  if (C->Name.empty()) {
    // Named in nameConstants(), once its first user has its final name.
    P = G.addParameter(G.uniqueParameterName("$constant"), C->Ty);
    Anonymous.push_back(C);
  } else {
    P = G.addParameter(G.uniqueParameterName(C->Name), C->Ty);
    P->setData(std::move(C->Bytes));
  }
  C->Read = B.getAttr(P);
  return C->Read;
}

Node *GraphEmitter::scalar(double Value, DType T) {
  auto C = std::make_shared<TensorConstant>();
  C->Ty = Type::tensor(T, {});
  C->Bytes = encodeElement(Value, T);
  return read(C);
}

Node *GraphEmitter::filled(int64_t N, float Value) {
  auto C = std::make_shared<TensorConstant>();
  C->Ty = Type::tensor(DType::F32, {N});
  C->Bytes.resize(N * sizeof(float));
  for (int64_t I = 0; I < N; ++I)
    std::memcpy(C->Bytes.data() + I * sizeof(float), &Value, sizeof(float));
  return read(C);
}

void GraphEmitter::output(llvm::ArrayRef<Node *> Results) { B.output(Results); }

void GraphEmitter::finish() {
  // Users come after their operands, so one backward sweep removes every
  // dead chain.
  std::vector<Node *> Reversed;
  for (Node &N : G.nodes())
    Reversed.push_back(&N);
  std::reverse(Reversed.begin(), Reversed.end());
  for (Node *N : Reversed) {
    if (N->hasUses() || !(N->isCall() || N->isGetAttr()))
      continue;
    CallPaths.erase(N);
    Parameter *P = N->param();
    G.erase(N);
    if (P) {
      for (const std::shared_ptr<TensorConstant> &C : Anonymous)
        if (C->Read == N)
          C->Read = nullptr;
      G.eraseParameter(P);
    }
  }
  nameCalls();
  nameConstants();
}

void GraphEmitter::nameCalls() {
  ModuleNamer Namer;
  std::vector<std::pair<Node *, unsigned>> Tickets;
  for (Node &N : G.nodes())
    if (N.isCall())
      Tickets.push_back({&N, Namer.add(CallPaths.lookup(&N), N.opName())});
  for (auto [N, Ticket] : Tickets) {
    std::string Name = Namer.name(Ticket);
    // Only a graph input or a parameter read can hold a call's name already.
    if (G.lookupNode(Name))
      Name = G.uniqueName(Name);
    G.rename(N, Name);
  }
}

void GraphEmitter::nameConstants() {
  G.ensureOrdered();
  for (const std::shared_ptr<TensorConstant> &C : Anonymous) {
    Node *Read = C->Read;
    if (!Read)
      continue;
    const Use *First = nullptr;
    for (const Use &U : Read->uses()) {
      if (!First)
        First = &U;
      else if (std::make_pair(U.user()->order(), U.operandNumber()) <
               std::make_pair(First->user()->order(), First->operandNumber()))
        First = &U;
    }
    std::string Base = "output";
    if (Node *User = First->user(); User->isCall()) {
      llvm::ArrayRef<OperandSpec> Specs = User->op()->operands();
      const OperandSpec &Spec = Specs[std::min<size_t>(First->operandNumber(), Specs.size() - 1)];
      Base = (User->name() + "." + Spec.Name).str();
    }
    Parameter *Provisional = Read->param();
    Parameter *P = G.addParameter(G.uniqueParameterName(Base), C->Ty);
    P->setData(std::move(C->Bytes));
    Read->setParam(P);
    G.eraseParameter(Provisional);
    G.rename(Read, G.uniqueName(P->name()));
  }
}

} // namespace qatc
