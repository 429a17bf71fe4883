//===- CommandLineErrors.h - One-sentence command-line errors ----*- C++ -*-===//
//
// llvm::cl reports bad command lines in its own words, some of them written
// straight to stderr and spread over two lines. parseCommandLine captures
// them and rewords each into the one sentence every qatc error is.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_TOOLS_QATC_COMMANDLINEERRORS_H
#define QATC_TOOLS_QATC_COMMANDLINEERRORS_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace qatc {

/// Parses argv with llvm::cl. Returns true on success; otherwise Sentence is
/// one sentence saying what is wrong and where to read the usage.
bool parseCommandLine(int Argc, char **Argv, const char *Overview, std::string &Sentence);

/// Rewords llvm::cl's error text (Captured, from the tool named ToolName) as
/// one sentence pointing at the usage of Command ("" for the top level).
std::string commandLineErrorSentence(llvm::StringRef Captured, llvm::StringRef ToolName,
                                     llvm::StringRef Command);

} // namespace qatc

#endif // QATC_TOOLS_QATC_COMMANDLINEERRORS_H
