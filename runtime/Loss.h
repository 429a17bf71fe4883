//===- Loss.h - Training losses and accuracy --------------------*- C++ -*-===//
//
// The losses `qatc train --loss` offers, with PyTorch's mean reduction:
// cross entropy over logits [N, C] and integer class labels [N], and mean
// squared error against targets of the prediction's shape. Each returns the
// loss and its gradient with respect to the prediction.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_LOSS_H
#define QATC_RUNTIME_LOSS_H

#include "runtime/Tensor.h"

#include "llvm/Support/Error.h"

namespace qatc {
namespace runtime {

/// The losses by name.
enum class LossKind { CrossEntropy, MeanSquaredError };

/// "cross_entropy" or "mse".
llvm::Expected<LossKind> parseLossKind(llvm::StringRef Name);

/// A loss value, its gradient and the number of correct argmax predictions
/// (cross entropy only; 0 for MSE).
struct LossResult {
  double Loss = 0;
  Tensor Grad;
  int64_t Correct = 0;
};

/// Computes the loss of Prediction against Target. Cross entropy wants
/// Prediction [N, C] and Target [N] (i64 labels in [0, C)); MSE wants equal
/// element counts (Target i64 is converted). WantGrad=false skips the gradient.
llvm::Expected<LossResult> computeLoss(LossKind Kind, const Tensor &Prediction,
                                       const Tensor &Target, bool WantGrad = true);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_LOSS_H
