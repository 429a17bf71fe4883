//===- BackendPatterns.cpp - The backend pattern table of prepare ---------===//
#include "passes/quant/BackendPatterns.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/ErrorHandling.h"

#include <deque>
#include <string>
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

/// The table rows by op, indexed once: built-in ops are registered before
/// anyone asks.
const llvm::DenseMap<const OpInfo *, const BackendOp *> &tableIndex() {
  static const llvm::DenseMap<const OpInfo *, const BackendOp *> Index = [] {
    llvm::DenseMap<const OpInfo *, const BackendOp *> M;
    for (const BackendOp &Row : table())
      if (const OpInfo *Info = OpRegistry::get().lookup(Row.Op))
        M[Info] = &Row;
    return M;
  }();
  return Index;
}

/// What plugins added at run time.
struct Additions {
  /// Rows and the op names they point to (deques keep both in place).
  std::deque<BackendOp> Rows;
  std::deque<std::string> OpNames;
  llvm::DenseMap<const OpInfo *, const BackendOp *> RowOf;
  /// `root\0activation` pairs.
  llvm::StringSet<> Fusions;
};

Additions &additions() {
  static Additions *A = new Additions();
  return *A;
}

std::string fusionKey(llvm::StringRef RootOp, llvm::StringRef ActivationOp) {
  return (RootOp + llvm::Twine('\0') + ActivationOp).str();
}

llvm::Error tableError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

} // namespace

llvm::ArrayRef<BackendOp> backendPatternTable() { return table(); }

const BackendOp &backendOp(const OpInfo &Op) {
  if (const BackendOp *Row = tableIndex().lookup(&Op))
    return *Row;
  if (const BackendOp *Row = additions().RowOf.lookup(&Op))
    return *Row;
  return rowForRole(Op.quantRole());
}

llvm::Error addBackendOp(const BackendOp &Row) {
  const OpInfo *Info = OpRegistry::get().lookup(Row.Op);
  if (!Info)
    return tableError("cannot add a backend pattern row for unknown op '" + Row.Op + "'");
  const BackendOp &Current = backendOp(*Info);
  if (!Current.FromRegistry)
    return tableError("op '" + Row.Op + "' already has a backend pattern row (" +
                      patternKindName(Current.Kind) + ")");
  if (Row.Kind == PatternKind::Weighted && (Row.WeightAxis < 0 || Row.WeightAxis > 1))
    return tableError("the weight axis of op '" + Row.Op + "' must be 0 or 1, not " +
                      llvm::Twine(Row.WeightAxis));
  if (Row.Kind == PatternKind::FixedQParams &&
      (!(Row.FixedScale > 0) || Row.FixedZeroPoint < 0 || Row.FixedZeroPoint > 255))
    return tableError("the fixed qparams of op '" + Row.Op +
                      "' need a positive scale and a zero point in [0, 255]");
  Additions &A = additions();
  A.OpNames.push_back(Row.Op.str());
  A.Rows.push_back(Row);
  A.Rows.back().Op = A.OpNames.back();
  A.Rows.back().FromRegistry = false;
  A.RowOf[Info] = &A.Rows.back();
  return llvm::Error::success();
}

llvm::Error addFusion(llvm::StringRef RootOp, llvm::StringRef ActivationOp) {
  const OpInfo *Root = OpRegistry::get().lookup(RootOp);
  const OpInfo *Act = OpRegistry::get().lookup(ActivationOp);
  if (!Root || !Act)
    return tableError("cannot add the fusion " + RootOp + " + " + ActivationOp + ": unknown op '" +
                      (Root ? ActivationOp : RootOp) + "'");
  PatternKind RootKind = backendOp(*Root).Kind;
  if (RootKind != PatternKind::Weighted && RootKind != PatternKind::Binary &&
      RootKind != PatternKind::Norm)
    return tableError("cannot add the fusion " + RootOp + " + " + ActivationOp + ": '" + RootOp +
                      "' has pattern kind " + patternKindName(RootKind) +
                      ", and only weighted, binary and norm patterns fuse an activation");
  if (!backendOp(*Act).isFusableActivation())
    return tableError("cannot add the fusion " + RootOp + " + " + ActivationOp + ": '" +
                      ActivationOp + "' has pattern kind " + patternKindName(backendOp(*Act).Kind) +
                      ", not activation or fixed qparams");
  additions().Fusions.insert(fusionKey(RootOp, ActivationOp));
  return llvm::Error::success();
}

bool hasAddedFusion(llvm::StringRef RootOp, llvm::StringRef ActivationOp) {
  const llvm::StringSet<> &F = additions().Fusions;
  return !F.empty() && F.count(fusionKey(RootOp, ActivationOp));
}

} // namespace qatc
