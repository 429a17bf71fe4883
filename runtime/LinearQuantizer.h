//===- LinearQuantizer.h - coremltools' LinearQuantizer as a C++ API -*- C++ -*-===//
//
// For programs that embed qatc and run their own training loop, the
// workflow coremltools users know from Python:
//
//   quantizer = LinearQuantizer(model, config)      LinearQuantizer::create
//   model = quantizer.prepare(example_inputs)       prepare() -> Executor &
//   for batch in data:                              for each step:
//       quantizer.step()                              step()
//       loss = loss_fn(model(x), y)                   forward + computeLoss
//       loss.backward(); optimizer.step()             backward + Optimizer::step
//   model = quantizer.finalize()                    finalize()
//   ct.convert(model).save("m.mlpackage")           save("m.mlpackage")
//
// The quantizer owns the graph; prepare() inserts the fake quants (the
// `prepare` pass) and returns the executor to train with; step() advances
// the milestone machine (observers on, fake quant on, observers off, batch
// norm frozen) exactly as coremltools' step() does; finalize() folds batch
// norm and observers into quantized ops; save() writes a Core ML package
// (or QIR). tools/examples/LinearQuantizerExample.cpp is a complete program.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_LINEARQUANTIZER_H
#define QATC_RUNTIME_LINEARQUANTIZER_H

#include "passes/mil/MilTarget.h"
#include "passes/quant/ConfigResolver.h"
#include "passes/quant/Finalize.h"
#include "passes/quant/Prepare.h"
#include "runtime/Executor.h"
#include "runtime/MilestoneStepper.h"

#include <memory>

namespace qatc {

/// Quantization-aware training of one graph under one config.
class LinearQuantizer {
public:
  /// Where the model is in the workflow.
  enum class Stage { Float, Prepared, Finalized };

  /// Takes the float model and the config (coremltools' LinearQuantizerConfig
  /// keys; default: coremltools' defaults). Fails on an invalid config.
  static llvm::Expected<std::unique_ptr<LinearQuantizer>>
  create(std::unique_ptr<Graph> Model,
         LinearQuantizerConfig Config = defaultLinearQuantizerConfig());

  ~LinearQuantizer();

  /// Inserts fake quantization where Core ML wants it and returns the
  /// executor the training loop runs: forward with RunOptions{Training,
  /// UpdateState, RecordGradients}, backward, then runtime::Optimizer::step.
  /// Fails when the model is not float (already prepared or finalized).
  llvm::Expected<runtime::Executor &> prepare(const PrepareOptions &Opts = {});

  /// Advances the QAT milestones by one training step. Call it once per
  /// step, before that step's forward (coremltools calls it once after
  /// prepare and then after every optimizer step: the same sequence).
  /// Does nothing before prepare() or after finalize().
  void step();

  /// The number of step() calls so far.
  int64_t steps() const;

  /// Writes the trained parameters back into the graph and folds batch norm
  /// and observers into quantized ops; the executor of prepare() is released.
  /// Fails when the model is not prepared.
  llvm::Expected<FinalizeSummary> finalize();

  /// Writes the model: a Core ML package for a path ending in .mlpackage
  /// (the model must be finalized), QIR for .qir/.qirb (any stage). The
  /// write is atomic.
  llvm::Error save(llvm::StringRef Path, const mil::MilOptions &Opts = {}) const;

  /// The graph at its current stage.
  Graph &graph() { return *Model; }
  Stage stage() const { return CurrentStage; }
  /// What prepare() did (zero before it).
  const PrepareSummary &prepareSummary() const { return Prepared; }

private:
  LinearQuantizer(std::unique_ptr<Graph> Model, ConfigResolver Resolver);

  std::unique_ptr<Graph> Model;
  ConfigResolver Resolver;
  Stage CurrentStage = Stage::Float;
  PrepareSummary Prepared;
  // Declared after Model: destroyed before the graph they point into.
  std::unique_ptr<runtime::Executor> Exec;
  std::unique_ptr<runtime::MilestoneStepper> Milestones;
};

} // namespace qatc

#endif // QATC_RUNTIME_LINEARQUANTIZER_H
