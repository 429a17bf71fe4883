//===- MilNames.cpp - MIL identifiers from QIR names ----------------------===//
#include "passes/mil/MilNames.h"

#include "llvm/ADT/StringExtras.h"

namespace qatc {
namespace mil {

static bool isNameChar(char C) { return llvm::isAlnum(C) || C == '_'; }

std::string sanitizeName(llvm::StringRef Name) {
  std::string Out;
  Out.reserve(Name.size() + 4);
  for (char C : Name)
    Out.push_back(isNameChar(C) ? C : '_');
  if (Out.empty() || !(llvm::isAlpha(Out[0]) || Out[0] == '_'))
    Out = "var_" + Out;
  return Out;
}

bool isValidName(llvm::StringRef Name) {
  if (Name.empty() || !(llvm::isAlpha(Name[0]) || Name[0] == '_'))
    return false;
  return llvm::all_of(Name, isNameChar);
}

} // namespace mil
} // namespace qatc
