//===- Convolution.cpp - conv1d, conv2d, conv_transpose2d kernels ---------===//
//
// Forward, backward-data and backward-weights (with the bias gradient) as
// cached oneDNN convolution and deconvolution primitives. conv1d runs as a
// 2-D convolution of height 1. Primitives choose their memory formats
// (blocked formats run 1.4-2x faster than plain NCHW on AVX-512 even with the
// reorders, see tools/benchmarks/KernelBenchmark.cpp); the one exception is
// the data gradient of convolutions with few input channels (the stem
// convolution), whose blocked form is much slower than the plain one.
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/kernels/Dnnl.h"
#include "runtime/kernels/LayerSupport.h"

#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::dnnl_support;

namespace {

using dnnl::memory;

/// One convolution or transposed convolution in 2-D form.
struct ConvProblem {
  bool Transposed = false;
  bool HasBias = false;
  int64_t N = 0, IC = 0, IH = 1, IW = 0, OC = 0, OH = 1, OW = 0, KH = 1, KW = 0, Groups = 1;
  /// Height then width; PadR is oneDNN's end padding (for transposed
  /// convolutions the end padding minus output_padding, possibly negative).
  memory::dims Stride{1, 1}, Dilate{0, 0}, PadL{0, 0}, PadR{0, 0};
  /// The result shape in the op's rank.
  Shape OutShape;

  memory::dims srcDims() const { return {N, IC, IH, IW}; }
  memory::dims dstDims() const { return {N, OC, OH, OW}; }
  memory::dims weightDims() const {
    if (Groups > 1)
      return {Groups, OC / Groups, IC / Groups, KH, KW};
    return {OC, IC, KH, KW};
  }
  /// The weight's PyTorch layout: OIHW for convolutions, IOHW (per group)
  /// for transposed ones.
  memory::desc weightLayout() const {
    int64_t K = KH * KW, OCg = OC / Groups, ICg = IC / Groups;
    if (!Transposed)
      return plainDesc(weightDims());
    if (Groups > 1)
      return stridedDesc(weightDims(), {ICg * OCg * K, K, OCg * K, KW, 1});
    return stridedDesc(weightDims(), {K, OC * K, KW, 1});
  }
  std::string key(llvm::StringRef Pass) const {
    std::string S;
    llvm::raw_string_ostream OS(S);
    OS << (Transposed ? "deconv." : "conv.") << Pass << (HasBias ? ".b" : "");
    for (int64_t V : {N, IC, IH, IW, OC, OH, OW, KH, KW, Groups})
      OS << ',' << V;
    for (const memory::dims *D : {&Stride, &Dilate, &PadL, &PadR})
      OS << ';' << (*D)[0] << ',' << (*D)[1];
    return OS.str();
  }
};

/// Reads the node's attributes and checks the operand shapes at run time
/// (the batch may be dynamic).
llvm::Expected<ConvProblem> readProblem(const Node &N, llvm::ArrayRef<int64_t> X,
                                        llvm::ArrayRef<int64_t> W,
                                        std::optional<llvm::ArrayRef<int64_t>> Bias) {
  ConvProblem P;
  P.Transposed = N.isCallTo("conv_transpose2d");
  size_t Spatial = N.isCallTo("conv1d") ? 1 : 2;
  if (X.size() != Spatial + 2)
    return kernelError("input must have rank {0}, not {1}", Spatial + 2, X.size());
  if (W.size() != Spatial + 2)
    return kernelError("weight must have rank {0}, not {1}", Spatial + 2, W.size());
  P.Groups = N.getInt("groups");
  if (P.Groups < 1)
    return kernelError("'groups' must be at least 1, not {0}", P.Groups);
  llvm::ArrayRef<int64_t> Stride = N.getInts("stride"), Dil = N.getInts("dilation");
  llvm::SmallVector<int64_t, 2> PB, PE, OutPad(Spatial, 0);
  if (P.Transposed)
    OutPad.assign(N.getInts("output_padding").begin(), N.getInts("output_padding").end());
  if (llvm::Error E = shape::expandPadding(N.getInts("padding"), Spatial, PB, PE))
    return E;
  if (Stride.size() != Spatial || Dil.size() != Spatial || OutPad.size() != Spatial)
    return kernelError("'stride', 'dilation' and 'output_padding' need {0} values each",
                       Spatial);

  P.N = X[0];
  P.IC = X[1];
  if (P.Transposed) {
    if (W[0] != P.IC)
      return kernelError("input has {0} channels but the weight expects {1}", P.IC, W[0]);
    if (P.IC % P.Groups != 0)
      return kernelError("input channels {0} are not divisible by groups {1}", P.IC, P.Groups);
    P.OC = W[1] * P.Groups;
  } else {
    if (W[0] % P.Groups != 0)
      return kernelError("weight has {0} output channels, not divisible by groups {1}", W[0],
                         P.Groups);
    if (P.IC != W[1] * P.Groups)
      return kernelError("input has {0} channels but the weight expects {1} (= {2} x groups "
                         "{3})",
                         P.IC, W[1] * P.Groups, W[1], P.Groups);
    P.OC = W[0];
  }
  if (Bias) {
    P.HasBias = true;
    if (Bias->size() != 1 || (*Bias)[0] != P.OC)
      return kernelError("bias must have shape [{0}], not {1}", P.OC, shapeString(*Bias));
  }

  P.OutShape = {P.N, P.OC};
  // oneDNN dims: height first; conv1d has unit height.
  unsigned First = 2 - Spatial;
  for (size_t I = 0; I < Spatial; ++I) {
    int64_t In = X[2 + I], K = W[2 + I], Out;
    if (Stride[I] < 1 || Dil[I] < 1)
      return kernelError("'stride' and 'dilation' values must be at least 1");
    if (P.Transposed) {
      Out = (In - 1) * Stride[I] - PB[I] - PE[I] + Dil[I] * (K - 1) + OutPad[I] + 1;
      if (Out <= 0)
        return kernelError("transposed convolution output size {0} is not positive", Out);
    } else {
      Out = windowOutputSize(In, K, Stride[I], PB[I], PE[I], Dil[I], false);
      if (Out <= 0)
        return kernelError("a window of size {0} (dilation {1}) does not fit an input of size "
                           "{2} with padding {3}+{4}",
                           K, Dil[I], In, PB[I], PE[I]);
    }
    P.OutShape.push_back(Out);
    unsigned D = First + I;
    P.Stride[D] = Stride[I];
    P.Dilate[D] = Dil[I] - 1;
    P.PadL[D] = PB[I];
    P.PadR[D] = PE[I] - OutPad[I];
    (D == 0 ? P.IH : P.IW) = In;
    (D == 0 ? P.OH : P.OW) = Out;
    (D == 0 ? P.KH : P.KW) = K;
  }
  return P;
}

/// The memory descriptors of a primitive: format `any` lets oneDNN choose.
struct ConvDescs {
  memory::desc Src, Weights, Bias, Dst;
  ConvDescs(const ConvProblem &P, bool Blocked) {
    using Tag = memory::format_tag;
    auto Any = [](const memory::dims &D) {
      return memory::desc(D, memory::data_type::f32, Tag::any);
    };
    Src = Blocked ? Any(P.srcDims()) : plainDesc(P.srcDims());
    Weights = Blocked ? Any(P.weightDims()) : P.weightLayout();
    Bias = plainDesc({P.OC});
    Dst = Blocked ? Any(P.dstDims()) : plainDesc(P.dstDims());
  }
};

/// The oneDNN primitives of convolutions and of transposed convolutions.
struct ConvPrimitives {
  using Forward = dnnl::convolution_forward;
  using BackwardData = dnnl::convolution_backward_data;
  using BackwardWeights = dnnl::convolution_backward_weights;
  static constexpr dnnl::algorithm Algorithm = dnnl::algorithm::convolution_direct;
};
struct DeconvPrimitives {
  using Forward = dnnl::deconvolution_forward;
  using BackwardData = dnnl::deconvolution_backward_data;
  using BackwardWeights = dnnl::deconvolution_backward_weights;
  static constexpr dnnl::algorithm Algorithm = dnnl::algorithm::deconvolution_direct;
};

template <typename Prims>
typename Prims::Forward::primitive_desc forwardDesc(const ConvProblem &P, bool Blocked) {
  using Fwd = typename Prims::Forward;
  ConvDescs D(P, Blocked);
  auto Kind = dnnl::prop_kind::forward_training;
  auto Desc = P.HasBias ? typename Fwd::desc(Kind, Prims::Algorithm, D.Src, D.Weights, D.Bias,
                                             D.Dst, P.Stride, P.Dilate, P.PadL, P.PadR)
                        : typename Fwd::desc(Kind, Prims::Algorithm, D.Src, D.Weights, D.Dst,
                                             P.Stride, P.Dilate, P.PadL, P.PadR);
  return typename Fwd::primitive_desc(Desc, cpuEngine());
}

/// Blocked formats for every pass except the data gradient of a convolution
/// with few input channels per group.
bool useBlocked(const ConvProblem &P, bool DataGradient) {
  return !(DataGradient && !P.Transposed && P.Groups == 1 && P.IC < 16);
}

template <typename Prims>
llvm::Error runForward(const ConvProblem &P, const float *X, const float *W, const float *B,
                       float *Y) {
  auto Prim = cachedPrimitive(P.key("fwd"), [&] {
    auto PD = forwardDesc<Prims>(P, useBlocked(P, false));
    return Primitive(typename Prims::Forward(PD), PD);
  });
  if (!Prim)
    return Prim.takeError();
  llvm::SmallVector<Arg, 4> Args = {{DNNL_ARG_SRC, plainDesc(P.srcDims()), X},
                                    {DNNL_ARG_WEIGHTS, P.weightLayout(), W},
                                    {DNNL_ARG_DST, plainDesc(P.dstDims()), Y, true}};
  if (P.HasBias)
    Args.push_back({DNNL_ARG_BIAS, plainDesc({P.OC}), B});
  return (*Prim)->run(Args);
}

template <typename Prims>
llvm::Error runBackwardData(const ConvProblem &P, const float *DY, const float *W, float *DX) {
  auto Prim = cachedPrimitive(P.key("bwd_data"), [&] {
    bool Blocked = useBlocked(P, true);
    ConvDescs D(P, Blocked);
    typename Prims::BackwardData::desc Desc(Prims::Algorithm, D.Src, D.Weights, D.Dst, P.Stride,
                                            P.Dilate, P.PadL, P.PadR);
    typename Prims::BackwardData::primitive_desc PD(Desc, cpuEngine(),
                                                    forwardDesc<Prims>(P, Blocked));
    return Primitive(typename Prims::BackwardData(PD), PD);
  });
  if (!Prim)
    return Prim.takeError();
  return (*Prim)->run({{DNNL_ARG_DIFF_DST, plainDesc(P.dstDims()), DY},
                       {DNNL_ARG_WEIGHTS, P.weightLayout(), W},
                       {DNNL_ARG_DIFF_SRC, plainDesc(P.srcDims()), DX, true}});
}

/// The weight gradient and, when DB is non-null, the bias gradient.
template <typename Prims>
llvm::Error runBackwardWeights(ConvProblem P, const float *X, const float *DY, float *DW,
                               float *DB) {
  P.HasBias = DB != nullptr;
  auto Prim = cachedPrimitive(P.key("bwd_weights"), [&] {
    ConvDescs D(P, useBlocked(P, false));
    using Bwd = typename Prims::BackwardWeights;
    auto Desc = P.HasBias ? typename Bwd::desc(Prims::Algorithm, D.Src, D.Weights, D.Bias, D.Dst,
                                               P.Stride, P.Dilate, P.PadL, P.PadR)
                          : typename Bwd::desc(Prims::Algorithm, D.Src, D.Weights, D.Dst,
                                               P.Stride, P.Dilate, P.PadL, P.PadR);
    typename Bwd::primitive_desc PD(Desc, cpuEngine(),
                                    forwardDesc<Prims>(P, useBlocked(P, false)));
    return Primitive(Bwd(PD), PD);
  });
  if (!Prim)
    return Prim.takeError();
  llvm::SmallVector<Arg, 4> Args = {{DNNL_ARG_SRC, plainDesc(P.srcDims()), X},
                                    {DNNL_ARG_DIFF_DST, plainDesc(P.dstDims()), DY},
                                    {DNNL_ARG_DIFF_WEIGHTS, P.weightLayout(), DW, true}};
  if (DB)
    Args.push_back({DNNL_ARG_DIFF_BIAS, plainDesc({P.OC}), DB, true});
  return (*Prim)->run(Args);
}

std::optional<llvm::ArrayRef<int64_t>> biasShape(llvm::ArrayRef<Shape> Shapes) {
  if (Shapes.size() < 3)
    return std::nullopt;
  return llvm::ArrayRef<int64_t>(Shapes[2]);
}

template <typename Prims> llvm::Error convForward(const ForwardArgs &A, TensorList &Outputs) {
  if (llvm::Error E = requireF32Operands(A.Inputs))
    return E;
  llvm::SmallVector<Shape, 3> Shapes;
  for (const Tensor &T : A.Inputs)
    Shapes.push_back(Shape(T.shape().begin(), T.shape().end()));
  auto P = readProblem(A.N, Shapes[0], Shapes[1], biasShape(Shapes));
  if (!P)
    return P.takeError();
  Tensor Y = Tensor::empty(P->OutShape);
  const float *B = P->HasBias ? A.Inputs[2].f32() : nullptr;
  if (llvm::Error E = runForward<Prims>(*P, A.Inputs[0].f32(), A.Inputs[1].f32(), B, Y.f32()))
    return E;
  Outputs.push_back(Y);
  return llvm::Error::success();
}

template <typename Prims>
llvm::Error convBackward(const BackwardArgs &A, llvm::MutableArrayRef<Tensor> Grads) {
  const Tensor &DY = A.GradOutputs[0];
  if (!DY.defined())
    return llvm::Error::success();
  auto P = readProblem(A.N, A.InputShapes[0], A.InputShapes[1], biasShape(A.InputShapes));
  if (!P)
    return P.takeError();
  if (A.NeedsGrad[0]) {
    Tensor DX = Tensor::empty(A.InputShapes[0]);
    if (llvm::Error E = runBackwardData<Prims>(*P, DY.f32(), A.Inputs[1].f32(), DX.f32()))
      return E;
    Grads[0] = DX;
  }
  bool WantBias = P->HasBias && A.NeedsGrad[2];
  if (A.NeedsGrad[1] || WantBias) {
    Tensor DW = Tensor::empty(A.InputShapes[1]);
    Tensor DB = WantBias ? Tensor::empty({P->OC}) : Tensor();
    if (llvm::Error E = runBackwardWeights<Prims>(*P, A.Inputs[0].f32(), DY.f32(), DW.f32(),
                                                  WantBias ? DB.f32() : nullptr))
      return E;
    if (A.NeedsGrad[1])
      Grads[1] = DW;
    if (WantBias)
      Grads[2] = DB;
  }
  return llvm::Error::success();
}

} // namespace

void qatc::runtime::registerConvolutionKernels(KernelTable &Table) {
  OpKernel Conv{convForward<ConvPrimitives>, convBackward<ConvPrimitives>, SavesInputs};
  Table["conv1d"] = Conv;
  Table["conv2d"] = Conv;
  Table["conv_transpose2d"] =
      OpKernel{convForward<DeconvPrimitives>, convBackward<DeconvPrimitives>, SavesInputs};
}
