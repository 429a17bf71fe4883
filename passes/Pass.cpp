//===- Pass.cpp - Helpers shared by every pass ----------------------------===//
#include "passes/Pass.h"

namespace qatc {

llvm::Expected<bool> getBoolOption(const PassOptions &Opts, llvm::StringRef Pass,
                                   llvm::StringRef Key, bool Default) {
  auto It = Opts.find(Key.str());
  if (It == Opts.end())
    return Default;
  if (It->second == "true" || It->second == "1")
    return true;
  if (It->second == "false" || It->second == "0")
    return false;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "pass '" + Pass + "' option '" + Key + "' must be true or false, not '" +
                                     It->second + "'");
}

} // namespace qatc
