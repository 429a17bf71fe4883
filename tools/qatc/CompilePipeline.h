//===- CompilePipeline.h - `qatc compile`: model file to .mlpackage -*- C++ -*-===//
//
// The whole job in one call: import a float model, measure it, prepare it
// for QAT under a LinearQuantizerConfig, train it with fake quantization,
// finalize it and write the Core ML package, then read the package back and
// run it on the reference executor, so the summary compares the float, the
// fake-quant and the deployed model on the same data. `qatc compile` and
// `qatc demo` are thin wrappers around runCompilePipeline.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_TOOLS_QATC_COMPILEPIPELINE_H
#define QATC_TOOLS_QATC_COMPILEPIPELINE_H

#include "frontend/Importer.h"
#include "passes/mil/MilTarget.h"
#include "passes/quant/QuantizationConfig.h"
#include "runtime/Trainer.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace qatc {

/// What to compile and how.
struct CompileRequest {
  /// The float model (.onnx or a TorchScript archive) and its import options.
  std::string ModelPath;
  /// What the summary calls the model (default: ModelPath).
  std::string ModelLabel;
  ImportOptions Import;
  /// A pass pipeline run on the imported graph before anything else (e.g.
  /// plugin passes); quantization decisions its passes make reach prepare.
  std::string Passes;
  /// The quantization config (coremltools' LinearQuantizerConfig keys).
  LinearQuantizerConfig Config = defaultLinearQuantizerConfig();
  /// Where the config came from, for messages and the summary ("" = defaults).
  std::string ConfigOrigin;
  /// Training data, and the data the three models are evaluated on (the
  /// training data when empty).
  std::string TrainData, EvalData;
  /// The QAT run (fine-tuning the float model with fake quantization).
  runtime::TrainOptions Train;
  /// The .mlpackage to write.
  std::string Output;
  mil::MilTarget Target = mil::MilTarget::IOS17;
  /// When set, every stage's graph is kept here (imported, prepared,
  /// trained, quantized).
  std::string KeepIntermediates;
};

/// One stage's name and wall time.
struct StageTime {
  std::string Name;
  double Seconds = 0;
};

/// What the pipeline measured.
struct CompileReport {
  runtime::EvalResult Float, FakeQuant, Deployed;
  /// "validation" or "training": which data the three evaluations used.
  std::string EvaluatedOn;
  /// The model file and its float parameters; the written package and the
  /// quantized parameters in it.
  uint64_t ModelFileBytes = 0, FloatParameterBytes = 0;
  uint64_t PackageBytes = 0, QuantizedParameterBytes = 0;
  runtime::TrainSummary Training;
  int64_t FakeQuantNodes = 0, WeightsQuantized = 0, ActivationPairs = 0;
  std::vector<StageTime> Stages;
  double TotalSeconds = 0;
};

/// Runs import, evaluation, prepare, QAT, finalize, export and the deployed
/// evaluation, reporting each stage on Log. Errors name the file, node or
/// option; on error no package is left at Request.Output.
llvm::Expected<CompileReport> runCompilePipeline(const CompileRequest &Request,
                                                 llvm::raw_ostream &Log);

/// Creates the --keep-intermediates directory Dir (and its parents); an
/// error names it when it cannot be made or is not a directory.
llvm::Error createOutputDirectory(llvm::StringRef Dir);

/// The summary table: accuracy and loss of the float, fake-quant and
/// deployed models, the model size before and after, and time per stage.
void printCompileSummary(const CompileReport &Report, const CompileRequest &Request,
                         llvm::raw_ostream &OS);

/// The same summary as one JSON object.
llvm::json::Object compileSummaryJson(const CompileReport &Report, const CompileRequest &Request);

} // namespace qatc

#endif // QATC_TOOLS_QATC_COMPILEPIPELINE_H
