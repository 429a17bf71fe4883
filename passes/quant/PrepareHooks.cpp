//===- PrepareHooks.cpp - Callbacks every prepare runs first --------------===//
#include "passes/quant/PrepareHooks.h"

namespace qatc {

static std::vector<PrepareHook> &hooks() {
  static std::vector<PrepareHook> *H = new std::vector<PrepareHook>();
  return *H;
}

llvm::Error addPrepareHook(PrepareHook Hook) {
  for (const PrepareHook &H : hooks())
    if (H.Name == Hook.Name)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "prepare hook '" + Hook.Name + "' is already registered");
  hooks().push_back(std::move(Hook));
  return llvm::Error::success();
}

const std::vector<PrepareHook> &prepareHooks() { return hooks(); }

} // namespace qatc
