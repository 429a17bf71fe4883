//===- MilNames.h - MIL identifiers from QIR names --------------*- C++ -*-===//
//
// MIL names must match [A-Za-z_][A-Za-z0-9_]* (coremltools' sanitizer is that
// strict, so qatc is too). A QIR name maps to a MIL name by replacing every
// other character with `_` and prefixing `var_` when it does not start with a
// letter or `_`: `layer1.0.conv1` becomes `layer1_0_conv1`, `input.1`
// becomes `input_1`, `1` becomes `var_1`.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_MILNAMES_H
#define QATC_PASSES_MIL_MILNAMES_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace qatc {
namespace mil {

/// The MIL identifier for a QIR name (not uniqued).
std::string sanitizeName(llvm::StringRef Name);

/// True when Name is a valid MIL identifier in qatc's strict sense.
bool isValidName(llvm::StringRef Name);

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_MILNAMES_H
