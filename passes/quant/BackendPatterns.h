//===- BackendPatterns.h - The backend pattern table of prepare -*- C++ -*-===//
//
// How prepare treats each QIR op: which op groups fuse, where fake quants go,
// which ops share or fix qparams. The rows are BackendPatterns.def; ops
// without a row (plugin ops) take the behaviour of their registry QuantRole.
// Plugins extend the table at run time: rows for ops that have none, and
// extra fusions of an activation into a weighted, binary or norm pattern.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_BACKENDPATTERNS_H
#define QATC_PASSES_QUANT_BACKENDPATTERNS_H

#include "ir/OpRegistry.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace qatc {

/// What a pattern rooted on an op does (spec §2.5).
enum class PatternKind : uint8_t {
  /// Runs in float; no fake quant of its own.
  Float,
  /// Weight fake quant plus input and output fake quants; fuses batch norm
  /// and one activation.
  Weighted,
  /// Input fake quants on tensor operands, an output fake quant; may fuse one
  /// activation.
  Binary,
  /// Standalone batch norm; fuses relu on 4-D and 5-D inputs.
  Norm,
  /// Activation with its own output observer.
  Activation,
  /// Activation whose output fake quant has constant qparams.
  FixedQParams,
  /// Output fake quant shares the input's observer state.
  SharedQParams,
  /// Float, but passes the affine mark through and drops the fake quant after it.
  ScaleOnly,
};

/// Spelling of a pattern kind in explanations (`weighted`, `shared qparams`, ...).
llvm::StringRef patternKindName(PatternKind K);

/// One row of the backend pattern table.
struct BackendOp {
  /// The QIR op name.
  llvm::StringRef Op;
  PatternKind Kind = PatternKind::Float;
  /// Weighted: the weight's output-channel axis (per-channel fake quant axis).
  int64_t WeightAxis = 0;
  /// Weighted: fuses a following batch_norm.
  bool FusesBatchNorm = false;
  /// Weighted: may fuse an activation after the fused batch_norm.
  bool ActAfterBatchNorm = false;
  /// Weighted, Binary: fuses a following activation.
  bool FusesActivation = false;
  /// Binary: add/mul, which take the affine scheme when all inputs are affine.
  bool Combination = false;
  /// Activation: its output is never negative (affine in symmetric mode).
  bool NonNegative = false;
  /// FixedQParams: the constant output scale and zero point.
  double FixedScale = 0;
  int64_t FixedZeroPoint = 0;
  /// Float rows: why the op stays float despite its registry role.
  llvm::StringRef FloatReason;
  /// True when the row was derived from the registry role (no table row).
  bool FromRegistry = false;

  /// Activation or FixedQParams: may end a weighted or binary pattern.
  bool isFusableActivation() const {
    return Kind == PatternKind::Activation || Kind == PatternKind::FixedQParams;
  }
};

/// The rows of BackendPatterns.def, in table order.
llvm::ArrayRef<BackendOp> backendPatternTable();

/// The row for Op: its table row, else a row added at run time, else one
/// derived from its registry QuantRole (so plugin ops declare their
/// behaviour through the role).
const BackendOp &backendOp(const OpInfo &Op);

/// Adds a row at run time for a registered op that has no row yet (neither
/// in BackendPatterns.def nor added before). Row.Op is copied.
llvm::Error addBackendOp(const BackendOp &Row);

/// Lets a pattern rooted on RootOp (a weighted, binary or norm row) end with
/// a following ActivationOp (an activation or fixed-qparams row) that the
/// table alone would not fuse: `sub` + `relu`, `batch_norm` + `relu6`,
/// `linear` + `batch_norm` + `relu`. A fusion the table already makes is
/// accepted and changes nothing.
llvm::Error addFusion(llvm::StringRef RootOp, llvm::StringRef ActivationOp);

/// True when addFusion allowed ActivationOp to end a pattern rooted on RootOp.
bool hasAddedFusion(llvm::StringRef RootOp, llvm::StringRef ActivationOp);

} // namespace qatc

#endif // QATC_PASSES_QUANT_BACKENDPATTERNS_H
