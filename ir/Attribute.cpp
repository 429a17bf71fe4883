//===- Attribute.cpp - Typed attributes of QIR nodes ----------------------===//
#include "ir/Attribute.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qatc {

llvm::StringRef attrKindName(AttrKind K) {
  switch (K) {
  case AttrKind::Int: return "int";
  case AttrKind::Float: return "float";
  case AttrKind::Bool: return "bool";
  case AttrKind::String: return "string";
  case AttrKind::Ints: return "ints";
  case AttrKind::Floats: return "floats";
  case AttrKind::Strings: return "strings";
  case AttrKind::DType: return "dtype";
  }
  return "?";
}

std::optional<AttrKind> parseAttrKind(llvm::StringRef Name) {
  return llvm::StringSwitch<std::optional<AttrKind>>(Name)
      .Case("int", AttrKind::Int)
      .Case("float", AttrKind::Float)
      .Case("bool", AttrKind::Bool)
      .Case("string", AttrKind::String)
      .Case("ints", AttrKind::Ints)
      .Case("floats", AttrKind::Floats)
      .Case("strings", AttrKind::Strings)
      .Case("dtype", AttrKind::DType)
      .Default(std::nullopt);
}

static bool sameBits(double A, double B) { return std::memcmp(&A, &B, sizeof A) == 0; }

bool Attribute::operator==(const Attribute &O) const {
  if (kind() != O.kind())
    return false;
  if (kind() == AttrKind::Float)
    return sameBits(getFloat(), O.getFloat());
  if (kind() == AttrKind::Floats) {
    auto A = getFloats(), B = O.getFloats();
    if (A.size() != B.size())
      return false;
    for (size_t I = 0; I < A.size(); ++I)
      if (!sameBits(A[I], B[I]))
        return false;
    return true;
  }
  return V == O.V;
}

static uint64_t floatBits(double D) {
  uint64_t B;
  std::memcpy(&B, &D, sizeof B);
  return B;
}

llvm::hash_code hashValue(const Attribute &A) {
  llvm::hash_code H = llvm::hash_value(unsigned(A.kind()));
  switch (A.kind()) {
  case AttrKind::Int: return llvm::hash_combine(H, A.getInt());
  case AttrKind::Float: return llvm::hash_combine(H, floatBits(A.getFloat()));
  case AttrKind::Bool: return llvm::hash_combine(H, A.getBool());
  case AttrKind::String: return llvm::hash_combine(H, llvm::StringRef(A.getString()));
  case AttrKind::DType: return llvm::hash_combine(H, unsigned(A.getDType()));
  case AttrKind::Ints:
    return llvm::hash_combine(H, llvm::hash_combine_range(A.getInts().begin(), A.getInts().end()));
  case AttrKind::Floats:
    for (double F : A.getFloats())
      H = llvm::hash_combine(H, floatBits(F));
    return H;
  case AttrKind::Strings:
    for (const std::string &S : A.getStrings())
      H = llvm::hash_combine(H, llvm::StringRef(S));
    return H;
  }
  return H;
}

void printFloat(llvm::raw_ostream &OS, double D) {
  if (std::isnan(D)) {
    OS << "nan";
    return;
  }
  if (std::isinf(D)) {
    OS << (D < 0 ? "-inf" : "inf");
    return;
  }
  char Buf[40];
  for (int Precision = 6; Precision <= 17; ++Precision) {
    std::snprintf(Buf, sizeof Buf, "%.*g", Precision, D);
    if (sameBits(std::strtod(Buf, nullptr), D))
      break;
  }
  OS << Buf;
  if (!std::strpbrk(Buf, ".e"))
    OS << ".0";
}

void printQuoted(llvm::raw_ostream &OS, llvm::StringRef S) {
  OS << '"';
  for (unsigned char C : S) {
    switch (C) {
    case '"': OS << "\\\""; break;
    case '\\': OS << "\\\\"; break;
    case '\n': OS << "\\n"; break;
    case '\t': OS << "\\t"; break;
    default:
      // Control characters are escaped; UTF-8 passes through unchanged.
      if (C < 0x20 || C == 0x7f) {
        const char *Hex = "0123456789abcdef";
        OS << "\\x" << Hex[C >> 4] << Hex[C & 15];
      } else {
        OS << C;
      }
    }
  }
  OS << '"';
}

void Attribute::print(llvm::raw_ostream &OS) const {
  switch (kind()) {
  case AttrKind::Int:
    OS << getInt();
    return;
  case AttrKind::Float:
    printFloat(OS, getFloat());
    return;
  case AttrKind::Bool:
    OS << (getBool() ? "true" : "false");
    return;
  case AttrKind::String:
    printQuoted(OS, getString());
    return;
  case AttrKind::DType:
    OS << dtypeName(getDType());
    return;
  case AttrKind::Ints:
  case AttrKind::Floats:
  case AttrKind::Strings:
    break;
  }
  // Lists. An empty list names its kind unless it is the default (ints).
  size_t N = kind() == AttrKind::Ints     ? getInts().size()
             : kind() == AttrKind::Floats ? getFloats().size()
                                          : getStrings().size();
  if (N == 0 && kind() != AttrKind::Ints)
    OS << attrKindName(kind());
  OS << '[';
  for (size_t I = 0; I < N; ++I) {
    if (I)
      OS << ", ";
    if (kind() == AttrKind::Ints)
      OS << getInts()[I];
    else if (kind() == AttrKind::Floats)
      printFloat(OS, getFloats()[I]);
    else
      printQuoted(OS, getStrings()[I]);
  }
  OS << ']';
}

} // namespace qatc
