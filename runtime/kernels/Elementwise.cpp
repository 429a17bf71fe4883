//===- Elementwise.cpp - add, sub, mul, div with NumPy broadcasting -------===//
//
// Forward broadcasts both operands (runtime/kernels/Broadcast.h: same shapes
// and per-channel operands become contiguous, vectorized runs); backward sums
// each operand's gradient over the dims it was broadcast in. The gradient
// formulas are PyTorch's (div: grad / b and -grad * ((a / b) / b)).
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/kernels/Broadcast.h"

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// Each op: apply() for forward; gradient(I, Args, G) is the gradient of
/// operand I given G, the output gradient, at the result's full shape (the
/// caller sums it down to the operand's shape).
struct AddOp {
  static float apply(float A, float B) { return A + B; }
  static Tensor gradient(unsigned I, const BackwardArgs &, const Tensor &G) { return G; }
};

struct SubOp {
  static float apply(float A, float B) { return A - B; }
  static Tensor gradient(unsigned I, const BackwardArgs &, const Tensor &G) {
    return I == 0 ? G : mapElements(G.shape(), [](float D) { return -D; }, G);
  }
};

struct MulOp {
  static float apply(float A, float B) { return A * B; }
  static Tensor gradient(unsigned I, const BackwardArgs &Args, const Tensor &G) {
    return mapElements(G.shape(), [](float D, float Y) { return D * Y; }, G, Args.Inputs[1 - I]);
  }
};

struct DivOp {
  static float apply(float A, float B) { return A / B; }
  static Tensor gradient(unsigned I, const BackwardArgs &Args, const Tensor &G) {
    const Tensor &A = Args.Inputs[0], &B = Args.Inputs[1];
    if (I == 0)
      return mapElements(G.shape(), [](float D, float Y) { return D / Y; }, G, B);
    return mapElements(
        G.shape(), [](float D, float X, float Y) { return -D * ((X / Y) / Y); }, G, A, B);
  }
};

template <typename Op> llvm::Error binaryForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &A = Args.Inputs[0], &B = Args.Inputs[1];
  if (llvm::Error E = requireF32(A, "lhs"))
    return E;
  if (llvm::Error E = requireF32(B, "rhs"))
    return E;
  auto Out = broadcastShapes(A.shape(), B.shape());
  if (!Out)
    return Out.takeError();
  Outputs.push_back(mapElements(*Out, [](float X, float Y) { return Op::apply(X, Y); }, A, B));
  return llvm::Error::success();
}

template <typename Op>
llvm::Error binaryBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  auto Out = broadcastShapes(Args.InputShapes[0], Args.InputShapes[1]);
  if (!Out)
    return Out.takeError();
  auto G = gradientAs(Args.GradOutputs[0], *Out);
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  for (unsigned I = 0; I < 2; ++I)
    if (Args.NeedsGrad[I])
      GradInputs[I] = sumToShape(Op::gradient(I, Args, *G), Args.InputShapes[I]);
  return llvm::Error::success();
}

template <typename Op> OpKernel binaryKernel(unsigned Saves) {
  return OpKernel{binaryForward<Op>, binaryBackward<Op>, Saves};
}

} // namespace

void runtime::registerElementwiseKernels(KernelTable &Table) {
  Table["add"] = binaryKernel<AddOp>(SavesNothing);
  Table["sub"] = binaryKernel<SubOp>(SavesNothing);
  Table["mul"] = binaryKernel<MulOp>(SavesInputs);
  Table["div"] = binaryKernel<DivOp>(SavesInputs);
}
