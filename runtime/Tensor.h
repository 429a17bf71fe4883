//===- Tensor.h - Dense, contiguous, reference-counted tensors --*- C++ -*-===//
//
// The runtime's value type. A Tensor is a shape, a dtype and a shared,
// 64-byte-aligned buffer; copying a Tensor shares the buffer (shallow), so a
// graph parameter, the get_attr value reading it and a reshape view all alias
// one buffer. Buffers come from a size-keyed cache, so a training step that
// repeats the previous step's allocations touches no allocator.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_TENSOR_H
#define QATC_RUNTIME_TENSOR_H

#include "ir/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>

namespace qatc {
namespace runtime {

/// A tensor's dimensions (row-major, contiguous).
using Shape = llvm::SmallVector<int64_t, 4>;

/// A dense tensor sharing its buffer on copy. Default-constructed tensors are
/// undefined (no buffer), which gradient code uses for "zero".
class Tensor {
public:
  Tensor() = default;

  /// An uninitialized tensor.
  static Tensor empty(llvm::ArrayRef<int64_t> Dims, DType T = DType::F32);
  /// A tensor of zeros.
  static Tensor zeros(llvm::ArrayRef<int64_t> Dims, DType T = DType::F32);
  /// An f32 tensor filled with Value.
  static Tensor full(llvm::ArrayRef<int64_t> Dims, float Value);
  /// A tensor holding a copy of Bytes (which must be the shape's byte size).
  static Tensor fromBytes(llvm::ArrayRef<int64_t> Dims, DType T,
                          llvm::ArrayRef<uint8_t> Bytes);
  /// An f32 tensor holding a copy of Values.
  static Tensor fromFloats(llvm::ArrayRef<int64_t> Dims, llvm::ArrayRef<float> Values);

  /// False for a default-constructed tensor.
  bool defined() const { return Store != nullptr; }
  DType dtype() const { return Elem; }
  llvm::ArrayRef<int64_t> shape() const { return Dims; }
  unsigned rank() const { return Dims.size(); }
  /// Dimension I; negative I counts from the back.
  int64_t dim(int I) const { return Dims[I < 0 ? I + (int)Dims.size() : I]; }
  int64_t numel() const { return NumElements; }
  size_t byteSize() const { return NumElements * dtypeSize(Elem); }

  /// Typed pointer to the first element; T must match the dtype's size.
  template <typename T> T *data() const {
    assert(sizeof(T) == dtypeSize(Elem) && "element type does not match the dtype");
    return static_cast<T *>(raw());
  }
  /// The f32 data (asserts the dtype).
  float *f32() const {
    assert(Elem == DType::F32 && "not an f32 tensor");
    return static_cast<float *>(raw());
  }
  void *raw() const;
  /// The bytes, for serialization.
  llvm::ArrayRef<uint8_t> bytes() const {
    return {static_cast<const uint8_t *>(raw()), byteSize()};
  }

  /// A deep copy with its own buffer.
  Tensor clone() const;
  /// The same buffer under another shape with the same element count.
  Tensor view(llvm::ArrayRef<int64_t> NewDims) const;
  /// True when both tensors use one buffer.
  bool sharesBufferWith(const Tensor &O) const { return Store && Store == O.Store; }
  /// True when no other tensor uses this one's buffer, so whoever holds this
  /// tensor may overwrite it.
  bool ownsBufferAlone() const { return Store && Store.use_count() == 1; }
  /// Copies O's elements into this tensor's buffer (same dtype and numel).
  void copyFrom(const Tensor &O) const;
  /// Sets every byte to zero.
  void zero() const;
  /// "[2, 3] f32", for messages.
  std::string describe() const;

private:
  struct Buffer;
  std::shared_ptr<Buffer> Store;
  Shape Dims;
  int64_t NumElements = 0;
  DType Elem = DType::F32;
};

/// Element count of a shape (1 for rank 0).
int64_t shapeNumel(llvm::ArrayRef<int64_t> Dims);
/// "[2, 3]".
std::string shapeString(llvm::ArrayRef<int64_t> Dims);

/// Bytes currently held by buffers of live tensors.
size_t liveBufferBytes();
/// The maximum of liveBufferBytes() since the last resetPeakBufferBytes().
size_t peakBufferBytes();
void resetPeakBufferBytes();
/// Frees every cached (unused) buffer.
void releaseCachedBuffers();

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_TENSOR_H
