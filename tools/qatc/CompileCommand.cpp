//===- CompileCommand.cpp - `qatc compile` and `qatc demo` ----------------===//
//
// `qatc compile MODEL --data train.npz -o OUT.mlpackage` runs the whole
// pipeline of CompilePipeline.h. Without a model it (and `qatc demo`) uses
// the example bundled in the binary: a float digits CNN and scikit-learn's
// digits data (DemoBundle.h).
//
//===----------------------------------------------------------------------===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/CompilePipeline.h"
#include "tools/qatc/DemoBundle.h"
#include "tools/qatc/PluginOption.h"
#include "tools/qatc/ThreadsFlag.h"
#include "tools/qatc/TrainingFlags.h"

#include "passes/quant/ConfigReader.h"
#include "runtime/mil/MLPackageReader.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace qatc {

namespace cl = llvm::cl;

cl::SubCommand &compileSubCommand() {
  static cl::SubCommand Cmd("compile", "Import, prepare, QAT-train, finalize and export a float "
                                       "model to Core ML in one run");
  return Cmd;
}
static cl::SubCommand &CompileCmd = compileSubCommand();
cl::SubCommand &demoSubCommand() {
  static cl::SubCommand Cmd("demo", "Compile the bundled float digits CNN on scikit-learn's "
                            "digits data to a Core ML package");
  return Cmd;
}
static cl::SubCommand &DemoCmd = demoSubCommand();

static cl::opt<std::string> Model(cl::Positional,
                                  cl::desc("<model .onnx/.pt> (none: the bundled digits CNN)"),
                                  cl::sub(CompileCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> ConfigPath(
    "config",
    cl::desc("LinearQuantizerConfig as .json or .yaml/.yml; without it coremltools' defaults"),
    cl::value_desc("path"), cl::sub(CompileCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Data("data", cl::desc("Training data: .npz with arrays x and y"),
                                 cl::value_desc("path"), cl::sub(CompileCmd),
                                 cl::cat(qatcCategory()));
static cl::opt<std::string> Val("val",
                                cl::desc("Data the float, fake-quant and deployed models are "
                                         "evaluated on (default: the training data)"),
                                cl::value_desc("path"), cl::sub(CompileCmd),
                                cl::cat(qatcCategory()));
static cl::list<std::string> InputShapes("input-shape",
                                         cl::desc("Static input shape, e.g. x=?x3x224x224 "
                                                  "(repeatable; ? keeps a dim open)"),
                                         cl::value_desc("name=dims"), cl::sub(CompileCmd),
                                         cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o",
                                   cl::desc("The .mlpackage to write (default with no model: "
                                            "digits.mlpackage)"),
                                   cl::value_desc("path"), cl::sub(CompileCmd), cl::sub(DemoCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<std::string> Target("target",
                                   cl::desc("Core ML deployment target: ios16, ios17 (default) or "
                                            "ios18"),
                                   cl::init("ios17"), cl::sub(CompileCmd), cl::sub(DemoCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<std::string> KeepIntermediates(
    "keep-intermediates",
    cl::desc("Keep every stage's graph in this directory (1-imported.qirb, 2-prepared.qirb, "
             "3-trained.qirb, 4-quantized.qirb)"),
    cl::value_desc("dir"), cl::sub(CompileCmd), cl::sub(DemoCmd), cl::cat(qatcCategory()));
static cl::opt<bool> Json("json", cl::desc("Print the summary as one JSON object on stdout"),
                          cl::sub(CompileCmd), cl::sub(DemoCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Passes("passes",
                                   cl::desc("Pass pipeline run on the imported graph before "
                                            "prepare, e.g. a plugin's passes"),
                                   cl::value_desc("pipeline"), cl::sub(CompileCmd),
                                   cl::cat(qatcCategory()));
static PluginOption Plugins(CompileCmd);

namespace {

/// Writes the bundled example into a fresh temporary directory (or the
/// intermediates directory) and points the request at it.
llvm::Expected<std::string> unpackBundle(CompileRequest &R) {
  llvm::SmallString<256> Dir;
  if (!KeepIntermediates.empty()) {
    Dir = KeepIntermediates;
    if (llvm::Error E = createOutputDirectory(Dir))
      return std::move(E);
  } else if (std::error_code EC = llvm::sys::fs::createUniqueDirectory("qatc-demo", Dir)) {
    return llvm::createStringError(EC, "cannot create a temporary directory for the demo: " +
                                           EC.message());
  }
  if (llvm::Error E = writeDemoBundle(Dir))
    return std::move(E);
  auto In = [&](llvm::StringRef Name) {
    llvm::SmallString<256> Path(Dir);
    llvm::sys::path::append(Path, Name);
    return std::string(Path);
  };
  R.ModelPath = In("digits.onnx");
  R.ModelLabel = "bundled digits CNN (digits.onnx)";
  R.TrainData = In("digits_train.npz");
  R.EvalData = In("digits_test.npz");
  return KeepIntermediates.empty() ? std::string(Dir) : std::string();
}

int runPipeline(CompileRequest &R, llvm::StringRef TempDir) {
  auto Report = runCompilePipeline(R, llvm::errs());
  if (!TempDir.empty())
    llvm::sys::fs::remove_directories(TempDir);
  if (!Report)
    return reportError(Report.takeError(), ExitBadInput);
  if (Json)
    printJson(compileSummaryJson(*Report, R));
  else
    printCompileSummary(*Report, R, llvm::outs());
  return ExitSuccess;
}

/// Checks -o and --target into R.
llvm::Error setOutput(CompileRequest &R, llvm::StringRef Default) {
  R.Output = Output.empty() ? Default.str() : Output.getValue();
  if (R.Output.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "give the .mlpackage to write with -o");
  if (!mil::isMLPackagePath(R.Output))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "-o '" + R.Output + "' must name a .mlpackage directory");
  R.Output = llvm::StringRef(R.Output).rtrim('/').str();
  auto T = mil::parseTarget(Target);
  if (!T)
    return T.takeError();
  R.Target = *T;
  R.KeepIntermediates = KeepIntermediates;
  return llvm::Error::success();
}

} // namespace

int runCompileCommand() {
  if (int Status = Plugins.loadOrReport())
    return Status;
  CompileRequest R;
  R.Passes = Passes;
  bool Bundled = Model.empty();
  if (llvm::Error E = setOutput(R, Bundled ? "digits.mlpackage" : ""))
    return reportError(std::move(E), ExitBadInput);
  auto Train = trainOptionsFromFlags();
  if (!Train)
    return reportError(Train.takeError(), ExitBadInput);
  if (llvm::Error E = applyThreadsFlag())
    return reportError(std::move(E), ExitBadInput);
  R.Train = *Train;
  if (Bundled && (!Data.empty() || !Val.empty() || !InputShapes.empty()))
    return reportError("--data, --val and --input-shape need a model; give the model file "
                       "first, or none of them to compile the bundled example",
                       ExitBadInput);
  if (!Bundled && Data.empty())
    return reportError("give the training data of '" + Model + "' with --data (an .npz with "
                       "arrays x and y)",
                       ExitBadInput);
  if (!ConfigPath.empty()) {
    auto Config = readConfigFile(ConfigPath);
    if (!Config)
      return reportError(Config.takeError(), ExitBadInput);
    R.Config = std::move(*Config);
    R.ConfigOrigin = ConfigPath;
  }
  for (const std::string &Spec : InputShapes)
    if (llvm::Error E = parseInputShapeSpec(Spec, R.Import))
      return reportError(std::move(E), ExitBadInput);
  std::string TempDir;
  if (Bundled) {
    auto Dir = unpackBundle(R);
    if (!Dir)
      return reportError(Dir.takeError(), ExitBadInput);
    TempDir = *Dir;
  } else {
    R.ModelPath = Model;
    R.TrainData = Data;
    R.EvalData = Val;
  }
  return runPipeline(R, TempDir);
}

int runDemoCommand() {
  CompileRequest R;
  if (llvm::Error E = setOutput(R, "digits.mlpackage"))
    return reportError(std::move(E), ExitBadInput);
  if (llvm::Error E = applyThreadsFlag())
    return reportError(std::move(E), ExitBadInput);
  auto Dir = unpackBundle(R);
  if (!Dir)
    return reportError(Dir.takeError(), ExitBadInput);
  // Fine-tuning that recovers the float accuracy: the training defaults
  // (cross entropy, SGD at 0.01, batch 32, seed 0) with momentum, two epochs.
  R.Train.Optimizer.Momentum = 0.9;
  R.Train.Epochs = 2;
  return runPipeline(R, *Dir);
}

} // namespace qatc
