//===- BackendPatterns.cpp - The backend pattern table of prepare ---------===//
#include "passes/quant/BackendPatterns.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/ErrorHandling.h"

#include <vector>

namespace qatc {

llvm::StringRef patternKindName(PatternKind K) {
  switch (K) {
  case PatternKind::Float: return "float";
  case PatternKind::Weighted: return "weighted";
  case PatternKind::Binary: return "binary";
  case PatternKind::Norm: return "norm";
  case PatternKind::Activation: return "activation";
  case PatternKind::FixedQParams: return "fixed qparams";
  case PatternKind::SharedQParams: return "shared qparams";
  case PatternKind::ScaleOnly: return "scale only";
  }
  llvm_unreachable("unknown pattern kind");
}

namespace {

std::vector<BackendOp> buildTable() {
  std::vector<BackendOp> Rows;
  auto Add = [&](llvm::StringRef Op, PatternKind K) -> BackendOp & {
    Rows.emplace_back();
    Rows.back().Op = Op;
    Rows.back().Kind = K;
    return Rows.back();
  };
#define WEIGHTED(OP, AXIS, BN, ACT_AFTER_BN)                                                       \
  {                                                                                                \
    BackendOp &R = Add(OP, PatternKind::Weighted);                                                 \
    R.WeightAxis = AXIS;                                                                           \
    R.FusesBatchNorm = BN;                                                                         \
    R.ActAfterBatchNorm = ACT_AFTER_BN;                                                            \
    R.FusesActivation = true;                                                                      \
  }
#define BINARY(OP, ACT, COMBINATION)                                                               \
  {                                                                                                \
    BackendOp &R = Add(OP, PatternKind::Binary);                                                   \
    R.FusesActivation = ACT;                                                                       \
    R.Combination = COMBINATION;                                                                   \
  }
#define NORM(OP) Add(OP, PatternKind::Norm);
#define ACTIVATION(OP, NON_NEGATIVE) Add(OP, PatternKind::Activation).NonNegative = NON_NEGATIVE;
#define FIXED_QPARAMS(OP, SCALE, ZERO_POINT)                                                       \
  {                                                                                                \
    BackendOp &R = Add(OP, PatternKind::FixedQParams);                                             \
    R.FixedScale = SCALE;                                                                          \
    R.FixedZeroPoint = ZERO_POINT;                                                                 \
  }
#define SHARED_QPARAMS(OP) Add(OP, PatternKind::SharedQParams);
#define SCALE_ONLY(OP) Add(OP, PatternKind::ScaleOnly);
#define FLOAT(OP, WHY) Add(OP, PatternKind::Float).FloatReason = WHY;
#include "passes/quant/BackendPatterns.def"
  return Rows;
}

const std::vector<BackendOp> &table() {
  static const std::vector<BackendOp> Rows = buildTable();
  return Rows;
}

/// Rows for ops without a table row, by registry role.
const BackendOp &rowForRole(QuantRole Role) {
  static const std::vector<BackendOp> ByRole = [] {
    std::vector<BackendOp> R(unsigned(QuantRole::Quantization) + 1);
    for (unsigned I = 0; I < R.size(); ++I) {
      BackendOp &Row = R[I];
      Row.FromRegistry = true;
      switch (QuantRole(I)) {
      case QuantRole::Weighted:
        Row.Kind = PatternKind::Weighted;
        Row.FusesActivation = true;
        break;
      case QuantRole::Binary: Row.Kind = PatternKind::Binary; break;
      case QuantRole::Activation:
      // Without table constants a fixed-qparams op is observed like any activation.
      case QuantRole::FixedQParams: Row.Kind = PatternKind::Activation; break;
      case QuantRole::Norm: Row.Kind = PatternKind::Norm; break;
      case QuantRole::SharedQParams: Row.Kind = PatternKind::SharedQParams; break;
      case QuantRole::None:
      case QuantRole::Quantization: Row.Kind = PatternKind::Float; break;
      }
    }
    return R;
  }();
  return ByRole[unsigned(Role)];
}

} // namespace

llvm::ArrayRef<BackendOp> backendPatternTable() { return table(); }

const BackendOp &backendOp(const OpInfo &Op) {
  // Built-in ops are registered before anyone asks, so their rows are indexed
  // once; ops a plugin registers later fall back to their role.
  static const llvm::DenseMap<const OpInfo *, const BackendOp *> Index = [] {
    llvm::DenseMap<const OpInfo *, const BackendOp *> M;
    for (const BackendOp &Row : table())
      if (const OpInfo *Info = OpRegistry::get().lookup(Row.Op))
        M[Info] = &Row;
    return M;
  }();
  if (const BackendOp *Row = Index.lookup(&Op))
    return *Row;
  return rowForRole(Op.quantRole());
}

} // namespace qatc
