//===- KernelRegistry.cpp - The table of every op's kernels ---------------===//

#include "runtime/Kernel.h"

#include <algorithm>

using namespace qatc;
using namespace qatc::runtime;

static const KernelTable &table() {
  static const KernelTable *Table = [] {
    auto *T = new KernelTable();
#define QATC_KERNEL_FAMILY(Family) register##Family##Kernels(*T);
#include "runtime/kernels/Families.def"
    return T;
  }();
  return *Table;
}

const OpKernel *runtime::lookupKernel(llvm::StringRef OpName) {
  auto It = table().find(OpName);
  return It == table().end() ? nullptr : &It->second;
}

std::vector<std::string> runtime::kernelOpNames() {
  std::vector<std::string> Names;
  for (const auto &KV : table())
    Names.push_back(KV.getKey().str());
  std::sort(Names.begin(), Names.end());
  return Names;
}
