//===- MilTensor.h - Constant tensors in MIL element types ------*- C++ -*-===//
//
// A MilTensor is the host-side form of a MIL constant: an element type from
// MILSpec::DataType, a shape (rank 0 is a scalar) and little-endian bytes,
// sub-byte types (int4, uint4, ...) packed two or more per byte starting at
// the least significant bit, as Core ML stores them. Strings keep their own
// list. Both the writer and the reader go through this type.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_MILTENSOR_H
#define QATC_PASSES_MIL_MILTENSOR_H

#include "proto/coreml/MIL.pb.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qatc {
namespace mil {

using MilDType = CoreML::Specification::MILSpec::DataType;

/// Bits per element of a MIL data type (0 for strings and unknown types).
unsigned dtypeBits(MilDType T);
/// True for the packed types narrower than a byte (int4, uint1..uint6).
bool isSubByte(MilDType T);
/// True for the integer types (signed or not, any width).
bool isIntegerDType(MilDType T);
/// True for the signed integer types.
bool isSignedDType(MilDType T);
/// The smallest and largest value of an integer type.
std::pair<int64_t, int64_t> integerRange(MilDType T);
/// The spelling used in messages and MIL text (`fp32`, `int8`, `uint4`, `string`, ...).
llvm::StringRef dtypeSpelling(MilDType T);

/// A constant tensor in a MIL element type.
struct MilTensor {
  MilDType DType = CoreML::Specification::MILSpec::FLOAT32;
  llvm::SmallVector<int64_t, 4> Shape;
  /// Element data (packed for sub-byte types); empty for strings.
  std::vector<uint8_t> Bytes;
  /// The elements of a STRING tensor.
  std::vector<std::string> Strings;

  /// Product of the shape (1 for a scalar).
  int64_t numel() const;
  /// Bytes the data occupies (sub-byte types rounded up to whole bytes).
  size_t byteSize() const;

  static MilTensor scalarString(llvm::StringRef S);
  static MilTensor scalarInt32(int32_t V);
  static MilTensor scalarFloat(float V);
  static MilTensor scalarBool(bool B);
  /// A rank-1 int32 tensor.
  static MilTensor int32s(llvm::ArrayRef<int64_t> Values);
  /// A rank-1 bool tensor.
  static MilTensor bools(const std::vector<bool> &Values);
  /// An fp32 tensor of the given shape.
  static MilTensor floats(llvm::ArrayRef<int64_t> Shape, llvm::ArrayRef<float> Values);
  /// An integer tensor of type T holding Values (each must fit T), packing
  /// sub-byte types.
  static MilTensor integers(MilDType T, llvm::ArrayRef<int64_t> Shape,
                            llvm::ArrayRef<int64_t> Values);

  /// The elements of an integer or bool tensor, widened (sub-byte types unpacked).
  std::vector<int64_t> intValues() const;
  /// The elements of a float (fp16, fp32, fp64) tensor as floats.
  std::vector<float> floatValues() const;
  /// The scalar string of a rank-0 (or one-element) STRING tensor.
  std::optional<std::string> stringValue() const;
};

/// IEEE half bits to float, and float to half bits (round to nearest even).
float halfToFloat(uint16_t H);
uint16_t floatToHalf(float F);

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_MILTENSOR_H
