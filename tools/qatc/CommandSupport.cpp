//===- CommandSupport.cpp - Shared plumbing of qatc subcommands -----------===//
#include "tools/qatc/CommandSupport.h"

#include "ir/GraphFile.h"
#include "ir/Verifier.h"

#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {

llvm::cl::OptionCategory &qatcCategory() {
  static llvm::cl::OptionCategory C("qatc options");
  return C;
}

int reportError(const llvm::Twine &Message, ExitCode Code) {
  llvm::errs().flush();
  llvm::WithColor::error(llvm::errs(), "qatc") << Message << "\n";
  return Code;
}

int reportError(llvm::Error E, ExitCode Code) {
  return reportError(llvm::toString(std::move(E)), Code);
}

llvm::Expected<std::unique_ptr<Graph>> loadVerifiedGraph(llvm::StringRef Path) {
  auto G = readGraphFile(Path);
  if (!G)
    return G.takeError();
  if (llvm::Error E = verify(**G))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   Path + ": " + llvm::toString(std::move(E)));
  return G;
}

void printJson(const llvm::json::Value &V) {
  llvm::outs() << V << "\n";
  llvm::outs().flush();
}

} // namespace qatc
