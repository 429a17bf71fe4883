//===- PrepareBenchmark.cpp - prepare timings against PyTorch's prepare_qat_fx ===//
//
// Prints how long prepareForQAT takes on synthetic residual graphs of about
// 10k, 100k and 1M nodes (--sizes picks others) and on imported models given
// with --model NAME=FILE, and times PyTorch's prepare_qat_fx on the same
// torchvision models in the same run (Debian's python3-torch; coremltools is
// not installed, so torch's own QAT flow with the default fbgemm QAT qconfig
// mapping stands in for LinearQuantizer.prepare, which wraps it).
//
// Linearity is the point of the synthetic rows: each prints ns per input
// node and the growth per 10x nodes (x10.0 is linear), and a last line gives
// the spread of ns/node over the sizes (1.00 is flat). Beside prepare, two
// yardsticks that are linear by construction run on the prepared graph:
// cloning it (building a graph of the same size: every node, name and
// parameter again) and verifying it (a walk with name lookups). Where they
// grow too, the growth is the memory hierarchy (the graph and its name tables
// leave the caches), not the pass. Times are CPU time of the calling thread
// (--wall for wall-clock time), so other load on the machine counts less.
// Figures, not a timed test: bazel run //tools:prepare_benchmark --
// --model resnet50=/tmp/resnet50.qirb --model mobilenet_v2=/tmp/mobilenet_v2.qirb
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/GraphFile.h"
#include "ir/Verifier.h"
#include "passes/quant/Prepare.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <vector>

using namespace qatc;

namespace cl = llvm::cl;

static cl::list<std::string> Models("model", cl::desc("An imported model to time, NAME=FILE"),
                                    cl::value_desc("name=file"));
static cl::opt<unsigned> Runs("runs", cl::desc("Runs per graph below 1M nodes (median is shown)"),
                              cl::init(7));
static cl::list<size_t>
    Sizes("sizes", cl::desc("Synthetic graph sizes in nodes (default 10000,100000,1000000)"),
          cl::CommaSeparated);
static cl::opt<bool> Wall("wall", cl::desc("Time wall-clock instead of thread CPU time"));
static cl::opt<bool> NoPyTorch("no-pytorch", cl::desc("Do not time PyTorch's prepare_qat_fx"));
static cl::opt<std::string> Python("python", cl::desc("The Python with torch and torchvision"),
                                   cl::init("/usr/bin/python3"));

namespace {

using Clock = std::chrono::steady_clock;

/// A ResNet-like chain of basic blocks: conv-bn-relu, conv-bn, residual add,
/// relu, with a shared-qparams pool every fourth block (about 17 nodes per
/// block). Parameters are elided; prepare never reads their data.
std::unique_ptr<Graph> syntheticGraph(size_t Nodes) {
  auto G = std::make_unique<Graph>("synthetic");
  Builder B(*G);
  const int64_t C = 8;
  Type Act = Type::tensor(DType::F32, {1, C, 4, 4});
  Node *X = B.placeholder("input", Act);
  auto Param = [&](const std::string &Name, llvm::ArrayRef<int64_t> Dims) {
    return B.getAttr(G->addParameter(Name, Type::tensor(DType::F32, Dims)));
  };
  auto ConvBn = [&](const std::string &Prefix, Node *In) {
    Node *W = Param(Prefix + ".conv.weight", {C, C, 1, 1});
    Node *Conv = llvm::cantFail(B.call("conv2d", {In, W}, {}, Prefix + ".conv"));
    llvm::SmallVector<Node *, 5> Ops = {Conv};
    for (const char *P : {"weight", "bias", "running_mean", "running_var"})
      Ops.push_back(Param(Prefix + ".bn." + P, {C}));
    return llvm::cantFail(B.call("batch_norm", Ops, {}, Prefix + ".bn"));
  };
  // Graph::numNodes() walks the list, so count blocks instead.
  const size_t NodesPerBlock = 17;
  for (size_t Block = 0; Block * NodesPerBlock < Nodes; ++Block) {
    std::string P = "layer" + std::to_string(Block);
    Node *A = llvm::cantFail(B.call("relu", {ConvBn(P + ".a", X)}, {}, P + ".relu"));
    Node *Sum = llvm::cantFail(B.call("add", {ConvBn(P + ".b", A), X}, {}, P + ".add"));
    X = llvm::cantFail(B.call("relu", {Sum}, {}, P + ".relu_1"));
    if (Block % 4 == 3)
      X = llvm::cantFail(
          B.call("max_pool2d", {X}, {{"kernel_size", std::vector<int64_t>{1, 1}}}, P + ".pool"));
  }
  B.output({X});
  return G;
}

/// Milliseconds on the benchmark's clock: CPU time of this thread, or wall
/// time with --wall.
double nowMs() {
  if (Wall)
    return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
  timespec TS;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &TS);
  return TS.tv_sec * 1e3 + TS.tv_nsec / 1e6;
}

struct Timing {
  size_t NodesBefore = 0, NodesAfter = 0;
  int64_t FakeQuants = 0;
  double Ms = 0;
  /// Yardsticks on the prepared graph: cloning it (building a graph of the
  /// same size in one linear loop) and verifying it.
  double CloneMs = 0, VerifyMs = 0;
};

double median(std::vector<double> V) {
  std::sort(V.begin(), V.end());
  return V[V.size() / 2];
}

/// Median times of prepareForQAT over fresh clones of G, and of the
/// yardsticks on the prepared clones.
Timing timePrepare(const Graph &G, const ConfigResolver &R, unsigned N) {
  std::vector<double> Ms, CloneMs, VerifyMs;
  Timing T;
  T.NodesBefore = G.numNodes();
  for (unsigned I = 0; I < N; ++I) {
    auto Copy = G.clone();
    double Start = nowMs();
    auto S = prepareForQAT(*Copy, R);
    Ms.push_back(nowMs() - Start);
    if (!S) {
      llvm::errs() << "prepare failed: " << llvm::toString(S.takeError()) << "\n";
      std::exit(1);
    }
    T.NodesAfter = Copy->numNodes();
    T.FakeQuants = S->FakeQuants.total();
    Start = nowMs();
    auto Rebuilt = Copy->clone();
    CloneMs.push_back(nowMs() - Start);
    Rebuilt.reset();
    Start = nowMs();
    llvm::cantFail(verify(*Copy));
    VerifyMs.push_back(nowMs() - Start);
  }
  T.Ms = median(Ms);
  T.CloneMs = median(CloneMs);
  T.VerifyMs = median(VerifyMs);
  return T;
}

/// Time growth from Prev to T scaled to 10x the nodes (10.0 is linear).
double growthPer10x(const Timing &Prev, double PrevMs, const Timing &T, double Ms) {
  return Ms / PrevMs * 10.0 * Prev.NodesBefore / T.NodesBefore;
}

void printHeader() {
  llvm::outs() << "graph               nodes    after      fq | prepare ms  ns/node   /10x |  "
                  "clone ms  ns/node   /10x | verify ms\n";
}

/// One row; Prev is the previous synthetic size (null for the first size and
/// for models).
void printRow(llvm::StringRef Name, const Timing &T, const Timing *Prev) {
  auto Growth = [&](double PrevMs, double Ms) {
    return Prev ? llvm::formatv("x{0:f1}", growthPer10x(*Prev, PrevMs, T, Ms)).str()
                : std::string();
  };
  llvm::outs() << llvm::format(
      "%-16s %8zu %8zu %7lld | %10.3f %8.1f %6s | %9.3f %8.1f %6s | %9.3f\n", Name.str().c_str(),
      T.NodesBefore, T.NodesAfter, (long long)T.FakeQuants, T.Ms, T.Ms * 1e6 / T.NodesBefore,
      Growth(Prev ? Prev->Ms : 0, T.Ms).c_str(), T.CloneMs, T.CloneMs * 1e6 / T.NodesBefore,
      Growth(Prev ? Prev->CloneMs : 0, T.CloneMs).c_str(), T.VerifyMs);
}

/// Largest over smallest ns/node of one measure over the synthetic sizes.
double spread(const std::vector<Timing> &Rows, double Timing::*Ms) {
  double Lo = 0, Hi = 0;
  for (const Timing &T : Rows) {
    double NsPerNode = T.*Ms * 1e6 / T.NodesBefore;
    Lo = Lo == 0 ? NsPerNode : std::min(Lo, NsPerNode);
    Hi = std::max(Hi, NsPerNode);
  }
  return Hi / Lo;
}

/// The Python that times prepare_qat_fx; prints one JSON object per model.
const char *PyTorchScript = R"PY(
import copy, json, sys, time, warnings
warnings.filterwarnings("ignore")
import torch, torchvision
from torch.ao.quantization import get_default_qat_qconfig_mapping
from torch.ao.quantization.quantize_fx import prepare_qat_fx
runs = int(sys.argv[1])
for name in sys.argv[2:]:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).train()
    example = (torch.randn(1, 3, 224, 224),)
    mapping = get_default_qat_qconfig_mapping("fbgemm")
    times = []
    for _ in range(runs):
        fresh = copy.deepcopy(model)
        start = time.perf_counter()
        prepare_qat_fx(fresh, mapping, example)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"model": name, "ms": times[len(times) // 2], "torch": torch.__version__}))
    sys.stdout.flush()
)PY";

/// Runs PyTorchScript for Names; returns model -> median ms (empty on failure).
std::map<std::string, double> timePyTorch(const std::vector<std::string> &Names,
                                          std::string &Version) {
  std::map<std::string, double> Result;
  llvm::SmallString<128> ScriptPath, OutPath;
  if (llvm::sys::fs::createTemporaryFile("prepare_bench", "py", ScriptPath) ||
      llvm::sys::fs::createTemporaryFile("prepare_bench", "json", OutPath))
    return Result;
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(ScriptPath, EC);
    OS << PyTorchScript;
  }
  std::vector<std::string> Args = {Python, std::string(ScriptPath),
                                   std::to_string(Runs.getValue())};
  Args.insert(Args.end(), Names.begin(), Names.end());
  std::vector<llvm::StringRef> ArgRefs(Args.begin(), Args.end());
  std::optional<llvm::StringRef> Redirects[] = {std::nullopt, llvm::StringRef(OutPath),
                                                std::nullopt};
  int Status = llvm::sys::ExecuteAndWait(Python, ArgRefs, std::nullopt, Redirects);
  auto Buffer = llvm::MemoryBuffer::getFile(OutPath);
  llvm::sys::fs::remove(ScriptPath);
  llvm::sys::fs::remove(OutPath);
  if (Status != 0 || !Buffer)
    return Result;
  llvm::SmallVector<llvm::StringRef, 4> Lines;
  (*Buffer)->getBuffer().split(Lines, '\n', -1, false);
  for (llvm::StringRef Line : Lines) {
    auto V = llvm::json::parse(Line);
    if (!V) {
      llvm::consumeError(V.takeError());
      continue;
    }
    const llvm::json::Object *O = V->getAsObject();
    if (auto Model = O->getString("model"))
      if (auto Ms = O->getNumber("ms"))
        Result[Model->str()] = *Ms;
    if (auto T = O->getString("torch"))
      Version = T->str();
  }
  return Result;
}

} // namespace

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "prepare benchmark\n");
  ConfigResolver Resolver = llvm::cantFail(ConfigResolver::create(defaultLinearQuantizerConfig()));

  llvm::outs() << "prepareForQAT, coremltools' default config; " << (Wall ? "wall" : "thread CPU")
               << " time, median of " << Runs
               << " runs (3 at 1M nodes and more), each on a fresh clone; /10x is the growth "
                  "per 10x nodes (x10.0 is linear)\n";
  printHeader();
  std::vector<size_t> SizeList(Sizes.begin(), Sizes.end());
  if (SizeList.empty())
    SizeList = {10'000, 100'000, 1'000'000};
  std::vector<Timing> Synthetic;
  for (size_t N : SizeList) {
    auto G = syntheticGraph(N);
    Timing T = timePrepare(*G, Resolver, N >= 1'000'000 ? 3 : Runs.getValue());
    std::string Name = N % 1000 ? std::to_string(N) : std::to_string(N / 1000) + "k";
    printRow("synthetic-" + Name, T, Synthetic.empty() ? nullptr : &Synthetic.back());
    Synthetic.push_back(T);
  }
  if (Synthetic.size() > 1)
    llvm::outs() << llvm::format("ns/node spread over the synthetic sizes (largest / smallest; "
                                 "1.00 is flat): prepare %.2f, clone %.2f, verify %.2f\n",
                                 spread(Synthetic, &Timing::Ms),
                                 spread(Synthetic, &Timing::CloneMs),
                                 spread(Synthetic, &Timing::VerifyMs));

  std::vector<std::string> Names;
  std::map<std::string, double> Ours;
  for (const std::string &Spec : Models) {
    auto [Name, Path] = llvm::StringRef(Spec).split('=');
    auto G = readGraphFile(Path);
    if (!G) {
      llvm::errs() << "cannot load " << Path << ": " << llvm::toString(G.takeError()) << "\n";
      return 1;
    }
    if (llvm::Error E = verify(**G)) {
      llvm::errs() << Path << ": " << llvm::toString(std::move(E)) << "\n";
      return 1;
    }
    Timing T = timePrepare(**G, Resolver, Runs);
    printRow(Name, T, nullptr);
    Names.push_back(Name.str());
    Ours[Name.str()] = T.Ms;
  }
  if (Names.empty() || NoPyTorch)
    return 0;

  std::string Version = "?";
  std::map<std::string, double> Torch = timePyTorch(Names, Version);
  if (Torch.empty()) {
    llvm::outs() << "\nPyTorch timing failed (is " << Python << " with torch and torchvision "
                 << "installed?)\n";
    return 0;
  }
  llvm::outs() << "\nPyTorch " << Version << " prepare_qat_fx (default fbgemm QAT qconfig "
               << "mapping; coremltools is not installed), same machine, same run:\n";
  for (const std::string &Name : Names) {
    auto It = Torch.find(Name);
    if (It == Torch.end())
      continue;
    llvm::outs() << llvm::format("%-22s %10.1f ms   qatc %.3f ms   %.0fx faster\n", Name.c_str(),
                                 It->second, Ours[Name], It->second / Ours[Name]);
  }
  return 0;
}
