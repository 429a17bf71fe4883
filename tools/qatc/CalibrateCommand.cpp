//===- CalibrateCommand.cpp - `qatc calibrate`: run observers on data -----===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/ThreadsFlag.h"

#include "ir/GraphFile.h"
#include "runtime/Executor.h"
#include "runtime/NpzFile.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace qatc {

namespace cl = llvm::cl;
using namespace runtime;

cl::SubCommand &calibrateSubCommand() {
  static cl::SubCommand Cmd("calibrate",
                            "Run a prepared graph's observers over data (inference mode) "
                            "without training");
  return Cmd;
}
static cl::SubCommand &CalibrateCmd = calibrateSubCommand();

static cl::opt<std::string> Input(cl::Positional, cl::desc("<prepared .qir/.qirb>"), cl::Required,
                                  cl::sub(CalibrateCmd), cl::cat(qatcCategory()));
static cl::opt<std::string> Data("data", cl::desc(".npz whose array x holds the samples"),
                                 cl::value_desc("path"), cl::Required, cl::sub(CalibrateCmd),
                                 cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o", cl::desc("Write the calibrated graph here"),
                                   cl::value_desc("path"), cl::Required, cl::sub(CalibrateCmd),
                                   cl::cat(qatcCategory()));
static cl::opt<int64_t> BatchSize("batch-size", cl::desc("Samples per forward pass (32)"),
                                  cl::init(32), cl::sub(CalibrateCmd), cl::cat(qatcCategory()));

int runCalibrateCommand() {
  if (auto F = graphFormatForPath(Output); !F)
    return reportError(F.takeError(), ExitBadInput);
  if (BatchSize < 1)
    return reportError("--batch-size must be at least 1", ExitBadInput);
  if (llvm::Error E = applyThreadsFlag())
    return reportError(std::move(E), ExitBadInput);
  auto Arrays = readNpz(Data);
  if (!Arrays)
    return reportError(Arrays.takeError(), ExitBadInput);
  Tensor X;
  for (auto &[Name, T] : *Arrays)
    if (Name == "x")
      X = T;
  if (!X.defined() || X.rank() == 0 || X.dtype() != DType::F32 || X.dim(0) == 0)
    return reportError(Data + ": needs a floating-point array 'x' with samples along its first "
                              "axis",
                       ExitBadInput);
  auto G = loadVerifiedGraph(Input);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  auto E = Executor::create(**G);
  if (!E)
    return reportError(Input + ": " + llvm::toString(E.takeError()), ExitBadInput);
  RunOptions Opts;
  Opts.UpdateState = true;
  int64_t N = X.dim(0), RowBytes = X.byteSize() / N;
  for (int64_t Begin = 0; Begin < N; Begin += BatchSize) {
    int64_t End = std::min(N, Begin + BatchSize);
    Shape Dims(X.shape().begin(), X.shape().end());
    Dims[0] = End - Begin;
    Tensor Batch = Tensor::fromBytes(
        Dims, DType::F32, X.bytes().slice(Begin * RowBytes, (End - Begin) * RowBytes));
    auto Out = (*E)->forward({Batch}, Opts);
    if (!Out)
      return reportError(Input + ": " + llvm::toString(Out.takeError()), ExitBadInput);
  }
  (*E)->syncToGraph();
  if (llvm::Error Err = writeGraphFile(**G, Output))
    return reportError(std::move(Err), ExitBadInput);
  llvm::errs() << llvm::formatv("calibrated on {0} samples; wrote {1}\n", N, Output);
  return ExitSuccess;
}

} // namespace qatc
