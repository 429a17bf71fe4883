//===- Type.h - Result types of QIR nodes -----------------------*- C++ -*-===//
//
// A node's result type: a tensor (element type plus a shape whose dimensions
// may be dynamic, or an unknown rank), or a tuple of tensors for multi-result
// ops, which are then unpacked with getitem as in torch.fx.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_TYPE_H
#define QATC_IR_TYPE_H

#include "ir/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qatc {

/// Marker for a dimension whose size is not known statically (`?` in text).
inline constexpr int64_t kDynamicDim = -1;

/// The result type of a node: a tensor type or a tuple of tensor types.
class Type {
public:
  enum class Kind : uint8_t { None, Tensor, Tuple };

  /// The empty type of nodes that produce no value (output).
  Type() = default;

  /// A ranked tensor type; dimensions may be kDynamicDim.
  static Type tensor(DType Elem, llvm::ArrayRef<int64_t> Dims);
  /// A tensor type of unknown rank (`f32[*]`).
  static Type unranked(DType Elem);
  /// A tuple of tensor types.
  static Type tuple(std::vector<Type> Elements);

  Kind kind() const { return K; }
  bool isNone() const { return K == Kind::None; }
  bool isTensor() const { return K == Kind::Tensor; }
  bool isTuple() const { return K == Kind::Tuple; }

  /// Element type of a tensor type.
  DType dtype() const { return Elem; }
  /// True when the tensor's rank is known.
  bool hasRank() const { return Ranked; }
  /// Rank of a ranked tensor type.
  unsigned rank() const { return Dims.size(); }
  /// Dimensions of a ranked tensor type (kDynamicDim for unknown sizes).
  llvm::ArrayRef<int64_t> dims() const { return Dims; }
  /// Dimension I, counted from the back when negative.
  int64_t dim(int I) const { return Dims[I < 0 ? I + (int)Dims.size() : I]; }
  /// True when the rank and every dimension are known.
  bool hasStaticShape() const;
  /// Product of the dimensions of a static shape, or nullopt when unknown or
  /// when it overflows int64.
  std::optional<int64_t> numElements() const;

  /// Elements of a tuple type.
  llvm::ArrayRef<Type> elements() const;

  /// The same tensor type with another element type.
  Type withDType(DType T) const;

  /// True when a value of type Other may be used where this type is declared:
  /// equal element types and, where both know a dimension, equal sizes.
  bool isCompatibleWith(const Type &Other) const;

  bool operator==(const Type &O) const;
  bool operator!=(const Type &O) const { return !(*this == O); }

  /// Prints the text form (`f32[1, 3, ?, 224]`, `f32[*]`, `(f32[2], f32[2])`).
  void print(llvm::raw_ostream &OS) const;
  /// The text form as a string.
  std::string str() const;

private:
  Kind K = Kind::None;
  DType Elem = DType::F32;
  bool Ranked = false;
  llvm::SmallVector<int64_t, 4> Dims;
  std::shared_ptr<const std::vector<Type>> Elements;
};

inline llvm::raw_ostream &operator<<(llvm::raw_ostream &OS, const Type &T) {
  T.print(OS);
  return OS;
}

} // namespace qatc

#endif // QATC_IR_TYPE_H
