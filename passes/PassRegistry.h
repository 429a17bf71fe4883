//===- PassRegistry.h - Passes available to pipelines -----------*- C++ -*-===//
//
// The table of passes a pipeline may name: the built-ins of Passes.def and
// any that plugins register.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_PASSREGISTRY_H
#define QATC_PASSES_PASSREGISTRY_H

#include "passes/Pass.h"

#include <functional>
#include <memory>
#include <vector>

namespace qatc {

/// Creates a pass instance from its options.
using PassFactory = std::function<llvm::Expected<std::unique_ptr<Pass>>(const PassOptions &)>;

/// One registered pass.
struct PassInfo {
  std::string Name;
  std::string Description;
  /// Accepted option keys.
  std::vector<std::string> OptionKeys;
  PassFactory Factory;
};

/// The process-wide pass table.
class PassRegistry {
public:
  /// The registry with every built-in pass.
  static PassRegistry &get();

  /// The pass named Name, or null.
  const PassInfo *lookup(llvm::StringRef Name) const;
  /// Adds a pass; fails if the name is taken or not kebab-case.
  llvm::Error registerPass(PassInfo Info);
  /// Fails, saying why, when registerPass would refuse the name Name.
  llvm::Error checkNewName(llvm::StringRef Name) const;
  /// Every pass, sorted by name.
  std::vector<const PassInfo *> passes() const;

  /// Creates the pass Name with Opts, rejecting unknown passes and options
  /// with a sentence that lists what is available.
  llvm::Expected<std::unique_ptr<Pass>> create(llvm::StringRef Name, const PassOptions &Opts) const;

private:
  PassRegistry();
  std::vector<std::unique_ptr<PassInfo>> Infos;
};

} // namespace qatc

#endif // QATC_PASSES_PASSREGISTRY_H
