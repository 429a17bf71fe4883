//===- Transforms.h - Factories of the generic graph passes -----*- C++ -*-===//
//
// The generic passes of Passes.def: dead code elimination, common
// subexpression elimination and canonicalization.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_TRANSFORMS_TRANSFORMS_H
#define QATC_PASSES_TRANSFORMS_TRANSFORMS_H

#include "passes/Pass.h"

#include <memory>

namespace qatc {

/// `dce`: erases unused calls and get_attrs, then parameters no get_attr reads.
llvm::Expected<std::unique_ptr<Pass>> createDeadCodeEliminationPass(const PassOptions &Opts);

/// `cse`: merges calls with the same op, operands, attributes and type, and
/// get_attrs of the same parameter. Stateful or random ops are left alone.
llvm::Expected<std::unique_ptr<Pass>>
createCommonSubexpressionEliminationPass(const PassOptions &Opts);

/// `canonicalize{training=false}`: applies the canonicalization patterns.
llvm::Expected<std::unique_ptr<Pass>> createCanonicalizePass(const PassOptions &Opts);

/// Erases dead calls and get_attrs of G and unread parameters; returns how
/// many nodes were erased.
size_t eliminateDeadCode(Graph &G);

} // namespace qatc

#endif // QATC_PASSES_TRANSFORMS_TRANSFORMS_H
