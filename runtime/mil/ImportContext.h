//===- ImportContext.h - State shared by the MIL-to-QIR rules ---*- C++ -*-===//
//
// Private to runtime/mil. While the importer walks the ops of `main`,
// ImportContext maps MIL value names to QIR nodes, keeps const op values
// (read as attributes by the rules, or turned into parameters when an op
// consumes them as tensors), reads parameters with MIL's defaults, and
// creates QIR nodes whose inferred types it checks against the types the
// MIL program declares.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_RUNTIME_MIL_IMPORTCONTEXT_H
#define QATC_RUNTIME_MIL_IMPORTCONTEXT_H

#include "runtime/mil/MLPackageReader.h"

#include "passes/mil/MilTensor.h"

#include "ir/Builder.h"

#include "llvm/ADT/StringMap.h"

#include <optional>
#include <vector>

namespace qatc {
namespace mil {

namespace Spec = CoreML::Specification::MILSpec;

/// The name of an operation for messages (its `name` attribute, else its first output).
std::string operationName(const Spec::Operation &Op);
/// "operation 'conv1' (conv): " + Message.
llvm::Error opError(const Spec::Operation &Op, const llvm::Twine &Message);

class ImportContext {
public:
  ImportContext(const MLPackage &P, Graph &G) : P(P), G(G), B(G) {}

  const MLPackage &package() const { return P; }
  Graph &graph() { return G; }
  Builder &builder() { return B; }

  /// True when Op binds Param.
  static bool has(const Spec::Operation &Op, llvm::StringRef Param);
  /// The tensor bound to Param (a value, a const as a parameter, or a literal).
  llvm::Expected<Node *> tensor(const Spec::Operation &Op, llvm::StringRef Param);
  /// The tensors bound to a tuple parameter (concat.values).
  llvm::Expected<std::vector<Node *>> tuple(const Spec::Operation &Op, llvm::StringRef Param);
  /// The constant bound to Param (a const op's value or a literal).
  llvm::Expected<MilTensor> constant(const Spec::Operation &Op, llvm::StringRef Param);
  /// Typed constant parameters; Default applies when Op does not bind Param.
  llvm::Expected<int64_t> intParam(const Spec::Operation &Op, llvm::StringRef Param,
                                   std::optional<int64_t> Default = {});
  llvm::Expected<std::vector<int64_t>>
  intsParam(const Spec::Operation &Op, llvm::StringRef Param,
            std::optional<std::vector<int64_t>> Default = {});
  llvm::Expected<std::vector<bool>> boolsParam(const Spec::Operation &Op, llvm::StringRef Param,
                                               std::optional<std::vector<bool>> Default = {});
  llvm::Expected<bool> boolParam(const Spec::Operation &Op, llvm::StringRef Param,
                                 std::optional<bool> Default = {});
  llvm::Expected<float> floatParam(const Spec::Operation &Op, llvm::StringRef Param,
                                   std::optional<float> Default = {});
  llvm::Expected<std::string> stringParam(const Spec::Operation &Op, llvm::StringRef Param,
                                          std::optional<std::string> Default = {});

  /// A parameter named Name holding T (int4/uint4 unpacked to i8/u8, fp16
  /// widened to f32) and a get_attr node reading it.
  llvm::Expected<Node *> parameter(llvm::StringRef Name, const MilTensor &T);
  /// A QIR call named Name; when Op is given, its output OutIndex must have
  /// the type the QIR op infers (where both know a dimension).
  llvm::Expected<Node *> call(const Spec::Operation *Op, llvm::StringRef QirOp,
                              llvm::ArrayRef<Node *> Operands,
                              llvm::SmallVector<NamedAttribute, 0> Attrs, llvm::StringRef Name,
                              unsigned OutIndex = 0);
  /// call() named after output 0 of Op, which then defines that value.
  llvm::Expected<Node *> result(const Spec::Operation &Op, llvm::StringRef QirOp,
                                llvm::ArrayRef<Node *> Operands,
                                llvm::SmallVector<NamedAttribute, 0> Attrs = {});

  /// Binds a MIL value name to a node.
  void define(llvm::StringRef Name, Node *N) { Values[Name] = N; }
  /// Records a const op's value.
  void defineConstant(llvm::StringRef Name, MilTensor T) { Constants[Name] = std::move(T); }
  /// The node of a MIL value, or null.
  Node *lookup(llvm::StringRef Name) const { return Values.lookup(Name); }
  /// The op producing a value, and how many bindings read it.
  const Spec::Operation *producer(llvm::StringRef Name) const { return Producers.lookup(Name); }
  unsigned uses(llvm::StringRef Name) const { return Uses.lookup(Name); }
  /// The ops that read a value by name, in program order.
  llvm::ArrayRef<const Spec::Operation *> consumers(llvm::StringRef Name) const {
    auto It = Consumers.find(Name);
    return It == Consumers.end() ? llvm::ArrayRef<const Spec::Operation *>()
                                 : llvm::ArrayRef<const Spec::Operation *>(It->second);
  }
  /// Indexes producers and uses of the block (before the walk).
  void indexBlock(const Spec::Block &Block);
  /// The bound value name of Param when it is bound by name, else "".
  static std::string boundName(const Spec::Operation &Op, llvm::StringRef Param);

private:
  llvm::Expected<Node *> bindingNode(const Spec::Operation &Op, llvm::StringRef Param,
                                     const Spec::Argument::Binding &Bd, unsigned Index);

  const MLPackage &P;
  Graph &G;
  Builder B;
  llvm::StringMap<Node *> Values;
  llvm::StringMap<MilTensor> Constants;
  llvm::StringMap<const Spec::Operation *> Producers;
  llvm::StringMap<unsigned> Uses;
  llvm::StringMap<std::vector<const Spec::Operation *>> Consumers;
};

/// Declares Var from an Expected, returning its error from the enclosing rule.
#define TRY(Var, Expr)                                                                         \
  auto Var##OrErr = (Expr);                                                                    \
  if (!Var##OrErr)                                                                             \
    return Var##OrErr.takeError();                                                             \
  auto Var = std::move(*Var##OrErr);

/// Attributes of a QIR node being created.
using Attrs = llvm::SmallVector<NamedAttribute, 0>;

/// The end of a rule: success when N was created.
inline llvm::Error done(llvm::Expected<Node *> N) {
  return N ? llvm::Error::success() : N.takeError();
}

/// The rule that converts one MIL op; it defines the op's outputs.
using ImportRule = llvm::Error (*)(ImportContext &C, const Spec::Operation &Op);
/// The rule for a MIL op type, or null.
ImportRule lookupImportRule(llvm::StringRef MilOp);
/// Rules of the quantization ops (ImportQuantization.cpp).
llvm::Error importQuantize(ImportContext &C, const Spec::Operation &Op);
llvm::Error importDequantize(ImportContext &C, const Spec::Operation &Op);
llvm::Error importAffineDequantize(ImportContext &C, const Spec::Operation &Op);
llvm::Error importBlockwiseShiftScale(ImportContext &C, const Spec::Operation &Op);

} // namespace mil
} // namespace qatc

#endif // QATC_RUNTIME_MIL_IMPORTCONTEXT_H
