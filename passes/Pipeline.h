//===- Pipeline.h - Textual pass pipelines ----------------------*- C++ -*-===//
//
// A pipeline is written `dce,canonicalize{training=true},cse`. Option values
// containing `,`, `{`, `}`, `=`, `"` or white space are double-quoted. Parsing and
// printing round-trip.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_PIPELINE_H
#define QATC_PASSES_PIPELINE_H

#include "passes/Pass.h"

#include <string>
#include <vector>

namespace qatc {

/// One pass of a pipeline, by name, with its options.
struct PipelineElement {
  std::string Name;
  PassOptions Options;
};

/// Parses pipeline text; errors name the column.
llvm::Expected<std::vector<PipelineElement>> parsePipeline(llvm::StringRef Text);

/// Prints a pipeline in canonical form (options sorted by key).
std::string printPipeline(llvm::ArrayRef<PipelineElement> Pipeline);

} // namespace qatc

#endif // QATC_PASSES_PIPELINE_H
