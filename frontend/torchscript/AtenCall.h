//===- AtenCall.h - One TorchScript node during import ----------*- C++ -*-===//
//
// What an op-table handler (AtenOps.h) sees of the node it imports: its
// arguments as ScriptValues with typed accessors, and a way to emit QIR. The
// first problem an accessor or emit meets is recorded as an AtenError that
// says whether the op is unsupported in this form, needs static shapes, or
// the model is invalid.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_TORCHSCRIPT_ATENCALL_H
#define QATC_FRONTEND_TORCHSCRIPT_ATENCALL_H

#include "frontend/torchscript/GraphEmitter.h"
#include "frontend/torchscript/ScriptValue.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace qatc {

/// Why an op could not be imported.
class AtenError : public llvm::ErrorInfo<AtenError> {
public:
  enum class Reason {
    /// The op is used in a form qatc does not support (listed with the
    /// unsupported ops).
    Unsupported,
    /// The op needs static shapes that the model inputs do not have.
    NeedsStaticShapes,
    /// The model is wrong (bad arguments, shapes that do not fit).
    Invalid,
  };
  static char ID;
  AtenError(Reason R, std::string Message) : R(R), Message(std::move(Message)) {}
  Reason reason() const { return R; }
  std::string message() const override { return Message; }
  void log(llvm::raw_ostream &OS) const override { OS << Message; }
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }

private:
  Reason R;
  std::string Message;
};

/// One TorchScript node being imported. Argument accessors check the kind of
/// the argument; the first problem is recorded (later accessors then return
/// neutral values and emit() does nothing), and takeError() reports it.
class AtenCall {
public:
  /// QirOp is the op the table row names (used by handlers shared by several
  /// rows); NumResults is the node's output count.
  AtenCall(GraphEmitter &E, llvm::StringRef QirOp, llvm::ArrayRef<ScriptValue> Args,
           unsigned NumResults)
      : E(E), QirOp(QirOp), Args(Args), NumResults(NumResults) {}

  llvm::StringRef qirOp() const { return QirOp; }
  unsigned numArgs() const { return Args.size(); }
  unsigned numResults() const { return NumResults; }
  /// Argument I, or None past the end.
  const ScriptValue &arg(unsigned I) const;

  /// A tensor argument as a QIR node (constants are read through get_attr).
  Node *tensor(unsigned I);
  /// A list of tensors (constants are read through get_attr).
  std::vector<Node *> tensors(unsigned I);
  /// A tensor argument, or null when it is None.
  Node *optionalTensor(unsigned I);
  /// A tensor argument, where a number becomes a 0-d constant of type T.
  Node *operand(unsigned I, DType T);
  int64_t integer(unsigned I);
  double real(unsigned I);
  bool boolean(unsigned I);
  std::string string(unsigned I);
  /// A list of ints. With Size > 0 the list must have Size entries; a single
  /// int (or one-entry list) is repeated, as TorchScript does for `int[2]`.
  std::vector<int64_t> ints(unsigned I, unsigned Size = 0);

  /// The rank of X, which must be known (0 after a failure).
  unsigned rank(Node *X);
  /// Dim (possibly negative) of X's rank, normalized (0 after a failure).
  int64_t normalizedDim(Node *X, int64_t Dim);
  /// The static size of dim Dim (possibly negative) of X (0 after a failure).
  int64_t dimSize(Node *X, int64_t Dim);

  /// Emits a call of Op; returns null (emitting nothing) after a failure.
  Node *emit(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
             llvm::ArrayRef<NamedAttribute> Attrs = {});
  GraphEmitter &emitter() { return E; }

  /// Records that the op is used in an unsupported form (`with a dtype`).
  void unsupported(const llvm::Twine &Form);
  /// Records that the op needs static shapes; Why names what is not static.
  void needShapes(const llvm::Twine &Why);
  /// Records that the model is invalid.
  void fail(const llvm::Twine &Message);
  bool failed() const { return Problem.has_value(); }
  /// The recorded problem as an AtenError, or success.
  llvm::Error takeError();

private:
  void record(AtenError::Reason R, const llvm::Twine &Message);
  /// Records that argument I is not what Expected describes (`an int`).
  void wrongKind(unsigned I, llvm::StringRef Expected);

  GraphEmitter &E;
  llvm::StringRef QirOp;
  llvm::ArrayRef<ScriptValue> Args;
  unsigned NumResults;
  std::optional<std::pair<AtenError::Reason, std::string>> Problem;
};

} // namespace qatc

#endif // QATC_FRONTEND_TORCHSCRIPT_ATENCALL_H
