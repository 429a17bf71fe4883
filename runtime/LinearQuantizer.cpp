//===- LinearQuantizer.cpp - coremltools' LinearQuantizer as a C++ API ----===//
#include "runtime/LinearQuantizer.h"

#include "ir/GraphFile.h"
#include "ir/Verifier.h"
#include "passes/mil/MLPackageWriter.h"

namespace qatc {

using namespace runtime;

static llvm::Error workflowError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

LinearQuantizer::LinearQuantizer(std::unique_ptr<Graph> Model, ConfigResolver Resolver)
    : Model(std::move(Model)), Resolver(std::move(Resolver)) {}

LinearQuantizer::~LinearQuantizer() = default;

llvm::Expected<std::unique_ptr<LinearQuantizer>>
LinearQuantizer::create(std::unique_ptr<Graph> Model, LinearQuantizerConfig Config) {
  if (!Model)
    return workflowError("LinearQuantizer needs a model graph");
  auto Resolver = ConfigResolver::create(std::move(Config));
  if (!Resolver)
    return Resolver.takeError();
  return std::unique_ptr<LinearQuantizer>(
      new LinearQuantizer(std::move(Model), std::move(*Resolver)));
}

llvm::Expected<Executor &> LinearQuantizer::prepare(const PrepareOptions &Opts) {
  if (CurrentStage != Stage::Float)
    return workflowError("graph '" + Model->name() +
                         "' is already prepared; call prepare() once, on the float model");
  auto Summary = prepareForQAT(*Model, Resolver, Opts);
  if (!Summary)
    return Summary.takeError();
  if (llvm::Error E = verify(*Model))
    return workflowError("prepare left an invalid graph: " + llvm::toString(std::move(E)));
  auto E = Executor::create(*Model);
  if (!E)
    return E.takeError();
  Prepared = *Summary;
  Exec = std::move(*E);
  Milestones = std::make_unique<MilestoneStepper>(*Exec);
  CurrentStage = Stage::Prepared;
  return *Exec;
}

void LinearQuantizer::step() {
  if (Milestones)
    Milestones->step();
}

int64_t LinearQuantizer::steps() const { return Milestones ? Milestones->count() : 0; }

llvm::Expected<FinalizeSummary> LinearQuantizer::finalize() {
  if (CurrentStage != Stage::Prepared)
    return workflowError("graph '" + Model->name() + "' is " +
                         (CurrentStage == Stage::Float ? "not prepared" : "already finalized") +
                         "; call finalize() once, after prepare() and training");
  Exec->syncToGraph();
  Milestones.reset();
  Exec.reset();
  auto Summary = finalizeForDeployment(*Model);
  if (!Summary)
    return Summary.takeError();
  if (llvm::Error E = verify(*Model))
    return workflowError("finalize left an invalid graph: " + llvm::toString(std::move(E)));
  CurrentStage = Stage::Finalized;
  return *Summary;
}

llvm::Error LinearQuantizer::save(llvm::StringRef Path, const mil::MilOptions &Opts) const {
  if (!Path.rtrim('/').endswith(".mlpackage")) {
    if (Exec)
      Exec->syncToGraph();
    return writeGraphFile(*Model, Path);
  }
  if (CurrentStage != Stage::Finalized)
    return workflowError("cannot save '" + Path +
                         "': a Core ML package needs the finalized model; call finalize() first");
  return mil::writeMLPackage(*Model, Path.rtrim('/'), Opts);
}

} // namespace qatc
