//===- LoweringContext.h - State shared by the QIR-to-MIL rules -*- C++ -*-===//
//
// Private to passes/mil. The lowering walks a quantized QIR graph in order
// and appends MIL operations to the `main` block. LoweringContext owns the
// block, the unique-name table, the blob writer and the map from QIR nodes to
// MIL value names; OpBuilder assembles one operation the way coremltools
// does: every parameter bound by name, constants as `const` ops named
// `<op>_<param>_0` placed right before the op, every output typed, and the
// `name` attribute. Op rules (LowerOps.cpp, LowerQuantization.cpp) report
// ops MIL cannot express with unsupported(), so one error lists them all.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_LOWERINGCONTEXT_H
#define QATC_PASSES_MIL_LOWERINGCONTEXT_H

#include "passes/mil/BlobStorage.h"
#include "passes/mil/MilTarget.h"
#include "passes/mil/MilTensor.h"

#include "ir/Graph.h"

#include "proto/coreml/MIL.pb.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <string>
#include <vector>

namespace qatc {
namespace mil {

namespace Spec = CoreML::Specification::MILSpec;

/// The MIL element type of a QIR dtype.
MilDType milDType(DType T);

/// Raised by op rules for a node MIL cannot express; collected, not fatal.
class UnsupportedError : public llvm::ErrorInfo<UnsupportedError> {
public:
  static char ID;
  explicit UnsupportedError(std::string Reason) : Reason(std::move(Reason)) {}
  void log(llvm::raw_ostream &OS) const override { OS << Reason; }
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }
  const std::string &reason() const { return Reason; }

private:
  std::string Reason;
};

/// An error naming node N (one sentence, what to do included in Message).
llvm::Error nodeError(const Node &N, const llvm::Twine &Message);
/// An UnsupportedError for N.
llvm::Error unsupported(const llvm::Twine &Reason);

class LoweringContext;

/// Builds one MIL operation; emit() appends it after the consts it made.
class OpBuilder {
public:
  /// An op of MIL type OpType named Name (already unique).
  OpBuilder(LoweringContext &L, llvm::StringRef OpType, std::string Name);
  /// Binds Param to a value by name.
  OpBuilder &in(llvm::StringRef Param, llvm::StringRef Value);
  /// Binds Param to a tuple of values by name (concat.values).
  OpBuilder &inTuple(llvm::StringRef Param, llvm::ArrayRef<std::string> Values);
  /// Binds Param to a new const op `<name>_<param>_0` holding T.
  OpBuilder &constIn(llvm::StringRef Param, const MilTensor &T);
  /// Binds Param to a literal Value (iOS18 constexpr parameters).
  OpBuilder &literalIn(llvm::StringRef Param, const MilTensor &T);
  /// Adds an attribute holding T (iOS16 constexpr parameters).
  OpBuilder &attr(llvm::StringRef Key, const MilTensor &T);
  /// Adds an output.
  OpBuilder &out(llvm::StringRef Name, MilDType T, llvm::ArrayRef<int64_t> Dims);
  /// Adds the output named after the op, typed like QIR type Ty.
  OpBuilder &out(const Type &Ty);
  /// Appends the op to the block.
  void emit();
  const std::string &name() const { return Name; }

private:
  LoweringContext &L;
  Spec::Operation Op;
  std::string Name;
};

/// The state of one lowering.
class LoweringContext {
public:
  LoweringContext(const Graph &G, const MilOptions &Opts, Spec::Block &Block);

  const Graph &graph() const { return G; }
  const MilOptions &options() const { return Opts; }
  MilTarget target() const { return Opts.Target; }
  Spec::Block &block() { return Block; }
  BlobWriter &blobs() { return Blobs; }

  /// A fresh MIL name derived from Base (sanitized, uniqued with _1, _2, ...).
  std::string freshName(llvm::StringRef Base);
  /// Records that node N's value is the MIL value Name.
  void define(const Node *N, std::string Name) { Values[N] = std::move(Name); }
  /// The MIL name of an operand: the node's value, or for a get_attr a const
  /// op holding its parameter (made on first use).
  llvm::Expected<std::string> value(const Node *N);
  /// Like value(), but a one-element parameter becomes a rank-0 const.
  llvm::Expected<std::string> scalarValue(const Node *N);
  /// Appends a const op named Name (already unique) holding T.
  void constant(const std::string &Name, const MilTensor &T);
  /// T as a Value: a blob when it is large enough, else immediate.
  Spec::Value encode(const MilTensor &T);

  /// The MIL names of a split's outputs (set by the split rule).
  std::map<const Node *, std::vector<std::string>> TupleOutputs;

private:
  const Graph &G;
  MilOptions Opts;
  Spec::Block &Block;
  BlobWriter Blobs;
  llvm::StringSet<> Used;
  llvm::StringMap<unsigned> NextSuffix;
  llvm::DenseMap<const Node *, std::string> Values;
  llvm::DenseMap<const Node *, std::string> ScalarConsts;
};

/// A parameter's data as a MIL tensor of its QIR dtype (Shape overrides the
/// parameter's shape when given).
llvm::Expected<MilTensor> parameterTensor(const Node &GetAttr,
                                          std::optional<llvm::ArrayRef<int64_t>> Shape = {});

/// The rule that lowers one QIR op; it emits ops and defines N's value.
using LowerRule = llvm::Error (*)(LoweringContext &L, const Node &N);
/// The rule for OpName, or null when MIL has no mapping.
LowerRule lookupLowerRule(llvm::StringRef OpName);
/// Rules of the quantization ops (LowerQuantization.cpp).
llvm::Error lowerQuantize(LoweringContext &L, const Node &N);
llvm::Error lowerDequantize(LoweringContext &L, const Node &N);

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_LOWERINGCONTEXT_H
