//===- GraphDot.cpp - A QIR graph as a Graphviz DOT digraph ----------------===//
#include "ir/dot/GraphDot.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {

namespace {

/// How a node is drawn.
struct NodeStyle {
  const char *Legend;
  const char *Fill;
  const char *Border;
  const char *PenWidth;
};

enum class Category { Placeholder, Parameter, Op, FakeQuantize, Quantize, Dequantize, Output };

constexpr Category AllCategories[] = {Category::Placeholder, Category::Parameter,
                                      Category::Op,          Category::FakeQuantize,
                                      Category::Quantize,    Category::Dequantize,
                                      Category::Output};

NodeStyle styleOf(Category C) {
  switch (C) {
  case Category::Placeholder:
    return {"graph input", "#dee2e6", "#495057", "1"};
  case Category::Parameter:
    return {"parameter (get_attr)", "#fff9db", "#adb5bd", "1"};
  case Category::Op:
    return {"float op", "#ffffff", "#495057", "1"};
  case Category::FakeQuantize:
    return {"fake_quantize", "#ffc078", "#d9480f", "2.5"};
  case Category::Quantize:
    return {"quantize", "#74c0fc", "#1864ab", "2.5"};
  case Category::Dequantize:
    return {"dequantize", "#8ce99a", "#2b8a3e", "2.5"};
  case Category::Output:
    return {"graph output", "#dee2e6", "#495057", "1"};
  }
  return {"float op", "#ffffff", "#495057", "1"};
}

Category categoryOf(const Node &N) {
  if (N.isPlaceholder())
    return Category::Placeholder;
  if (N.isGetAttr())
    return Category::Parameter;
  if (N.isOutput())
    return Category::Output;
  if (N.isCallTo("fake_quantize"))
    return Category::FakeQuantize;
  if (N.isCallTo("quantize"))
    return Category::Quantize;
  if (N.isCallTo("dequantize"))
    return Category::Dequantize;
  return Category::Op;
}

bool isQuantOp(const Node &N) {
  return N.isCall() && N.op()->quantRole() == QuantRole::Quantization;
}

/// A get_attr whose every use is a qparam or state operand (not the data
/// operand) of a quantization op.
bool isQuantState(const Node &N) {
  if (!N.isGetAttr() || !N.hasUses())
    return false;
  for (const Use &U : N.uses())
    if (U.operandNumber() == 0 || !isQuantOp(*U.user()))
      return false;
  return true;
}

/// S escaped for a DOT double-quoted string.
std::string escape(llvm::StringRef S) {
  std::string Out;
  for (char C : S) {
    if (C == '"' || C == '\\')
      Out += '\\';
    Out += C;
  }
  return Out;
}

/// The lines of a node's label: op, name, type, and a fake quant's range
/// and scheme.
std::string labelOf(const Node &N) {
  if (N.isOutput())
    return "output";
  std::string Label = escape(N.opName()) + "\\n" + escape(N.name());
  if (N.isGetAttr() && N.param() && N.param()->name() != N.name())
    Label += " (@" + escape(N.param()->name()) + ")";
  if (!N.type().isNone())
    Label += "\\n" + escape(N.type().str());
  if (N.isCallTo("fake_quantize")) {
    Label += llvm::formatv("\\n[{0}, {1}] {2}", N.getInt("quant_min"), N.getInt("quant_max"),
                           N.attr("scheme")->getString())
                 .str();
    if (const Attribute *Axis = N.getExplicitAttr("axis"))
      Label += llvm::formatv(" axis {0}", Axis->getInt()).str();
  }
  return Label;
}

void printNode(llvm::raw_ostream &OS, llvm::StringRef Id, Category C, llvm::StringRef Label) {
  NodeStyle S = styleOf(C);
  OS << "  " << Id << " [label=\"" << Label << "\", fillcolor=\"" << S.Fill << "\", color=\""
     << S.Border << "\", penwidth=" << S.PenWidth << "];\n";
}

void printLegend(llvm::raw_ostream &OS) {
  OS << "  subgraph cluster_legend {\n    label=\"legend\";\n    fontname=\"Helvetica\";\n"
        "    color=\"#adb5bd\";\n";
  std::string Previous;
  for (Category C : AllCategories) {
    std::string Id = "legend_" + std::to_string(int(C));
    OS << "  ";
    printNode(OS, Id, C, styleOf(C).Legend);
    if (!Previous.empty())
      OS << "    " << Previous << " -> " << Id << " [style=invis];\n";
    Previous = Id;
  }
  OS << "  }\n";
}

} // namespace

void printGraphDot(const Graph &G, llvm::raw_ostream &OS, const DotOptions &Opts) {
  OS << "digraph \"" << escape(G.name()) << "\" {\n";
  OS << "  rankdir=TB;\n";
  OS << "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n";
  OS << "  edge [color=\"#868e96\", arrowsize=0.6];\n";
  llvm::DenseMap<const Node *, unsigned> Ids;
  for (const Node &N : G.nodes()) {
    if (!Opts.ShowQuantState && isQuantState(N))
      continue;
    unsigned Id = Ids.size();
    Ids[&N] = Id;
    printNode(OS, "n" + std::to_string(Id), categoryOf(N), labelOf(N));
  }
  for (const Node &N : G.nodes()) {
    auto User = Ids.find(&N);
    if (User == Ids.end())
      continue;
    for (const Use &U : N.operandUses()) {
      auto Operand = Ids.find(U.get());
      if (Operand != Ids.end())
        OS << "  n" << Operand->second << " -> n" << User->second << ";\n";
    }
  }
  if (Opts.Legend)
    printLegend(OS);
  OS << "}\n";
}

std::string graphDotString(const Graph &G, const DotOptions &Opts) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  printGraphDot(G, OS, Opts);
  OS.flush();
  return S;
}

} // namespace qatc
