//===- OnnxConstantFolding.h - Evaluating ONNX ops on constants -*- C++ -*-===//
//
// A small evaluator for the shape arithmetic torch.onnx.export writes
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, chunk's
// Shape -> Gather -> Add -> Div -> Mul -> Slice, ...) and for constant
// reshapes. Each fold function reads a node whose inputs are all constants
// and sets its outputs to constants, or returns false to leave the node to
// its op mapping. Computed results are capped at kMaxFoldElements elements
// so a hostile model cannot make the importer allocate without bound.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXCONSTANTFOLDING_H
#define QATC_FRONTEND_ONNX_ONNXCONSTANTFOLDING_H

#include "frontend/onnx/OnnxTensor.h"

#include "llvm/Support/Error.h"

namespace qatc {

class OnnxNodeContext;

/// The largest tensor folding computes (views such as reshapes of constants
/// are not limited: they copy nothing).
inline constexpr int64_t kMaxFoldElements = 1 << 20;

llvm::Expected<bool> foldBinary(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldUnaryFloat(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldCast(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldConcat(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldConstantOfShape(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldGather(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldRange(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldReshapeLike(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldShape(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldSlice(OnnxNodeContext &Ctx);
llvm::Expected<bool> foldTranspose(OnnxNodeContext &Ctx);

/// The shape of a tensor with dims Dims as ONNX Shape computes it (opset 15
/// start/end attributes applied), an int64 vector.
ConstTensorRef shapeTensor(llvm::ArrayRef<int64_t> Dims, OnnxNodeContext &Ctx);

/// T with its dims permuted by Perm (a copy of the data).
std::shared_ptr<ConstTensor> transposeTensor(const ConstTensor &T, llvm::ArrayRef<int64_t> Perm);

/// A tensor sharing T's bytes under other dims with the same element count.
std::shared_ptr<ConstTensor> reshapeView(const ConstTensorRef &T, llvm::ArrayRef<int64_t> Dims);

/// The constant bounds of a Slice node: axes default to 0, 1, ... and steps
/// to 1; all four lists have the same length.
struct SliceBounds {
  std::vector<int64_t> Starts, Ends, Axes, Steps;
};
llvm::Expected<SliceBounds> sliceBounds(OnnxNodeContext &Ctx);

/// A scalar (rank-0) float32 tensor.
std::shared_ptr<ConstTensor> floatScalar(float Value);

/// A rank-1 int64 tensor holding Values.
std::shared_ptr<ConstTensor> int64Tensor(llvm::ArrayRef<int64_t> Values);

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXCONSTANTFOLDING_H
