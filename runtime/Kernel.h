//===- Kernel.h - The forward/backward kernel interface ---------*- C++ -*-===//
//
// One OpKernel per QIR op: a forward function, an optional backward function
// and what backward needs kept from the forward pass. The executor
// (runtime/Executor.h) calls them in program order, records saved tensors
// only for nodes that need a gradient, and frees everything else after its
// last use. Kernel families live in runtime/kernels/ and register themselves
// through runtime/kernels/Families.def.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNEL_H
#define QATC_RUNTIME_KERNEL_H

#include "runtime/Tensor.h"

#include "ir/Node.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

namespace qatc {
namespace runtime {

/// A node's results: one tensor, or the elements of a tuple (split).
using TensorList = llvm::SmallVector<Tensor, 1>;

/// What a forward kernel gets.
struct ForwardArgs {
  /// The node (attributes, name for messages, result type).
  const Node &N;
  /// One tensor per operand. Parameters arrive as tensors aliasing the
  /// executor's parameter buffers, so stateful ops (batch norm running
  /// statistics, observers) update them in place. An operand that no later
  /// node reads is held by this list alone (unless views of it live on), so
  /// a kernel without SavesInputs may overwrite it when
  /// Tensor::ownsBufferAlone() says so.
  llvm::ArrayRef<Tensor> Inputs;
  /// Training mode: batch norm uses batch statistics, dropout drops.
  bool Training = false;
  /// Running statistics and observer state may be updated in place.
  bool UpdateState = false;
  /// Non-null when backward will run for this node: extra tensors the backward
  /// kernel needs (masks, batch statistics, argmax indices) go here.
  llvm::SmallVectorImpl<Tensor> *Saved = nullptr;
  /// A seed unique to this node and step, for random ops (dropout).
  uint64_t RandomSeed = 0;
};

/// What a backward kernel gets.
struct BackwardArgs {
  const Node &N;
  /// The forward inputs when the kernel has SavesInputs, else undefined.
  llvm::ArrayRef<Tensor> Inputs;
  /// The shapes of the forward inputs (always present).
  llvm::ArrayRef<Shape> InputShapes;
  /// The forward outputs when the kernel has SavesOutputs, else undefined.
  llvm::ArrayRef<Tensor> Outputs;
  /// What the forward kernel stashed in ForwardArgs::Saved.
  llvm::ArrayRef<Tensor> Saved;
  /// The gradient of each output; an undefined tensor means zero.
  llvm::ArrayRef<Tensor> GradOutputs;
  /// Whether each operand needs a gradient; others may be left undefined.
  llvm::ArrayRef<bool> NeedsGrad;
  /// One flag per operand (empty when the executor does not check gradients
  /// for NaN and Inf): a kernel that found, inside its own loops, that a
  /// gradient it wrote is all finite may set the flag, sparing the executor
  /// a pass over the gradient. Optional.
  llvm::MutableArrayRef<bool> GradientFinite = {};
};

/// Computes Outputs (cleared on entry) from Args.
using ForwardFn = llvm::Error (*)(const ForwardArgs &Args, TensorList &Outputs);
/// Writes the gradient of each operand that needs one into GradInputs (one
/// slot per operand, undefined on entry; undefined on return means zero).
using BackwardFn = llvm::Error (*)(const BackwardArgs &Args,
                                   llvm::MutableArrayRef<Tensor> GradInputs);
/// Whether operand I of N carries a gradient.
using OperandPredicate = bool (*)(const Node &N, unsigned I);

/// Kernel flags: what backward needs from forward.
enum KernelSaves : unsigned {
  SavesNothing = 0,
  SavesInputs = 1,
  SavesOutputs = 2,
};

/// The kernels of one op.
struct OpKernel {
  ForwardFn Forward = nullptr;
  /// Null for ops without a gradient.
  BackwardFn Backward = nullptr;
  unsigned Saves = SavesNothing;
  /// Null means every f32 operand is differentiable.
  OperandPredicate Differentiable = nullptr;
};

/// Kernels by op name.
using KernelTable = llvm::StringMap<OpKernel>;

/// The kernel of op OpName, or null when the runtime cannot execute it.
const OpKernel *lookupKernel(llvm::StringRef OpName);

/// Every op with a kernel, sorted (for docs and coverage tests).
std::vector<std::string> kernelOpNames();

/// Declares one register<Family>Kernels(KernelTable &) per kernel family.
#define QATC_KERNEL_FAMILY(Family) void register##Family##Kernels(KernelTable &Table);
#include "runtime/kernels/Families.def"

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNEL_H
