//===- OpRegistry.h - The one place a QIR op is defined ---------*- C++ -*-===//
//
// Every call node names an op from this registry. An op's entry gives its
// operands, its attributes with their kinds and defaults, its shape function,
// whether it is differentiable and its quantization role. Built-in ops come
// from Ops.def; plugins may register more at run time.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_OPREGISTRY_H
#define QATC_IR_OPREGISTRY_H

#include "ir/Attribute.h"
#include "ir/Type.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace qatc {

class OpInfo;

/// How prepare treats an op (see the backend pattern table in passes/quant).
enum class QuantRole : uint8_t {
  /// Not quantized: runs in float.
  None,
  /// conv/linear: weight fake-quant plus input and output fake-quants.
  Weighted,
  /// add/mul/sub/matmul: input and output fake-quants.
  Binary,
  /// Activation with its own output observer.
  Activation,
  /// Standalone normalization (batch_norm).
  Norm,
  /// Output shares the input's observer (pools, flatten, cat, ...).
  SharedQParams,
  /// Output has fixed qparams (sigmoid, tanh, softmax, ...).
  FixedQParams,
  /// fake_quantize, quantize, dequantize themselves.
  Quantization,
};

/// Spelling of a quantization role (`weighted`, `shared`, ...).
llvm::StringRef quantRoleName(QuantRole R);

/// One declared operand of an op.
struct OperandSpec {
  std::string Name;
  bool Optional = false;
  bool Variadic = false;
};

/// One declared attribute of an op.
struct AttrSpec {
  std::string Name;
  AttrKind Kind;
  /// Absent for attributes without a default (required, or optional-unset).
  std::optional<Attribute> Default;
  /// Required attributes must be present on every node.
  bool Required = false;
};

/// What a shape function sees: the operand types and the attributes with the
/// registry defaults applied.
class ShapeContext {
public:
  ShapeContext(const OpInfo &Op, llvm::ArrayRef<Type> Operands,
               llvm::ArrayRef<NamedAttribute> Attrs)
      : Op(Op), Operands(Operands), Attrs(Attrs) {}

  const OpInfo &op() const { return Op; }
  unsigned numOperands() const { return Operands.size(); }
  const Type &operand(unsigned I) const { return Operands[I]; }
  llvm::ArrayRef<Type> operands() const { return Operands; }
  /// The attribute if set or defaulted, else null.
  const Attribute *attr(llvm::StringRef Name) const;
  int64_t getInt(llvm::StringRef Name) const { return attr(Name)->getInt(); }
  double getFloat(llvm::StringRef Name) const { return attr(Name)->getFloat(); }
  bool getBool(llvm::StringRef Name) const { return attr(Name)->getBool(); }
  llvm::ArrayRef<int64_t> getInts(llvm::StringRef Name) const { return attr(Name)->getInts(); }

private:
  const OpInfo &Op;
  llvm::ArrayRef<Type> Operands;
  llvm::ArrayRef<NamedAttribute> Attrs;
};

/// Computes a call node's result type, or explains why the operands do not fit.
using ShapeFn = llvm::Expected<Type> (*)(const ShapeContext &);

/// The definition of one op.
class OpInfo {
public:
  OpInfo(std::string Name, std::vector<OperandSpec> Operands, std::vector<AttrSpec> Attrs,
         ShapeFn Shape, bool Differentiable, QuantRole Role, bool FromPlugin = false);

  llvm::StringRef name() const { return Name; }
  llvm::ArrayRef<OperandSpec> operands() const { return Operands; }
  llvm::ArrayRef<AttrSpec> attrs() const { return Attrs; }
  /// The attribute's declaration, or null.
  const AttrSpec *attrSpec(llvm::StringRef Name) const;
  /// Fewest and most operands accepted (Max is UINT_MAX when variadic).
  unsigned minOperands() const { return MinOperands; }
  unsigned maxOperands() const { return MaxOperands; }
  ShapeFn shapeFn() const { return Shape; }
  bool isDifferentiable() const { return Differentiable; }
  QuantRole quantRole() const { return Role; }
  /// True for ops a plugin registered.
  bool isFromPlugin() const { return FromPlugin; }

  /// Runs the shape function (with defaults applied to Attrs).
  llvm::Expected<Type> inferType(llvm::ArrayRef<Type> OperandTypes,
                                 llvm::ArrayRef<NamedAttribute> Attrs) const;

private:
  std::string Name;
  std::vector<OperandSpec> Operands;
  std::vector<AttrSpec> Attrs;
  ShapeFn Shape;
  bool Differentiable;
  QuantRole Role;
  bool FromPlugin;
  unsigned MinOperands = 0;
  unsigned MaxOperands = 0;
};

/// Parses an operand signature such as `input, weight, bias?` or `inputs...`.
llvm::Expected<std::vector<OperandSpec>> parseOperandSignature(llvm::StringRef Sig);

/// Parses an attribute schema such as `stride: ints = 1,1; groups: int = 1;
/// min: float?; shape: ints`. `?` marks an optional attribute without a
/// default; no `=` and no `?` marks a required attribute.
llvm::Expected<std::vector<AttrSpec>> parseAttrSchema(llvm::StringRef Schema);

/// The process-wide op table.
class OpRegistry {
public:
  /// The registry, with every built-in op from Ops.def.
  static OpRegistry &get();

  /// The op named Name, or null when unknown.
  const OpInfo *lookup(llvm::StringRef Name) const;

  /// Adds an op (plugins). Fails if the name is taken.
  llvm::Error registerOp(OpInfo Info);

  /// Every op, in registration order.
  std::vector<const OpInfo *> ops() const;

private:
  OpRegistry();
  struct Impl;
  Impl *P;
};

} // namespace qatc

#endif // QATC_IR_OPREGISTRY_H
