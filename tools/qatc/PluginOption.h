//===- PluginOption.h - The --load-pass-plugin option of qatc commands -*- C++ -*-===//
//
// A command that runs passes or prepare declares one PluginOption for its
// subcommand and loads the plugins first thing in its run function:
//
//   static PluginOption Plugins(CompileCmd);
//   ...
//   if (int Rc = Plugins.loadOrReport())
//     return Rc;
//
//===----------------------------------------------------------------------===//
#ifndef QATC_TOOLS_QATC_PLUGINOPTION_H
#define QATC_TOOLS_QATC_PLUGINOPTION_H

#include "llvm/Support/CommandLine.h"

#include <string>

namespace qatc {

/// `--load-pass-plugin=PATH` (repeatable) on one subcommand.
class PluginOption {
public:
  explicit PluginOption(llvm::cl::SubCommand &Sub);

  /// Loads every given plugin in order; on failure prints the one-sentence
  /// error and returns ExitBadInput (2), else returns 0.
  int loadOrReport() const;

private:
  llvm::cl::list<std::string> Paths;
};

} // namespace qatc

#endif // QATC_TOOLS_QATC_PLUGINOPTION_H
