//===- Attribute.h - Typed attributes of QIR nodes --------------*- C++ -*-===//
//
// A node attribute is a typed constant: int, float, bool, string, a list of
// ints, floats or strings, or a dtype. Nodes keep them sorted by name.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_ATTRIBUTE_H
#define QATC_IR_ATTRIBUTE_H

#include "ir/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace qatc {

/// The kind of an attribute value; the numeric values are part of the binary form.
enum class AttrKind : uint8_t {
  Int = 0,
  Float = 1,
  Bool = 2,
  String = 3,
  Ints = 4,
  Floats = 5,
  Strings = 6,
  DType = 7,
};

/// Spelling of an attribute kind in schemas and messages (`int`, `ints`, ...).
llvm::StringRef attrKindName(AttrKind K);
/// Parses an attribute kind spelling.
std::optional<AttrKind> parseAttrKind(llvm::StringRef Name);

/// A typed attribute value.
class Attribute {
public:
  Attribute() : V(int64_t(0)) {}
  /// Int attribute (from any integral type except bool).
  template <typename T, std::enable_if_t<std::is_integral<T>::value &&
                                             !std::is_same<T, bool>::value,
                                         int> = 0>
  Attribute(T I) : V(int64_t(I)) {}
  Attribute(double F) : V(F) {}
  Attribute(bool B) : V(B) {}
  Attribute(std::string S) : V(std::move(S)) {}
  Attribute(const char *S) : V(std::string(S)) {}
  Attribute(std::vector<int64_t> L) : V(std::move(L)) {}
  Attribute(std::vector<double> L) : V(std::move(L)) {}
  Attribute(std::vector<std::string> L) : V(std::move(L)) {}
  Attribute(DType T) : V(T) {}

  AttrKind kind() const { return AttrKind(V.index()); }

  int64_t getInt() const { return std::get<int64_t>(V); }
  double getFloat() const { return std::get<double>(V); }
  bool getBool() const { return std::get<bool>(V); }
  const std::string &getString() const { return std::get<std::string>(V); }
  llvm::ArrayRef<int64_t> getInts() const { return std::get<std::vector<int64_t>>(V); }
  llvm::ArrayRef<double> getFloats() const { return std::get<std::vector<double>>(V); }
  llvm::ArrayRef<std::string> getStrings() const {
    return std::get<std::vector<std::string>>(V);
  }
  DType getDType() const { return std::get<DType>(V); }

  /// Numeric value of an int or float attribute as a double.
  double asDouble() const { return kind() == AttrKind::Int ? double(getInt()) : getFloat(); }

  /// Equality is bitwise for floats, so NaN equals NaN and 0.0 differs from -0.0.
  bool operator==(const Attribute &O) const;
  bool operator!=(const Attribute &O) const { return !(*this == O); }

  /// Prints the text form (`3`, `1.5`, `true`, `"s"`, `[1, 2]`, `f32`, ...).
  void print(llvm::raw_ostream &OS) const;

private:
  std::variant<int64_t, double, bool, std::string, std::vector<int64_t>,
               std::vector<double>, std::vector<std::string>, DType>
      V;
};

/// A hash consistent with Attribute's equality (floats hashed by their bits).
llvm::hash_code hashValue(const Attribute &A);

/// An attribute with its name.
struct NamedAttribute {
  std::string Name;
  Attribute Value;
};

/// Prints a double so that parsing the text gives back the same bits, always
/// with a `.`, an exponent, `inf` or `nan` so it never reads as an int.
void printFloat(llvm::raw_ostream &OS, double D);

/// Prints a string literal with C escapes in double quotes.
void printQuoted(llvm::raw_ostream &OS, llvm::StringRef S);

} // namespace qatc

#endif // QATC_IR_ATTRIBUTE_H
