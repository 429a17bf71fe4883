//===- ScriptValue.h - TorchScript values during import ---------*- C++ -*-===//
//
// The TorchScript importer evaluates the inlined forward graph once: tensors
// become QIR nodes, while numbers, strings and lists (shape arithmetic,
// operator arguments) are folded to constants using the QIR static shapes. A
// ScriptValue is one such value. It holds no libtorch type, so the aten op
// table compiles without torch headers.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_TORCHSCRIPT_SCRIPTVALUE_H
#define QATC_FRONTEND_TORCHSCRIPT_SCRIPTVALUE_H

#include "ir/Node.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qatc {

/// Tensor data known at import time: a module parameter or buffer, or a
/// constant of the TorchScript graph. It becomes a QIR parameter read by one
/// get_attr node when an op first uses it.
struct TensorConstant {
  /// The parameter name (the PyTorch path, `layer1.0.conv1.weight`), or empty
  /// for an anonymous constant, which is named after its first user.
  std::string Name;
  /// A static tensor type.
  Type Ty;
  /// Raw little-endian bytes (moved into the parameter when it is created).
  std::vector<uint8_t> Bytes;
  /// The get_attr node reading the parameter, once created.
  Node *Read = nullptr;
};

/// One TorchScript value: None, a bool, int, float, string, a list (or
/// tuple), a tensor computed by a QIR node, tensor data known at import time,
/// an int that is not static (a dynamic dim), a value qatc does not model, or
/// the result of an op that was not imported.
class ScriptValue {
public:
  enum class Kind : uint8_t {
    None,
    Bool,
    Int,
    Float,
    String,
    List,
    Tensor,
    Constant,
    /// A value that needs static input shapes to be known; carries why.
    Unknown,
    /// A value qatc does not model (a device, a dict); carries its kind.
    Opaque,
    /// A result of an unsupported op; its users are skipped, not reported.
    Skipped,
  };

  /// None.
  ScriptValue() = default;
  static ScriptValue boolean(bool B);
  static ScriptValue integer(int64_t I);
  static ScriptValue real(double F);
  static ScriptValue string(std::string S);
  static ScriptValue list(std::vector<ScriptValue> Elements);
  static ScriptValue tensor(Node *N);
  static ScriptValue constant(std::shared_ptr<TensorConstant> C);
  /// A value that is not static; Reason says why (for the error message of
  /// the op that needs it).
  static ScriptValue unknown(std::string Reason);
  /// A value of a kind qatc does not model, such as `Device`.
  static ScriptValue opaque(std::string What);
  static ScriptValue skipped();

  Kind kind() const { return K; }
  bool isNone() const { return K == Kind::None; }
  /// True for bools, ints and floats.
  bool isNumber() const { return K == Kind::Bool || K == Kind::Int || K == Kind::Float; }
  /// True for computed tensors and tensor constants.
  bool isTensorLike() const { return K == Kind::Tensor || K == Kind::Constant; }

  bool getBool() const { return I != 0; }
  /// The value of a bool or int.
  int64_t getInt() const { return I; }
  /// The value of any number.
  double getFloat() const { return K == Kind::Float ? F : double(I); }
  /// The text of a string, the reason of an unknown value or the kind of an
  /// opaque one.
  const std::string &getString() const { return S; }
  llvm::ArrayRef<ScriptValue> getList() const;
  Node *getTensor() const { return N; }
  const std::shared_ptr<TensorConstant> &getConstant() const { return C; }

  /// What the value is, for messages (`an int`, `a list`, `None`, ...).
  llvm::StringRef describe() const;

private:
  Kind K = Kind::None;
  int64_t I = 0;
  double F = 0;
  std::string S;
  std::shared_ptr<const std::vector<ScriptValue>> L;
  Node *N = nullptr;
  std::shared_ptr<TensorConstant> C;
};

} // namespace qatc

#endif // QATC_FRONTEND_TORCHSCRIPT_SCRIPTVALUE_H
