//===- ConfigReader.h - Read a LinearQuantizerConfig from JSON or YAML -*- C++ -*-===//
//
// Reads coremltools' LinearQuantizerConfig keys so an existing config works
// unchanged, but strictly: every unknown key, bad value and cross-entry
// conflict is an error of one sentence,
// `<file>: <key path>: <what is wrong>; <what to do>`, and syntax errors read
// `<file>:<line>:<column>: ...`. README.md in this folder lists every key and
// each deliberate difference from coremltools.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_CONFIGREADER_H
#define QATC_PASSES_QUANT_CONFIGREADER_H

#include "passes/quant/ConfigDocument.h"
#include "passes/quant/QuantizationConfig.h"

#include <optional>

namespace qatc {

/// The format a path's extension names (.json, .yaml, .yml, any case).
std::optional<ConfigFormat> configFormatForPath(llvm::StringRef Path);

/// Reads and validates a config file; the extension picks the format.
llvm::Expected<LinearQuantizerConfig> readConfigFile(llvm::StringRef Path);

/// Reads and validates config text. Name stands for the file in messages.
llvm::Expected<LinearQuantizerConfig> readConfigString(llvm::StringRef Text, ConfigFormat Format,
                                                       llvm::StringRef Name);

} // namespace qatc

#endif // QATC_PASSES_QUANT_CONFIGREADER_H
