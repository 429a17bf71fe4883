//===- OnnxTensor.h - Constant tensors read from ONNX -----------*- C++ -*-===//
//
// A ConstTensor is a tensor whose value the importer knows: an initializer,
// the value of a Constant node, or the result of folding shape arithmetic.
// Its bytes are either a view into memory that outlives the import (the
// parsed model, a mapped external-data file, or another constant it shares
// via Base) or owned storage. readTensor turns an onnx::TensorProto into one,
// checking every declared size against the data actually present.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXTENSOR_H
#define QATC_FRONTEND_ONNX_ONNXTENSOR_H

#include "ir/Type.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qatc {

class OnnxExternalData;

/// A tensor with a value known at import time (little-endian bytes).
class ConstTensor {
public:
  ConstTensor(DType Elem, llvm::ArrayRef<int64_t> Dims) : Elem(Elem), Dims(Dims) {}
  ConstTensor(const ConstTensor &) = delete;
  ConstTensor &operator=(const ConstTensor &) = delete;

  DType dtype() const { return Elem; }
  llvm::ArrayRef<int64_t> dims() const { return Dims; }
  unsigned rank() const { return Dims.size(); }
  /// The product of the dims (the dims were checked not to overflow).
  int64_t numElements() const;
  /// The QIR type of the tensor.
  Type type() const { return Type::tensor(Elem, Dims); }
  /// The raw bytes, numElements() * dtypeSize(dtype()) of them.
  llvm::ArrayRef<uint8_t> bytes() const { return Bytes; }

  /// Gives the tensor its own copy of Data.
  void setOwned(std::vector<uint8_t> Data);
  /// Makes the tensor a view of Data, which must outlive it (or be kept alive
  /// by Owner).
  void setView(llvm::ArrayRef<uint8_t> Data, std::shared_ptr<const ConstTensor> Owner = nullptr);

  /// Element I as an integer (integer and bool dtypes) or a double (floats).
  int64_t intAt(int64_t I) const;
  double floatAt(int64_t I) const;
  /// Every element as int64 (integer and bool dtypes only).
  std::vector<int64_t> toInts() const;

  /// The name the tensor had in the model (initializer, value or Identity
  /// output), used to name the parameter it becomes.
  std::string Name;
  /// True when Name is not a PyTorch parameter path (`onnx::Conv_193`,
  /// Constant outputs, folded values): the parameter is then named after
  /// its consumer and operand instead.
  bool Anonymous = true;

private:
  DType Elem;
  llvm::SmallVector<int64_t, 4> Dims;
  llvm::ArrayRef<uint8_t> Bytes;
  std::vector<uint8_t> Storage;
  std::shared_ptr<const ConstTensor> Base;
};

using ConstTensorRef = std::shared_ptr<const ConstTensor>;

/// The QIR element type of an ONNX TensorProto data type, or nullopt when
/// QIR has none.
std::optional<DType> dtypeFromOnnx(int32_t OnnxType);

/// The ONNX name of a TensorProto data type (`FLOAT`, `DOUBLE`, ...).
std::string onnxTypeName(int32_t OnnxType);

/// The largest tensor dimension the importer accepts, so that shape
/// arithmetic on dims and spatial attributes cannot overflow int64.
inline constexpr int64_t kMaxDim = int64_t(1) << 30;

/// Checks that Dims are in [0, kMaxDim] and that the product of the non-zero
/// ones, in bytes of Elem, fits in int64; What names the tensor in messages.
llvm::Error checkDims(llvm::ArrayRef<int64_t> Dims, DType Elem, const llvm::Twine &What);

/// Reads T (raw_data, a typed field, or external data through External).
/// RawData, when given, replaces T's raw_data (parseOnnxModel keeps it out
/// of the proto). What names the tensor in messages ("initializer 'w'").
/// The bytes stay views into T, RawData or the external file where the
/// layout allows.
llvm::Expected<std::unique_ptr<ConstTensor>>
readTensor(const onnx::TensorProto &T, const llvm::Twine &What, OnnxExternalData &External,
           std::optional<llvm::ArrayRef<uint8_t>> RawData = std::nullopt);

/// True for ONNX names that are not PyTorch parameter paths: the
/// `onnx::Op_N` names torch.onnx gives folded constants.
bool isAnonymousOnnxName(llvm::StringRef Name);

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXTENSOR_H
