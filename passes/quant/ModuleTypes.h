//===- ModuleTypes.h - Which QIR op a module_type_configs key selects -*- C++ -*-===//
//
// coremltools keys module_type_configs by PyTorch class or function
// (`Conv2d`, `relu_`, `operator.add`); qatc also accepts QIR op names
// (`conv2d`). QIR does not tell a module from its functional form, so a key
// selects every node of its op. The table is ModuleTypes.def.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_MODULETYPES_H
#define QATC_PASSES_QUANT_MODULETYPES_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace qatc {

/// The QIR op Key selects: Key itself for a registered op name, the table's op
/// for a PyTorch spelling, "" for a PyTorch type QIR has no op for, and nullopt
/// for an unknown key.
std::optional<llvm::StringRef> lookupModuleTypeKey(llvm::StringRef Key);

/// The PyTorch spellings that select Op, in table order (`Conv2d` for conv2d).
llvm::SmallVector<llvm::StringRef, 4> pytorchTypeKeys(llvm::StringRef Op);

/// The accepted key closest to an unknown Key (by edit distance), or "" when
/// none is close.
std::string suggestModuleTypeKey(llvm::StringRef Key);

} // namespace qatc

#endif // QATC_PASSES_QUANT_MODULETYPES_H
