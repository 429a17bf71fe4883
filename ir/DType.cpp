//===- DType.cpp - Element types of QIR tensors ---------------------------===//
#include "ir/DType.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"

namespace qatc {

llvm::StringRef dtypeName(DType T) {
  switch (T) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::I8: return "i8";
  case DType::U8: return "u8";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::Bool: return "bool";
  }
  llvm_unreachable("unknown dtype");
}

std::optional<DType> parseDType(llvm::StringRef Name) {
  return llvm::StringSwitch<std::optional<DType>>(Name)
      .Case("f32", DType::F32)
      .Case("f16", DType::F16)
      .Case("i8", DType::I8)
      .Case("u8", DType::U8)
      .Case("i32", DType::I32)
      .Case("i64", DType::I64)
      .Case("bool", DType::Bool)
      .Default(std::nullopt);
}

size_t dtypeSize(DType T) {
  switch (T) {
  case DType::F32: return 4;
  case DType::F16: return 2;
  case DType::I8: return 1;
  case DType::U8: return 1;
  case DType::I32: return 4;
  case DType::I64: return 8;
  case DType::Bool: return 1;
  }
  llvm_unreachable("unknown dtype");
}

} // namespace qatc
