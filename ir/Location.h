//===- Location.h - Source locations of QIR nodes ---------------*- C++ -*-===//
//
// Where a node came from: a file (the imported model, or the .qir text) with
// a line and column. File names are interned process-wide, so a location is
// two words and copies freely between graphs.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_LOCATION_H
#define QATC_IR_LOCATION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>

namespace qatc {

/// A source location; the default value is "unknown".
class Location {
public:
  Location() = default;
  /// A location in File (interned) at Line:Col.
  Location(llvm::StringRef File, uint32_t Line, uint32_t Col);

  bool isKnown() const { return File != nullptr; }
  llvm::StringRef file() const { return File ? llvm::StringRef(File) : llvm::StringRef(); }
  uint32_t line() const { return Line; }
  uint32_t col() const { return Col; }

  bool operator==(const Location &O) const {
    return File == O.File && Line == O.Line && Col == O.Col;
  }

  /// Prints `file:line:col`.
  void print(llvm::raw_ostream &OS) const;

private:
  const char *File = nullptr;
  uint32_t Line = 0;
  uint32_t Col = 0;
};

} // namespace qatc

#endif // QATC_IR_LOCATION_H
