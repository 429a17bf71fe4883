//===- FinalizePass.cpp - The `finalize` pass -----------------------------===//
#include "passes/quant/FinalizePass.h"

#include "passes/quant/Finalize.h"

namespace qatc {

namespace {

class FinalizePass : public Pass {
public:
  llvm::StringRef name() const override { return "finalize"; }
  llvm::Error run(Graph &G, PassContext &) override {
    auto Summary = finalizeForDeployment(G);
    return Summary ? llvm::Error::success() : Summary.takeError();
  }
};

} // namespace

llvm::Expected<std::unique_ptr<Pass>> createFinalizePass(const PassOptions &) {
  return std::make_unique<FinalizePass>();
}

} // namespace qatc
