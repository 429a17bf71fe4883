//===- WrapperPlugin.cpp - Test plugin: graph changes through the C++ wrapper -===//
//
//   clamp-logits      clamps every graph output to [-10, 10] (createCall with
//                     attributes before the output node, setOperand)
//   drop-double-relu  relu(relu(x)) -> relu(x) (replaceAllUsesWith, erase)
//   throwing-pass     throws; the wrapper turns the exception into an error
//
//===----------------------------------------------------------------------===//
#include "qatc_plugin.hpp"

#include <stdexcept>

namespace {

using qatc_plugin::Attr;
using qatc_plugin::Graph;
using qatc_plugin::Node;

void clampLogits(Graph &G) {
  for (Node N : G.nodes()) {
    if (N.kind() != QATC_NODE_OUTPUT)
      continue;
    for (size_t I = 0; I < N.numOperands(); ++I) {
      Node Clamp = G.createCall("clamp", {N.operand(I)},
                                {Attr::f("min", -10.0), Attr::f("max", 10.0)}, "logits.clamp", N);
      N.setOperand(I, Clamp);
    }
  }
}

void dropDoubleRelu(Graph &G) {
  for (Node N : G.nodes())
    if (N.op() == "relu" && N.operand(0).op() == "relu") {
      N.replaceAllUsesWith(N.operand(0));
      N.erase();
    }
}

} // namespace

QATC_DEFINE_PLUGIN("wrapper", "1.0", [](qatc_plugin::Registrar &R) {
  R.addPass("clamp-logits", "Clamp every graph output to [-10, 10]", clampLogits);
  R.addPass("drop-double-relu", "Rewrite relu(relu(x)) into relu(x)", dropDoubleRelu);
  R.addPass("throwing-pass", "Throw a C++ exception", [](Graph &) {
    throw std::runtime_error("the wrapper turns this exception into an error");
  });
})
