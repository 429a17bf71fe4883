//===- Printer.cpp - Writing QIR graphs as .qir text ----------------------===//
#include "ir/text/Printer.h"

#include "ir/Graph.h"
#include "ir/text/Lexer.h"

#include "llvm/ADT/StringExtras.h"

namespace qatc {

void printName(llvm::raw_ostream &OS, char Sigil, llvm::StringRef Name) {
  OS << Sigil;
  bool Bare = !Name.empty();
  for (char C : Name)
    if (!isBareNameChar(C)) {
      Bare = false;
      break;
    }
  if (Bare)
    OS << Name;
  else
    printQuoted(OS, Name);
}

static void printParameter(const Parameter &P, llvm::raw_ostream &OS, const PrintOptions &Opts) {
  OS << "  param ";
  printName(OS, '@', P.name());
  OS << " : " << P.type() << " = ";
  auto N = P.type().numElements();
  bool Elide = P.isElided() || (Opts.ElideParamsAbove >= 0 && N && *N > Opts.ElideParamsAbove);
  if (Elide) {
    OS << "elided\n";
    return;
  }
  OS << "dense<0x";
  static const char Hex[] = "0123456789ABCDEF";
  llvm::ArrayRef<uint8_t> B = P.bytes();
  std::string Buf(B.size() * 2, '0');
  for (size_t I = 0; I < B.size(); ++I) {
    Buf[2 * I] = Hex[B[I] >> 4];
    Buf[2 * I + 1] = Hex[B[I] & 15];
  }
  OS << Buf << ">\n";
}

static void printOperands(const Node &N, llvm::raw_ostream &OS) {
  OS << '(';
  bool First = true;
  for (const Use &U : N.operandUses()) {
    if (!First)
      OS << ", ";
    First = false;
    printName(OS, '%', U.get()->name());
  }
  OS << ')';
}

static void printAttrs(const Node &N, llvm::raw_ostream &OS) {
  if (N.attrs().empty())
    return;
  OS << " {";
  bool First = true;
  for (const NamedAttribute &A : N.attrs()) {
    if (!First)
      OS << ", ";
    First = false;
    bool Bare = !A.Name.empty() && (llvm::isAlpha(A.Name[0]) || A.Name[0] == '_');
    for (char C : A.Name)
      Bare &= llvm::isAlnum(C) || C == '_';
    if (Bare)
      OS << A.Name;
    else
      printQuoted(OS, A.Name);
    OS << " = ";
    A.Value.print(OS);
  }
  OS << '}';
}

static void printNode(const Node &N, llvm::raw_ostream &OS, const PrintOptions &Opts) {
  OS << "  ";
  switch (N.kind()) {
  case NodeKind::Output:
    OS << "output";
    printOperands(N, OS);
    break;
  case NodeKind::Placeholder:
    printName(OS, '%', N.name());
    OS << " = placeholder : " << N.type();
    break;
  case NodeKind::GetAttr:
    printName(OS, '%', N.name());
    OS << " = get_attr ";
    printName(OS, '@', N.param()->name());
    OS << " : " << N.type();
    break;
  case NodeKind::Call:
    printName(OS, '%', N.name());
    OS << " = " << N.op()->name();
    printOperands(N, OS);
    printAttrs(N, OS);
    OS << " : " << N.type();
    break;
  }
  if (Opts.PrintLocations && N.loc().isKnown()) {
    OS << " loc(";
    printQuoted(OS, N.loc().file());
    OS << ':' << N.loc().line() << ':' << N.loc().col() << ')';
  }
  OS << '\n';
}

void printGraph(const Graph &G, llvm::raw_ostream &OS, const PrintOptions &Opts) {
  OS << "graph ";
  printName(OS, '@', G.name());
  OS << " {\n";
  for (const Parameter &P : G.params())
    printParameter(P, OS, Opts);
  for (const Node &N : G.nodes())
    printNode(N, OS, Opts);
  OS << "}\n";
}

std::string printGraphToString(const Graph &G, const PrintOptions &Opts) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  printGraph(G, OS, Opts);
  OS.flush();
  return S;
}

} // namespace qatc
