//===- OnnxExternalData.h - Tensor data stored beside an ONNX model -*- C++ -*-===//
//
// Large ONNX models keep tensor bytes in separate files (TensorProto
// data_location EXTERNAL) named relative to the model's directory. This maps
// each such file once, for the whole import, and hands out bounds-checked
// views into it.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXEXTERNALDATA_H
#define QATC_FRONTEND_ONNX_ONNXEXTERNALDATA_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace qatc {

/// The external-data files of one model, mapped on first use.
class OnnxExternalData {
public:
  /// Locations are resolved relative to BaseDir (the model's directory).
  explicit OnnxExternalData(llvm::StringRef BaseDir) : BaseDir(BaseDir.str()) {}

  /// Size bytes at Offset of the file at Location. Length, when the model
  /// gives one, must equal Size. The view lives as long as this object.
  /// Messages start with What ("initializer 'w'").
  llvm::Expected<llvm::ArrayRef<uint8_t>> read(llvm::StringRef Location, uint64_t Offset,
                                               std::optional<uint64_t> Length, uint64_t Size,
                                               const llvm::Twine &What);

private:
  llvm::Expected<const llvm::MemoryBuffer *> open(llvm::StringRef Location,
                                                  const llvm::Twine &What);

  std::string BaseDir;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> Files;
};

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXEXTERNALDATA_H
