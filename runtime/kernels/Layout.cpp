//===- Layout.cpp - Shape and layout ops, identity and dropout -----------===//
//
// flatten, reshape, squeeze, unsqueeze and identity return views (no copy;
// backward views the gradient back). cat, split, slice, permute, transpose
// and pad copy strided regions of any dtype: a Region pairs one destination
// and one source stride per dim, coalesced so copies run as long as memory
// allows (a whole channel block of a cat is one memcpy). pad splits each dim
// into runs that read the input forwards, backwards (reflect) or not at all
// (the constant), so its gradient is a few strided adds. dropout draws its
// mask from a counter-based generator: element I's draw depends only on the
// seed and I, never on the thread count.
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/kernels/KernelSupport.h"

#include "ir/Attribute.h"

#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cmath>
#include <cstring>

using namespace qatc;
using namespace qatc::runtime;

namespace {

//===----------------------------------------------------------------------===//
// Strided regions
//===----------------------------------------------------------------------===//

Shape contiguousStrides(llvm::ArrayRef<int64_t> Dims) {
  Shape S(Dims.size());
  int64_t Stride = 1;
  for (size_t D = Dims.size(); D-- > 0;) {
    S[D] = Stride;
    Stride *= Dims[D];
  }
  return S;
}

/// Sizes with one destination and one source stride per dim (in elements),
/// coalesced: size-1 dims dropped and dims merged where both sides are
/// contiguous across them. Never empty.
struct Region {
  llvm::SmallVector<int64_t, 6> Sizes, DstStrides, SrcStrides;
};

Region makeRegion(llvm::ArrayRef<int64_t> Sizes, llvm::ArrayRef<int64_t> DstStrides,
                  llvm::ArrayRef<int64_t> SrcStrides) {
  Region R;
  for (size_t D = 0; D < Sizes.size(); ++D) {
    if (Sizes[D] == 1)
      continue;
    if (!R.Sizes.empty() && R.DstStrides.back() == DstStrides[D] * Sizes[D] &&
        R.SrcStrides.back() == SrcStrides[D] * Sizes[D]) {
      R.Sizes.back() *= Sizes[D];
      R.DstStrides.back() = DstStrides[D];
      R.SrcStrides.back() = SrcStrides[D];
      continue;
    }
    R.Sizes.push_back(Sizes[D]);
    R.DstStrides.push_back(DstStrides[D]);
    R.SrcStrides.push_back(SrcStrides[D]);
  }
  if (R.Sizes.empty()) {
    R.Sizes.push_back(1);
    R.DstStrides.push_back(1);
    R.SrcStrides.push_back(1);
  }
  return R;
}

/// Calls F with a value of the unsigned integer type of ElementSize bytes.
template <typename Fn> void withElementType(size_t ElementSize, Fn F) {
  switch (ElementSize) {
  case 1:
    return F(uint8_t());
  case 2:
    return F(uint16_t());
  case 4:
    return F(uint32_t());
  default:
    assert(ElementSize == 8 && "element sizes are 1, 2, 4 or 8 bytes");
    return F(uint64_t());
  }
}

/// Dst[I * DS] = Src[I * SS] for I < N, on elements of ES bytes.
void copyRun(char *Dst, int64_t DS, const char *Src, int64_t SS, int64_t N, size_t ES) {
  if (DS == 1 && SS == 1) {
    std::memcpy(Dst, Src, N * ES);
    return;
  }
  withElementType(ES, [&](auto Tag) {
    constexpr size_t Size = sizeof(Tag);
    for (int64_t I = 0; I < N; ++I)
      std::memcpy(Dst + I * DS * Size, Src + I * SS * Size, Size);
  });
}

/// Copies Region R from Src (elements from SrcBase) into Dst (from DstBase).
void copyRegion(const Tensor &Dst, int64_t DstBase, const Tensor &Src, int64_t SrcBase,
                const Region &R) {
  const size_t ES = dtypeSize(Src.dtype());
  char *D = static_cast<char *>(Dst.raw()) + DstBase * ES;
  const char *S = static_cast<const char *>(Src.raw()) + SrcBase * ES;
  forEachRun(R.Sizes, [&](llvm::ArrayRef<int64_t> Index, int64_t, int64_t N) {
    copyRun(D + offsetOf(Index, R.DstStrides) * ES, R.DstStrides.back(),
            S + offsetOf(Index, R.SrcStrides) * ES, R.SrcStrides.back(), N, ES);
  });
}

/// Dst[region] += Src[region] on f32; Dst's side of R must not repeat an
/// element (chunks run in parallel).
void addRegion(float *Dst, const float *Src, const Region &R) {
  const int64_t DS = R.DstStrides.back(), SS = R.SrcStrides.back();
  forEachRun(R.Sizes, [&](llvm::ArrayRef<int64_t> Index, int64_t, int64_t N) {
    float *D = Dst + offsetOf(Index, R.DstStrides);
    const float *S = Src + offsetOf(Index, R.SrcStrides);
    for (int64_t I = 0; I < N; ++I)
      D[I * DS] += S[I * SS];
  });
}

/// The elements Start, Start + Step, ... (Count of them) of X along Axis.
Tensor extractAlong(const Tensor &X, unsigned Axis, int64_t Start, int64_t Step,
                    int64_t Count) {
  Shape Dims(X.shape().begin(), X.shape().end());
  Dims[Axis] = Count;
  Tensor Out = Tensor::empty(Dims, X.dtype());
  Shape Strides = contiguousStrides(X.shape());
  int64_t Base = Start * Strides[Axis];
  Strides[Axis] *= Step;
  copyRegion(Out, 0, X, Base, makeRegion(Dims, contiguousStrides(Dims), Strides));
  return Out;
}

/// Writes Part into the elements Start, Start + Step, ... of Dst along Axis.
void insertAlong(const Tensor &Part, const Tensor &Dst, unsigned Axis, int64_t Start,
                 int64_t Step) {
  Shape Strides = contiguousStrides(Dst.shape());
  int64_t Base = Start * Strides[Axis];
  Strides[Axis] *= Step;
  copyRegion(Dst, Base, Part, 0,
             makeRegion(Part.shape(), Strides, contiguousStrides(Part.shape())));
}

Shape shapeOf(llvm::ArrayRef<int64_t> Dims) { return Shape(Dims.begin(), Dims.end()); }

//===----------------------------------------------------------------------===//
// Views: flatten, reshape, squeeze, unsqueeze, identity
//===----------------------------------------------------------------------===//

llvm::Expected<Shape> flattenShape(const Node &N, llvm::ArrayRef<int64_t> In) {
  int64_t Rank = std::max<int64_t>(In.size(), 1);
  auto Start = normalizeDim(N.getInt("start_dim"), Rank, "'start_dim'");
  if (!Start)
    return Start.takeError();
  auto End = normalizeDim(N.getInt("end_dim"), Rank, "'end_dim'");
  if (!End)
    return End.takeError();
  if (*Start > *End)
    return kernelFailure(llvm::formatv("'start_dim' {0} is after 'end_dim' {1}", *Start, *End));
  if (In.empty())
    return Shape{1};
  Shape Out(In.begin(), In.begin() + *Start);
  Out.push_back(shapeNumel(In.slice(*Start, *End - *Start + 1)));
  Out.append(In.begin() + *End + 1, In.end());
  return Out;
}

llvm::Expected<Shape> reshapeShape(const Node &N, llvm::ArrayRef<int64_t> In) {
  Shape Out = shapeOf(N.getInts("shape"));
  int64_t Numel = shapeNumel(In), Known = 1;
  int Inferred = -1;
  for (size_t I = 0; I < Out.size(); ++I) {
    if (Out[I] >= 0) {
      Known *= Out[I];
      continue;
    }
    if (Out[I] != -1)
      return kernelFailure(llvm::formatv(
          "'shape' value {0} is invalid; use -1 for the one inferred dim", Out[I]));
    if (Inferred >= 0)
      return kernelFailure("'shape' has more than one -1");
    Inferred = I;
  }
  if (Inferred >= 0 && Known != 0 && Numel % Known == 0)
    Out[Inferred] = Numel / Known;
  if (shapeNumel(Out) != Numel || (Inferred >= 0 && Out[Inferred] < 0))
    return kernelFailure(llvm::formatv("cannot reshape {0} elements ({1}) into {2}", Numel,
                                       shapeString(In), shapeString(N.getInts("shape"))));
  return Out;
}

llvm::Expected<Shape> squeezeShape(const Node &N, llvm::ArrayRef<int64_t> In) {
  llvm::ArrayRef<int64_t> Dims = N.getInts("dims");
  llvm::SmallVector<bool, 6> Drop(In.size(), false);
  for (size_t I = 0; Dims.empty() && I < In.size(); ++I)
    Drop[I] = In[I] == 1;
  for (int64_t D : Dims) {
    auto A = normalizeDim(D, In.size(), "'dims' value");
    if (!A)
      return A.takeError();
    if (In[*A] != 1)
      return kernelFailure(llvm::formatv("cannot squeeze dim {0} of size {1}", *A, In[*A]));
    Drop[*A] = true;
  }
  Shape Out;
  for (size_t I = 0; I < In.size(); ++I)
    if (!Drop[I])
      Out.push_back(In[I]);
  return Out;
}

llvm::Expected<Shape> unsqueezeShape(const Node &N, llvm::ArrayRef<int64_t> In) {
  auto A = normalizeDim(N.getInt("dim"), In.size() + 1, "'dim'");
  if (!A)
    return A.takeError();
  Shape Out = shapeOf(In);
  Out.insert(Out.begin() + *A, 1);
  return Out;
}

llvm::Expected<Shape> identityShape(const Node &, llvm::ArrayRef<int64_t> In) {
  return shapeOf(In);
}

using ViewShapeFn = llvm::Expected<Shape> (*)(const Node &, llvm::ArrayRef<int64_t>);

template <ViewShapeFn ShapeOf>
llvm::Error viewForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  auto Out = ShapeOf(Args.N, X.shape());
  if (!Out)
    return Out.takeError();
  Outputs.push_back(X.view(*Out));
  return llvm::Error::success();
}

template <ViewShapeFn ShapeOf>
llvm::Error viewBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  auto Out = ShapeOf(Args.N, Args.InputShapes[0]);
  if (!Out)
    return Out.takeError();
  auto G = gradientAs(Args.GradOutputs[0], *Out);
  if (!G)
    return G.takeError();
  if (G->defined())
    GradInputs[0] = G->view(Args.InputShapes[0]);
  return llvm::Error::success();
}

template <ViewShapeFn ShapeOf> OpKernel viewKernel() {
  return OpKernel{viewForward<ShapeOf>, viewBackward<ShapeOf>, SavesNothing};
}

//===----------------------------------------------------------------------===//
// permute, transpose
//===----------------------------------------------------------------------===//

/// Output dim D of the permutation reads input dim Perm[D].
using Permutation = llvm::SmallVector<unsigned, 6>;

llvm::Expected<Permutation> permutation(const Node &N, unsigned Rank) {
  Permutation Perm;
  if (N.isCallTo("transpose")) {
    for (unsigned D = 0; D < Rank; ++D)
      Perm.push_back(D);
    auto A = normalizeDim(N.getInt("dim0"), Rank, "'dim0'");
    if (!A)
      return A.takeError();
    auto B = normalizeDim(N.getInt("dim1"), Rank, "'dim1'");
    if (!B)
      return B.takeError();
    std::swap(Perm[*A], Perm[*B]);
    return Perm;
  }
  llvm::ArrayRef<int64_t> Dims = N.getInts("dims");
  if (Dims.size() != Rank)
    return kernelFailure(
        llvm::formatv("'dims' has {0} values for a rank-{1} input", Dims.size(), Rank));
  llvm::SmallVector<bool, 6> Seen(Rank, false);
  for (int64_t D : Dims) {
    auto A = normalizeDim(D, Rank, "'dims' value");
    if (!A)
      return A.takeError();
    if (Seen[*A])
      return kernelFailure(llvm::formatv("'dims' repeats dimension {0}", *A));
    Seen[*A] = true;
    Perm.push_back(*A);
  }
  return Perm;
}

/// X with its dims permuted; a view when the memory order does not change.
Tensor permuted(const Tensor &X, llvm::ArrayRef<unsigned> Perm) {
  Shape Dims, Strides, InStrides = contiguousStrides(X.shape());
  for (unsigned P : Perm) {
    Dims.push_back(X.dim(P));
    Strides.push_back(InStrides[P]);
  }
  Region R = makeRegion(Dims, contiguousStrides(Dims), Strides);
  if (R.Sizes.size() == 1 && R.SrcStrides[0] == 1)
    return X.view(Dims);
  Tensor Out = Tensor::empty(Dims, X.dtype());
  copyRegion(Out, 0, X, 0, R);
  return Out;
}

llvm::Error permuteForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  auto Perm = permutation(Args.N, X.rank());
  if (!Perm)
    return Perm.takeError();
  Outputs.push_back(permuted(X, *Perm));
  return llvm::Error::success();
}

llvm::Error permuteBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  llvm::ArrayRef<int64_t> In = Args.InputShapes[0];
  auto Perm = permutation(Args.N, In.size());
  if (!Perm)
    return Perm.takeError();
  Shape Out;
  Permutation Inverse(Perm->size());
  for (unsigned D = 0; D < Perm->size(); ++D) {
    Out.push_back(In[(*Perm)[D]]);
    Inverse[(*Perm)[D]] = D;
  }
  auto G = gradientAs(Args.GradOutputs[0], Out);
  if (!G)
    return G.takeError();
  if (G->defined())
    GradInputs[0] = permuted(*G, Inverse);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// cat, split, slice
//===----------------------------------------------------------------------===//

/// The concatenation shape of Inputs along Dim; Axis receives the dim.
llvm::Expected<Shape> catShape(const Node &N, llvm::ArrayRef<Shape> Inputs, unsigned &Axis) {
  if (Inputs.empty())
    return kernelFailure("cat needs at least one input");
  auto A = normalizeDim(N.getInt("dim"), Inputs[0].size(), "'dim'");
  if (!A)
    return A.takeError();
  Axis = *A;
  Shape Out = Inputs[0];
  for (size_t I = 1; I < Inputs.size(); ++I) {
    const Shape &S = Inputs[I];
    bool Fits = S.size() == Out.size();
    for (size_t D = 0; Fits && D < S.size(); ++D)
      Fits = D == Axis || S[D] == Out[D];
    if (!Fits)
      return kernelFailure(llvm::formatv("input {0} is {1} but input 0 is {2}; they may only "
                                         "differ in dim {3}",
                                         I, shapeString(S), shapeString(Inputs[0]), Axis));
    Out[Axis] += S[Axis];
  }
  return Out;
}

llvm::Error catForward(const ForwardArgs &Args, TensorList &Outputs) {
  llvm::SmallVector<Shape, 4> Shapes;
  for (const Tensor &T : Args.Inputs) {
    if (T.dtype() != Args.Inputs[0].dtype())
      return kernelFailure(llvm::formatv("inputs have different element types {0} and {1}",
                                         dtypeName(Args.Inputs[0].dtype()),
                                         dtypeName(T.dtype())));
    Shapes.push_back(shapeOf(T.shape()));
  }
  unsigned Axis = 0;
  auto Out = catShape(Args.N, Shapes, Axis);
  if (!Out)
    return Out.takeError();
  if (Args.Inputs.size() == 1) {
    Outputs.push_back(Args.Inputs[0]);
    return llvm::Error::success();
  }
  Tensor Result = Tensor::empty(*Out, Args.Inputs[0].dtype());
  int64_t Offset = 0;
  for (const Tensor &T : Args.Inputs) {
    insertAlong(T, Result, Axis, Offset, 1);
    Offset += T.dim(Axis);
  }
  Outputs.push_back(Result);
  return llvm::Error::success();
}

llvm::Error catBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  unsigned Axis = 0;
  auto Out = catShape(Args.N, Args.InputShapes, Axis);
  if (!Out)
    return Out.takeError();
  auto G = gradientAs(Args.GradOutputs[0], *Out);
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  int64_t Offset = 0;
  for (size_t I = 0; I < Args.InputShapes.size(); ++I) {
    int64_t Size = Args.InputShapes[I][Axis];
    if (Args.NeedsGrad[I])
      GradInputs[I] = Args.InputShapes.size() == 1 ? *G : extractAlong(*G, Axis, Offset, 1, Size);
    Offset += Size;
  }
  return llvm::Error::success();
}

/// The split dim of an input of shape In; fails unless the sizes cover it.
llvm::Expected<unsigned> splitAxis(const Node &N, llvm::ArrayRef<int64_t> In) {
  auto Axis = normalizeDim(N.getInt("dim"), In.size(), "'dim'");
  if (!Axis)
    return Axis.takeError();
  int64_t Total = 0;
  for (int64_t S : N.getInts("split_sizes"))
    Total += S;
  if (Total != In[*Axis])
    return kernelFailure(llvm::formatv("'split_sizes' add up to {0} but dim {1} has size {2}",
                                       Total, *Axis, In[*Axis]));
  return Axis;
}

llvm::Error splitForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  auto Axis = splitAxis(Args.N, X.shape());
  if (!Axis)
    return Axis.takeError();
  int64_t Offset = 0;
  for (int64_t Size : Args.N.getInts("split_sizes")) {
    Outputs.push_back(extractAlong(X, *Axis, Offset, 1, Size));
    Offset += Size;
  }
  return llvm::Error::success();
}

llvm::Error splitBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  llvm::ArrayRef<int64_t> In = Args.InputShapes[0];
  auto Axis = splitAxis(Args.N, In);
  if (!Axis)
    return Axis.takeError();
  llvm::ArrayRef<int64_t> Sizes = Args.N.getInts("split_sizes");
  if (Args.GradOutputs.size() != Sizes.size())
    return kernelFailure(llvm::formatv("got {0} output gradients for {1} pieces",
                                       Args.GradOutputs.size(), Sizes.size()));
  bool AllDefined = true, AnyDefined = false;
  for (const Tensor &G : Args.GradOutputs) {
    AllDefined &= G.defined();
    AnyDefined |= G.defined();
  }
  if (!AnyDefined)
    return llvm::Error::success();
  // Pieces without a gradient are zero.
  Tensor GX = AllDefined ? Tensor::empty(In) : Tensor::zeros(In);
  int64_t Offset = 0;
  for (size_t I = 0; I < Sizes.size(); ++I) {
    Shape Piece = shapeOf(In);
    Piece[*Axis] = Sizes[I];
    auto G = gradientAs(Args.GradOutputs[I], Piece);
    if (!G)
      return G.takeError();
    if (G->defined())
      insertAlong(*G, GX, *Axis, Offset, 1);
    Offset += Sizes[I];
  }
  GradInputs[0] = GX;
  return llvm::Error::success();
}

/// Elements Start, Start + Step, ... (Count of them) along Axis.
struct SliceRange {
  unsigned Axis = 0;
  int64_t Start = 0, Step = 1, Count = 0;
};

llvm::Expected<SliceRange> sliceRange(const Node &N, llvm::ArrayRef<int64_t> In) {
  SliceRange S;
  S.Step = N.getInt("step");
  if (S.Step < 1)
    return kernelFailure(llvm::formatv("'step' must be at least 1, not {0}", S.Step));
  auto Axis = normalizeDim(N.getInt("dim"), In.size(), "'dim'");
  if (!Axis)
    return Axis.takeError();
  S.Axis = *Axis;
  int64_t Size = In[S.Axis];
  // Python slicing: negative indices count from the back; both clamp.
  auto Clamp = [Size](int64_t I) {
    if (I < 0)
      I += Size;
    return std::min(std::max<int64_t>(I, 0), Size);
  };
  S.Start = Clamp(N.getInt("start"));
  int64_t End = Clamp(N.getInt("end"));
  S.Count = End > S.Start ? (End - S.Start - 1) / S.Step + 1 : 0;
  return S;
}

llvm::Error sliceForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  auto S = sliceRange(Args.N, X.shape());
  if (!S)
    return S.takeError();
  Outputs.push_back(extractAlong(X, S->Axis, S->Start, S->Step, S->Count));
  return llvm::Error::success();
}

llvm::Error sliceBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  llvm::ArrayRef<int64_t> In = Args.InputShapes[0];
  auto S = sliceRange(Args.N, In);
  if (!S)
    return S.takeError();
  Shape Out = shapeOf(In);
  Out[S->Axis] = S->Count;
  auto G = gradientAs(Args.GradOutputs[0], Out);
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  Tensor GX = Tensor::zeros(In);
  insertAlong(*G, GX, S->Axis, S->Start, S->Step);
  GradInputs[0] = GX;
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// pad
//===----------------------------------------------------------------------===//

/// Outputs Start .. Start + Length - 1 along one dim read input indices From,
/// From + Step, ... (Step is 1 or -1, or 0 for a single output), or the fill
/// value when Fill.
struct PadRun {
  int64_t Start = 0, Length = 1, From = 0, Step = 1;
  bool Fill = false;
};

enum class PadMode { Constant, Reflect, Replicate };

/// The runs of one dim of In elements padded by Begin and End (either may
/// be negative: a crop).
llvm::Expected<llvm::SmallVector<PadRun, 4>> padRuns(PadMode Mode, unsigned Dim, int64_t In,
                                                     int64_t Begin, int64_t End) {
  if (Mode == PadMode::Reflect && ((Begin > 0 && Begin >= In) || (End > 0 && End >= In)))
    return kernelFailure(llvm::formatv("reflect padding of {0} needs dim {1} to have more "
                                       "elements than that, not {2}",
                                       std::max(Begin, End), Dim, In));
  if (Mode == PadMode::Replicate && In == 0 && (Begin > 0 || End > 0))
    return kernelFailure(
        llvm::formatv("replicate padding needs dim {0} to have an element to repeat", Dim));
  llvm::SmallVector<PadRun, 4> Runs;
  for (int64_t J = 0, Out = In + Begin + End; J < Out; ++J) {
    int64_t I = J - Begin;
    if (Mode == PadMode::Reflect)
      I = I < 0 ? -I : I >= In ? 2 * (In - 1) - I : I;
    else if (Mode == PadMode::Replicate)
      I = std::min(std::max<int64_t>(I, 0), In - 1);
    bool Fill = I < 0 || I >= In;
    if (!Runs.empty()) {
      PadRun &R = Runs.back();
      int64_t Delta = I - (R.From + (R.Length - 1) * R.Step);
      bool Extends = R.Fill ? Fill
                            : !Fill && ((R.Length == 1 && (Delta == 1 || Delta == -1)) ||
                                        (R.Length > 1 && Delta == R.Step));
      if (Extends) {
        if (!R.Fill && R.Length == 1)
          R.Step = Delta;
        ++R.Length;
        continue;
      }
    }
    PadRun R;
    R.Start = J;
    R.From = Fill ? 0 : I;
    R.Fill = Fill;
    Runs.push_back(R);
  }
  return Runs;
}

/// Everything one pad needs: the output shape and each dim's runs.
struct PadPlan {
  Shape In, Out;
  std::vector<llvm::SmallVector<PadRun, 4>> Runs;
  bool AnyFill = false;
};

llvm::Expected<PadPlan> padPlan(const Node &N, llvm::ArrayRef<int64_t> In) {
  llvm::ArrayRef<int64_t> Pads = N.getInts("pads");
  const std::string &ModeName = N.attr("mode")->getString();
  PadMode Mode = ModeName == "reflect"     ? PadMode::Reflect
                 : ModeName == "replicate" ? PadMode::Replicate
                                           : PadMode::Constant;
  if (Mode == PadMode::Constant && ModeName != "constant")
    return kernelFailure(llvm::formatv(
        "'mode' must be \"constant\", \"reflect\" or \"replicate\", not \"{0}\"", ModeName));
  const size_t Rank = In.size();
  if (Pads.size() != 2 * Rank)
    return kernelFailure(llvm::formatv("'pads' has {0} values; expected {1} (begins, then "
                                       "ends, for every dim)",
                                       Pads.size(), 2 * Rank));
  PadPlan P;
  P.In = shapeOf(In);
  for (unsigned D = 0; D < Rank; ++D) {
    int64_t Size = In[D] + Pads[D] + Pads[D + Rank];
    if (Size < 0)
      return kernelFailure(llvm::formatv("'pads' make dim {0} negative", D));
    P.Out.push_back(Size);
    auto Runs = padRuns(Mode, D, In[D], Pads[D], Pads[D + Rank]);
    if (!Runs)
      return Runs.takeError();
    for (const PadRun &R : *Runs)
      P.AnyFill |= R.Fill;
    P.Runs.push_back(std::move(*Runs));
  }
  return P;
}

/// Calls F(Region, OutBase, InBase) for every block of the output that reads
/// the input: one run per dim, none of them a fill. Dst strides are the
/// output's, Src strides the input's (times each run's step).
template <typename Fn> void forEachPadBlock(const PadPlan &P, Fn F) {
  const size_t Rank = P.In.size();
  Shape OutStrides = contiguousStrides(P.Out), InStrides = contiguousStrides(P.In);
  llvm::SmallVector<size_t, 6> Pick(Rank, 0);
  for (;;) {
    bool Reads = true;
    Shape Sizes, SrcStrides;
    int64_t OutBase = 0, InBase = 0;
    for (size_t D = 0; D < Rank; ++D) {
      const PadRun &R = P.Runs[D][Pick[D]];
      Reads &= !R.Fill;
      Sizes.push_back(R.Length);
      SrcStrides.push_back(InStrides[D] * R.Step);
      OutBase += R.Start * OutStrides[D];
      InBase += R.From * InStrides[D];
    }
    if (Reads)
      F(makeRegion(Sizes, OutStrides, SrcStrides), OutBase, InBase);
    size_t D = Rank;
    for (;;) {
      if (D == 0)
        return;
      --D;
      if (++Pick[D] < P.Runs[D].size())
        break;
      Pick[D] = 0;
    }
  }
}

/// The pad value as an element of type T (bytes in the first sizeof(T)).
llvm::Expected<std::array<char, 8>> fillPattern(DType T, double Value) {
  std::array<char, 8> Bytes{};
  auto Put = [&Bytes](auto V) { std::memcpy(Bytes.data(), &V, sizeof(V)); };
  switch (T) {
  case DType::F32:
    Put(float(Value));
    break;
  case DType::I8:
    Put(int8_t(Value));
    break;
  case DType::U8:
    Put(uint8_t(Value));
    break;
  case DType::I32:
    Put(int32_t(Value));
    break;
  case DType::I64:
    Put(int64_t(Value));
    break;
  case DType::Bool:
    Put(uint8_t(Value != 0));
    break;
  case DType::F16:
    if (Value != 0)
      return kernelFailure("padding an f16 tensor supports only the value 0");
    break;
  }
  return Bytes;
}

llvm::Error padForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  auto P = padPlan(Args.N, X.shape());
  if (!P)
    return P.takeError();
  Tensor Out = Tensor::empty(P->Out, X.dtype());
  if (P->AnyFill) {
    auto Pattern = fillPattern(X.dtype(), Args.N.getFloat("value"));
    if (!Pattern)
      return Pattern.takeError();
    char *Bytes = static_cast<char *>(Out.raw());
    withElementType(dtypeSize(X.dtype()), [&](auto Tag) {
      constexpr size_t Size = sizeof(Tag);
      parallelFor(Out.numel(), kElementGrain, [&](int64_t Begin, int64_t End) {
        for (int64_t I = Begin; I < End; ++I)
          std::memcpy(Bytes + I * Size, Pattern->data(), Size);
      });
    });
  }
  forEachPadBlock(*P, [&](const Region &R, int64_t OutBase, int64_t InBase) {
    copyRegion(Out, OutBase, X, InBase, R);
  });
  Outputs.push_back(Out);
  return llvm::Error::success();
}

/// Each input element receives the gradient of every output that read it.
llvm::Error padBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  auto P = padPlan(Args.N, Args.InputShapes[0]);
  if (!P)
    return P.takeError();
  auto G = gradientAs(Args.GradOutputs[0], P->Out);
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  Tensor GX = Tensor::zeros(P->In);
  // Blocks run one after another: two of them may read one input element.
  forEachPadBlock(*P, [&](const Region &R, int64_t OutBase, int64_t InBase) {
    Region Back;
    Back.Sizes = R.Sizes;
    Back.DstStrides = R.SrcStrides;
    Back.SrcStrides = R.DstStrides;
    addRegion(GX.f32() + InBase, G->f32() + OutBase, Back);
  });
  GradInputs[0] = GX;
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

/// 64 random bits for (Seed, Counter): the SplitMix64 finalizer.
uint64_t randomBits(uint64_t Seed, uint64_t Counter) {
  uint64_t Z = Seed + 0x9E3779B97F4A7C15ull * (Counter + 1);
  Z = (Z ^ (Z >> 30)) * 0xBF58476D1CE4E5B9ull;
  Z = (Z ^ (Z >> 27)) * 0x94D049BB133111EBull;
  return Z ^ (Z >> 31);
}

llvm::Expected<double> dropoutP(const Node &N) {
  double P = N.getFloat("p");
  if (P >= 0 && P <= 1)
    return P;
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  printFloat(OS, P);
  return kernelFailure("'p' must be in [0, 1], not " + OS.str());
}

/// Element I is kept when its 32 random bits fall below (1 - p) * 2^32; it
/// is then scaled by 1 / (1 - p), as PyTorch's bernoulli_(1 - p).div_(1 - p).
llvm::Error dropoutForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  auto P = dropoutP(Args.N);
  if (!P)
    return P.takeError();
  if (!Args.Training || *P == 0) {
    Outputs.push_back(X);
    return llvm::Error::success();
  }
  if (llvm::Error E = requireF32(X, "input"))
    return E;
  const uint64_t Threshold = uint64_t(std::ldexp(1.0 - *P, 32));
  const float Scale = 1.0f / float(1.0 - *P);
  const uint64_t Seed = Args.RandomSeed;
  Tensor Mask = Tensor::empty(X.shape(), DType::U8);
  Tensor Y = Tensor::empty(X.shape());
  const float *In = X.f32();
  float *Out = Y.f32();
  uint8_t *Keep = Mask.data<uint8_t>();
  parallelFor(X.numel(), kElementGrain, [&](int64_t Begin, int64_t End) {
    for (int64_t I = Begin; I < End; ++I) {
      uint64_t Bits = randomBits(Seed, uint64_t(I) / 2);
      Keep[I] = ((I & 1 ? Bits >> 32 : Bits & 0xFFFFFFFFull) < Threshold);
      Out[I] = In[I] * (Keep[I] ? Scale : 0.0f);
    }
  });
  if (Args.Saved)
    Args.Saved->push_back(Mask);
  Outputs.push_back(Y);
  return llvm::Error::success();
}

llvm::Error dropoutBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  llvm::ArrayRef<int64_t> In = Args.InputShapes[0];
  auto G = gradientAs(Args.GradOutputs[0], In);
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  if (Args.Saved.empty()) { // the identity (inference, or p = 0)
    GradInputs[0] = *G;
    return llvm::Error::success();
  }
  auto P = dropoutP(Args.N);
  if (!P)
    return P.takeError();
  const float Scale = 1.0f / float(1.0 - *P);
  Tensor GX = Tensor::empty(In);
  const float *D = G->f32();
  const uint8_t *Keep = Args.Saved[0].data<uint8_t>();
  float *Out = GX.f32();
  parallelFor(GX.numel(), kElementGrain, [&](int64_t Begin, int64_t End) {
    for (int64_t I = Begin; I < End; ++I)
      Out[I] = D[I] * (Keep[I] ? Scale : 0.0f);
  });
  GradInputs[0] = GX;
  return llvm::Error::success();
}

} // namespace

void runtime::registerLayoutKernels(KernelTable &Table) {
  Table["flatten"] = viewKernel<flattenShape>();
  Table["reshape"] = viewKernel<reshapeShape>();
  Table["squeeze"] = viewKernel<squeezeShape>();
  Table["unsqueeze"] = viewKernel<unsqueezeShape>();
  Table["identity"] = viewKernel<identityShape>();
  Table["permute"] = OpKernel{permuteForward, permuteBackward, SavesNothing};
  Table["transpose"] = OpKernel{permuteForward, permuteBackward, SavesNothing};
  Table["cat"] = OpKernel{catForward, catBackward, SavesNothing};
  Table["split"] = OpKernel{splitForward, splitBackward, SavesNothing};
  Table["slice"] = OpKernel{sliceForward, sliceBackward, SavesNothing};
  Table["pad"] = OpKernel{padForward, padBackward, SavesNothing};
  Table["dropout"] = OpKernel{dropoutForward, dropoutBackward, SavesNothing};
}
