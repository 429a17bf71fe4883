//===- Parameter.h - Named tensors owned by a graph -------------*- C++ -*-===//
//
// Weights, batch-norm statistics and observer state live in the graph as named
// parameters and are read by get_attr nodes. Data is shared copy-on-write so
// that cloning a graph does not copy weights.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_PARAMETER_H
#define QATC_IR_PARAMETER_H

#include "ir/Type.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/ilist_node.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qatc {

class Graph;

/// A named tensor owned by a graph. Its data may be elided (absent), as in
/// readable golden files; such a graph can be printed but not executed.
class Parameter : public llvm::ilist_node<Parameter> {
public:
  /// The parameter's unique name within its graph.
  llvm::StringRef name() const { return NameEntry->getKey(); }
  /// A static-shaped tensor type.
  const Type &type() const { return Ty; }
  /// True when the data was elided.
  bool isElided() const { return !Data; }
  /// The raw little-endian bytes (empty when elided).
  llvm::ArrayRef<uint8_t> bytes() const {
    return Data ? llvm::ArrayRef<uint8_t>(*Data) : llvm::ArrayRef<uint8_t>();
  }
  /// Typed read-only view; T must match the element size.
  template <typename T> llvm::ArrayRef<T> values() const {
    auto B = bytes();
    return {reinterpret_cast<const T *>(B.data()), B.size() / sizeof(T)};
  }
  /// Mutable bytes; copies the buffer first if another graph shares it.
  llvm::MutableArrayRef<uint8_t> mutableBytes();
  /// Replaces the data; its size must be the type's byte size.
  void setData(std::vector<uint8_t> Bytes);
  /// Drops the data (elides it).
  void elide() { Data.reset(); }
  /// Byte size implied by the type (0 for a non-static type).
  size_t byteSize() const;

private:
  friend class Graph;
  Parameter(llvm::StringMapEntry<Parameter *> *Entry, Type T)
      : NameEntry(Entry), Ty(std::move(T)) {}

  llvm::StringMapEntry<Parameter *> *NameEntry;
  Type Ty;
  std::shared_ptr<std::vector<uint8_t>> Data;
};

} // namespace qatc

#endif // QATC_IR_PARAMETER_H
