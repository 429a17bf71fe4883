//===- VizCommand.cpp - `qatc viz`: draw a graph with Graphviz -------------===//
//
// qatc viz MODEL -o graph.svg (or .dot, .png, .pdf)
// The DOT text comes from ir/dot/GraphDot.h; every other format is drawn by
// Graphviz's `dot`, run as a subprocess into a temporary file whose content
// is then written to the output atomically.
//
//===----------------------------------------------------------------------===//
#include "tools/qatc/CommandSupport.h"

#include "ir/AtomicFile.h"
#include "ir/GraphFile.h"
#include "ir/dot/GraphDot.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {

namespace cl = llvm::cl;

static cl::SubCommand VizCmd("viz", "Draw a graph (.qir, .qirb or .mlpackage) with its "
                                    "quantization nodes highlighted, using Graphviz");

static cl::opt<std::string> Model(cl::Positional, cl::desc("<model .qir/.qirb/.mlpackage>"),
                                  cl::Required, cl::sub(VizCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o", cl::desc("Write the drawing here (.svg, .png, .pdf or .dot)"),
                                   cl::value_desc("path"), cl::Required, cl::sub(VizCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<bool> ShowQuantState("show-quant-state",
                                    cl::desc("Also draw the get_attr nodes of scales, zero "
                                             "points and observer state"),
                                    cl::sub(VizCmd), cl::cat(qatcCategory()));
static cl::opt<bool> NoLegend("no-legend", cl::desc("Leave out the legend of node colours"),
                              cl::sub(VizCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> DotProgram("dot-program",
                                       cl::desc("The Graphviz program to run (dot, found on "
                                                "PATH)"),
                                       cl::init("dot"), cl::value_desc("path"), cl::sub(VizCmd),
                                       cl::cat(qatcCategory()));

cl::SubCommand &vizSubCommand() { return VizCmd; }

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// The Graphviz program: a path as given, else looked up on PATH.
llvm::Expected<std::string> findDot() {
  llvm::StringRef Name = DotProgram;
  if (Name.contains('/')) {
    if (llvm::sys::fs::can_execute(Name))
      return Name.str();
  } else if (auto Found = llvm::sys::findProgramByName(Name)) {
    return *Found;
  }
  return makeError("Graphviz's '" + Name +
                   "' program was not found; install Graphviz (Debian package graphviz) or "
                   "write DOT text with -o graph.dot");
}

/// A temporary file path with Suffix, removed when the remover goes.
llvm::Expected<std::string> temporaryPath(llvm::StringRef Suffix) {
  llvm::SmallString<128> Path;
  if (std::error_code EC = llvm::sys::fs::createTemporaryFile("qatc-viz", Suffix, Path))
    return makeError("cannot create a temporary file for Graphviz: " + EC.message());
  return std::string(Path);
}

/// Draws Dot as Format with Graphviz into Out, atomically.
llvm::Error renderWithGraphviz(llvm::StringRef Dot, llvm::StringRef Format, llvm::StringRef Out) {
  auto Program = findDot();
  if (!Program)
    return Program.takeError();
  auto DotPath = temporaryPath("dot");
  if (!DotPath)
    return DotPath.takeError();
  llvm::FileRemover RemoveDot(*DotPath);
  auto Drawn = temporaryPath(Format);
  if (!Drawn)
    return Drawn.takeError();
  llvm::FileRemover RemoveDrawn(*Drawn);
  auto Messages = temporaryPath("txt");
  if (!Messages)
    return Messages.takeError();
  llvm::FileRemover RemoveMessages(*Messages);
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(*DotPath, EC);
    if (EC)
      return makeError("cannot write a temporary file for Graphviz: " + EC.message());
    OS << Dot;
    OS.close();
    if (OS.has_error()) { // e.g. a full temporary folder; clear it or the stream aborts
      std::string Reason = OS.error().message();
      OS.clear_error();
      return makeError("cannot write a temporary file for Graphviz: " + Reason);
    }
  }
  std::string TypeFlag = "-T" + Format.str();
  llvm::StringRef Args[] = {*Program, TypeFlag, "-o", *Drawn, *DotPath};
  std::optional<llvm::StringRef> Redirects[] = {std::nullopt, std::nullopt,
                                                llvm::StringRef(*Messages)};
  std::string ErrMsg;
  int Status = llvm::sys::ExecuteAndWait(*Program, Args, std::nullopt, Redirects,
                                         /*SecondsToWait=*/300, /*MemoryLimit=*/0, &ErrMsg);
  if (Status != 0) {
    std::string Detail = ErrMsg;
    if (auto Text = llvm::MemoryBuffer::getFile(*Messages))
      Detail = (*Text)->getBuffer().trim().split('\n').first.str();
    return makeError("Graphviz's '" + *Program + "' failed drawing " + Out +
                     (Detail.empty() ? "" : ": " + Detail));
  }
  auto Result = llvm::MemoryBuffer::getFile(*Drawn, /*IsText=*/false);
  if (!Result)
    return makeError("Graphviz wrote no " + Format + " for " + Out);
  return writeFileAtomically(Out, [&](llvm::raw_ostream &OS) {
    OS << (*Result)->getBuffer();
    return llvm::Error::success();
  });
}

} // namespace

int runVizCommand() {
  llvm::StringRef Format = llvm::sys::path::extension(Output);
  Format.consume_front(".");
  std::string Lower = Format.lower();
  if (!llvm::is_contained(llvm::ArrayRef<llvm::StringRef>{"dot", "svg", "png", "pdf"}, Lower))
    return reportError("-o must name a .svg, .png, .pdf or .dot file, not '" + Output + "'",
                       ExitBadInput);
  auto G = loadModelGraph(Model);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  DotOptions Opts;
  Opts.ShowQuantState = ShowQuantState;
  Opts.Legend = !NoLegend;
  std::string Dot = graphDotString(**G, Opts);
  llvm::Error Err = Lower == "dot" ? writeFileAtomically(Output,
                                                         [&](llvm::raw_ostream &OS) {
                                                           OS << Dot;
                                                           return llvm::Error::success();
                                                         })
                                   : renderWithGraphviz(Dot, Lower, Output);
  if (Err)
    return reportError(std::move(Err), ExitBadInput);
  llvm::errs() << "wrote " << Output << "\n";
  return ExitSuccess;
}

} // namespace qatc
