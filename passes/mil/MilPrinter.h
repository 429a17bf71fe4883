//===- MilPrinter.h - A readable text dump of an ML Program -----*- C++ -*-===//
//
// Prints a Model as text for golden tests and debugging: the specification
// version and opset, the interface description, then one line per operation
//   conv1: fp32[1, 16, 8, 8] = conv(bias = conv1_bias, ..., x = x)
// with parameters in name order, literal and attribute values shown with
// their type (small tensors in full, blobs as `blob(offset)`), and the block
// outputs. The form is stable: maps are printed sorted.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_MILPRINTER_H
#define QATC_PASSES_MIL_MILPRINTER_H

#include "proto/coreml/Model.pb.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace qatc {
namespace mil {

/// Prints M (which must hold an ML Program) to OS.
void printMilModel(const CoreML::Specification::Model &M, llvm::raw_ostream &OS);

/// The text as a string.
std::string printMilModelToString(const CoreML::Specification::Model &M);

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_MILPRINTER_H
