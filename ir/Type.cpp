//===- Type.cpp - Result types of QIR nodes -------------------------------===//
#include "ir/Type.h"

#include <cassert>

namespace qatc {

Type Type::tensor(DType E, llvm::ArrayRef<int64_t> D) {
  Type T;
  T.K = Kind::Tensor;
  T.Elem = E;
  T.Ranked = true;
  T.Dims.assign(D.begin(), D.end());
  return T;
}

Type Type::unranked(DType E) {
  Type T;
  T.K = Kind::Tensor;
  T.Elem = E;
  return T;
}

Type Type::tuple(std::vector<Type> Elements) {
  Type T;
  T.K = Kind::Tuple;
  T.Elements = std::make_shared<const std::vector<Type>>(std::move(Elements));
  return T;
}

bool Type::hasStaticShape() const {
  if (!isTensor() || !Ranked)
    return false;
  for (int64_t D : Dims)
    if (D < 0)
      return false;
  return true;
}

std::optional<int64_t> Type::numElements() const {
  if (!hasStaticShape())
    return std::nullopt;
  int64_t N = 1;
  for (int64_t D : Dims)
    if (__builtin_mul_overflow(N, D, &N))
      return std::nullopt;
  return N;
}

llvm::ArrayRef<Type> Type::elements() const {
  if (!Elements)
    return {};
  return *Elements;
}

Type Type::withDType(DType T) const {
  assert(isTensor() && "withDType on a non-tensor type");
  Type R = *this;
  R.Elem = T;
  return R;
}

bool Type::isCompatibleWith(const Type &O) const {
  if (K != O.K)
    return false;
  if (K == Kind::None)
    return true;
  if (K == Kind::Tuple) {
    if (elements().size() != O.elements().size())
      return false;
    for (size_t I = 0; I < elements().size(); ++I)
      if (!elements()[I].isCompatibleWith(O.elements()[I]))
        return false;
    return true;
  }
  if (Elem != O.Elem)
    return false;
  if (!Ranked || !O.Ranked)
    return true;
  if (Dims.size() != O.Dims.size())
    return false;
  for (size_t I = 0; I < Dims.size(); ++I)
    if (Dims[I] >= 0 && O.Dims[I] >= 0 && Dims[I] != O.Dims[I])
      return false;
  return true;
}

bool Type::operator==(const Type &O) const {
  if (K != O.K)
    return false;
  switch (K) {
  case Kind::None:
    return true;
  case Kind::Tensor:
    return Elem == O.Elem && Ranked == O.Ranked && Dims == O.Dims;
  case Kind::Tuple:
    return elements() == O.elements();
  }
  return false;
}

void Type::print(llvm::raw_ostream &OS) const {
  switch (K) {
  case Kind::None:
    OS << "()";
    return;
  case Kind::Tuple: {
    OS << '(';
    bool First = true;
    for (const Type &E : elements()) {
      if (!First)
        OS << ", ";
      First = false;
      E.print(OS);
    }
    OS << ')';
    return;
  }
  case Kind::Tensor:
    OS << dtypeName(Elem) << '[';
    if (!Ranked) {
      OS << "*]";
      return;
    }
    for (size_t I = 0; I < Dims.size(); ++I) {
      if (I)
        OS << ", ";
      if (Dims[I] < 0)
        OS << '?';
      else
        OS << Dims[I];
    }
    OS << ']';
    return;
  }
}

std::string Type::str() const {
  std::string S;
  llvm::raw_string_ostream OS(S);
  print(OS);
  return S;
}

} // namespace qatc
