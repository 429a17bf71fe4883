//===- ModuleTypes.cpp - Which QIR op a module_type_configs key selects ---===//
#include "passes/quant/ModuleTypes.h"

#include "ir/OpRegistry.h"

#include <algorithm>

namespace qatc {

namespace {

struct TypeKeyRow {
  llvm::StringLiteral Key;
  llvm::StringLiteral Op;
};

constexpr TypeKeyRow TypeKeyTable[] = {
#define MODULE_TYPE(Key, Op) {Key, Op},
#include "passes/quant/ModuleTypes.def"
};

} // namespace

std::optional<llvm::StringRef> lookupModuleTypeKey(llvm::StringRef Key) {
  if (const OpInfo *Op = OpRegistry::get().lookup(Key))
    return Op->name();
  for (const TypeKeyRow &Row : TypeKeyTable)
    if (Row.Key == Key)
      return llvm::StringRef(Row.Op);
  return std::nullopt;
}

llvm::SmallVector<llvm::StringRef, 4> pytorchTypeKeys(llvm::StringRef Op) {
  llvm::SmallVector<llvm::StringRef, 4> Keys;
  if (Op.empty())
    return Keys;
  for (const TypeKeyRow &Row : TypeKeyTable)
    if (Row.Op == Op)
      Keys.push_back(Row.Key);
  return Keys;
}

std::string suggestModuleTypeKey(llvm::StringRef Key) {
  // Case slips (`Conv2D`, `Relu`) are the common mistake, so a
  // case-insensitive match wins; otherwise allow two edits, or one per four
  // letters in long keys.
  llvm::StringRef Best;
  unsigned BestDistance = std::max<unsigned>(2, Key.size() / 4) + 1;
  auto Consider = [&](llvm::StringRef Candidate) {
    unsigned D = Candidate.equals_insensitive(Key) ? 0 : Key.edit_distance(Candidate);
    if (D < BestDistance) {
      Best = Candidate;
      BestDistance = D;
    }
  };
  for (const TypeKeyRow &Row : TypeKeyTable)
    Consider(Row.Key);
  for (const OpInfo *Op : OpRegistry::get().ops())
    Consider(Op->name());
  return Best.str();
}

} // namespace qatc
