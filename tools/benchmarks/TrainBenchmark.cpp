//===- TrainBenchmark.cpp - Training steps against eager PyTorch ----------===//
//
// Prints, side by side with PyTorch in the same run, the median time of a
// training step (float and QAT), the fake-quant overhead, peak memory and the
// achieved GFLOP/s for the models of the runtime issue: the seed model (batch
// 32 and 128, MSE), the digits CNN (batch 64), resnet18 at 3x32x32 (batch 32)
// and mobilenet_v2 at 3x64x64 (batch 16); SGD with momentum 0.9 everywhere.
// Both sides train the same seeded weights on the same batch with the same
// thread count; every configuration runs in a fresh process so that peak
// memory is its own. qatc's float and QAT steps are also timed in turns
// (a few steps each) in one process, so that its overhead compares steps
// taken under the same conditions: on this shared VM a process can run a
// third slower than the one before it. PyTorch runs with glibc malloc told to keep memory
// (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_), which
// makes its steps several times faster here: the peer at its best.
//
//   bazel run -c opt //tools:train_benchmark [-- --steps 30 --threads 2 --only digits]
//
//===----------------------------------------------------------------------===//

#include "frontend/Importer.h"
#include "passes/quant/ConfigResolver.h"
#include "passes/quant/Prepare.h"
#include "runtime/Loss.h"
#include "runtime/MilestoneStepper.h"
#include "runtime/Optimizer.h"
#include "runtime/Parallel.h"
#include "runtime/Trainer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <fstream>

#include <unistd.h>
#include <string>

using namespace qatc;
using namespace qatc::runtime;

namespace cl = llvm::cl;

static cl::opt<int> Steps("steps", cl::desc("Timed steps per configuration (median shown)"),
                          cl::init(20));
static cl::opt<int> Threads("threads", cl::desc("Threads on both sides"), cl::init(2));
static cl::opt<std::string> Only("only", cl::desc("Run only the configurations whose name "
                                                  "contains this"));
static cl::opt<std::string> Python("python", cl::desc("The Python with torch"),
                                   cl::init("/usr/bin/python3"));
static cl::opt<std::string> Script("script", cl::desc("torch_train_benchmark.py"),
                                   cl::init("tools/benchmarks/torch_train_benchmark.py"));
// Child mode: one qatc configuration.
static cl::opt<std::string> ChildOnnx("child-onnx", cl::Hidden);
static cl::opt<std::string> ChildData("child-data", cl::Hidden);
static cl::opt<std::string> ChildLoss("child-loss", cl::Hidden);
static cl::opt<bool> ChildQat("child-qat", cl::Hidden);
static cl::opt<bool> ChildPaired("child-paired", cl::Hidden);

namespace {

struct Config {
  const char *Name, *Model, *Shape;
  int Batch;
  const char *Loss;
};

const Config kConfigs[] = {
    {"seed b32", "seed", "1x20x20", 32, "mse"},
    {"seed b128", "seed", "1x20x20", 128, "mse"},
    {"digits b64", "digits", "1x8x8", 64, "ce"},
    {"resnet18 3x32x32 b32", "resnet18", "3x32x32", 32, "ce"},
    {"mobilenet_v2 3x64x64 b16", "mobilenet_v2", "3x64x64", 16, "ce"},
};

/// Forward FLOPs of the conv, linear and matmul nodes for batch Batch
/// (a dynamic leading dimension counts as Batch).
double forwardFlops(const Graph &G, int64_t Batch) {
  auto Dim = [&](const Type &T, unsigned I) {
    int64_t D = T.dims()[I];
    return double(D < 0 ? Batch : D);
  };
  double Flops = 0;
  for (const Node &N : G.nodes()) {
    if (!N.isCall() || !N.type().isTensor() || !N.type().hasRank())
      continue;
    const Type &Out = N.type();
    if (N.isCallTo("conv2d") || N.isCallTo("conv1d") || N.isCallTo("conv_transpose2d")) {
      const Type &W = N.operand(1)->type();
      double OutElems = 1, KernelMacs = 1;
      for (unsigned I = 0; I < Out.rank(); ++I)
        OutElems *= Dim(Out, I);
      for (unsigned I = 1; I < W.rank(); ++I)
        KernelMacs *= W.dims()[I];
      if (N.isCallTo("conv_transpose2d")) // weight [in, out/groups, kh, kw]
        KernelMacs = KernelMacs / W.dims()[1] * W.dims()[0] /
                     std::max<int64_t>(1, N.getInt("groups"));
      Flops += 2 * OutElems * KernelMacs;
    } else if (N.isCallTo("linear") || N.isCallTo("matmul")) {
      const Type &In = N.operand(0)->type();
      double OutElems = 1;
      for (unsigned I = 0; I < Out.rank(); ++I)
        OutElems *= Dim(Out, I);
      Flops += 2 * OutElems * Dim(In, In.rank() - 1);
    }
  }
  return Flops;
}

size_t procStatusBytes(llvm::StringRef Key) {
  std::ifstream Status("/proc/self/status");
  std::string Line;
  while (std::getline(Status, Line))
    if (llvm::StringRef(Line).startswith(Key)) {
      size_t KiB = 0;
      llvm::StringRef(Line).drop_front(Key.size()).trim().split(' ').first.getAsInteger(10, KiB);
      return KiB * 1024;
    }
  return 0;
}

/// Prints E for a child's failure; the child's exit code.
int fail(llvm::Error E) {
  llvm::errs() << llvm::toString(std::move(E)) << "\n";
  return 1;
}

/// The child's training options: the whole dataset (one batch) per step.
TrainOptions childTrainOptions(const Dataset &Data, int64_t NumSteps) {
  TrainOptions Opts;
  Opts.Loss = llvm::StringRef(ChildLoss) == "ce" ? LossKind::CrossEntropy
                                                 : LossKind::MeanSquaredError;
  Opts.Optimizer.Momentum = 0.9;
  Opts.Schedule.Base = 1e-3;
  Opts.BatchSize = Data.size();
  Opts.Steps = NumSteps;
  return Opts;
}

/// Prepares G with coremltools' default config; false (reported) on failure.
bool prepareDefault(Graph &G) {
  auto Resolver = ConfigResolver::create(defaultLinearQuantizerConfig());
  if (!Resolver) {
    fail(Resolver.takeError());
    return false;
  }
  if (!prepareForQAT(G, *Resolver)) {
    llvm::errs() << "prepare failed\n";
    return false;
  }
  return true;
}

/// The median of V (-1 when empty).
double median(std::vector<double> V) {
  if (V.empty())
    return -1;
  std::nth_element(V.begin(), V.begin() + V.size() / 2, V.end());
  return V[V.size() / 2];
}

/// One graph's training loop, step by step: the step train() takes
/// (milestones, forward, loss, backward, optimizer), on the whole dataset.
struct SteppedRun {
  std::unique_ptr<Graph> G;
  std::unique_ptr<Executor> E;
  std::unique_ptr<MilestoneStepper> Milestones;
  std::unique_ptr<Optimizer> Opt;
  std::vector<double> Ms;

  llvm::Error start(std::unique_ptr<Graph> Graph, const TrainOptions &Opts) {
    G = std::move(Graph);
    auto ExecOrErr = Executor::create(*G);
    if (!ExecOrErr)
      return ExecOrErr.takeError();
    E = std::move(*ExecOrErr);
    Milestones = std::make_unique<MilestoneStepper>(*E);
    Opt = std::make_unique<Optimizer>(Opts.Optimizer);
    return llvm::Error::success();
  }

  llvm::Error step(const Tensor &X, const Tensor &Y, const TrainOptions &Opts, bool Timed) {
    auto T0 = std::chrono::steady_clock::now();
    Milestones->step();
    RunOptions Run;
    Run.Training = Run.UpdateState = Run.RecordGradients = true;
    auto Out = E->forward({X}, Run);
    if (!Out)
      return Out.takeError();
    auto L = computeLoss(Opts.Loss, Out->front(), Y);
    if (!L)
      return L.takeError();
    if (llvm::Error Err = E->backward({L->Grad}))
      return Err;
    Opt->step(*E, Opts.Schedule.Base);
    auto T1 = std::chrono::steady_clock::now();
    if (Timed)
      Ms.push_back(std::chrono::duration<double, std::milli>(T1 - T0).count());
    return llvm::Error::success();
  }
};

/// Paired child mode: the float and the prepared graph take training steps
/// in turns in one process, so that both medians see the same machine (on
/// a shared VM the speed of a process can change by a third from one run to
/// the next). Prints the two medians of the timed steps as one JSON line.
int runPairedChild() {
  setNumThreads(Threads);
  auto Float = importModel(ChildOnnx, ImportOptions());
  if (!Float)
    return fail(Float.takeError());
  std::unique_ptr<Graph> Prepared = (*Float)->clone();
  if (!prepareDefault(*Prepared))
    return 1;
  auto Data = Dataset::load(ChildData);
  if (!Data)
    return fail(Data.takeError());
  TrainOptions Opts = childTrainOptions(*Data, Steps);
  std::vector<int64_t> All(Data->size());
  for (int64_t I = 0; I < Data->size(); ++I)
    All[I] = I;
  auto [X, Y] = Data->gather(All);
  SteppedRun Runs[2];
  constexpr int WarmUp = 3;
  for (int Qat = 0; Qat < 2; ++Qat) {
    llvm::Error Err = Runs[Qat].start(std::move(Qat ? Prepared : *Float), Opts);
    for (int Step = 0; !Err && Step < WarmUp + Steps; ++Step)
      Err = Runs[Qat].step(X, Y, Opts, false);
    if (Err)
      return fail(std::move(Err));
  }
  // Turns of a few steps, the first of each untimed: it finds the caches
  // full of the other graph's buffers.
  constexpr int TimedPerTurn = 4;
  for (int Done = 0; Done < Steps; Done += TimedPerTurn)
    for (SteppedRun &R : Runs)
      for (int Step = 0; Step <= TimedPerTurn; ++Step)
        if (llvm::Error Err = R.step(X, Y, Opts, Step > 0))
          return fail(std::move(Err));
  llvm::outs() << llvm::json::Value(llvm::json::Object{
                      {"float_ms_per_step", median(Runs[0].Ms)},
                      {"qat_ms_per_step", median(Runs[1].Ms)}})
               << "\n";
  return 0;
}

/// Child mode: import, optionally prepare, train, print one JSON line.
int runChild() {
  setNumThreads(Threads);
  auto G = importModel(ChildOnnx, ImportOptions());
  if (!G)
    return fail(G.takeError());
  if (ChildQat && !prepareDefault(**G))
    return 1;
  auto Data = Dataset::load(ChildData);
  if (!Data)
    return fail(Data.takeError());
  TrainOptions Opts = childTrainOptions(*Data, Steps + 3);
  double Flops = 3 * forwardFlops(**G, Data->size());
  size_t StartRss = procStatusBytes("VmRSS:");
  auto Summary = train(*G, *Data, nullptr, Opts);
  if (!Summary)
    return fail(Summary.takeError());
  llvm::outs() << llvm::json::Value(llvm::json::Object{
                      {"ms_per_step", Summary->MedianMsPerStep},
                      {"peak_rss_bytes", int64_t(procStatusBytes("VmHWM:"))},
                      {"start_rss_bytes", int64_t(StartRss)},
                      {"gflops", Flops / (Summary->MedianMsPerStep * 1e6)},
                      {"final_loss", Summary->FinalLoss}})
               << "\n";
  return 0;
}

/// Runs Program with Args; returns its last stdout line parsed as JSON.
std::optional<llvm::json::Object> runJson(llvm::StringRef Program,
                                           std::vector<std::string> Args,
                                           llvm::ArrayRef<std::string> Env = {}) {
  llvm::SmallString<128> OutPath;
  llvm::sys::fs::createTemporaryFile("train-bench", "json", OutPath);
  std::vector<llvm::StringRef> ArgRefs{Program};
  for (const std::string &A : Args)
    ArgRefs.push_back(A);
  std::optional<llvm::StringRef> Redirects[] = {std::nullopt, llvm::StringRef(OutPath),
                                                std::nullopt};
  std::vector<llvm::StringRef> EnvRefs;
  std::optional<llvm::ArrayRef<llvm::StringRef>> EnvArg;
  if (!Env.empty()) {
    for (char **E = environ; *E; ++E)
      EnvRefs.push_back(*E);
    for (const std::string &E : Env)
      EnvRefs.push_back(E);
    EnvArg = EnvRefs;
  }
  int Status = llvm::sys::ExecuteAndWait(Program, ArgRefs, EnvArg, Redirects);
  auto Buffer = llvm::MemoryBuffer::getFile(OutPath);
  llvm::sys::fs::remove(OutPath);
  if (Status != 0 || !Buffer)
    return std::nullopt;
  llvm::StringRef Text = (*Buffer)->getBuffer().rtrim();
  auto V = llvm::json::parse(Text.rsplit('\n').second.empty() ? Text : Text.rsplit('\n').second);
  if (!V || !V->getAsObject()) {
    if (!V)
      llvm::consumeError(V.takeError());
    return std::nullopt;
  }
  return *V->getAsObject();
}

double num(const std::optional<llvm::json::Object> &O, llvm::StringRef Key) {
  if (!O)
    return -1;
  return O->getNumber(Key).value_or(-1);
}

} // namespace

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "qatc training steps against eager PyTorch\n");
  if (!ChildOnnx.empty())
    return ChildPaired ? runPairedChild() : runChild();

  std::string Self = llvm::sys::fs::getMainExecutable(argv[0], (void *)&runChild);
  std::string ScriptPath = Script;
  if (const char *Ws = getenv("BUILD_WORKSPACE_DIRECTORY"))
    if (!llvm::sys::path::is_absolute(ScriptPath))
      ScriptPath = (llvm::Twine(Ws) + "/" + ScriptPath).str();
  llvm::SmallString<128> Dir;
  llvm::sys::fs::createUniqueDirectory("train-bench", Dir);
  const std::vector<std::string> MallocEnv = {"MALLOC_MMAP_THRESHOLD_=10000000000",
                                              "MALLOC_TRIM_THRESHOLD_=10000000000",
                                              "MALLOC_TOP_PAD_=1000000000"};

  llvm::outs() << llvm::formatv("training step, median of {0} steps, {1} threads, SGD momentum "
                                "0.9; PyTorch eager with prepare_qat_fx (fbgemm QAT mapping), "
                                "malloc tuned\n\n",
                                Steps, Threads);
  llvm::outs() << llvm::formatv("{0,-26} {1,9} {2,9} {3,9} {4,9} {5,7} {6,7} {7,8} {8,8} "
                                "{9,8} {10,8} {11,7}\n",
                                "model", "qatc fp", "torch fp", "qatc qat", "torch qat",
                                "ratio", "ovh q", "ovh t", "qatc MB", "torch MB", "MB+q",
                                "GF/s");
  for (const Config &C : kConfigs) {
    if (!Only.empty() && !llvm::StringRef(C.Name).contains(Only))
      continue;
    std::string Stem = (Dir + "/" + C.Name).str();
    for (char &Ch : Stem)
      if (Ch == ' ')
        Ch = '_';
    std::vector<std::string> Common = {"--model", C.Model, "--shape", C.Shape,
                                       "--batch", std::to_string(C.Batch), "--loss", C.Loss,
                                       "--data", Stem + ".npz"};
    std::vector<std::string> ExportArgs = {ScriptPath, "export"};
    ExportArgs.insert(ExportArgs.end(), Common.begin(), Common.end());
    ExportArgs.push_back("--onnx");
    ExportArgs.push_back(Stem + ".onnx");
    std::vector<llvm::StringRef> Refs{Python};
    for (const std::string &A : ExportArgs)
      Refs.push_back(A);
    if (llvm::sys::ExecuteAndWait(Python, Refs) != 0) {
      llvm::outs() << C.Name << ": export failed\n";
      continue;
    }
    std::vector<std::string> Child = {"--child-onnx", Stem + ".onnx", "--child-data",
                                      Stem + ".npz", "--child-loss", C.Loss,
                                      "--steps", std::to_string(Steps), "--threads",
                                      std::to_string(Threads)};
    std::vector<std::string> PairedChild = Child, QatChild = Child;
    PairedChild.push_back("--child-paired");
    QatChild.push_back("--child-qat");
    std::optional<llvm::json::Object> Paired = runJson(Self, PairedChild);
    std::optional<llvm::json::Object> QatRun = runJson(Self, QatChild);
    std::optional<llvm::json::Object> T[2];
    for (int Qat = 0; Qat < 2; ++Qat) {
      std::vector<std::string> Run = {ScriptPath, "run", "--mode", Qat ? "qat" : "float",
                                      "--steps", std::to_string(Steps), "--threads",
                                      std::to_string(Threads)};
      Run.insert(Run.end(), Common.begin(), Common.end());
      T[Qat] = runJson(Python, Run, MallocEnv);
    }
    double QF = num(Paired, "float_ms_per_step"), TF = num(T[0], "ms_per_step");
    double QQ = num(Paired, "qat_ms_per_step"), TQ = num(T[1], "ms_per_step");
    llvm::outs() << llvm::formatv(
        "{0,-26} {1,9:F2} {2,9:F2} {3,9:F2} {4,9:F2} {5,7:F2} {6,6:F1}% {7,6:F1}% {8,8:F1} "
        "{9,8:F1} {10,8:F1} {11,7:F1}\n",
        C.Name, QF, TF, QQ, TQ, QQ / TQ, (QQ / QF - 1) * 100, (TQ / TF - 1) * 100,
        num(QatRun, "peak_rss_bytes") / 1e6, num(T[1], "peak_rss_bytes") / 1e6,
        (num(QatRun, "peak_rss_bytes") - num(QatRun, "start_rss_bytes")) / 1e6,
        num(QatRun, "gflops"));
    llvm::outs().flush();
  }
  llvm::outs() << "\nratio = qatc QAT step / PyTorch QAT step (target <= 0.8); ovh = QAT step / "
                  "float step - 1 (target <= 15%); qatc's float and QAT steps are timed in "
                  "turns of 4 steps in one process, PyTorch's in a process each; MB = peak "
                  "RSS of the QAT process; MB+q = qatc's peak RSS growth during training; "
                  "GF/s = qatc QAT conv/linear FLOPs (3x forward) per second. OpenBLAS sgemm "
                  "peak: bazel run //tools:kernel_benchmark\n";
  llvm::sys::fs::remove_directories(Dir);
  return 0;
}
