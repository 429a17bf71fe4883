//===- PluginOption.cpp - The --load-pass-plugin option of qatc commands --===//
#include "tools/qatc/PluginOption.h"

#include "passes/plugin/PluginLoader.h"
#include "tools/qatc/CommandSupport.h"

namespace qatc {

PluginOption::PluginOption(llvm::cl::SubCommand &Sub)
    : Paths("load-pass-plugin",
            llvm::cl::desc("Load a pass plugin (.so) before running; repeatable "
                           "(docs/plugins.md)"),
            llvm::cl::value_desc("path"), llvm::cl::sub(Sub), llvm::cl::cat(qatcCategory())) {}

int PluginOption::loadOrReport() const {
  if (llvm::Error E = loadPassPlugins(Paths))
    return reportError(std::move(E), ExitBadInput);
  return ExitSuccess;
}

} // namespace qatc
