//===- CommandLineErrors.cpp - One-sentence command-line errors -----------===//
#include "tools/qatc/CommandLineErrors.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <unistd.h>

namespace qatc {

namespace {

/// What an llvm::cl parser type name asks for.
std::string expectedValue(llvm::StringRef Kind) {
  if (Kind == "uint" || Kind == "ulong" || Kind == "ulonglong")
    return "a non-negative integer";
  if (Kind == "int" || Kind == "long" || Kind == "longlong")
    return "an integer";
  if (Kind == "double" || Kind == "float" || Kind == "floating point")
    return "a number";
  return "a " + Kind.str() + " value";
}

/// One line of llvm::cl's text without the `tool:` or `tool command:` prefix.
llvm::StringRef stripPrefix(llvm::StringRef Line, llvm::StringRef ToolName) {
  Line = Line.trim();
  if (Line.consume_front(ToolName)) {
    size_t Colon = Line.find(": ");
    if (Colon != llvm::StringRef::npos && !Line.take_front(Colon).contains('\''))
      Line = Line.drop_front(Colon + 2);
  }
  return Line.trim();
}

/// The body of the sentence for one llvm::cl message.
std::string reword(llvm::StringRef Message, llvm::StringRef Hint) {
  llvm::SmallVector<llvm::StringRef, 4> M;
  if (llvm::Regex("^for the (-*[^ ]+) option: '(.*)' value invalid for ([a-z ]+) argument")
          .match(Message, &M))
    return "option " + M[1].str() + " takes " + expectedValue(M[3]) + ", not '" + M[2].str() +
           "'";
  if (llvm::Regex("^for the (-*[^ ]+) option: '(.*)' is invalid value for boolean argument")
          .match(Message, &M))
    return "option " + M[1].str() + " takes true or false, not '" + M[2].str() + "'";
  if (llvm::Regex("^for the (-*[^ ]+) option: must be specified at least once").match(Message, &M))
    return "option " + M[1].str() + " is required";
  if (llvm::Regex("^for the (-*[^ ]+) option: may only occur zero or one times")
          .match(Message, &M))
    return "option " + M[1].str() + " is given more than once";
  if (llvm::Regex("^for the (-*[^ ]+) option: Cannot find option named '(.*)'").match(Message, &M))
    return "option " + M[1].str() + " does not accept '" + M[2].str() + "'";
  if (llvm::Regex("^[Uu]nknown command line argument '([^']*)'").match(Message, &M)) {
    std::string Out = "unknown option '" + M[1].str() + "'";
    if (llvm::Regex("^Did you mean '([^']*)'").match(Hint, &M))
      Out += " (did you mean '" + M[1].trim().str() + "'?)";
    return Out;
  }
  if (Message.startswith("Not enough positional command line arguments"))
    return "an input file argument is missing";
  if (Message.startswith("Too many positional arguments"))
    return "there are more file arguments than the command takes";
  std::string Out = Message.rtrim("!. ").str();
  if (!Out.empty())
    Out[0] = llvm::toLower(Out[0]);
  return Out;
}

} // namespace

std::string commandLineErrorSentence(llvm::StringRef Captured, llvm::StringRef ToolName,
                                     llvm::StringRef Command) {
  llvm::SmallVector<llvm::StringRef, 4> Lines;
  for (llvm::StringRef Line : llvm::split(Captured, '\n'))
    if (!Line.trim().empty())
      Lines.push_back(stripPrefix(Line, ToolName));
  std::string Body = Lines.empty() ? "the command line is not valid"
                                   : reword(Lines[0], Lines.size() > 1 ? Lines[1] : "");
  std::string Help = Command.empty() ? "qatc --help" : "qatc " + Command.str() + " --help";
  return Body + "; run '" + Help + "' for usage";
}

bool parseCommandLine(int Argc, char **Argv, const char *Overview, std::string &Sentence) {
  // Some llvm::cl messages go to stderr whatever stream it is given, so
  // stderr is captured in a temporary file while the options are parsed.
  std::string Errors;
  llvm::raw_string_ostream ErrStream(Errors);
  llvm::errs().flush();
  std::fflush(stderr);
  std::FILE *Capture = std::tmpfile();
  int SavedStderr = Capture ? ::dup(STDERR_FILENO) : -1;
  if (SavedStderr >= 0)
    ::dup2(::fileno(Capture), STDERR_FILENO);
  bool Ok = llvm::cl::ParseCommandLineOptions(Argc, Argv, Overview, &ErrStream);
  llvm::errs().flush();
  std::fflush(stderr);
  if (SavedStderr >= 0) {
    ::dup2(SavedStderr, STDERR_FILENO);
    ::close(SavedStderr);
    std::rewind(Capture);
    char Buffer[4096];
    size_t Read;
    while ((Read = std::fread(Buffer, 1, sizeof Buffer, Capture)) > 0)
      Errors.append(Buffer, Read);
  }
  if (Capture)
    std::fclose(Capture);
  ErrStream.flush();
  if (Ok) {
    llvm::errs() << Errors; // warnings, if any
    return true;
  }
  llvm::StringRef Command = Argc > 1 && Argv[1][0] != '-' ? llvm::StringRef(Argv[1]) : "";
  Sentence = commandLineErrorSentence(Errors, llvm::sys::path::filename(Argv[0]), Command);
  return false;
}

} // namespace qatc
