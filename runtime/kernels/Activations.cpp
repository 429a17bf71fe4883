//===- Activations.cpp - Point-wise activation functions and gradients ----===//
//
// relu, relu6, clamp, hardswish, hardsigmoid, sigmoid, tanh, silu, gelu and
// leaky_relu with PyTorch's CPU formulas, including the gradient at the
// kinks: relu is 0 at 0; relu6 (hardtanh) is 0 at 0 and 6; clamp passes
// where min <= x <= max; hardswish is x/3 + 1/2 on [-3, 3) and 1 from 3 on
// (PyTorch's vectorized loop, which computes all but a tensor's last few
// elements; its scalar tail says 1.5 at exactly 3); hardsigmoid is 0 at +-3;
// leaky_relu takes the slope at 0. Each activation is a small struct;
// unaryForward/unaryBackward run it through mapElements. Formulas are
// branch-free and use runtime/kernels/VectorMath.h, so the loops vectorize.
//
//===----------------------------------------------------------------------===//

#include "runtime/Kernel.h"
#include "runtime/kernels/Broadcast.h"
#include "runtime/kernels/ReluFormulas.h"
#include "runtime/kernels/VectorMath.h"

#include <cmath>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;

namespace {

/// An activation without attributes.
template <typename Self> struct Plain {
  static llvm::Expected<Self> make(const Node &) { return Self(); }
};

struct Relu : Plain<Relu> {
  static constexpr unsigned Saves = SavesOutputs;
  float forward(float X) const { return reluValue(X); }
  float backward(float D, float Y) const { return reluPasses(Y) ? D : 0.0f; }
};

struct Relu6 : Plain<Relu6> {
  static constexpr unsigned Saves = SavesInputs;
  float forward(float X) const { return relu6Value(X); }
  float backward(float D, float X) const { return relu6Passes(X) ? D : 0.0f; }
};

struct Clamp {
  static constexpr unsigned Saves = SavesInputs;
  float Lo = -std::numeric_limits<float>::infinity();
  float Hi = std::numeric_limits<float>::infinity();
  /// An absent bound does not clamp (neither bound: the identity).
  static llvm::Expected<Clamp> make(const Node &N) {
    Clamp C;
    if (const Attribute *Min = N.attr("min"))
      C.Lo = float(Min->getFloat());
    if (const Attribute *Max = N.attr("max"))
      C.Hi = float(Max->getFloat());
    return C;
  }
  float forward(float X) const { return std::min(std::max(X, Lo), Hi); }
  float backward(float D, float X) const {
    bool Inside = (X >= Lo) & (X <= Hi);
    return Inside ? D : 0.0f;
  }
};

struct Hardswish : Plain<Hardswish> {
  static constexpr unsigned Saves = SavesInputs;
  float forward(float X) const { return X * std::min(std::max(X + 3.0f, 0.0f), 6.0f) / 6.0f; }
  float backward(float D, float X) const {
    bool Low = X < -3.0f, Middle = X < 3.0f;
    float Slope = Middle ? D * (X / 3.0f + 0.5f) : D;
    return Low ? 0.0f : Slope;
  }
};

struct Hardsigmoid : Plain<Hardsigmoid> {
  static constexpr unsigned Saves = SavesInputs;
  float forward(float X) const { return std::min(std::max(X + 3.0f, 0.0f), 6.0f) / 6.0f; }
  float backward(float D, float X) const {
    bool Inside = (X > -3.0f) & (X < 3.0f);
    return Inside ? D * (1.0f / 6.0f) : 0.0f;
  }
};

struct Sigmoid : Plain<Sigmoid> {
  static constexpr unsigned Saves = SavesOutputs;
  float forward(float X) const { return 1.0f / (1.0f + vexp(-X)); }
  float backward(float D, float Y) const { return D * (1.0f - Y) * Y; }
};

struct Tanh : Plain<Tanh> {
  static constexpr unsigned Saves = SavesOutputs;
  float forward(float X) const { return vtanh(X); }
  float backward(float D, float Y) const { return D * (1.0f - Y * Y); }
};

struct Silu : Plain<Silu> {
  static constexpr unsigned Saves = SavesInputs;
  float forward(float X) const { return X / (1.0f + vexp(-X)); }
  float backward(float D, float X) const {
    float S = 1.0f / (1.0f + vexp(-X));
    return D * S * (1.0f + X * (1.0f - S));
  }
};

// gelu with approximate = "none" (the erf form) and "tanh", with the
// constants of PyTorch's GeluKernel.
struct GeluErf : Plain<GeluErf> {
  static constexpr unsigned Saves = SavesInputs;
  static constexpr float kAlpha = float(M_SQRT1_2);
  static constexpr float kBeta = float(M_2_SQRTPI * M_SQRT1_2 * 0.5);
  float forward(float X) const { return X * 0.5f * (1.0f + verf(X * kAlpha)); }
  float backward(float D, float X) const {
    float Cdf = 0.5f * (1.0f + verf(X * kAlpha));
    float Pdf = vexp(-0.5f * X * X) * kBeta;
    return D * (Cdf + X * Pdf);
  }
};

struct GeluTanh : Plain<GeluTanh> {
  static constexpr unsigned Saves = SavesInputs;
  static constexpr float kBeta = float(M_SQRT2 * M_2_SQRTPI * 0.5);
  static constexpr float kKappa = 0.044715f;
  float forward(float X) const {
    return 0.5f * X * (1.0f + vtanh(kBeta * (X + kKappa * X * X * X)));
  }
  float backward(float D, float X) const {
    float T = vtanh(kBeta * (X + kKappa * X * X * X));
    float Left = 0.5f * X, Right = 1.0f + T;
    float InnerDerivative = kBeta * (1.0f + 3.0f * kKappa * X * X);
    return D * (0.5f * Right + Left * (1.0f - T * T) * InnerDerivative);
  }
};

struct LeakyRelu {
  static constexpr unsigned Saves = SavesInputs;
  float Slope = 0.01f;
  static llvm::Expected<LeakyRelu> make(const Node &N) {
    LeakyRelu L;
    L.Slope = float(N.getFloat("negative_slope"));
    return L;
  }
  float forward(float X) const {
    float Scaled = X * Slope;
    return X > 0.0f ? X : Scaled;
  }
  float backward(float D, float X) const {
    float Scaled = D * Slope;
    return X > 0.0f ? D : Scaled;
  }
};

template <typename Act> llvm::Error unaryForward(const ForwardArgs &Args, TensorList &Outputs) {
  const Tensor &X = Args.Inputs[0];
  if (llvm::Error E = requireF32(X, "input"))
    return E;
  auto A = Act::make(Args.N);
  if (!A)
    return A.takeError();
  Act F = *A;
  Outputs.push_back(mapElements(X.shape(), [F](float V) { return F.forward(V); }, X));
  return llvm::Error::success();
}

template <typename Act>
llvm::Error unaryBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  const Tensor &S = Act::Saves == SavesOutputs ? Args.Outputs[0] : Args.Inputs[0];
  auto G = gradientAs(Args.GradOutputs[0], S.shape());
  if (!G)
    return G.takeError();
  if (!G->defined())
    return llvm::Error::success();
  auto A = Act::make(Args.N);
  if (!A)
    return A.takeError();
  Act F = *A;
  GradInputs[0] = mapElements(
      S.shape(), [F](float D, float V) { return F.backward(D, V); }, *G, S);
  return llvm::Error::success();
}

template <typename Act> OpKernel activationKernel() {
  return OpKernel{unaryForward<Act>, unaryBackward<Act>, Act::Saves};
}

/// Whether a gelu uses the tanh approximation.
llvm::Expected<bool> geluUsesTanh(const Node &N) {
  const std::string &Mode = N.attr("approximate")->getString();
  if (Mode != "none" && Mode != "tanh")
    return kernelFailure(
        llvm::formatv("'approximate' must be \"none\" or \"tanh\", not \"{0}\"", Mode));
  return Mode == "tanh";
}

llvm::Error geluForward(const ForwardArgs &Args, TensorList &Outputs) {
  auto Tanh = geluUsesTanh(Args.N);
  if (!Tanh)
    return Tanh.takeError();
  return *Tanh ? unaryForward<GeluTanh>(Args, Outputs) : unaryForward<GeluErf>(Args, Outputs);
}

llvm::Error geluBackward(const BackwardArgs &Args, llvm::MutableArrayRef<Tensor> GradInputs) {
  auto Tanh = geluUsesTanh(Args.N);
  if (!Tanh)
    return Tanh.takeError();
  return *Tanh ? unaryBackward<GeluTanh>(Args, GradInputs)
               : unaryBackward<GeluErf>(Args, GradInputs);
}

} // namespace

void runtime::registerActivationsKernels(KernelTable &Table) {
  Table["relu"] = activationKernel<Relu>();
  Table["relu6"] = activationKernel<Relu6>();
  Table["clamp"] = activationKernel<Clamp>();
  Table["hardswish"] = activationKernel<Hardswish>();
  Table["hardsigmoid"] = activationKernel<Hardsigmoid>();
  Table["sigmoid"] = activationKernel<Sigmoid>();
  Table["tanh"] = activationKernel<Tanh>();
  Table["silu"] = activationKernel<Silu>();
  Table["gelu"] = OpKernel{geluForward, geluBackward, SavesInputs};
  Table["leaky_relu"] = activationKernel<LeakyRelu>();
}
