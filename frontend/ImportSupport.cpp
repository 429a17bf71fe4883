//===- ImportSupport.cpp - Helpers shared by the importers ----------------===//
#include "frontend/ImportSupport.h"

#include "frontend/Importer.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

namespace qatc {

llvm::Error parseInputShapeSpec(llvm::StringRef Spec, ImportOptions &Opts) {
  auto importError = [](const llvm::Twine &Msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
  };
  auto [Name, Dims] = Spec.split('=');
  llvm::SmallVector<int64_t, 4> Shape;
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  if (!Dims.empty())
    Dims.split(Parts, 'x');
  for (llvm::StringRef P : Parts) {
    int64_t D;
    if (P == "?") {
      Shape.push_back(kDynamicDim);
      continue;
    }
    if (P.getAsInteger(10, D) || D < 0) {
      Shape.clear();
      break;
    }
    Shape.push_back(D);
  }
  if (Name.empty() || !Spec.contains('=') || Shape.size() != Parts.size() || Parts.empty())
    return importError("invalid --input-shape '" + Spec +
                       "'; write NAME=DIMS with dims separated by x, e.g. input=1x3x224x224 or input=?x3x224x224 for any batch size");
  Opts.InputShapes[Name] = std::move(Shape);
  return llvm::Error::success();
}

void UnsupportedOpReport::add(llvm::StringRef OpType, llvm::StringRef NodeName) {
  Entry &E = Ops[OpType.str()];
  ++E.Count;
  if (E.FirstNames.size() < 3)
    E.FirstNames.push_back(NodeName.str());
}

llvm::Error UnsupportedOpReport::toError(llvm::StringRef File, llvm::StringRef Hint) const {
  std::string Msg = llvm::formatv("{0}: {1} unsupported op type{2}: ", File, Ops.size(),
                                  Ops.size() == 1 ? "" : "s")
                        .str();
  bool First = true;
  for (const auto &[Type, E] : Ops) {
    if (!First)
      Msg += ", ";
    First = false;
    Msg += llvm::formatv("{0} ({1} node{2}: ", Type, E.Count, E.Count == 1 ? "" : "s").str();
    for (size_t I = 0; I < E.FirstNames.size(); ++I)
      Msg += (I ? ", " : "") + E.FirstNames[I];
    if (E.Count > E.FirstNames.size())
      Msg += ", ...";
    Msg += ")";
  }
  Msg += "; " + Hint.str();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

unsigned ModuleNamer::add(llvm::StringRef ModulePath, llvm::StringRef OpKind) {
  Entries.push_back({ModulePath.str(), OpKind.str()});
  Names.clear();
  return Entries.size() - 1;
}

void ModuleNamer::assign() {
  // A path is a container when another recorded path extends it.
  llvm::StringSet<> Containers;
  for (const Entry &E : Entries) {
    llvm::StringRef P = E.Path;
    while (true) {
      size_t Dot = P.rfind('.');
      if (Dot == llvm::StringRef::npos)
        break;
      P = P.take_front(Dot);
      if (!Containers.insert(P).second)
        break;
    }
  }
  llvm::StringMap<unsigned> Seen;
  Names.clear();
  for (const Entry &E : Entries) {
    std::string Base;
    if (E.Path.empty())
      Base = E.Kind;
    else if (Containers.count(E.Path))
      Base = E.Path + "." + E.Kind;
    else
      Base = E.Path;
    unsigned &N = Seen[Base];
    Names.push_back(N == 0 ? Base : Base + "_" + std::to_string(N));
    ++N;
  }
}

std::string ModuleNamer::name(unsigned Ticket) {
  if (Names.size() != Entries.size())
    assign();
  return Names[Ticket];
}

std::optional<std::string> modulePathFromOnnxName(llvm::StringRef NodeName) {
  if (!NodeName.consume_front("/"))
    return std::nullopt;
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  NodeName.split(Parts, '/');
  if (Parts.empty() || llvm::any_of(Parts, [](llvm::StringRef P) { return P.empty(); }))
    return std::nullopt;
  Parts.pop_back(); // the op part (`Conv`, `Add_1`)
  llvm::SmallVector<std::string, 8> Path;
  for (llvm::StringRef P : Parts) {
    if (!Path.empty() && P.startswith(Path.back() + "."))
      Path.back() = P.str();
    else
      Path.push_back(P.str());
  }
  std::string R;
  for (const std::string &P : Path)
    R += (R.empty() ? "" : ".") + P;
  return R;
}

void addAttrUnlessDefault(const OpInfo &Op, llvm::SmallVectorImpl<NamedAttribute> &Attrs,
                          llvm::StringRef Name, Attribute Value) {
  if (const AttrSpec *S = Op.attrSpec(Name))
    if (S->Default && *S->Default == Value)
      return;
  Attrs.push_back({Name.str(), std::move(Value)});
}

std::vector<int64_t> canonicalPadding(llvm::ArrayRef<int64_t> Begins,
                                      llvm::ArrayRef<int64_t> Ends) {
  if (Begins == Ends)
    return std::vector<int64_t>(Begins.begin(), Begins.end());
  std::vector<int64_t> R(Begins.begin(), Begins.end());
  R.insert(R.end(), Ends.begin(), Ends.end());
  return R;
}

} // namespace qatc
