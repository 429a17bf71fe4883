//===- CompilePipeline.cpp - `qatc compile`: model file to .mlpackage -----===//
#include "tools/qatc/CompilePipeline.h"
#include "tools/qatc/ProgressDisplay.h"

#include "ir/GraphFile.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/mil/MLPackageWriter.h"
#include "passes/quant/ConfigResolver.h"
#include "passes/quant/Finalize.h"
#include "passes/quant/Prepare.h"
#include "runtime/Dataset.h"
#include "runtime/Executor.h"
#include "runtime/mil/MilImporter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <chrono>

namespace qatc {

using namespace runtime;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kStages = 7;

/// Prints "[i/7] what" before a stage and its time after it, and records it.
class StageLog {
public:
  StageLog(llvm::raw_ostream &Log, CompileReport &Report) : Log(Log), Report(Report) {}

  void begin(llvm::StringRef Name, const llvm::Twine &What) {
    Current = Name.str();
    Log << llvm::formatv("[{0}/{1}] ", ++Index, kStages) << What << "\n";
    Log.flush();
    Start = Clock::now();
  }
  /// Ends the stage; Result is shown after its time.
  void end(const llvm::Twine &Result) {
    double Seconds = std::chrono::duration<double>(Clock::now() - Start).count();
    Report.Stages.push_back({Current, Seconds});
    Log << "      " << Result << llvm::formatv(" ({0:F2} s)\n", Seconds);
    Log.flush();
  }

private:
  llvm::raw_ostream &Log;
  CompileReport &Report;
  std::string Current;
  int Index = 0;
  Clock::time_point Start;
};

} // namespace

llvm::Error createOutputDirectory(llvm::StringRef Dir) {
  std::error_code EC = llvm::sys::fs::create_directories(Dir);
  if (!EC && !llvm::sys::fs::is_directory(Dir))
    EC = std::make_error_code(std::errc::not_a_directory);
  if (EC)
    return llvm::createStringError(EC, "cannot create the --keep-intermediates directory '" +
                                           Dir + "': " + EC.message());
  return llvm::Error::success();
}

namespace {

llvm::Error writeIntermediate(const CompileRequest &R, const Graph &G, llvm::StringRef Name) {
  if (R.KeepIntermediates.empty())
    return llvm::Error::success();
  llvm::SmallString<256> Path(R.KeepIntermediates);
  llvm::sys::path::append(Path, Name);
  return writeGraphFile(G, Path);
}

llvm::Expected<EvalResult> evaluateGraph(Graph &G, const Dataset &D, LossKind Loss) {
  auto E = Executor::create(G);
  if (!E)
    return E.takeError();
  return evaluate(**E, D, Loss);
}

std::string describeEval(const EvalResult &R) {
  if (R.Accuracy)
    return llvm::formatv("accuracy {0:F2}%, loss {1:F4} on {2} samples", *R.Accuracy * 100,
                         R.Loss, R.Samples);
  return llvm::formatv("loss {0:F6} on {1} samples", R.Loss, R.Samples);
}

/// The bytes of every regular file under Dir.
uint64_t directoryBytes(llvm::StringRef Dir) {
  uint64_t Total = 0;
  std::error_code EC;
  for (llvm::sys::fs::recursive_directory_iterator It(Dir, EC), End; It != End && !EC;
       It.increment(EC)) {
    uint64_t Size = 0;
    if (It->type() == llvm::sys::fs::file_type::regular_file &&
        !llvm::sys::fs::file_size(It->path(), Size))
      Total += Size;
  }
  return Total;
}

std::string formatBytes(uint64_t Bytes) {
  if (Bytes >= 10 * 1024 * 1024)
    return llvm::formatv("{0:F1} MB", Bytes / (1024.0 * 1024.0));
  if (Bytes >= 10 * 1024)
    return llvm::formatv("{0:F1} KB", Bytes / 1024.0);
  return llvm::formatv("{0} B", Bytes);
}

std::string formatAccuracy(const EvalResult &R) {
  return R.Accuracy ? llvm::formatv("{0:F2}%", *R.Accuracy * 100).str() : std::string("-");
}

} // namespace

llvm::Expected<CompileReport> runCompilePipeline(const CompileRequest &R,
                                                 llvm::raw_ostream &Log) {
  CompileReport Report;
  StageLog Stage(Log, Report);
  auto Start = Clock::now();

  if (!R.KeepIntermediates.empty())
    if (llvm::Error E = createOutputDirectory(R.KeepIntermediates))
      return std::move(E);
  auto Resolver = ConfigResolver::create(R.Config);
  if (!Resolver)
    return Resolver.takeError();
  auto Train = Dataset::load(R.TrainData);
  if (!Train)
    return Train.takeError();
  std::optional<Dataset> Held;
  if (!R.EvalData.empty()) {
    auto V = Dataset::load(R.EvalData);
    if (!V)
      return V.takeError();
    Held = std::move(*V);
  }
  const Dataset &EvalSet = Held ? *Held : *Train;
  Report.EvaluatedOn = Held ? "validation" : "training";

  QuantDecisions Decisions;
  PassManager Passes;
  Passes.Context.Decisions = &Decisions;
  if (llvm::Error E = Passes.addPipeline(R.Passes))
    return std::move(E);

  Stage.begin("import", "import " + R.ModelPath +
                            (R.Passes.empty() ? std::string() : " and run " + R.Passes));
  auto G = importModel(R.ModelPath, R.Import);
  if (!G)
    return G.takeError();
  if (llvm::Error E = Passes.run(**G))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   R.ModelPath + ": " + llvm::toString(std::move(E)));
  llvm::sys::fs::file_size(R.ModelPath, Report.ModelFileBytes);
  Report.FloatParameterBytes = (*G)->parameterBytes();
  if (llvm::Error E = writeIntermediate(R, **G, "1-imported.qirb"))
    return std::move(E);
  Stage.end(llvm::formatv("{0} nodes, {1} of float parameters", (*G)->numNodes(),
                          formatBytes(Report.FloatParameterBytes)));

  Stage.begin("float eval", "evaluate the float model on the " + Report.EvaluatedOn + " data");
  auto Float = evaluateGraph(**G, EvalSet, R.Train.Loss);
  if (!Float)
    return Float.takeError();
  Report.Float = *Float;
  Stage.end(describeEval(Report.Float));

  Stage.begin("prepare", "prepare for QAT (" +
                             (R.ConfigOrigin.empty() ? std::string("coremltools' default config")
                                                     : R.ConfigOrigin) +
                             ")");
  PrepareOptions PrepareOpts;
  PrepareOpts.Decisions = &Decisions;
  auto Prepared = prepareForQAT(**G, *Resolver, PrepareOpts);
  if (!Prepared)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   R.ModelPath + ": " + llvm::toString(Prepared.takeError()));
  if (llvm::Error E = verify(**G))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "prepare left an invalid graph: " + llvm::toString(std::move(E)));
  Report.FakeQuantNodes = Prepared->FakeQuants.total();
  if (llvm::Error E = writeIntermediate(R, **G, "2-prepared.qirb"))
    return std::move(E);
  Stage.end(llvm::formatv("{0} of {1} patterns quantized, {2} fake quants, {3} batch norms "
                          "in the training form",
                          Prepared->QuantizedPatterns, Prepared->Patterns,
                          Report.FakeQuantNodes, Prepared->BatchNormsFolded));

  Stage.begin("train", "QAT on " + R.TrainData);
  ProgressDisplay Progress(Log);
  auto Trained = train(*G, *Train, nullptr, R.Train,
                       [&](const StepReport &S) { Progress.update(S); });
  Progress.finish();
  if (!Trained)
    return Trained.takeError();
  Report.Training = *Trained;
  if (llvm::Error E = writeIntermediate(R, **G, "3-trained.qirb"))
    return std::move(E);
  Stage.end(llvm::formatv("{0} steps, {1:F2} ms/step, final loss {2:F4}", Trained->Steps,
                          Trained->MedianMsPerStep, Trained->FinalLoss));

  Stage.begin("fake-quant eval", "evaluate the fake-quant model");
  auto FakeQuant = evaluateGraph(**G, EvalSet, R.Train.Loss);
  if (!FakeQuant)
    return FakeQuant.takeError();
  Report.FakeQuant = *FakeQuant;
  Stage.end(describeEval(Report.FakeQuant));

  Stage.begin("finalize", "finalize and write " + R.Output);
  auto Final = finalizeForDeployment(**G);
  if (!Final)
    return Final.takeError();
  if (llvm::Error E = verify(**G))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "finalize left an invalid graph: " +
                                       llvm::toString(std::move(E)));
  Report.WeightsQuantized = Final->WeightsQuantized;
  Report.ActivationPairs = Final->ActivationPairs;
  Report.QuantizedParameterBytes = Final->ParameterBytesAfter;
  if (llvm::Error E = writeIntermediate(R, **G, "4-quantized.qirb"))
    return std::move(E);
  mil::MilOptions MilOpts;
  MilOpts.Target = R.Target;
  if (llvm::Error E = mil::writeMLPackage(**G, R.Output, MilOpts))
    return std::move(E);
  Report.PackageBytes = directoryBytes(R.Output);
  Stage.end(llvm::formatv("{0} weights and {1} activations quantized, {2} package for {3}",
                          Final->WeightsQuantized, Final->ActivationPairs,
                          formatBytes(Report.PackageBytes), mil::targetName(R.Target)));

  Stage.begin("deployed eval", "run " + R.Output + " on the reference executor");
  auto Deployed = mil::loadMLPackageGraph(R.Output);
  if (!Deployed)
    return Deployed.takeError();
  auto DeployedEval = evaluateGraph(**Deployed, EvalSet, R.Train.Loss);
  if (!DeployedEval)
    return DeployedEval.takeError();
  Report.Deployed = *DeployedEval;
  Stage.end(describeEval(Report.Deployed));

  Report.TotalSeconds = std::chrono::duration<double>(Clock::now() - Start).count();
  return Report;
}

void printCompileSummary(const CompileReport &Report, const CompileRequest &Request,
                         llvm::raw_ostream &OS) {
  OS << "\n";
  OS << llvm::formatv("{0,-22} {1,12} {2,12} {3,12}\n", "", "float", "fake-quant", "deployed");
  OS << llvm::formatv("{0,-22} {1,12} {2,12} {3,12}\n",
                      "accuracy (" + Report.EvaluatedOn + ")", formatAccuracy(Report.Float),
                      formatAccuracy(Report.FakeQuant), formatAccuracy(Report.Deployed));
  OS << llvm::formatv("{0,-22} {1,12:F4} {2,12:F4} {3,12:F4}\n", "loss", Report.Float.Loss,
                      Report.FakeQuant.Loss, Report.Deployed.Loss);
  OS << llvm::formatv("{0,-22} {1,12} {2,12} {3,12}\n", "weights",
                      formatBytes(Report.FloatParameterBytes), "",
                      formatBytes(Report.QuantizedParameterBytes));
  OS << llvm::formatv("{0,-22} {1,12} {2,12} {3,12}\n", "model file / package",
                      formatBytes(Report.ModelFileBytes), "", formatBytes(Report.PackageBytes));
  OS << llvm::formatv("\n{0,-22} {1,12}\n", "stage", "time");
  for (const StageTime &S : Report.Stages)
    OS << llvm::formatv("{0,-22} {1,10:F2} s\n", S.Name, S.Seconds);
  OS << llvm::formatv("{0,-22} {1,10:F2} s\n", "total", Report.TotalSeconds);
  OS << "\nwrote " << Request.Output << " (Core ML ML Program, "
     << mil::targetName(Request.Target) << ")\n";
}

llvm::json::Object compileSummaryJson(const CompileReport &Report,
                                      const CompileRequest &Request) {
  auto Eval = [](const EvalResult &R) {
    llvm::json::Object O{{"loss", R.Loss}, {"samples", R.Samples}};
    if (R.Accuracy)
      O["accuracy"] = *R.Accuracy;
    return O;
  };
  llvm::json::Object Stages;
  for (const StageTime &S : Report.Stages)
    Stages[S.Name] = S.Seconds;
  return llvm::json::Object{
      {"model", Request.ModelLabel.empty() ? Request.ModelPath : Request.ModelLabel},
      {"output", Request.Output},
      {"target", mil::targetName(Request.Target)},
      {"evaluated_on", Report.EvaluatedOn},
      {"float", Eval(Report.Float)},
      {"fake_quant", Eval(Report.FakeQuant)},
      {"deployed", Eval(Report.Deployed)},
      {"model_file_bytes", int64_t(Report.ModelFileBytes)},
      {"float_parameter_bytes", int64_t(Report.FloatParameterBytes)},
      {"package_bytes", int64_t(Report.PackageBytes)},
      {"quantized_parameter_bytes", int64_t(Report.QuantizedParameterBytes)},
      {"fake_quant_nodes", Report.FakeQuantNodes},
      {"weights_quantized", Report.WeightsQuantized},
      {"activation_pairs", Report.ActivationPairs},
      {"train_steps", Report.Training.Steps},
      {"ms_per_step", Report.Training.MedianMsPerStep},
      {"final_loss", Report.Training.FinalLoss},
      {"stage_seconds", std::move(Stages)},
      {"total_seconds", Report.TotalSeconds}};
}

} // namespace qatc
