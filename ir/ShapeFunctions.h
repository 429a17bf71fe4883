//===- ShapeFunctions.h - Result-type inference for built-in ops -*- C++ -*-===//
//
// One function per family of built-in ops, named from Ops.def. Each checks its
// operands and attributes and returns the result type, or an error sentence
// that the caller prefixes with the node's name.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_SHAPEFUNCTIONS_H
#define QATC_IR_SHAPEFUNCTIONS_H

#include "ir/OpRegistry.h"

namespace qatc {
namespace shape {

#define QATC_SHAPE_FN(NAME) llvm::Expected<Type> NAME(const ShapeContext &C);
QATC_SHAPE_FN(inferConv)
QATC_SHAPE_FN(inferConvTranspose)
QATC_SHAPE_FN(inferLinear)
QATC_SHAPE_FN(inferMatmul)
QATC_SHAPE_FN(inferBatchNorm)
QATC_SHAPE_FN(inferBatchNormScale)
QATC_SHAPE_FN(inferSameAsInput)
QATC_SHAPE_FN(inferGelu)
QATC_SHAPE_FN(inferSoftmax)
QATC_SHAPE_FN(inferBroadcast)
QATC_SHAPE_FN(inferPool)
QATC_SHAPE_FN(inferAdaptivePool)
QATC_SHAPE_FN(inferCat)
QATC_SHAPE_FN(inferFlatten)
QATC_SHAPE_FN(inferReshape)
QATC_SHAPE_FN(inferPermute)
QATC_SHAPE_FN(inferTranspose)
QATC_SHAPE_FN(inferSqueeze)
QATC_SHAPE_FN(inferUnsqueeze)
QATC_SHAPE_FN(inferReduce)
QATC_SHAPE_FN(inferPad)
QATC_SHAPE_FN(inferSplit)
QATC_SHAPE_FN(inferSlice)
QATC_SHAPE_FN(inferGetItem)
QATC_SHAPE_FN(inferFakeQuantize)
QATC_SHAPE_FN(inferQuantize)
QATC_SHAPE_FN(inferDequantize)
#undef QATC_SHAPE_FN

/// Broadcasts two ranked shapes with NumPy rules; dynamic dims stay dynamic
/// unless the other side fixes them. Fails when two known sizes disagree.
llvm::Expected<llvm::SmallVector<int64_t, 4>> broadcastShapes(llvm::ArrayRef<int64_t> A,
                                                              llvm::ArrayRef<int64_t> B);

/// Expands a `padding` attribute (one value per spatial dim, or all begins
/// then all ends) into per-dim begins and ends; fails on a wrong count or a
/// negative value.
llvm::Error expandPadding(llvm::ArrayRef<int64_t> Pad, size_t Spatial,
                          llvm::SmallVectorImpl<int64_t> &Begin,
                          llvm::SmallVectorImpl<int64_t> &End);

} // namespace shape
} // namespace qatc

#endif // QATC_IR_SHAPEFUNCTIONS_H
