//===- OnnxOpMapping.cpp - The table of ONNX ops qatc imports -------------===//
//
// One map function per op family, turning an ONNX node into canonical QIR
// (docs/frontends.md): attributes equal to the registry default are left
// out, padding is canonical, floats are the shortest decimal of the float32,
// constant operands become parameters. The table at the end lists every
// supported op type with its fold function, if any (OnnxConstantFolding.h).
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxOpMapping.h"

#include "frontend/ImportSupport.h"
#include "frontend/onnx/OnnxConstantFolding.h"
#include "frontend/onnx/OnnxNodeContext.h"

#include "llvm/ADT/StringMap.h"

#include <algorithm>

namespace qatc {

namespace {

using Ints = std::vector<int64_t>;
using Attrs = llvm::SmallVector<NamedAttribute, 0>;

llvm::Error mapError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

const OpInfo &opInfo(llvm::StringRef Name) { return *OpRegistry::get().lookup(Name); }

std::string floatText(double D) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  printFloat(OS, D);
  return OS.str();
}

/// Checks an int-list attribute: Count values (when Count is set), each in
/// [Min, kMaxDim].
llvm::Error checkInts(llvm::ArrayRef<int64_t> V, llvm::StringRef Name, std::optional<size_t> Count,
                      int64_t Min) {
  if (Count && V.size() != *Count)
    return mapError("'" + Name + "' has " + llvm::Twine(V.size()) + " values; expected " +
                    llvm::Twine(*Count));
  for (int64_t X : V)
    if (X < Min || X > kMaxDim)
      return mapError("'" + Name + "' value " + llvm::Twine(X) + " is out of range");
  return llvm::Error::success();
}

/// Sets output 0 to a call of OpName on Operands.
llvm::Error emit(OnnxNodeContext &Ctx, llvm::StringRef OpName, llvm::ArrayRef<Node *> Operands,
                 Attrs A = {}) {
  auto N = Ctx.call(OpName, Operands, std::move(A));
  if (!N)
    return N.takeError();
  Ctx.setOutput(0, *N);
  return llvm::Error::success();
}

/// The static spatial dims of input 0 (the last Spatial dims), or an error
/// saying why Why needs them.
llvm::Expected<Ints> staticSpatialDims(OnnxNodeContext &Ctx, size_t Spatial,
                                       llvm::StringRef Why) {
  Type In = Ctx.inputType(0);
  if (!In.hasRank() || In.rank() < Spatial)
    return mapError(Why + " needs the input's rank, which is unknown");
  Ints Dims(In.dims().end() - Spatial, In.dims().end());
  if (llvm::is_contained(Dims, kDynamicDim))
    return mapError(Why + " needs static spatial input dims, but the input is " + In.str() +
                    "; give the input shapes with --input-shape NAME=DIMS");
  return Dims;
}

/// Begins then ends of the spatial padding of a conv or pool, from `pads`
/// or computed for auto_pad from the static input size (as onnxruntime does).
llvm::Expected<Ints> windowPadding(OnnxNodeContext &Ctx, llvm::ArrayRef<int64_t> Kernel,
                                   llvm::ArrayRef<int64_t> Strides,
                                   llvm::ArrayRef<int64_t> Dilations) {
  size_t Spatial = Kernel.size();
  std::string AutoPad = Ctx.attrs().getString("auto_pad", "NOTSET");
  if (AutoPad == "NOTSET") {
    Ints Pads = Ctx.attrs().getInts("pads", Ints(2 * Spatial, 0));
    if (llvm::Error E = checkInts(Pads, "pads", 2 * Spatial, 0))
      return E;
    return Pads;
  }
  if (AutoPad == "VALID")
    return Ints(2 * Spatial, 0);
  if (AutoPad != "SAME_UPPER" && AutoPad != "SAME_LOWER")
    return mapError("'auto_pad' value '" + AutoPad + "' is not one of NOTSET, SAME_UPPER, "
                    "SAME_LOWER or VALID");
  auto In = staticSpatialDims(Ctx, Spatial, "auto_pad " + AutoPad);
  if (!In)
    return In.takeError();
  Ints Pads(2 * Spatial);
  for (size_t I = 0; I < Spatial; ++I) {
    int64_t Out = ((*In)[I] + Strides[I] - 1) / Strides[I];
    int64_t Total = std::max<int64_t>(
        0, (Out - 1) * Strides[I] + (Kernel[I] - 1) * Dilations[I] + 1 - (*In)[I]);
    Pads[I] = AutoPad == "SAME_UPPER" ? Total / 2 : Total - Total / 2;
    Pads[Spatial + I] = Total - Pads[I];
  }
  return Pads;
}

/// The split of a begins-then-ends list into the canonical QIR padding.
Ints canonicalPads(llvm::ArrayRef<int64_t> Pads) {
  size_t Spatial = Pads.size() / 2;
  return canonicalPadding(Pads.take_front(Spatial), Pads.drop_front(Spatial));
}

/// Kernel, strides and dilations of a conv, checked against the weight.
struct ConvWindow {
  Ints Kernel, Strides, Dilations;
};

llvm::Expected<ConvWindow> convWindow(OnnxNodeContext &Ctx, const Type &W, size_t Spatial) {
  ConvWindow R;
  Ints WeightKernel(W.dims().begin() + 2, W.dims().end());
  if (!Ctx.attrs().has("kernel_shape") && llvm::is_contained(WeightKernel, kDynamicDim))
    return mapError("the kernel size is unknown: the weight is " + W.str() +
                    " and there is no 'kernel_shape'");
  R.Kernel = Ctx.attrs().getInts("kernel_shape", WeightKernel);
  R.Strides = Ctx.attrs().getInts("strides", Ints(Spatial, 1));
  R.Dilations = Ctx.attrs().getInts("dilations", Ints(Spatial, 1));
  if (llvm::Error E = checkInts(R.Kernel, "kernel_shape", Spatial, 1))
    return E;
  if (llvm::Error E = checkInts(R.Strides, "strides", Spatial, 1))
    return E;
  if (llvm::Error E = checkInts(R.Dilations, "dilations", Spatial, 1))
    return E;
  for (size_t I = 0; I < Spatial; ++I)
    if (WeightKernel[I] != kDynamicDim && WeightKernel[I] != R.Kernel[I])
      return mapError("'kernel_shape' does not match the weight " + W.str());
  return R;
}

//===----------------------------------------------------------------------===//
// Layers with weights
//===----------------------------------------------------------------------===//

llvm::Error mapConv(OnnxNodeContext &Ctx) {
  Type W = Ctx.inputType(1);
  if (!W.hasRank() || (W.rank() != 3 && W.rank() != 4))
    return mapError("only 1-D and 2-D convolutions are supported, but the weight is " + W.str());
  size_t Spatial = W.rank() - 2;
  auto Window = convWindow(Ctx, W, Spatial);
  if (!Window)
    return Window.takeError();
  auto Pads = windowPadding(Ctx, Window->Kernel, Window->Strides, Window->Dilations);
  if (!Pads)
    return Pads.takeError();
  int64_t Groups = Ctx.attrs().getInt("group", 1);
  if (Groups < 1 || Groups > kMaxDim)
    return mapError("'group' value " + llvm::Twine(Groups) + " is out of range");
  llvm::StringRef Op = Spatial == 1 ? "conv1d" : "conv2d";
  Attrs A;
  addAttrUnlessDefault(opInfo(Op), A, "stride", Window->Strides);
  addAttrUnlessDefault(opInfo(Op), A, "padding", canonicalPads(*Pads));
  addAttrUnlessDefault(opInfo(Op), A, "dilation", Window->Dilations);
  addAttrUnlessDefault(opInfo(Op), A, "groups", Groups);
  llvm::SmallVector<Node *, 3> Operands = {Ctx.input(0), Ctx.input(1)};
  if (Ctx.hasInput(2))
    Operands.push_back(Ctx.input(2));
  return emit(Ctx, Op, Operands, std::move(A));
}

llvm::Error mapConvTranspose(OnnxNodeContext &Ctx) {
  Type W = Ctx.inputType(1);
  if (!W.hasRank() || W.rank() != 4)
    return mapError("only 2-D transposed convolutions are supported, but the weight is " +
                    W.str());
  const size_t Spatial = 2;
  auto Window = convWindow(Ctx, W, Spatial);
  if (!Window)
    return Window.takeError();
  Ints OutPad = Ctx.attrs().getInts("output_padding", Ints(Spatial, 0));
  if (llvm::Error E = checkInts(OutPad, "output_padding", Spatial, 0))
    return E;
  std::string AutoPad = Ctx.attrs().getString("auto_pad", "NOTSET");
  Ints OutShape = Ctx.attrs().getInts("output_shape");
  Ints Pads;
  if (!OutShape.empty() || AutoPad == "SAME_UPPER" || AutoPad == "SAME_LOWER") {
    // ONNX's rule: pad so that the output has output_shape (or input * stride).
    auto In = staticSpatialDims(Ctx, Spatial, "ConvTranspose with output_shape or auto_pad");
    if (!In)
      return In.takeError();
    if (!OutShape.empty()) {
      if (OutShape.size() < Spatial)
        return mapError("'output_shape' needs " + llvm::Twine(Spatial) + " spatial values");
      OutShape.erase(OutShape.begin(), OutShape.end() - Spatial);
    }
    if (llvm::Error E = checkInts(OutShape, "output_shape", std::nullopt, 0))
      return E;
    Pads.resize(2 * Spatial);
    for (size_t I = 0; I < Spatial; ++I) {
      int64_t Out = OutShape.empty() ? (*In)[I] * Window->Strides[I] : OutShape[I];
      int64_t Total = Window->Strides[I] * ((*In)[I] - 1) + OutPad[I] +
                      (Window->Kernel[I] - 1) * Window->Dilations[I] + 1 - Out;
      if (Total < 0)
        return mapError("the requested output size needs negative padding, which qatc does "
                        "not support");
      Pads[I] = AutoPad == "SAME_UPPER" ? Total / 2 : Total - Total / 2;
      Pads[Spatial + I] = Total - Pads[I];
    }
  } else {
    auto P = windowPadding(Ctx, Window->Kernel, Window->Strides, Window->Dilations);
    if (!P)
      return P.takeError();
    Pads = std::move(*P);
  }
  int64_t Groups = Ctx.attrs().getInt("group", 1);
  if (Groups < 1 || Groups > kMaxDim)
    return mapError("'group' value " + llvm::Twine(Groups) + " is out of range");
  const OpInfo &Op = opInfo("conv_transpose2d");
  Attrs A;
  addAttrUnlessDefault(Op, A, "stride", Window->Strides);
  addAttrUnlessDefault(Op, A, "padding", canonicalPads(Pads));
  addAttrUnlessDefault(Op, A, "output_padding", OutPad);
  addAttrUnlessDefault(Op, A, "dilation", Window->Dilations);
  addAttrUnlessDefault(Op, A, "groups", Groups);
  llvm::SmallVector<Node *, 3> Operands = {Ctx.input(0), Ctx.input(1)};
  if (Ctx.hasInput(2))
    Operands.push_back(Ctx.input(2));
  return emit(Ctx, "conv_transpose2d", Operands, std::move(A));
}

/// Gemm: `linear` when it is one (no transposed A, unit alpha and beta, a
/// [N] bias), otherwise matmul with the scaling and bias spelled out.
llvm::Error mapGemm(OnnxNodeContext &Ctx) {
  float Alpha = Ctx.attrs().getRawFloat("alpha", 1.0f), Beta = Ctx.attrs().getRawFloat("beta", 1.0f);
  bool TransA = Ctx.attrs().getInt("transA", 0) != 0, TransB = Ctx.attrs().getInt("transB", 0) != 0;
  Type BT = Ctx.inputType(1);
  if (!BT.hasRank() || BT.rank() != 2)
    return mapError("input B must have rank 2, not " + BT.str());
  const ConstTensorRef &BConst = Ctx.constInput(1);
  int64_t N = TransB ? BT.dim(0) : BT.dim(1);

  // The bias as linear takes it: [N] as is, or a constant [1, N] viewed as [N].
  const ConstTensorRef &C = Ctx.constInput(2);
  bool BiasIsVector = false, BiasIsRow = false;
  if (Ctx.hasInput(2)) {
    Type CT = Ctx.inputType(2);
    BiasIsVector = N != kDynamicDim && CT.hasRank() && CT.rank() == 1 && CT.dim(0) == N;
    BiasIsRow = N != kDynamicDim && C && C->rank() == 2 && C->dims()[0] == 1 && C->dims()[1] == N;
  }
  bool Linear = !TransA && Alpha == 1.0f && (TransB || BConst) &&
                (!Ctx.hasInput(2) || (Beta == 1.0f && (BiasIsVector || BiasIsRow)));
  if (Linear) {
    Node *Weight = TransB ? Ctx.input(1) : Ctx.constant(transposeTensor(*BConst, {1, 0}));
    llvm::SmallVector<Node *, 3> Operands = {Ctx.input(0), Weight};
    if (BiasIsVector)
      Operands.push_back(Ctx.input(2));
    else if (BiasIsRow)
      Operands.push_back(Ctx.constant(reshapeView(C, {N})));
    return emit(Ctx, "linear", Operands);
  }

  // The general form: (A' x B') * alpha + C * beta.
  auto Operand = [&](unsigned I, bool Transpose) -> llvm::Expected<Node *> {
    if (!Transpose)
      return Ctx.input(I);
    if (const ConstTensorRef &T = Ctx.constInput(I); T && T->rank() == 2)
      return Ctx.constant(transposeTensor(*T, {1, 0}));
    return Ctx.call("permute", {Ctx.input(I)}, {{"dims", Ints{1, 0}}});
  };
  auto A = Operand(0, TransA);
  if (!A)
    return A.takeError();
  auto B = Operand(1, TransB);
  if (!B)
    return B.takeError();
  auto Y = Ctx.call("matmul", {*A, *B});
  if (!Y)
    return Y.takeError();
  Node *Result = *Y;
  if (Alpha != 1.0f) {
    auto Scaled = Ctx.call("mul", {Result, Ctx.constant(floatScalar(Alpha))});
    if (!Scaled)
      return Scaled.takeError();
    Result = *Scaled;
  }
  if (Ctx.hasInput(2)) {
    Node *C = Ctx.input(2);
    if (Beta != 1.0f) {
      auto Scaled = Ctx.call("mul", {C, Ctx.constant(floatScalar(Beta))});
      if (!Scaled)
        return Scaled.takeError();
      C = *Scaled;
    }
    auto Sum = Ctx.call("add", {Result, C});
    if (!Sum)
      return Sum.takeError();
    Result = *Sum;
  }
  Ctx.setOutput(0, Result);
  return llvm::Error::success();
}

llvm::Error mapMatMul(OnnxNodeContext &Ctx) {
  return emit(Ctx, "matmul", {Ctx.input(0), Ctx.input(1)});
}

/// Inference-form BatchNormalization; PyTorch's momentum is 1 - ONNX's.
llvm::Error mapBatchNorm(OnnxNodeContext &Ctx) {
  if (Ctx.attrs().getInt("training_mode", 0) != 0)
    return mapError("training-mode BatchNormalization is not supported; export the model in "
                    "eval mode (training=TrainingMode.PRESERVE keeps batch norm)");
  const OpInfo &Op = opInfo("batch_norm");
  Attrs A;
  addAttrUnlessDefault(Op, A, "eps", Ctx.attrs().getFloat("epsilon", 1e-5f));
  addAttrUnlessDefault(Op, A, "momentum",
                       oneMinusShortest(Ctx.attrs().getRawFloat("momentum", 0.9f)));
  return emit(Ctx, "batch_norm",
              {Ctx.input(0), Ctx.input(1), Ctx.input(2), Ctx.input(3), Ctx.input(4)},
              std::move(A));
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// Activations without attributes.
llvm::Error mapActivation(OnnxNodeContext &Ctx) {
  static const llvm::StringMap<llvm::StringRef> Ops = {
      {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"HardSwish", "hardswish"}};
  return emit(Ctx, Ops.lookup(Ctx.proto().op_type()), {Ctx.input(0)});
}

llvm::Error mapLeakyRelu(OnnxNodeContext &Ctx) {
  Attrs A;
  addAttrUnlessDefault(opInfo("leaky_relu"), A, "negative_slope",
                       Ctx.attrs().getFloat("alpha", 0.01f));
  return emit(Ctx, "leaky_relu", {Ctx.input(0)}, std::move(A));
}

/// HardSigmoid is PyTorch's hardsigmoid only with alpha 1/6 and beta 0.5.
llvm::Error mapHardSigmoid(OnnxNodeContext &Ctx) {
  float Alpha = Ctx.attrs().getRawFloat("alpha", 0.2f), Beta = Ctx.attrs().getRawFloat("beta", 0.5f);
  if (Alpha != float(1.0 / 6.0) || Beta != 0.5f)
    return mapError("HardSigmoid with alpha " + floatText(shortestDouble(Alpha)) + " and beta " +
                    floatText(shortestDouble(Beta)) +
                    " is not supported; qatc imports PyTorch's hardsigmoid (alpha 1/6, beta 0.5)");
  return emit(Ctx, "hardsigmoid", {Ctx.input(0)});
}

/// Clip with constant bounds -> clamp{min, max}.
llvm::Error mapClip(OnnxNodeContext &Ctx) {
  Attrs A;
  for (auto [I, Name] : {std::pair(1u, "min"), std::pair(2u, "max")}) {
    if (!Ctx.hasInput(I))
      continue;
    auto C = Ctx.requireConstant(I, Name);
    if (!C)
      return C.takeError();
    if ((*C)->numElements() != 1 || (*C)->dtype() == DType::F16)
      return mapError("the '" + llvm::Twine(Name) + "' input must be one float32 or integer value");
    double V = (*C)->dtype() == DType::F32 ? shortestDouble(float((*C)->floatAt(0)))
                                           : (*C)->floatAt(0);
    A.push_back({Name, V});
  }
  return emit(Ctx, "clamp", {Ctx.input(0)}, std::move(A));
}

llvm::Error mapSoftmax(OnnxNodeContext &Ctx) {
  int64_t Axis = Ctx.attrs().getInt("axis", Ctx.opset() < 13 ? 1 : -1);
  if (Ctx.opset() < 13) {
    // Before opset 13 Softmax flattens from axis on: the same only for the
    // last axis.
    Type In = Ctx.inputType(0);
    if (!In.hasRank())
      return mapError("Softmax before opset 13 needs the input's rank, which is unknown");
    auto A = normalizeAxis(Axis, In.rank());
    if (!A)
      return A.takeError();
    if (*A != int64_t(In.rank()) - 1)
      return mapError("Softmax before opset 13 over axis " + llvm::Twine(Axis) +
                      " of a rank-" + llvm::Twine(In.rank()) +
                      " input is not supported; re-export with opset 13 or later");
  }
  Attrs A;
  addAttrUnlessDefault(opInfo("softmax"), A, "dim", Axis);
  return emit(Ctx, "softmax", {Ctx.input(0)}, std::move(A));
}

//===----------------------------------------------------------------------===//
// Element-wise arithmetic
//===----------------------------------------------------------------------===//

llvm::Error mapBinary(OnnxNodeContext &Ctx) {
  static const llvm::StringMap<llvm::StringRef> Ops = {
      {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Div", "div"}};
  return emit(Ctx, Ops.lookup(Ctx.proto().op_type()), {Ctx.input(0), Ctx.input(1)});
}

/// Ops qatc evaluates only on constants (shape arithmetic).
llvm::Error mapConstantOnly(OnnxNodeContext &Ctx) {
  if (Ctx.allInputsConstant())
    return mapError("qatc cannot evaluate " + Ctx.proto().op_type() +
                    " on these constants: their element type is not supported or the result "
                    "is too large");
  return mapError("qatc evaluates " + Ctx.proto().op_type() +
                  " only on constants, but an input is computed at run time; if it derives "
                  "from input shapes, give them with --input-shape NAME=DIMS");
}

//===----------------------------------------------------------------------===//
// Pooling and reductions
//===----------------------------------------------------------------------===//

llvm::Error mapPool(OnnxNodeContext &Ctx) {
  bool Max = Ctx.proto().op_type() == "MaxPool";
  Ints Kernel = Ctx.attrs().getInts("kernel_shape");
  if (Kernel.size() != 2)
    return mapError("only 2-D pooling is supported, but 'kernel_shape' has " +
                    llvm::Twine(Kernel.size()) + " values");
  Ints Strides = Ctx.attrs().getInts("strides", {1, 1});
  Ints Dilations = Max ? Ctx.attrs().getInts("dilations", {1, 1}) : Ints{1, 1};
  for (auto [V, Name] : {std::pair(&Kernel, "kernel_shape"), std::pair(&Strides, "strides"),
                         std::pair(&Dilations, "dilations")})
    if (llvm::Error E = checkInts(*V, Name, 2, 1))
      return E;
  auto Pads = windowPadding(Ctx, Kernel, Strides, Dilations);
  if (!Pads)
    return Pads.takeError();
  llvm::StringRef Op = Max ? "max_pool2d" : "avg_pool2d";
  const OpInfo &Info = opInfo(Op);
  Attrs A;
  A.push_back({"kernel_size", Kernel});
  if (Strides != Kernel)
    A.push_back({"stride", Strides});
  addAttrUnlessDefault(Info, A, "padding", canonicalPads(*Pads));
  if (Max)
    addAttrUnlessDefault(Info, A, "dilation", Dilations);
  addAttrUnlessDefault(Info, A, "ceil_mode", Ctx.attrs().getInt("ceil_mode", 0) != 0);
  // Without padding, whether padding counts does not matter: leave the default.
  bool Padded = llvm::any_of(*Pads, [](int64_t P) { return P != 0; });
  if (!Max && Padded)
    addAttrUnlessDefault(Info, A, "count_include_pad",
                         Ctx.attrs().getInt("count_include_pad", 0) != 0);
  return emit(Ctx, Op, {Ctx.input(0)}, std::move(A));
}

/// GlobalAveragePool -> adaptive_avg_pool2d to 1x1; GlobalMaxPool -> a
/// max_pool2d over the whole (static) plane.
llvm::Error mapGlobalPool(OnnxNodeContext &Ctx) {
  Type In = Ctx.inputType(0);
  if (In.hasRank() && In.rank() != 4)
    return mapError("only 2-D global pooling is supported, but the input is " + In.str());
  if (Ctx.proto().op_type() == "GlobalAveragePool")
    return emit(Ctx, "adaptive_avg_pool2d", {Ctx.input(0)}, {{"output_size", Ints{1, 1}}});
  auto Plane = staticSpatialDims(Ctx, 2, "GlobalMaxPool");
  if (!Plane)
    return Plane.takeError();
  return emit(Ctx, "max_pool2d", {Ctx.input(0)}, {{"kernel_size", *Plane}});
}

llvm::Error mapReduceMean(OnnxNodeContext &Ctx) {
  const OpInfo &Op = opInfo("mean");
  Attrs A;
  addAttrUnlessDefault(Op, A, "dims", Ctx.attrs().getInts("axes"));
  addAttrUnlessDefault(Op, A, "keepdim", Ctx.attrs().getInt("keepdims", 1) != 0);
  return emit(Ctx, "mean", {Ctx.input(0)}, std::move(A));
}

//===----------------------------------------------------------------------===//
// Shape and layout
//===----------------------------------------------------------------------===//

/// Flatten(axis=1) is flatten; other axes become a reshape to 2-D.
llvm::Error mapFlatten(OnnxNodeContext &Ctx) {
  Type In = Ctx.inputType(0);
  int64_t Axis = Ctx.attrs().getInt("axis", 1);
  if (Axis == 1 && (!In.hasRank() || In.rank() >= 2))
    return emit(Ctx, "flatten", {Ctx.input(0)});
  if (!In.hasRank())
    return mapError("Flatten with axis " + llvm::Twine(Axis) +
                    " needs the input's rank, which is unknown");
  auto A = normalizeSplitPoint(Axis, In.rank());
  if (!A)
    return A.takeError();
  // Each side's size, or kDynamicDim when it has a dynamic dim.
  Ints Sides = {1, 1};
  for (int64_t D = 0; D < (int64_t)In.rank(); ++D) {
    int64_t &S = Sides[D < *A ? 0 : 1];
    S = (S == kDynamicDim || In.dim(D) == kDynamicDim) ? kDynamicDim : S * In.dim(D);
  }
  if (Sides[0] == kDynamicDim && Sides[1] == kDynamicDim)
    return mapError("Flatten with axis " + llvm::Twine(Axis) + " of " + In.str() +
                    " needs static dims on one side of the axis");
  return emit(Ctx, "reshape", {Ctx.input(0)}, {{"shape", Sides}});
}

/// Reshape with a constant shape; ONNX's 0 entries (copy the input dim) are
/// resolved, -1 stays.
llvm::Error mapReshape(OnnxNodeContext &Ctx) {
  auto Shape = Ctx.constantInts(1, "shape");
  if (!Shape)
    return Shape.takeError();
  bool AllowZero = Ctx.attrs().getInt("allowzero", 0) != 0;
  Type In = Ctx.inputType(0);
  bool HasInferred = llvm::is_contained(*Shape, -1);
  int64_t Product = 1;
  for (size_t I = 0; I < Shape->size(); ++I) {
    int64_t &D = (*Shape)[I];
    if (D == 0 && !AllowZero) {
      if (!In.hasRank() || I >= In.rank())
        return mapError("shape entry " + llvm::Twine(I) +
                        " is 0 (copy the input dim), but the input " + In.str() +
                        " has no such dim");
      D = In.dim(I);
      if (D == kDynamicDim) {
        if (HasInferred)
          return mapError("shape entry " + llvm::Twine(I) + " copies the dynamic dim " +
                          llvm::Twine(I) + " of " + In.str() +
                          "; give the input shapes with --input-shape NAME=DIMS");
        HasInferred = true;
      }
    }
    if (D < -1 || D > kMaxDim || (D > 0 && __builtin_mul_overflow(Product, D, &Product)))
      return mapError("shape entry " + llvm::Twine((*Shape)[I]) + " is out of range");
  }
  return emit(Ctx, "reshape", {Ctx.input(0)}, {{"shape", std::move(*Shape)}});
}

llvm::Error mapTranspose(OnnxNodeContext &Ctx) {
  Type In = Ctx.inputType(0);
  Ints Perm = Ctx.attrs().getInts("perm");
  if (!Ctx.attrs().has("perm")) {
    if (!In.hasRank())
      return mapError("Transpose without 'perm' needs the input's rank, which is unknown");
    for (int64_t I = int64_t(In.rank()) - 1; I >= 0; --I)
      Perm.push_back(I);
  }
  // Canonical permute dims are non-negative.
  for (int64_t &P : Perm)
    if (P < 0 && P >= -int64_t(Perm.size()))
      P += Perm.size();
  return emit(Ctx, "permute", {Ctx.input(0)}, {{"dims", std::move(Perm)}});
}

llvm::Error mapConcat(OnnxNodeContext &Ctx) {
  llvm::SmallVector<Node *, 4> Operands;
  for (unsigned I = 0; I < Ctx.numInputs(); ++I)
    if (Ctx.hasInput(I))
      Operands.push_back(Ctx.input(I));
  Attrs A;
  addAttrUnlessDefault(opInfo("cat"), A, "dim", Ctx.attrs().getInt("axis", 0));
  return emit(Ctx, "cat", Operands, std::move(A));
}

/// Split -> split + one getitem per output.
llvm::Error mapSplit(OnnxNodeContext &Ctx) {
  int64_t Axis = Ctx.attrs().getInt("axis", 0);
  auto Sizes = Ctx.intsFromAttrOrInput("split", 1, 13);
  if (!Sizes)
    return Sizes.takeError();
  unsigned Parts = Ctx.numOutputs();
  Ints SplitSizes;
  if (*Sizes) {
    SplitSizes = std::move(**Sizes);
  } else {
    Type In = Ctx.inputType(0);
    if (!In.hasRank())
      return mapError("an equal Split needs the input's rank, which is unknown");
    auto A = normalizeAxis(Axis, In.rank());
    if (!A)
      return A.takeError();
    int64_t Size = In.dim(*A);
    if (Size == kDynamicDim || Parts == 0 || Size % Parts != 0)
      return mapError("an equal Split into " + llvm::Twine(Parts) + " parts needs a static dim " +
                      "divisible by " + llvm::Twine(Parts) + ", but the input is " + In.str());
    SplitSizes.assign(Parts, Size / Parts);
  }
  if (SplitSizes.size() != Parts)
    return mapError("'split' has " + llvm::Twine(SplitSizes.size()) + " sizes for " +
                    llvm::Twine(Parts) + " outputs");
  if (llvm::Error E = checkInts(SplitSizes, "split", std::nullopt, 0))
    return E;
  Attrs A = {{"split_sizes", SplitSizes}};
  addAttrUnlessDefault(opInfo("split"), A, "dim", Axis);
  auto Tuple = Ctx.call("split", {Ctx.input(0)}, std::move(A));
  if (!Tuple)
    return Tuple.takeError();
  for (unsigned I = 0; I < Parts; ++I) {
    auto Item = Ctx.call("getitem", {*Tuple}, {{"index", int64_t(I)}});
    if (!Item)
      return Item.takeError();
    Ctx.setOutput(I, *Item);
  }
  return llvm::Error::success();
}

/// Slice with constant bounds -> one QIR slice per axis.
llvm::Error mapSlice(OnnxNodeContext &Ctx) {
  auto Bounds = sliceBounds(Ctx);
  if (!Bounds)
    return Bounds.takeError();
  const OpInfo &Op = opInfo("slice");
  Node *X = Ctx.input(0);
  for (size_t I = 0; I < Bounds->Starts.size(); ++I) {
    int64_t Step = Bounds->Steps[I];
    if (Step < 1 || Step > kMaxDim)
      return mapError("slice step " + llvm::Twine(Step) +
                      " is not supported; qatc imports steps from 1 to 2^30");
    Attrs A = {{"dim", Bounds->Axes[I]}, {"end", Bounds->Ends[I]}};
    addAttrUnlessDefault(Op, A, "start", Bounds->Starts[I]);
    addAttrUnlessDefault(Op, A, "step", Step);
    auto Y = Ctx.call("slice", {X}, std::move(A));
    if (!Y)
      return Y.takeError();
    X = *Y;
  }
  Ctx.setOutput(0, X);
  return llvm::Error::success();
}

llvm::Error mapSqueeze(OnnxNodeContext &Ctx) {
  auto Axes = Ctx.intsFromAttrOrInput("axes", 1, 13);
  if (!Axes)
    return Axes.takeError();
  Attrs A;
  addAttrUnlessDefault(opInfo("squeeze"), A, "dims", Axes->value_or(Ints()));
  return emit(Ctx, "squeeze", {Ctx.input(0)}, std::move(A));
}

/// Unsqueeze -> one QIR unsqueeze per new axis, in increasing order.
llvm::Error mapUnsqueeze(OnnxNodeContext &Ctx) {
  auto Axes = Ctx.intsFromAttrOrInput("axes", 1, 13);
  if (!Axes)
    return Axes.takeError();
  if (!*Axes || (*Axes)->empty())
    return mapError("Unsqueeze needs 'axes'");
  Type In = Ctx.inputType(0);
  Ints Sorted;
  for (int64_t Axis : **Axes) {
    if (Axis < 0 && !In.hasRank())
      return mapError("negative Unsqueeze axes need the input's rank, which is unknown");
    if (Axis < 0) {
      auto A = normalizeAxis(Axis, In.rank() + (*Axes)->size());
      if (!A)
        return A.takeError();
      Axis = *A;
    }
    Sorted.push_back(Axis);
  }
  llvm::sort(Sorted);
  Node *X = Ctx.input(0);
  for (int64_t Axis : Sorted) {
    auto Y = Ctx.call("unsqueeze", {X}, {{"dim", Axis}});
    if (!Y)
      return Y.takeError();
    X = *Y;
  }
  Ctx.setOutput(0, X);
  return llvm::Error::success();
}

llvm::Error mapPad(OnnxNodeContext &Ctx) {
  auto Pads = Ctx.constantInts(1, "pads");
  if (!Pads)
    return Pads.takeError();
  for (int64_t P : *Pads)
    if (P < -kMaxDim || P > kMaxDim)
      return mapError("'pads' value " + llvm::Twine(P) + " is out of range");
  if (Ctx.hasInput(3))
    return mapError("Pad with 'axes' is not supported");
  std::string Mode = Ctx.attrs().getString("mode", "constant");
  if (Mode == "edge")
    Mode = "replicate";
  else if (Mode != "constant" && Mode != "reflect")
    return mapError("Pad mode '" + Mode + "' is not supported; qatc imports constant, reflect "
                    "and edge");
  const OpInfo &Op = opInfo("pad");
  Attrs A = {{"pads", std::move(*Pads)}};
  addAttrUnlessDefault(Op, A, "mode", Mode);
  if (Ctx.hasInput(2)) {
    auto Value = Ctx.requireConstant(2, "constant_value");
    if (!Value)
      return Value.takeError();
    if ((*Value)->numElements() != 1 || (*Value)->dtype() == DType::F16)
      return mapError("the 'constant_value' input must be one float32 or integer value");
    double V = (*Value)->dtype() == DType::F32 ? shortestDouble(float((*Value)->floatAt(0)))
                                               : (*Value)->floatAt(0);
    addAttrUnlessDefault(Op, A, "value", V);
  }
  return emit(Ctx, "pad", {Ctx.input(0)}, std::move(A));
}

/// Identity and inference Dropout pass their input through. An Identity of
/// a constant is a new constant named after its output (torch.onnx writes
/// these when it deduplicates equal parameters).
llvm::Error mapPassThrough(OnnxNodeContext &Ctx) {
  if (Ctx.proto().op_type() == "Dropout" && Ctx.hasInput(2)) {
    auto Training = Ctx.requireConstant(2, "training_mode");
    if (!Training)
      return Training.takeError();
    if ((*Training)->dtype() != DType::Bool || (*Training)->numElements() != 1)
      return mapError("the 'training_mode' input must be one bool");
    if ((*Training)->intAt(0))
      return mapError("training-mode Dropout is not supported; export the model in eval mode");
  }
  if (const ConstTensorRef &C = Ctx.constInput(0)) {
    auto Copy = reshapeView(C, C->dims());
    Copy->Name = Ctx.proto().output(0);
    Copy->Anonymous = isAnonymousOnnxName(Copy->Name);
    Ctx.setOutput(0, std::move(Copy));
    return llvm::Error::success();
  }
  Ctx.setOutput(0, Ctx.input(0));
  return llvm::Error::success();
}

/// Constant -> a constant value (a parameter once something reads it).
llvm::Error mapConstant(OnnxNodeContext &Ctx) {
  OnnxAttributes &A = Ctx.attrs();
  std::shared_ptr<ConstTensor> Value;
  if (A.has("value")) {
    auto T = Ctx.tensorAttr("value");
    if (!T)
      return T.takeError();
    if (*T)
      Value = reshapeView(*T, (*T)->dims());
  } else if (A.has("value_float")) {
    Value = floatScalar(A.getRawFloat("value_float", 0));
  } else if (A.has("value_int")) {
    Value = reshapeView(int64Tensor({A.getInt("value_int", 0)}), {});
  } else if (A.has("value_ints")) {
    Value = int64Tensor(A.getInts("value_ints"));
  } else if (A.has("value_floats")) {
    return mapError("Constant with 'value_floats' is not supported; use 'value'");
  } else {
    return mapError("Constant without a 'value' tensor is not supported");
  }
  if (!Value)
    return llvm::Error::success(); // the attribute had the wrong kind (reported)
  Value->Name = Ctx.proto().output(0);
  Ctx.setOutput(0, std::move(Value));
  return llvm::Error::success();
}

/// Shape of a tensor computed at run time: known when its type is static.
llvm::Error mapShape(OnnxNodeContext &Ctx) {
  Type In = Ctx.inputType(0);
  if (!In.hasStaticShape())
    return mapError("the shape of its input (" + In.str() +
                    ") is not static, so the shape computation cannot be folded; give the "
                    "input shapes with --input-shape NAME=DIMS");
  Ctx.setOutput(0, shapeTensor(In.dims(), Ctx));
  return llvm::Error::success();
}

/// Gather of one constant index from a run-time tensor -> slice (+ squeeze).
llvm::Error mapGather(OnnxNodeContext &Ctx) {
  auto Index = Ctx.requireConstant(1, "indices");
  if (!Index)
    return Index.takeError();
  if ((*Index)->numElements() != 1 || (*Index)->rank() > 1 ||
      ((*Index)->dtype() != DType::I64 && (*Index)->dtype() != DType::I32))
    return mapError("Gather from a tensor computed at run time is supported only with one "
                    "integer index");
  Type In = Ctx.inputType(0);
  if (!In.hasRank())
    return mapError("Gather needs the input's rank, which is unknown");
  auto Axis = normalizeAxis(Ctx.attrs().getInt("axis", 0), In.rank());
  if (!Axis)
    return Axis.takeError();
  int64_t I = (*Index)->intAt(0), Size = In.dim(*Axis);
  if (I < 0 && Size == kDynamicDim)
    return mapError("a negative Gather index needs a static dim, but the input is " + In.str());
  if (Size != kDynamicDim && (I < -Size || I >= Size))
    return mapError("index " + llvm::Twine(I) + " is out of range for " + In.str());
  if (I < 0)
    I += Size;
  Attrs A = {{"dim", *Axis}, {"end", I + 1}};
  addAttrUnlessDefault(opInfo("slice"), A, "start", I);
  auto Slice = Ctx.call("slice", {Ctx.input(0)}, std::move(A));
  if (!Slice)
    return Slice.takeError();
  if ((*Index)->rank() == 1) {
    Ctx.setOutput(0, *Slice);
    return llvm::Error::success();
  }
  return emit(Ctx, "squeeze", {*Slice}, {{"dims", Ints{*Axis}}});
}

/// Cast that folding left: only to the input's own type (QIR has no cast op).
llvm::Error mapCast(OnnxNodeContext &Ctx) {
  int64_t To = Ctx.attrs().getInt("to", 0);
  std::optional<DType> T = dtypeFromOnnx(To);
  Type In = Ctx.inputType(0);
  if (!T || *T != In.dtype())
    return mapError("Cast from " + dtypeName(In.dtype()) + " to " + onnxTypeName(To) +
                    " is not supported (QIR has no cast op; qatc folds casts of integer and "
                    "float32 constants)");
  Ctx.setOutput(0, Ctx.input(0));
  return llvm::Error::success();
}

/// Every supported op type, sorted by name.
const OnnxOpMapping Table[] = {
    {"Add", 2, mapBinary, foldBinary},
    {"AveragePool", 1, mapPool, nullptr},
    {"BatchNormalization", 5, mapBatchNorm, nullptr},
    {"Cast", 1, mapCast, foldCast},
    {"Ceil", 1, mapConstantOnly, foldUnaryFloat},
    {"Clip", 1, mapClip, nullptr},
    {"Concat", 1, mapConcat, foldConcat},
    {"Constant", 0, mapConstant, nullptr},
    {"ConstantOfShape", 1, mapConstantOnly, foldConstantOfShape},
    {"Conv", 2, mapConv, nullptr},
    {"ConvTranspose", 2, mapConvTranspose, nullptr},
    {"Div", 2, mapBinary, foldBinary},
    {"Dropout", 1, mapPassThrough, nullptr},
    {"Flatten", 1, mapFlatten, foldReshapeLike},
    {"Floor", 1, mapConstantOnly, foldUnaryFloat},
    {"Gather", 2, mapGather, foldGather},
    {"Gemm", 2, mapGemm, nullptr},
    {"GlobalAveragePool", 1, mapGlobalPool, nullptr},
    {"GlobalMaxPool", 1, mapGlobalPool, nullptr},
    {"HardSigmoid", 1, mapHardSigmoid, nullptr},
    {"HardSwish", 1, mapActivation, nullptr},
    {"Identity", 1, mapPassThrough, nullptr},
    {"LeakyRelu", 1, mapLeakyRelu, nullptr},
    {"MatMul", 2, mapMatMul, nullptr},
    {"MaxPool", 1, mapPool, nullptr},
    {"Mul", 2, mapBinary, foldBinary},
    {"Pad", 2, mapPad, nullptr},
    {"Range", 3, mapConstantOnly, foldRange},
    {"ReduceMean", 1, mapReduceMean, nullptr},
    {"Relu", 1, mapActivation, nullptr},
    {"Reshape", 2, mapReshape, foldReshapeLike},
    {"Shape", 1, mapShape, foldShape},
    {"Sigmoid", 1, mapActivation, nullptr},
    {"Slice", 3, mapSlice, foldSlice},
    {"Softmax", 1, mapSoftmax, nullptr},
    {"Split", 1, mapSplit, nullptr},
    {"Squeeze", 1, mapSqueeze, foldReshapeLike},
    {"Sub", 2, mapBinary, foldBinary},
    {"Tanh", 1, mapActivation, nullptr},
    {"Transpose", 1, mapTranspose, foldTranspose},
    {"Unsqueeze", 1, mapUnsqueeze, foldReshapeLike},
};

} // namespace

const OnnxOpMapping *lookupOnnxOp(llvm::StringRef OpType) {
  const OnnxOpMapping *It = llvm::partition_point(
      Table, [&](const OnnxOpMapping &M) { return M.OpType < OpType; });
  return It != std::end(Table) && It->OpType == OpType ? It : nullptr;
}

} // namespace qatc
