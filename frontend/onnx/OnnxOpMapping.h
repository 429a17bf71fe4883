//===- OnnxOpMapping.h - The table of ONNX ops qatc imports -----*- C++ -*-===//
//
// One row per supported ONNX op type (default domain): how to map a node to
// canonical QIR (docs/frontends.md) and, for ops that can, how to fold it
// when every input is a constant.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXOPMAPPING_H
#define QATC_FRONTEND_ONNX_ONNXOPMAPPING_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace qatc {

class OnnxNodeContext;

/// Maps a node to QIR calls (or to constants); sets every output it supports.
using OnnxMapFn = llvm::Error (*)(OnnxNodeContext &);
/// Folds a node whose inputs are all constants; returns false to leave the
/// node to the map function (data too large, a type folding does not cover).
using OnnxFoldFn = llvm::Expected<bool> (*)(OnnxNodeContext &);

/// One supported ONNX op type.
struct OnnxOpMapping {
  llvm::StringRef OpType;
  /// Inputs that must be given (later ones are optional).
  unsigned MinInputs;
  OnnxMapFn Map;
  /// Null for ops that are never folded.
  OnnxFoldFn Fold;
};

/// The mapping of an op type of the default ONNX domain, or null.
const OnnxOpMapping *lookupOnnxOp(llvm::StringRef OpType);

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXOPMAPPING_H
