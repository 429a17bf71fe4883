//===- ScriptValue.cpp - TorchScript values during import -----------------===//
#include "frontend/torchscript/ScriptValue.h"

namespace qatc {

ScriptValue ScriptValue::boolean(bool B) {
  ScriptValue V;
  V.K = Kind::Bool;
  V.I = B;
  return V;
}

ScriptValue ScriptValue::integer(int64_t I) {
  ScriptValue V;
  V.K = Kind::Int;
  V.I = I;
  return V;
}

ScriptValue ScriptValue::real(double F) {
  ScriptValue V;
  V.K = Kind::Float;
  V.F = F;
  return V;
}

ScriptValue ScriptValue::string(std::string S) {
  ScriptValue V;
  V.K = Kind::String;
  V.S = std::move(S);
  return V;
}

ScriptValue ScriptValue::list(std::vector<ScriptValue> Elements) {
  ScriptValue V;
  V.K = Kind::List;
  V.L = std::make_shared<const std::vector<ScriptValue>>(std::move(Elements));
  return V;
}

ScriptValue ScriptValue::tensor(Node *N) {
  ScriptValue V;
  V.K = Kind::Tensor;
  V.N = N;
  return V;
}

ScriptValue ScriptValue::constant(std::shared_ptr<TensorConstant> C) {
  ScriptValue V;
  V.K = Kind::Constant;
  V.C = std::move(C);
  return V;
}

ScriptValue ScriptValue::unknown(std::string Reason) {
  ScriptValue V;
  V.K = Kind::Unknown;
  V.S = std::move(Reason);
  return V;
}

ScriptValue ScriptValue::opaque(std::string What) {
  ScriptValue V;
  V.K = Kind::Opaque;
  V.S = std::move(What);
  return V;
}

ScriptValue ScriptValue::skipped() {
  ScriptValue V;
  V.K = Kind::Skipped;
  return V;
}

llvm::ArrayRef<ScriptValue> ScriptValue::getList() const {
  return L ? llvm::ArrayRef<ScriptValue>(*L) : llvm::ArrayRef<ScriptValue>();
}

llvm::StringRef ScriptValue::describe() const {
  switch (K) {
  case Kind::None:
    return "None";
  case Kind::Bool:
    return "a bool";
  case Kind::Int:
    return "an int";
  case Kind::Float:
    return "a float";
  case Kind::String:
    return "a string";
  case Kind::List:
    return "a list";
  case Kind::Tensor:
  case Kind::Constant:
    return "a tensor";
  case Kind::Unknown:
    return "a value that is not static";
  case Kind::Opaque:
    return "a value qatc does not model";
  case Kind::Skipped:
    return "the result of an unsupported op";
  }
  return "a value";
}

} // namespace qatc
