//===- MilValue.h - MIL types and values in the protobuf form ---*- C++ -*-===//
//
// Converts between MilTensor and MILSpec messages: tensor ValueTypes (known
// and unknown dimensions), immediate values in the TensorValue field the
// element type selects (floats, ints, bytes, ...), and blob file values that
// refer to weights/weight.bin.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_MILVALUE_H
#define QATC_PASSES_MIL_MILVALUE_H

#include "passes/mil/BlobStorage.h"
#include "passes/mil/MilTensor.h"

#include "proto/coreml/MIL.pb.h"

namespace qatc {
namespace mil {

/// The blob file name coremltools writes in every BlobFileValue.
inline constexpr const char *kWeightFileRef = "@model_path/weights/weight.bin";

/// Marker for an unknown dimension in MIL shapes.
inline constexpr int64_t kUnknownDim = -1;

/// A tensor ValueType; negative dimensions are written as unknown.
CoreML::Specification::MILSpec::ValueType tensorValueType(MilDType T,
                                                          llvm::ArrayRef<int64_t> Dims);

/// The Value of T: a blob in Blobs when Blobs is given, else an immediate value.
CoreML::Specification::MILSpec::Value encodeValue(const MilTensor &T, BlobWriter *Blobs);

/// True when T may be stored in weight.bin and has at least Threshold elements.
bool belongsInBlob(const MilTensor &T, size_t Threshold);

/// The element type and dimensions (kUnknownDim for unknown) of a tensor
/// ValueType; What names the value in messages.
struct TensorTypeInfo {
  MilDType DType;
  llvm::SmallVector<int64_t, 4> Dims;
};
llvm::Expected<TensorTypeInfo> tensorTypeInfo(const CoreML::Specification::MILSpec::ValueType &T,
                                              llvm::StringRef What);

/// Decodes a tensor Value (immediate, or a blob read through Blobs, which
/// may be null when the program has no weight file). What names the value.
llvm::Expected<MilTensor> decodeValue(const CoreML::Specification::MILSpec::Value &V,
                                      const BlobReader *Blobs, llvm::StringRef What);

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_MILVALUE_H
