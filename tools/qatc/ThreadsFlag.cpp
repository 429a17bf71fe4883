//===- ThreadsFlag.cpp - --threads of the commands that run graphs --------===//
#include "tools/qatc/ThreadsFlag.h"

#include "tools/qatc/CommandSupport.h"

#include "runtime/Parallel.h"

namespace qatc {

namespace cl = llvm::cl;

namespace {

/// Registers the option with every subcommand that runs a graph.
struct GraphRunningCommands {
  template <class Opt> void apply(Opt &O) const {
    for (cl::SubCommand *Cmd :
         {&trainSubCommand(), &compileSubCommand(), &demoSubCommand(), &evalSubCommand(),
          &runSubCommand(), &calibrateSubCommand(), &reportSubCommand()})
      O.addSubCommand(*Cmd);
  }
};

cl::opt<int> Threads("threads", cl::desc("Threads (default: every core)"), cl::init(0),
                     GraphRunningCommands(), cl::cat(qatcCategory()));

} // namespace

llvm::Error applyThreadsFlag() {
  if (Threads < 0)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--threads must not be negative (0 uses every core)");
  if (Threads > 0)
    runtime::setNumThreads(Threads);
  return llvm::Error::success();
}

} // namespace qatc
