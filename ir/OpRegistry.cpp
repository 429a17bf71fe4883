//===- OpRegistry.cpp - The one place a QIR op is defined -----------------===//
#include "ir/OpRegistry.h"

#include "ir/ShapeFunctions.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"

#include <climits>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace qatc {

llvm::StringRef quantRoleName(QuantRole R) {
  switch (R) {
  case QuantRole::None: return "none";
  case QuantRole::Weighted: return "weighted";
  case QuantRole::Binary: return "binary";
  case QuantRole::Activation: return "activation";
  case QuantRole::Norm: return "norm";
  case QuantRole::SharedQParams: return "shared";
  case QuantRole::FixedQParams: return "fixed";
  case QuantRole::Quantization: return "quantization";
  }
  return "?";
}

const Attribute *ShapeContext::attr(llvm::StringRef Name) const {
  for (const NamedAttribute &A : Attrs)
    if (A.Name == Name)
      return &A.Value;
  if (const AttrSpec *S = Op.attrSpec(Name))
    if (S->Default)
      return &*S->Default;
  return nullptr;
}

OpInfo::OpInfo(std::string N, std::vector<OperandSpec> Ops, std::vector<AttrSpec> As,
               ShapeFn F, bool D, QuantRole R, bool Plugin)
    : Name(std::move(N)), Operands(std::move(Ops)), Attrs(std::move(As)), Shape(F),
      Differentiable(D), Role(R), FromPlugin(Plugin) {
  for (const OperandSpec &O : Operands) {
    if (O.Variadic) {
      // A variadic operand takes one or more values.
      ++MinOperands;
      MaxOperands = UINT_MAX;
      continue;
    }
    if (!O.Optional)
      ++MinOperands;
    if (MaxOperands != UINT_MAX)
      ++MaxOperands;
  }
}

const AttrSpec *OpInfo::attrSpec(llvm::StringRef N) const {
  for (const AttrSpec &S : Attrs)
    if (S.Name == N)
      return &S;
  return nullptr;
}

llvm::Expected<Type> OpInfo::inferType(llvm::ArrayRef<Type> OperandTypes,
                                       llvm::ArrayRef<NamedAttribute> As) const {
  if (!Shape)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "op '%s' has no shape function", Name.c_str());
  return Shape(ShapeContext(*this, OperandTypes, As));
}

static llvm::Error schemaError(llvm::StringRef Schema, const llvm::Twine &Why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "invalid op schema '" + Schema + "': " + Why);
}

llvm::Expected<std::vector<OperandSpec>> parseOperandSignature(llvm::StringRef Sig) {
  std::vector<OperandSpec> Result;
  if (Sig.trim().empty())
    return Result;
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  Sig.split(Parts, ',');
  for (llvm::StringRef P : Parts) {
    P = P.trim();
    OperandSpec S;
    if (P.consume_back("..."))
      S.Variadic = true;
    else if (P.consume_back("?"))
      S.Optional = true;
    else if (!Result.empty() && (Result.back().Optional || Result.back().Variadic))
      return schemaError(Sig, "a required operand follows an optional one");
    if (P.empty())
      return schemaError(Sig, "empty operand name");
    S.Name = P.str();
    Result.push_back(std::move(S));
  }
  return Result;
}

/// Parses one default value of the given kind from the schema mini-syntax
/// (lists are comma separated without brackets; an empty list is empty).
static std::optional<Attribute> parseSchemaDefault(AttrKind K, llvm::StringRef V) {
  auto parseInt = [](llvm::StringRef S, int64_t &Out) { return !S.trim().getAsInteger(10, Out); };
  auto parseDouble = [](llvm::StringRef S, double &Out) {
    std::string Str = S.trim().str();
    char *End = nullptr;
    Out = std::strtod(Str.c_str(), &End);
    return !Str.empty() && End == Str.c_str() + Str.size();
  };
  llvm::SmallVector<llvm::StringRef, 4> Items;
  if (!V.empty())
    V.split(Items, ',');
  switch (K) {
  case AttrKind::Int: {
    int64_t I;
    if (!parseInt(V, I))
      return std::nullopt;
    return Attribute(I);
  }
  case AttrKind::Float: {
    double D;
    if (!parseDouble(V, D))
      return std::nullopt;
    return Attribute(D);
  }
  case AttrKind::Bool:
    if (V == "true" || V == "false")
      return Attribute(V == "true");
    return std::nullopt;
  case AttrKind::String:
    return Attribute(V.str());
  case AttrKind::DType:
    if (auto T = parseDType(V))
      return Attribute(*T);
    return std::nullopt;
  case AttrKind::Ints: {
    std::vector<int64_t> L;
    for (llvm::StringRef S : Items) {
      int64_t I;
      if (!parseInt(S, I))
        return std::nullopt;
      L.push_back(I);
    }
    return Attribute(std::move(L));
  }
  case AttrKind::Floats: {
    std::vector<double> L;
    for (llvm::StringRef S : Items) {
      double D;
      if (!parseDouble(S, D))
        return std::nullopt;
      L.push_back(D);
    }
    return Attribute(std::move(L));
  }
  case AttrKind::Strings: {
    std::vector<std::string> L;
    for (llvm::StringRef S : Items)
      L.push_back(S.trim().str());
    return Attribute(std::move(L));
  }
  }
  return std::nullopt;
}

llvm::Expected<std::vector<AttrSpec>> parseAttrSchema(llvm::StringRef Schema) {
  std::vector<AttrSpec> Result;
  llvm::SmallVector<llvm::StringRef, 6> Entries;
  Schema.split(Entries, ';', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef E : Entries) {
    E = E.trim();
    if (E.empty())
      continue;
    auto [NamePart, Rest] = E.split(':');
    AttrSpec S;
    S.Name = NamePart.trim().str();
    Rest = Rest.trim();
    bool HasDefault = Rest.contains('=');
    auto [KindPart, DefaultPart] = Rest.split('=');
    KindPart = KindPart.trim();
    bool OptionalUnset = KindPart.consume_back("?");
    auto K = parseAttrKind(KindPart.trim());
    if (S.Name.empty() || !K)
      return schemaError(Schema, "bad entry '" + E + "'");
    S.Kind = *K;
    if (HasDefault) {
      auto D = parseSchemaDefault(*K, DefaultPart.trim());
      if (!D)
        return schemaError(Schema, "bad default in '" + E + "'");
      S.Default = std::move(*D);
    } else {
      S.Required = !OptionalUnset;
    }
    Result.push_back(std::move(S));
  }
  return Result;
}

struct OpRegistry::Impl {
  mutable std::mutex Lock;
  std::vector<std::unique_ptr<OpInfo>> Ops;
  llvm::StringMap<const OpInfo *> ByName;
};

OpRegistry::OpRegistry() : P(new Impl) {
  auto Add = [&](const char *Name, const char *Sig, const char *Schema, ShapeFn F, bool D,
                 QuantRole R) {
    auto Operands = parseOperandSignature(Sig);
    auto Attrs = parseAttrSchema(Schema);
    if (!Operands || !Attrs)
      llvm::report_fatal_error(llvm::Twine("bad built-in op definition for ") + Name);
    llvm::cantFail(registerOp(OpInfo(Name, std::move(*Operands), std::move(*Attrs), F, D, R)));
  };
#define QIR_OP(NAME, SIG, SCHEMA, SHAPE, DIFF, ROLE)                                        \
  Add(NAME, SIG, SCHEMA, &shape::SHAPE, DIFF, QuantRole::ROLE);
#include "ir/Ops.def"
}

OpRegistry &OpRegistry::get() {
  static OpRegistry *R = new OpRegistry();
  return *R;
}

const OpInfo *OpRegistry::lookup(llvm::StringRef Name) const {
  std::lock_guard<std::mutex> G(P->Lock);
  auto It = P->ByName.find(Name);
  return It == P->ByName.end() ? nullptr : It->second;
}

llvm::Error OpRegistry::registerOp(OpInfo Info) {
  std::lock_guard<std::mutex> G(P->Lock);
  if (P->ByName.count(Info.name()))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "op '" + Info.name() + "' is already registered");
  P->Ops.push_back(std::make_unique<OpInfo>(std::move(Info)));
  P->ByName[P->Ops.back()->name()] = P->Ops.back().get();
  return llvm::Error::success();
}

std::vector<const OpInfo *> OpRegistry::ops() const {
  std::lock_guard<std::mutex> G(P->Lock);
  std::vector<const OpInfo *> R;
  for (auto &O : P->Ops)
    R.push_back(O.get());
  return R;
}

} // namespace qatc
