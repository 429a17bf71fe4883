//===- PreparePass.cpp - The `prepare` pass -------------------------------===//
#include "passes/quant/PreparePass.h"

#include "passes/quant/ConfigReader.h"
#include "passes/quant/Prepare.h"

namespace qatc {

namespace {

class PreparePass : public Pass {
public:
  explicit PreparePass(ConfigResolver Resolver) : Resolver(std::move(Resolver)) {}

  llvm::StringRef name() const override { return "prepare"; }

  llvm::Error run(Graph &G, PassContext &Ctx) override {
    PrepareOptions Opts;
    Opts.Explain = Ctx.Explain;
    Opts.Decisions = Ctx.Decisions;
    auto Summary = prepareForQAT(G, Resolver, Opts);
    return Summary ? llvm::Error::success() : Summary.takeError();
  }

private:
  ConfigResolver Resolver;
};

} // namespace

llvm::Expected<std::unique_ptr<Pass>> createPreparePass(const PassOptions &Opts) {
  auto It = Opts.find("config");
  auto Config = It == Opts.end()
                    ? llvm::Expected<LinearQuantizerConfig>(defaultLinearQuantizerConfig())
                    : readConfigFile(It->second);
  if (!Config)
    return Config.takeError();
  auto Resolver = ConfigResolver::create(std::move(*Config));
  if (!Resolver)
    return Resolver.takeError();
  return std::make_unique<PreparePass>(std::move(*Resolver));
}

} // namespace qatc
