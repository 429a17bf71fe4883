//===- Linear.cpp - linear and matmul kernels -----------------------------===//
//
// Both ops and their gradients are batched matrix products run as cached
// oneDNN matmul primitives on plain buffers (transposed operands are described
// by strides, never copied). matmul follows NumPy: 1-D operands gain a unit
// dimension, batch dimensions broadcast, and the gradient of a broadcast
// operand is summed over the dimensions it was broadcast along.
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/Parallel.h"
#include "runtime/kernels/Dnnl.h"
#include "runtime/kernels/LayerSupport.h"

#include "llvm/Support/raw_ostream.h"

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::dnnl_support;

namespace {

using dnnl::memory;

/// C[b] = A[b] x B[b] (+ bias) over broadcast batch dimensions, where A is
/// logically [M, K] and B [K, N]; a transposed operand is stored the other way
/// round ([K, M] or [N, K]).
struct GemmProblem {
  /// Batch dims of the result and of each operand (equal ranks; an operand's
  /// dim is 1 or the result's).
  Shape Batch, BatchA, BatchB;
  int64_t M = 0, K = 0, N = 0;
  bool TransA = false, TransB = false, HasBias = false;

  std::string key() const {
    std::string S;
    llvm::raw_string_ostream OS(S);
    OS << "matmul" << TransA << TransB << HasBias << ':' << M << ',' << K << ',' << N;
    for (const Shape *D : {&Batch, &BatchA, &BatchB}) {
      OS << ';';
      for (int64_t V : *D)
        OS << V << ',';
    }
    return OS.str();
  }
};

/// Descriptor of a stack of Rows x Cols matrices over Batch, stored
/// contiguously, transposed (column-major) when Trans.
memory::desc matrixDesc(llvm::ArrayRef<int64_t> Batch, int64_t Rows, int64_t Cols, bool Trans) {
  Shape Dims(Batch.begin(), Batch.end()), Strides(Batch.size() + 2);
  Dims.push_back(Rows);
  Dims.push_back(Cols);
  Strides[Batch.size()] = Trans ? 1 : Cols;
  Strides[Batch.size() + 1] = Trans ? Rows : 1;
  int64_t Step = Rows * Cols;
  for (size_t I = Batch.size(); I-- > 0;) {
    Strides[I] = Step;
    Step *= Batch[I];
  }
  return stridedDesc(Dims, Strides);
}

/// A single (unbatched) product.
GemmProblem matrixProduct(int64_t M, int64_t K, int64_t N, bool TransA = false,
                          bool TransB = false) {
  GemmProblem P;
  P.M = M;
  P.K = K;
  P.N = N;
  P.TransA = TransA;
  P.TransB = TransB;
  return P;
}

llvm::Error runGemm(const GemmProblem &P, const float *A, const float *B, const float *Bias,
                    float *C) {
  if (shapeNumel(P.Batch) * P.M * P.N == 0)
    return llvm::Error::success();
  if (P.K == 0) {
    std::fill(C, C + shapeNumel(P.Batch) * P.M * P.N, 0.0f);
    return llvm::Error::success();
  }
  if (P.Batch.size() > 10)
    return kernelError("matrix products support at most 10 batch dimensions, not {0}",
                       P.Batch.size());
  memory::desc DA = matrixDesc(P.BatchA, P.M, P.K, P.TransA);
  memory::desc DB = matrixDesc(P.BatchB, P.K, P.N, P.TransB);
  memory::desc DC = matrixDesc(P.Batch, P.M, P.N, false);
  Shape BiasDims(P.Batch.size() + 1, 1);
  BiasDims.push_back(P.N);
  memory::desc DBias = plainDesc(BiasDims);
  auto Prim = cachedPrimitive(P.key(), [&] {
    auto Desc = P.HasBias ? dnnl::matmul::desc(DA, DB, DBias, DC) : dnnl::matmul::desc(DA, DB, DC);
    dnnl::matmul::primitive_desc PD(Desc, cpuEngine());
    return Primitive(dnnl::matmul(PD), PD);
  });
  if (!Prim)
    return Prim.takeError();
  llvm::SmallVector<Arg, 4> Args = {{DNNL_ARG_SRC, DA, A},
                                    {DNNL_ARG_WEIGHTS, DB, B},
                                    {DNNL_ARG_DST, DC, C, true}};
  if (P.HasBias)
    Args.push_back({DNNL_ARG_BIAS, DBias, Bias});
  return (*Prim)->run(Args);
}

/// Out (over Target batch dims) = the sum of Full (over Batch dims) along the
/// dims where Target is 1; each batch entry is a block of Block floats.
void sumToBatch(const float *Full, llvm::ArrayRef<int64_t> Batch,
                llvm::ArrayRef<int64_t> Target, int64_t Block, float *Out) {
  int64_t Count = shapeNumel(Batch);
  // The target block each full block adds into.
  std::vector<int64_t> Into(Count);
  for (int64_t B = 0; B < Count; ++B) {
    int64_t Rest = B, T = 0, Step = 1;
    for (size_t D = Batch.size(); D-- > 0;) {
      int64_t Index = Rest % Batch[D];
      Rest /= Batch[D];
      if (Target[D] != 1)
        T += Index * Step;
      Step *= Target[D];
    }
    Into[B] = T;
  }
  std::fill(Out, Out + shapeNumel(Target) * Block, 0.0f);
  parallelFor(Block, 1024, [&](int64_t Begin, int64_t End) {
    for (int64_t B = 0; B < Count; ++B) {
      const float *Src = Full + B * Block;
      float *Dst = Out + Into[B] * Block;
      for (int64_t I = Begin; I < End; ++I)
        Dst[I] += Src[I];
    }
  });
}

//===- linear ---------------------------------------------------------===//

/// Rows (product of leading dims), in features, out features.
struct LinearShape {
  int64_t M, K, N;
};

llvm::Expected<LinearShape> linearShape(llvm::ArrayRef<Shape> Shapes) {
  llvm::ArrayRef<int64_t> X = Shapes[0], W = Shapes[1];
  if (X.empty())
    return kernelError("input must have rank at least 1");
  if (W.size() != 2)
    return kernelError("weight must have rank 2, not {0}", W.size());
  if (X.back() != W[1])
    return kernelError("input has {0} features but the weight expects {1}", X.back(), W[1]);
  if (Shapes.size() > 2 && (Shapes[2].size() != 1 || Shapes[2][0] != W[0]))
    return kernelError("bias must have shape [{0}], not {1}", W[0], shapeString(Shapes[2]));
  return LinearShape{shapeNumel(X) / std::max<int64_t>(X.back(), 1), W[1], W[0]};
}

llvm::SmallVector<Shape, 3> shapesOf(llvm::ArrayRef<Tensor> Inputs) {
  llvm::SmallVector<Shape, 3> Shapes;
  for (const Tensor &T : Inputs)
    Shapes.push_back(Shape(T.shape().begin(), T.shape().end()));
  return Shapes;
}

llvm::Error linearForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  auto Shapes = shapesOf(A.Inputs);
  auto L = linearShape(Shapes);
  if (!L)
    return L.takeError();
  Shape OutShape = Shapes[0];
  OutShape.back() = L->N;
  Tensor Y = Tensor::empty(OutShape);
  GemmProblem P = matrixProduct(L->M, L->K, L->N, false, true);
  P.HasBias = A.Inputs.size() > 2;
  if (llvm::Error E = runGemm(P, A.Inputs[0].f32(), A.Inputs[1].f32(),
                              P.HasBias ? A.Inputs[2].f32() : nullptr, Y.f32()))
    return E;
  Outputs.push_back(Y);
  return llvm::Error::success();
}

llvm::Error linearBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &DY = A.GradOutputs[0];
  if (!DY.defined())
    return llvm::Error::success();
  auto L = linearShape(A.InputShapes);
  if (!L)
    return L.takeError();
  if (A.NeedsGrad[0]) {
    // dX[M, K] = dY[M, N] x W[N, K]
    Tensor DX = Tensor::empty(A.InputShapes[0]);
    GemmProblem P = matrixProduct(L->M, L->N, L->K);
    if (llvm::Error E = runGemm(P, DY.f32(), A.Inputs[1].f32(), nullptr, DX.f32()))
      return E;
    Grads[0] = DX;
  }
  if (A.NeedsGrad[1]) {
    // dW[N, K] = dY^T[N, M] x X[M, K]
    Tensor DW = Tensor::empty(A.InputShapes[1]);
    GemmProblem P = matrixProduct(L->N, L->M, L->K, true);
    if (llvm::Error E = runGemm(P, DY.f32(), A.Inputs[0].f32(), nullptr, DW.f32()))
      return E;
    Grads[1] = DW;
  }
  if (A.InputShapes.size() > 2 && A.NeedsGrad[2]) {
    // dB[1, N] = ones[1, M] x dY[M, N]
    Tensor DB = Tensor::empty({L->N});
    Tensor Ones = Tensor::full({L->M}, 1.0f);
    GemmProblem P = matrixProduct(1, L->M, L->N);
    if (llvm::Error E = runGemm(P, Ones.f32(), DY.f32(), nullptr, DB.f32()))
      return E;
    Grads[2] = DB;
  }
  return llvm::Error::success();
}

//===- matmul ---------------------------------------------------------===//

/// A matmul's operands as batched matrices: A [BatchA, M, K], B [BatchB, K, N].
struct MatmulShape {
  GemmProblem P;
  Shape OutShape;
};

llvm::Expected<MatmulShape> matmulShape(llvm::ArrayRef<int64_t> A, llvm::ArrayRef<int64_t> B) {
  if (A.empty() || B.empty())
    return kernelError("matmul operands must have rank at least 1");
  Shape DA(A.begin(), A.end()), DB(B.begin(), B.end());
  bool VecA = DA.size() == 1, VecB = DB.size() == 1;
  if (VecA)
    DA.insert(DA.begin(), 1);
  if (VecB)
    DB.push_back(1);
  MatmulShape S;
  GemmProblem &P = S.P;
  P.M = DA[DA.size() - 2];
  P.K = DA.back();
  P.N = DB.back();
  if (DB[DB.size() - 2] != P.K)
    return kernelError("inner dimensions differ: {0} and {1}", P.K, DB[DB.size() - 2]);
  size_t Rank = std::max(DA.size(), DB.size()) - 2;
  P.BatchA.assign(Rank - (DA.size() - 2), 1);
  P.BatchA.append(DA.begin(), DA.end() - 2);
  P.BatchB.assign(Rank - (DB.size() - 2), 1);
  P.BatchB.append(DB.begin(), DB.end() - 2);
  for (size_t I = 0; I < Rank; ++I) {
    int64_t X = P.BatchA[I], Y = P.BatchB[I];
    if (X != Y && X != 1 && Y != 1)
      return kernelError("batch dimensions {0} and {1} do not broadcast", shapeString(A),
                         shapeString(B));
    P.Batch.push_back(X == 1 ? Y : X);
  }
  S.OutShape = P.Batch;
  if (!VecA)
    S.OutShape.push_back(P.M);
  if (!VecB)
    S.OutShape.push_back(P.N);
  return S;
}

llvm::Error matmulForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  auto S = matmulShape(A.Inputs[0].shape(), A.Inputs[1].shape());
  if (!S)
    return S.takeError();
  Tensor C = Tensor::empty(S->OutShape);
  if (llvm::Error E = runGemm(S->P, A.Inputs[0].f32(), A.Inputs[1].f32(), nullptr, C.f32()))
    return E;
  Outputs.push_back(C);
  return llvm::Error::success();
}

/// Runs P into Out when its result batch is Target, else into a temporary
/// summed down to Target.
llvm::Error gemmSummedTo(const GemmProblem &P, llvm::ArrayRef<int64_t> Target, const float *A,
                         const float *B, float *Out) {
  if (llvm::ArrayRef<int64_t>(P.Batch) == Target)
    return runGemm(P, A, B, nullptr, Out);
  Tensor Full = Tensor::empty({shapeNumel(P.Batch) * P.M * P.N});
  if (llvm::Error E = runGemm(P, A, B, nullptr, Full.f32()))
    return E;
  sumToBatch(Full.f32(), P.Batch, Target, P.M * P.N, Out);
  return llvm::Error::success();
}

llvm::Error matmulBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &DC = A.GradOutputs[0];
  if (!DC.defined())
    return llvm::Error::success();
  auto S = matmulShape(A.InputShapes[0], A.InputShapes[1]);
  if (!S)
    return S.takeError();
  const GemmProblem &F = S->P;
  if (A.NeedsGrad[0]) {
    // dA[Batch, M, K] = dC[Batch, M, N] x B^T[BatchB, N, K]
    Tensor DA = Tensor::empty(A.InputShapes[0]);
    GemmProblem P;
    P.Batch = F.Batch;
    P.BatchA = F.Batch;
    P.BatchB = F.BatchB;
    P.M = F.M;
    P.K = F.N;
    P.N = F.K;
    P.TransB = true;
    if (llvm::Error E = gemmSummedTo(P, F.BatchA, DC.f32(), A.Inputs[1].f32(), DA.f32()))
      return E;
    Grads[0] = DA;
  }
  if (A.NeedsGrad[1]) {
    // dB[Batch, K, N] = A^T[BatchA, K, M] x dC[Batch, M, N]
    Tensor DB = Tensor::empty(A.InputShapes[1]);
    GemmProblem P;
    bool Shared = shapeNumel(F.BatchB) == 1 && F.BatchA == F.Batch;
    if (Shared) {
      // B is shared by every batch entry: one product over all rows of A.
      P.Batch.assign(F.Batch.size(), 1);
      P.BatchA = P.BatchB = P.Batch;
      P.K = shapeNumel(F.Batch) * F.M;
    } else {
      P.Batch = F.Batch;
      P.BatchA = F.BatchA;
      P.BatchB = F.Batch;
      P.K = F.M;
    }
    P.M = F.K;
    P.N = F.N;
    P.TransA = true;
    if (llvm::Error E = gemmSummedTo(P, F.BatchB, A.Inputs[0].f32(), DC.f32(), DB.f32()))
      return E;
    Grads[1] = DB;
  }
  return llvm::Error::success();
}

} // namespace

void qatc::runtime::registerLinearKernels(KernelTable &Table) {
  Table["linear"] = OpKernel{linearForward, linearBackward, SavesInputs};
  Table["matmul"] = OpKernel{matmulForward, matmulBackward, SavesInputs};
}
