//===- Pooling.cpp - max_pool2d, avg_pool2d, adaptive_avg_pool2d kernels --===//
//
// Window loops over [*, H, W] planes, in parallel over planes, with
// PyTorch's window placement (ceil mode, padding, dilation), its average
// divisors (count_include_pad, divisor_override) and its adaptive
// start/end formula. Max pooling records the argmax of each output (the
// first maximum, or a NaN) and routes the gradient to it.
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/Parallel.h"
#include "runtime/Simd.h"
#include "runtime/kernels/LayerSupport.h"

#include <cmath>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// A pooling window over an input viewed as [Planes, H, W].
struct PoolGeometry {
  int64_t Planes = 0, H = 0, W = 0, OH = 0, OW = 0;
  int64_t KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1;
  /// Begin and end padding.
  int64_t PH = 0, PW = 0, PEH = 0, PEW = 0;
  Shape OutShape;

  /// Plane elements per input and per output.
  int64_t inPlane() const { return H * W; }
  int64_t outPlane() const { return OH * OW; }
};

/// Splits the input shape into planes; the output's spatial size is set by the caller.
llvm::Error readPlanes(llvm::ArrayRef<int64_t> X, PoolGeometry &G) {
  if (X.size() != 3 && X.size() != 4)
    return kernelError("input must have rank 3 or 4, not {0}", X.size());
  G.Planes = shapeNumel(X.drop_back(2));
  G.H = X[X.size() - 2];
  G.W = X.back();
  return llvm::Error::success();
}

llvm::Expected<PoolGeometry> windowGeometry(const Node &N, llvm::ArrayRef<int64_t> X) {
  PoolGeometry G;
  if (llvm::Error E = readPlanes(X, G))
    return E;
  llvm::ArrayRef<int64_t> K = N.getInts("kernel_size"), S = N.getInts("stride");
  if (S.empty())
    S = K;
  Shape Dil = {1, 1};
  if (const Attribute *D = N.attr("dilation"))
    Dil.assign(D->getInts().begin(), D->getInts().end());
  llvm::SmallVector<int64_t, 2> PB, PE;
  if (llvm::Error E = shape::expandPadding(N.getInts("padding"), 2, PB, PE))
    return E;
  if (K.size() != 2 || S.size() != 2 || Dil.size() != 2)
    return kernelError("'kernel_size', 'stride' and 'dilation' need 2 values each");
  G.KH = K[0], G.KW = K[1], G.SH = S[0], G.SW = S[1], G.DH = Dil[0], G.DW = Dil[1];
  G.PH = PB[0], G.PW = PB[1], G.PEH = PE[0], G.PEW = PE[1];
  bool Ceil = N.getBool("ceil_mode");
  G.OH = windowOutputSize(G.H, G.KH, G.SH, G.PH, G.PEH, G.DH, Ceil);
  G.OW = windowOutputSize(G.W, G.KW, G.SW, G.PW, G.PEW, G.DW, Ceil);
  if (G.OH <= 0 || G.OW <= 0 || G.KH < 1 || G.KW < 1 || G.DH < 1 || G.DW < 1)
    return kernelError("a {0}x{1} window does not fit the {2}x{3} input", G.KH, G.KW, G.H, G.W);
  G.OutShape.assign(X.begin(), X.end() - 2);
  G.OutShape.push_back(G.OH);
  G.OutShape.push_back(G.OW);
  return G;
}

/// Grain for plane loops: enough elements per thread to be worth one.
int64_t planeGrain(const PoolGeometry &G) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, G.inPlane()));
}

//===- max_pool2d ------------------------------------------------------===//

/// One max pooling window: PyTorch's scan, where `val > max || isnan(val)`
/// takes the value and its position, so the first maximum wins, or the last
/// NaN. In is the plane; H and W range over the window's rows and columns.
void maxWindow(const float *In, const PoolGeometry &G, int64_t HFirst, int64_t HEnd,
               int64_t WFirst, int64_t WEnd, float &Max, int32_t &Index) {
  Max = -std::numeric_limits<float>::infinity();
  Index = int32_t(HFirst * G.W + WFirst);
  for (int64_t H = HFirst; H < HEnd; H += G.DH)
    for (int64_t W = WFirst; W < WEnd; W += G.DW) {
      float V = In[H * G.W + W];
      if ((V > Max) | (V != V)) {
        Max = V;
        Index = int32_t(H * G.W + W);
      }
    }
}

/// The same scan for the outputs [OW0, OW1) of one output row whose windows
/// lie inside the input's columns, all at once: one vectorized loop per
/// window position (rows, then columns, as the scan goes), so the selects
/// never become mispredicted branches.
QATC_VECTOR_CLONES void maxInteriorRow(const float *In, const PoolGeometry &G, int64_t HFirst,
                                       int64_t HEnd, int64_t OW0, int64_t OW1,
                                       float *__restrict Out, int32_t *__restrict Where) {
  const int64_t SW = G.SW, PW = G.PW;
  for (int64_t O = OW0; O < OW1; ++O) {
    Out[O] = -std::numeric_limits<float>::infinity();
    Where[O] = int32_t(HFirst * G.W + O * SW - PW);
  }
  for (int64_t H = HFirst; H < HEnd; H += G.DH)
    for (int64_t K = 0; K < G.KW; ++K) {
      const float *Row = In + H * G.W + K * G.DW - PW;
      int32_t Base = int32_t(H * G.W + K * G.DW - PW);
#pragma omp simd
      for (int64_t O = OW0; O < OW1; ++O) {
        float V = Row[O * SW];
        bool Take = (V > Out[O]) | (V != V);
        Out[O] = Take ? V : Out[O];
        Where[O] = Take ? Base + int32_t(O * SW) : Where[O];
      }
    }
}

llvm::Error maxPoolForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  auto G = windowGeometry(A.N, A.Inputs[0].shape());
  if (!G)
    return G.takeError();
  Tensor Y = Tensor::empty(G->OutShape);
  Tensor Arg = Tensor::empty(G->OutShape, DType::I32);
  const float *X = A.Inputs[0].f32();
  float *YP = Y.f32();
  int32_t *ArgP = Arg.data<int32_t>();
  const PoolGeometry Geo = *G; // a local copy the compiler keeps in registers
  // The outputs whose windows lie inside the columns: [OW0, OW1).
  int64_t OW0 = std::min(Geo.OW, (Geo.PW + Geo.SW - 1) / Geo.SW);
  int64_t LastStart = Geo.W - 1 - (Geo.KW - 1) * Geo.DW + Geo.PW;
  int64_t OW1 = LastStart < 0 ? OW0 : std::max(OW0, std::min(Geo.OW, LastStart / Geo.SW + 1));
  parallelFor(Geo.Planes, planeGrain(Geo), [&](int64_t Begin, int64_t End) {
    for (int64_t P = Begin; P < End; ++P) {
      const float *In = X + P * Geo.inPlane();
      float *Out = YP + P * Geo.outPlane();
      int32_t *Where = ArgP + P * Geo.outPlane();
      for (int64_t OH = 0; OH < Geo.OH; ++OH) {
        int64_t H0 = OH * Geo.SH - Geo.PH;
        int64_t HFirst = H0 < 0 ? H0 + (-H0 + Geo.DH - 1) / Geo.DH * Geo.DH : H0;
        int64_t HEnd = std::min(H0 + (Geo.KH - 1) * Geo.DH + 1, Geo.H);
        float *OutRow = Out + OH * Geo.OW;
        int32_t *WhereRow = Where + OH * Geo.OW;
        maxInteriorRow(In, Geo, HFirst, HEnd, OW0, OW1, OutRow, WhereRow);
        for (int64_t OW = 0; OW < Geo.OW; ++OW) {
          if (OW == OW0)
            OW = OW1;
          if (OW >= Geo.OW)
            break;
          int64_t W0 = OW * Geo.SW - Geo.PW;
          int64_t WFirst = W0 < 0 ? W0 + (-W0 + Geo.DW - 1) / Geo.DW * Geo.DW : W0;
          int64_t WEnd = std::min(W0 + (Geo.KW - 1) * Geo.DW + 1, Geo.W);
          maxWindow(In, Geo, HFirst, HEnd, WFirst, WEnd, OutRow[OW], WhereRow[OW]);
        }
      }
    }
  });
  if (A.Saved)
    A.Saved->push_back(Arg);
  Outputs.push_back(Y);
  return llvm::Error::success();
}

llvm::Error maxPoolBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &DY = A.GradOutputs[0];
  if (!DY.defined() || !A.NeedsGrad[0])
    return llvm::Error::success();
  auto G = windowGeometry(A.N, A.InputShapes[0]);
  if (!G)
    return G.takeError();
  Tensor DX = Tensor::zeros(A.InputShapes[0]);
  const int32_t *ArgP = A.Saved[0].data<int32_t>();
  const float *DYP = DY.f32();
  float *DXP = DX.f32();
  parallelFor(G->Planes, planeGrain(*G), [&](int64_t Begin, int64_t End) {
    for (int64_t P = Begin; P < End; ++P) {
      float *Plane = DXP + P * G->inPlane();
      for (int64_t O = P * G->outPlane(); O < (P + 1) * G->outPlane(); ++O)
        if (ArgP[O] >= 0 && ArgP[O] < G->inPlane())
          Plane[ArgP[O]] += DYP[O];
    }
  });
  Grads[0] = DX;
  return llvm::Error::success();
}

//===- avg_pool2d and adaptive_avg_pool2d -------------------------------===//

/// One output's window (clipped to the input) and its divisor.
struct AvgWindow {
  int64_t H0, H1, W0, W1;
  float Divisor;
};

llvm::Expected<PoolGeometry> adaptiveGeometry(const Node &N, llvm::ArrayRef<int64_t> X) {
  PoolGeometry G;
  if (llvm::Error E = readPlanes(X, G))
    return E;
  llvm::ArrayRef<int64_t> Size = N.getInts("output_size");
  if (Size.size() != 2 || Size[0] < 1 || Size[1] < 1)
    return kernelError("'output_size' must be two positive values");
  G.OH = Size[0];
  G.OW = Size[1];
  G.OutShape.assign(X.begin(), X.end() - 2);
  G.OutShape.append(Size.begin(), Size.end());
  return G;
}

/// The geometry of avg_pool2d or (Adaptive) adaptive_avg_pool2d.
template <bool Adaptive>
llvm::Expected<PoolGeometry> averageGeometry(const Node &N, llvm::ArrayRef<int64_t> X) {
  return Adaptive ? adaptiveGeometry(N, X) : windowGeometry(N, X);
}

/// Calls Fn(Plane, OutputIndex, Window) for every output, in parallel over
/// planes. avg_pool2d divides by the window clipped to the padded input
/// (count_include_pad), to the input, or by divisor_override; the adaptive
/// window is PyTorch's [floor(o * In / Out), ceil((o + 1) * In / Out)).
template <bool Adaptive, typename F>
void forEachAverageWindow(const Node &N, const PoolGeometry &G, F &&Fn) {
  bool IncludePad = !Adaptive && N.getBool("count_include_pad");
  const Attribute *Override = Adaptive ? nullptr : N.attr("divisor_override");
  parallelFor(G.Planes, planeGrain(G), [&](int64_t Begin, int64_t End) {
    for (int64_t P = Begin; P < End; ++P)
      for (int64_t OH = 0; OH < G.OH; ++OH)
        for (int64_t OW = 0; OW < G.OW; ++OW) {
          AvgWindow Win;
          int64_t PoolSize = 0;
          if (Adaptive) {
            Win.H0 = OH * G.H / G.OH, Win.H1 = ((OH + 1) * G.H + G.OH - 1) / G.OH;
            Win.W0 = OW * G.W / G.OW, Win.W1 = ((OW + 1) * G.W + G.OW - 1) / G.OW;
          } else {
            int64_t H0 = OH * G.SH - G.PH, W0 = OW * G.SW - G.PW;
            int64_t H1 = std::min(H0 + G.KH, G.H + G.PEH), W1 = std::min(W0 + G.KW, G.W + G.PEW);
            PoolSize = (H1 - H0) * (W1 - W0);
            Win.H0 = std::max<int64_t>(H0, 0), Win.H1 = std::min(H1, G.H);
            Win.W0 = std::max<int64_t>(W0, 0), Win.W1 = std::min(W1, G.W);
          }
          int64_t Divisor = Override     ? Override->getInt()
                            : IncludePad ? PoolSize
                                         : (Win.H1 - Win.H0) * (Win.W1 - Win.W0);
          Win.Divisor = float(Divisor);
          Fn(P, P * G.outPlane() + OH * G.OW + OW, Win);
        }
  });
}

template <bool Adaptive> llvm::Error averageForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  auto G = averageGeometry<Adaptive>(A.N, A.Inputs[0].shape());
  if (!G)
    return G.takeError();
  Tensor Y = Tensor::empty(G->OutShape);
  const float *X = A.Inputs[0].f32();
  float *YP = Y.f32();
  forEachAverageWindow<Adaptive>(A.N, *G, [&](int64_t P, int64_t O, const AvgWindow &Win) {
    const float *In = X + P * G->inPlane();
    float Sum = 0;
    for (int64_t H = Win.H0; H < Win.H1; ++H)
      for (int64_t W = Win.W0; W < Win.W1; ++W)
        Sum += In[H * G->W + W];
    YP[O] = Win.H0 < Win.H1 && Win.W0 < Win.W1 ? Sum / Win.Divisor : 0.0f;
  });
  Outputs.push_back(Y);
  return llvm::Error::success();
}

template <bool Adaptive>
llvm::Error averageBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &DY = A.GradOutputs[0];
  if (!DY.defined() || !A.NeedsGrad[0])
    return llvm::Error::success();
  auto G = averageGeometry<Adaptive>(A.N, A.InputShapes[0]);
  if (!G)
    return G.takeError();
  Tensor DX = Tensor::zeros(A.InputShapes[0]);
  const float *DYP = DY.f32();
  float *DXP = DX.f32();
  forEachAverageWindow<Adaptive>(A.N, *G, [&](int64_t P, int64_t O, const AvgWindow &Win) {
    float *Plane = DXP + P * G->inPlane();
    float Share = DYP[O] / Win.Divisor;
    for (int64_t H = Win.H0; H < Win.H1; ++H)
      for (int64_t W = Win.W0; W < Win.W1; ++W)
        Plane[H * G->W + W] += Share;
  });
  Grads[0] = DX;
  return llvm::Error::success();
}

} // namespace

void qatc::runtime::registerPoolingKernels(KernelTable &Table) {
  Table["max_pool2d"] = OpKernel{maxPoolForward, maxPoolBackward};
  Table["avg_pool2d"] = OpKernel{averageForward<false>, averageBackward<false>};
  Table["adaptive_avg_pool2d"] = OpKernel{averageForward<true>, averageBackward<true>};
}
