//===- Location.cpp - Source locations of QIR nodes -----------------------===//
#include "ir/Location.h"

#include "llvm/ADT/StringSet.h"

#include <mutex>

namespace qatc {

static const char *internFileName(llvm::StringRef Name) {
  static std::mutex Lock;
  static llvm::StringSet<> *Names = new llvm::StringSet<>();
  std::lock_guard<std::mutex> Guard(Lock);
  return Names->insert(Name).first->getKeyData();
}

Location::Location(llvm::StringRef F, uint32_t L, uint32_t C)
    : File(internFileName(F)), Line(L), Col(C) {}

void Location::print(llvm::raw_ostream &OS) const {
  if (!isKnown()) {
    OS << "<unknown>";
    return;
  }
  OS << File << ':' << Line << ':' << Col;
}

} // namespace qatc
