//===- KernelBenchmark.cpp - Dense-layer kernel speed figures -------------===//
//
// Prints ms and GFLOP/s of conv2d forward and backward (data and weight
// gradients) on ResNet-18 shapes, run through the executor as training does,
// next to OpenBLAS cblas_sgemm (the machine's sgemm reference) and the
// linear kernel on the same product, and batch norm and max pooling on the
// stem's output. Run: bazel run //tools:kernel_benchmark
// -- [--batch N] [--reps N] [--threads N]
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"
#include "runtime/Parallel.h"

#include "ir/Builder.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>

#include <chrono>
#include <random>

using namespace qatc;
using namespace qatc::runtime;

namespace {

llvm::cl::opt<int> Batch("batch", llvm::cl::desc("conv batch size"), llvm::cl::init(8));
llvm::cl::opt<int> Reps("reps", llvm::cl::desc("timed repetitions (best is printed)"),
                        llvm::cl::init(3));
llvm::cl::opt<int> Threads("threads", llvm::cl::desc("threads (0 = OpenMP default)"),
                           llvm::cl::init(0));

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point Start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - Start).count();
}

/// Best time in ms of Reps calls of Fn after one warm-up call.
template <typename F> double bestMs(F &&Fn) {
  Fn();
  double Best = 1e30;
  for (int I = 0; I < Reps; ++I) {
    auto Start = Clock::now();
    Fn();
    Best = std::min(Best, msSince(Start));
  }
  return Best;
}

Tensor randomTensor(llvm::ArrayRef<int64_t> Dims, std::mt19937 &Rng) {
  std::uniform_real_distribution<float> D(-1, 1);
  Tensor T = Tensor::empty(Dims);
  for (int64_t I = 0; I < T.numel(); ++I)
    T.f32()[I] = D(Rng);
  return T;
}

/// A graph computing Op(params...) where every operand is a trainable
/// parameter, so backward computes every gradient.
struct OneOp {
  Graph G{"bench"};
  std::unique_ptr<Executor> Exec;
  Tensor GradOut;

  OneOp(llvm::StringRef Op, llvm::ArrayRef<Tensor> Operands,
        llvm::SmallVector<NamedAttribute, 0> Attrs) {
    Builder B(G);
    llvm::SmallVector<Node *, 3> Values;
    for (unsigned I = 0; I < Operands.size(); ++I) {
      Parameter *P = G.addParameter("p" + std::to_string(I),
                                    Type::tensor(DType::F32, Operands[I].shape()));
      llvm::ArrayRef<uint8_t> Bytes = Operands[I].bytes();
      P->setData(std::vector<uint8_t>(Bytes.begin(), Bytes.end()));
      Values.push_back(B.getAttr(P));
    }
    Node *Call = llvm::cantFail(B.call(Op, Values, std::move(Attrs), "op"));
    B.output({Call});
    Exec = llvm::cantFail(Executor::create(G));
    GradOut = Tensor::full(Call->type().dims(), 1.0f);
  }
  void forward(bool Record) {
    RunOptions Opts;
    Opts.Training = true;
    Opts.RecordGradients = Record;
    llvm::cantFail(Exec->forward({}, Opts));
  }
  void backward() { llvm::cantFail(Exec->backward({GradOut}, false)); }
};

void printRow(llvm::StringRef Name, double Ms, double Flops) {
  llvm::outs() << llvm::format("  %-34s %9.2f ms %8.1f GFLOP/s\n", Name.str().c_str(), Ms,
                               Flops / Ms / 1e6);
}

struct ConvShape {
  const char *Name;
  int64_t C, H, OC, K, Stride, Pad;
};

void benchConvolutions(std::mt19937 &Rng) {
  static const ConvShape Shapes[] = {
      {"conv1 3x224 7x7/2 ->64", 3, 224, 64, 7, 2, 3},
      {"layer1 64x56 3x3 ->64", 64, 56, 64, 3, 1, 1},
      {"layer2 64x56 3x3/2 ->128", 64, 56, 128, 3, 2, 1},
      {"layer2 128x28 3x3 ->128", 128, 28, 128, 3, 1, 1},
      {"layer3 256x14 3x3 ->256", 256, 14, 256, 3, 1, 1},
      {"layer4 512x7 3x3 ->512", 512, 7, 512, 3, 1, 1},
      {"downsample 256x14 1x1/2 ->512", 256, 14, 512, 1, 2, 0},
  };
  llvm::outs() << "conv2d, batch " << Batch << " (backward = data + weight gradients)\n";
  for (const ConvShape &S : Shapes) {
    int64_t OH = (S.H + 2 * S.Pad - S.K) / S.Stride + 1;
    double Flops = 2.0 * Batch * S.OC * OH * OH * S.C * S.K * S.K;
    OneOp Op("conv2d",
             {randomTensor({Batch, S.C, S.H, S.H}, Rng), randomTensor({S.OC, S.C, S.K, S.K}, Rng)},
             {{"stride", Attribute(std::vector<int64_t>{S.Stride, S.Stride})},
              {"padding", Attribute(std::vector<int64_t>{S.Pad, S.Pad})}});
    double Fwd = bestMs([&] { Op.forward(false); });
    Op.forward(true);
    double Bwd = bestMs([&] {
      Op.forward(true);
      Op.backward();
    }) - Fwd;
    printRow(std::string(S.Name) + " fwd", Fwd, Flops);
    printRow(std::string(S.Name) + " bwd", Bwd, 2 * Flops);
  }
}

/// Memory-bound layers after the ResNet-18 stem: time and bytes moved.
void benchStemLayers(std::mt19937 &Rng) {
  llvm::outs() << "after the stem, batch " << Batch << " (GB/s of tensors read and written)\n";
  Tensor X = randomTensor({Batch, 64, 112, 112}, Rng);
  double Bytes = double(X.byteSize());
  auto Row = [](llvm::StringRef Name, double Ms, double Moved) {
    llvm::outs() << llvm::format("  %-34s %9.2f ms %8.1f GB/s\n", Name.str().c_str(), Ms,
                                 Moved / Ms / 1e6);
  };
  OneOp Bn("batch_norm",
           {X, randomTensor({64}, Rng), randomTensor({64}, Rng), Tensor::zeros({64}),
            Tensor::full({64}, 1.0f)},
           {});
  double Fwd = bestMs([&] { Bn.forward(false); });
  double Bwd = bestMs([&] {
    Bn.forward(true);
    Bn.backward();
  }) - Fwd;
  Row("batch_norm 64x112 train fwd", Fwd, 3 * Bytes);
  Row("batch_norm 64x112 train bwd", Bwd, 4 * Bytes);
  OneOp Pool("max_pool2d", {X},
             {{"kernel_size", Attribute(std::vector<int64_t>{3, 3})},
              {"stride", Attribute(std::vector<int64_t>{2, 2})},
              {"padding", Attribute(std::vector<int64_t>{1, 1})}});
  Fwd = bestMs([&] { Pool.forward(false); });
  Bwd = bestMs([&] {
    Pool.forward(true);
    Pool.backward();
  }) - Fwd;
  Row("max_pool2d 3x3/2 64x112 fwd", Fwd, 1.25 * Bytes);
  Row("max_pool2d 3x3/2 64x112 bwd", Bwd, 1.5 * Bytes);
}

void benchGemm(std::mt19937 &Rng) {
  llvm::outs() << "sgemm C[M,N] = A[M,K] x B[K,N]^T\n";
  openblas_set_num_threads(numThreads());
  for (int64_t Size : {256, 1024, 2048}) {
    Tensor A = randomTensor({Size, Size}, Rng), B = randomTensor({Size, Size}, Rng);
    Tensor C = Tensor::empty({Size, Size});
    double Flops = 2.0 * Size * Size * Size;
    double Blas = bestMs([&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Size, Size, Size, 1.0f, A.f32(), Size,
                  B.f32(), Size, 0.0f, C.f32(), Size);
    });
    OneOp Linear("linear", {A, B}, {});
    double Ours = bestMs([&] { Linear.forward(false); });
    std::string Dims = std::to_string(Size) + "^3";
    printRow("OpenBLAS cblas_sgemm " + Dims, Blas, Flops);
    printRow("linear kernel (oneDNN) " + Dims, Ours, Flops);
  }
}

} // namespace

int main(int argc, char **argv) {
  llvm::cl::ParseCommandLineOptions(argc, argv, "dense-layer kernel benchmark\n");
  if (Threads > 0)
    setNumThreads(Threads);
  llvm::outs() << "threads: " << numThreads() << "\n";
  std::mt19937 Rng(1);
  benchGemm(Rng);
  benchConvolutions(Rng);
  benchStemLayers(Rng);
  return 0;
}
