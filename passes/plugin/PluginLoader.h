//===- PluginLoader.h - Loading pass plugins into qatc ----------*- C++ -*-===//
//
// Opens a plugin shared library, checks its qatc_plugin_info (ABI version,
// struct size, name), runs its register callback with the host function
// table and commits what it registered: passes into the PassRegistry,
// prepare hooks, backend pattern rows and fusions. Every failure is one
// sentence naming the plugin file. Plugins stay loaded until exit.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_PLUGIN_PLUGINLOADER_H
#define QATC_PASSES_PLUGIN_PLUGINLOADER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace qatc {

/// Loads the plugin at Path. Loading the same file again does nothing; a
/// different file with the name of a loaded plugin is refused.
llvm::Error loadPassPlugin(llvm::StringRef Path);

/// Loads Paths in order (what --load-pass-plugin gives), stopping at the
/// first failure.
llvm::Error loadPassPlugins(llvm::ArrayRef<std::string> Paths);

} // namespace qatc

#endif // QATC_PASSES_PLUGIN_PLUGINLOADER_H
