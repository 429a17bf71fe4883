//===- DType.h - Element types of QIR tensors -------------------*- C++ -*-===//
//
// The closed set of element types a QIR tensor can hold, with their spelling
// in the text form and their size in bytes.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_DTYPE_H
#define QATC_IR_DTYPE_H

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace qatc {

/// Element type of a tensor. The numeric values are part of the binary form.
enum class DType : uint8_t { F32 = 0, F16 = 1, I8 = 2, U8 = 3, I32 = 4, I64 = 5, Bool = 6 };

/// Number of DType values.
inline constexpr unsigned kNumDTypes = 7;

/// Returns the text spelling (`f32`, `i8`, `bool`, ...).
llvm::StringRef dtypeName(DType T);

/// Parses a text spelling; returns nullopt for anything else.
std::optional<DType> parseDType(llvm::StringRef Name);

/// Size of one element in bytes.
size_t dtypeSize(DType T);

/// True for f32 and f16.
inline bool isFloatDType(DType T) { return T == DType::F32 || T == DType::F16; }

} // namespace qatc

#endif // QATC_IR_DTYPE_H
