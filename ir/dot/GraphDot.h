//===- GraphDot.h - A QIR graph as a Graphviz DOT digraph ------*- C++ -*-===//
//
// What `qatc viz` draws: one box per node labelled with its op, name and
// result type, one edge per use, top to bottom in program order. The nodes
// that carry quantization stand out by colour: fake_quantize (orange),
// quantize (blue), dequantize (green); a legend names the colours. The
// get_attr nodes that only feed quantization state (scale, zero point,
// flags, observed range) are left out unless asked for, since a prepared
// graph holds six of them per fake quant.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_DOT_GRAPHDOT_H
#define QATC_IR_DOT_GRAPHDOT_H

#include "ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace qatc {

/// How a graph is drawn.
struct DotOptions {
  /// Draw the get_attr nodes of qparams and observer state too.
  bool ShowQuantState = false;
  /// Add the legend of node colours.
  bool Legend = true;
};

/// Prints G as a DOT digraph (deterministic: the same graph prints the same).
void printGraphDot(const Graph &G, llvm::raw_ostream &OS, const DotOptions &Opts = {});

/// printGraphDot into a string.
std::string graphDotString(const Graph &G, const DotOptions &Opts = {});

} // namespace qatc

#endif // QATC_IR_DOT_GRAPHDOT_H
