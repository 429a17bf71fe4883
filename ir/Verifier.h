//===- Verifier.h - Structural and type checks of a QIR graph ---*- C++ -*-===//
//
// The verifier checks what every pass may rely on: ownership and use lists,
// topological order, unique names, a single output at the end, operand
// counts, attribute kinds, parameter references and result types that agree
// with the op registry's inference. Each failure names the node.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_VERIFIER_H
#define QATC_IR_VERIFIER_H

#include "llvm/Support/Error.h"

namespace qatc {

class Graph;

/// Returns success, or an error whose message names the first bad node and
/// what is wrong with it.
llvm::Error verify(const Graph &G);

} // namespace qatc

#endif // QATC_IR_VERIFIER_H
