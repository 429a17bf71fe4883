//===- CommandSupport.h - Shared plumbing of qatc subcommands ---*- C++ -*-===//
//
// Exit codes, error reporting and the option category every qatc subcommand
// uses, so that all of them behave alike: 0 on success, 2 on bad input or
// usage with one sentence on stderr, 1 on an internal error.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_TOOLS_QATC_COMMANDSUPPORT_H
#define QATC_TOOLS_QATC_COMMANDSUPPORT_H

#include "ir/Graph.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <memory>

namespace qatc {

/// Process exit codes shared by every subcommand.
enum ExitCode : int { ExitSuccess = 0, ExitInternal = 1, ExitBadInput = 2 };

/// The option category shown by --help.
llvm::cl::OptionCategory &qatcCategory();

/// Prints `qatc: error: <message>` to stderr and returns Code.
int reportError(llvm::Error E, ExitCode Code);
/// Prints `qatc: error: <message>` to stderr and returns Code.
int reportError(const llvm::Twine &Message, ExitCode Code);

/// Reads and verifies a graph file; errors are bad input.
llvm::Expected<std::unique_ptr<Graph>> loadVerifiedGraph(llvm::StringRef Path);
/// Reads a model to execute: a graph file, or an .mlpackage converted by the
/// MIL reader (ModelLoading.cpp).
llvm::Expected<std::unique_ptr<Graph>> loadModelGraph(llvm::StringRef Path);

/// Prints V as one line of JSON on stdout.
void printJson(const llvm::json::Value &V);

/// Subcommand entry points, each run after command-line parsing when its
/// subcommand was chosen.
int runImportCommand();
int runOptCommand();
int runPrepareCommand();
int runStatsCommand();
int runTrainCommand();
int runEvalCommand();
int runFinalizeCommand();
int runCalibrateCommand();
int runRunCommand();
int runCompileCommand();
int runDemoCommand();
int runReportCommand();
int runVizCommand();

/// The subcommands, for dispatch in main.
llvm::cl::SubCommand &importSubCommand();
llvm::cl::SubCommand &optSubCommand();
llvm::cl::SubCommand &prepareSubCommand();
llvm::cl::SubCommand &statsSubCommand();
llvm::cl::SubCommand &trainSubCommand();
llvm::cl::SubCommand &evalSubCommand();
llvm::cl::SubCommand &finalizeSubCommand();
llvm::cl::SubCommand &calibrateSubCommand();
llvm::cl::SubCommand &runSubCommand();
llvm::cl::SubCommand &compileSubCommand();
llvm::cl::SubCommand &demoSubCommand();
llvm::cl::SubCommand &reportSubCommand();
llvm::cl::SubCommand &vizSubCommand();

} // namespace qatc

#endif // QATC_TOOLS_QATC_COMMANDSUPPORT_H
