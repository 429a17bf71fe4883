//===- OnnxAttributes.cpp - Typed access to ONNX node attributes ----------===//
#include "frontend/onnx/OnnxAttributes.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace qatc {

/// The shortest "%.*e" spelling of F that reads back as the same float32,
/// with its number of significant digits.
static std::pair<std::string, int> shortestSpelling(float F) {
  char Buf[64];
  for (int Digits = 1; Digits < 9; ++Digits) {
    std::snprintf(Buf, sizeof(Buf), "%.*e", Digits - 1, double(F));
    if (std::strtof(Buf, nullptr) == F)
      return {Buf, Digits};
  }
  std::snprintf(Buf, sizeof(Buf), "%.8e", double(F));
  return {Buf, 9};
}

double shortestDouble(float F) {
  if (!std::isfinite(F))
    return double(F);
  return std::strtod(shortestSpelling(F).first.c_str(), nullptr);
}

double oneMinusShortest(float M) {
  if (!std::isfinite(M))
    return 1.0 - double(M);
  auto [Text, Digits] = shortestSpelling(M);
  int Exponent = std::atoi(Text.c_str() + Text.find('e') + 1);
  // The decimal 1 - M has no more fraction digits than M itself.
  int FractionDigits = std::max(0, Digits - 1 - Exponent);
  if (FractionDigits > 60)
    return 1.0 - std::strtod(Text.c_str(), nullptr);
  char Buf[128];
  std::snprintf(Buf, sizeof(Buf), "%.*f", FractionDigits,
                1.0 - std::strtod(Text.c_str(), nullptr));
  return std::strtod(Buf, nullptr);
}

static llvm::StringRef kindName(onnx::AttributeProto::AttributeType Kind) {
  switch (Kind) {
  case onnx::AttributeProto::INT:
    return "an int";
  case onnx::AttributeProto::FLOAT:
    return "a float";
  case onnx::AttributeProto::INTS:
    return "a list of ints";
  case onnx::AttributeProto::STRING:
    return "a string";
  case onnx::AttributeProto::TENSOR:
    return "a tensor";
  default:
    return "another kind";
  }
}

const onnx::AttributeProto *OnnxAttributes::find(llvm::StringRef Name) const {
  for (const onnx::AttributeProto &A : Node.attribute())
    if (A.name() == Name)
      return &A;
  return nullptr;
}

/// True when an attribute without a declared type (written by old
/// exporters) holds a value of kind Kind.
static bool holds(const onnx::AttributeProto &A, onnx::AttributeProto::AttributeType Kind) {
  switch (Kind) {
  case onnx::AttributeProto::INT:
    return A.has_i();
  case onnx::AttributeProto::FLOAT:
    return A.has_f();
  case onnx::AttributeProto::STRING:
    return A.has_s();
  case onnx::AttributeProto::TENSOR:
    return A.has_t();
  case onnx::AttributeProto::INTS:
    return A.ints_size() > 0;
  default:
    return false;
  }
}

const onnx::AttributeProto *OnnxAttributes::get(llvm::StringRef Name,
                                                onnx::AttributeProto::AttributeType Kind) {
  const onnx::AttributeProto *A = find(Name);
  if (!A || A->type() == Kind ||
      (A->type() == onnx::AttributeProto::UNDEFINED && holds(*A, Kind)))
    return A;
  if (!Err)
    Err = llvm::createStringError(llvm::inconvertibleErrorCode(),
                                  "attribute '" + Name + "' must be " + kindName(Kind) +
                                      ", not " + kindName(A->type()));
  return nullptr;
}

int64_t OnnxAttributes::getInt(llvm::StringRef Name, int64_t Default) {
  const onnx::AttributeProto *A = get(Name, onnx::AttributeProto::INT);
  return A ? A->i() : Default;
}

float OnnxAttributes::getRawFloat(llvm::StringRef Name, float Default) {
  const onnx::AttributeProto *A = get(Name, onnx::AttributeProto::FLOAT);
  return A ? A->f() : Default;
}

std::vector<int64_t> OnnxAttributes::getInts(llvm::StringRef Name, std::vector<int64_t> Default) {
  const onnx::AttributeProto *A = get(Name, onnx::AttributeProto::INTS);
  return A ? std::vector<int64_t>(A->ints().begin(), A->ints().end()) : std::move(Default);
}

std::string OnnxAttributes::getString(llvm::StringRef Name, llvm::StringRef Default) {
  const onnx::AttributeProto *A = get(Name, onnx::AttributeProto::STRING);
  return A ? A->s() : Default.str();
}

const onnx::TensorProto *OnnxAttributes::getTensor(llvm::StringRef Name) {
  const onnx::AttributeProto *A = get(Name, onnx::AttributeProto::TENSOR);
  return A ? &A->t() : nullptr;
}

} // namespace qatc
