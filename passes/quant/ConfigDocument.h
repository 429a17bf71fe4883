//===- ConfigDocument.h - JSON or YAML config text as one ordered tree -*- C++ -*-===//
//
// Parses a config file's text into a format-neutral tree that keeps mapping
// order (coremltools gives module_type_configs' order a meaning) and resolves
// plain YAML scalars the way PyYAML's safe_load does (`yes` is true, `~` is
// null). JSON syntax is checked by llvm::json; both formats are then walked
// with llvm::yaml, of which JSON is a subset. Syntax errors read
// `<file>:<line>:<column>: ...`; duplicate keys are rejected with their path.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_CONFIGDOCUMENT_H
#define QATC_PASSES_QUANT_CONFIGDOCUMENT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qatc {

/// The two config syntaxes.
enum class ConfigFormat : uint8_t { JSON, YAML };

/// One node of a config document.
class ConfigValue {
public:
  enum class Kind : uint8_t { Null, Bool, Integer, String, List, Map };
  using Entry = std::pair<std::string, ConfigValue>;

  static ConfigValue null();
  static ConfigValue boolean(bool V, llvm::StringRef Text);
  static ConfigValue integer(int64_t V, llvm::StringRef Text);
  /// Also floats and anything else that is neither null, bool nor integer.
  static ConfigValue string(llvm::StringRef Text);
  static ConfigValue list(std::vector<ConfigValue> Items);
  static ConfigValue map(std::vector<Entry> Entries);

  Kind kind() const { return K; }
  bool isNull() const { return K == Kind::Null; }
  bool getBool() const { return Int != 0; }
  int64_t getInteger() const { return Int; }
  /// A non-null scalar as written, without quotes (`yes`, `3`, `qint8`).
  llvm::StringRef text() const { return Text; }
  /// The items of a list.
  llvm::ArrayRef<ConfigValue> items() const { return Items; }
  /// The entries of a map, in document order, keys unique.
  llvm::ArrayRef<Entry> entries() const { return Entries; }

private:
  Kind K = Kind::Null;
  int64_t Int = 0;
  std::string Text;
  std::vector<ConfigValue> Items;
  std::vector<Entry> Entries;
};

/// Parses one document; an empty or comment-only text gives a null value.
/// Errors start with BufferName (the file name shown to the user).
llvm::Expected<ConfigValue> parseConfigDocument(llvm::StringRef Text, ConfigFormat Format,
                                                llvm::StringRef BufferName);

} // namespace qatc

#endif // QATC_PASSES_QUANT_CONFIGDOCUMENT_H
