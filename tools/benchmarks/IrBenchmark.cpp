//===- IrBenchmark.cpp - QIR build/verify/print/parse/binary figures ------===//
//
// Builds chain and DAG graphs of 10k, 100k and 1M nodes and prints ns/node
// for build, verify, print, parse, binary write and binary read, plus heap
// bytes per node, and the growth factor from each size to the next (linear
// growth means about 10x time for 10x nodes). Run: bazel run //tools:ir_benchmark
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Verifier.h"
#include "ir/binary/BinaryFormat.h"
#include "ir/text/Parser.h"
#include "ir/text/Printer.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <malloc.h>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace qatc;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point Start) {
  return std::chrono::duration<double>(Clock::now() - Start).count();
}

size_t heapInUse() { return mallinfo2().uordblks; }

/// A chain (every node uses the previous one) or a DAG (binary ops whose
/// operands are drawn from the last 64 values).
std::unique_ptr<Graph> buildGraph(bool Dag, size_t N) {
  auto G = std::make_unique<Graph>(Dag ? "dag" : "chain");
  Builder B(*G);
  std::vector<Node *> Values;
  Values.push_back(B.placeholder("input", Type::tensor(DType::F32, {1, 64})));
  std::mt19937 Rng(42);
  static const char *Unary[] = {"relu", "sigmoid", "tanh", "hardswish"};
  for (size_t I = 1; I < N; ++I) {
    std::string Name = "node_" + std::to_string(I);
    Node *New;
    if (!Dag) {
      New = llvm::cantFail(B.call(Unary[I % 4], {Values.back()}, {}, Name));
    } else {
      size_t Window = std::min<size_t>(Values.size(), 64);
      Node *A = Values[Values.size() - 1 - Rng() % Window];
      Node *C = Values[Values.size() - 1 - Rng() % Window];
      New = llvm::cantFail(B.call(I % 2 ? "add" : "mul", {A, C}, {}, Name));
    }
    Values.push_back(New);
  }
  B.output({Values.back()});
  return G;
}

struct Figures {
  double Build, Verify, Print, Parse, Write, Read;
  double BytesPerNode;
  size_t TextBytes, BinaryBytes;
};

Figures measure(bool Dag, size_t N) {
  Figures F;
  size_t HeapBefore = heapInUse();
  auto Start = Clock::now();
  auto G = buildGraph(Dag, N);
  F.Build = secondsSince(Start);
  F.BytesPerNode = double(heapInUse() - HeapBefore) / N;

  Start = Clock::now();
  llvm::cantFail(verify(*G));
  F.Verify = secondsSince(Start);

  Start = Clock::now();
  std::string Text = printGraphToString(*G);
  F.Print = secondsSince(Start);
  F.TextBytes = Text.size();

  Start = Clock::now();
  auto Parsed = llvm::cantFail(parseGraph(Text, "bench.qir"));
  F.Parse = secondsSince(Start);
  if (printGraphToString(*Parsed) != Text)
    llvm::report_fatal_error("round trip mismatch in the benchmark");
  Parsed.reset();

  Start = Clock::now();
  std::string Bytes;
  llvm::raw_string_ostream OS(Bytes);
  llvm::cantFail(writeBinaryGraph(*G, OS));
  OS.flush();
  F.Write = secondsSince(Start);
  F.BinaryBytes = Bytes.size();

  Start = Clock::now();
  auto Read = llvm::cantFail(readBinaryGraph(Bytes, "bench.qirb"));
  F.Read = secondsSince(Start);
  return F;
}

} // namespace

int main() {
  const size_t Sizes[] = {10'000, 100'000, 1'000'000};
  // Warm up one-time costs (op registry, allocator) outside the figures.
  measure(false, 10'000);
  measure(true, 10'000);
  llvm::outs() << "QIR benchmark (ns per node; heap bytes per node)\n";
  llvm::outs() << "graph      nodes    build   verify    print    parse   bwrite    bread "
                   "bytes/node  parse+verify\n";
  for (bool Dag : {false, true}) {
    std::vector<Figures> Rows;
    for (size_t N : Sizes) {
      // Best of several runs per stage (about three million nodes' worth,
      // at least three), so one-off effects such as page faults after a large
      // graph was freed or another process do not distort the figures.
      Figures F = measure(Dag, N);
      size_t Runs = std::max<size_t>(3, 3'000'000 / N);
      for (size_t Run = 1; Run < Runs; ++Run) {
        Figures R = measure(Dag, N);
        F.Build = std::min(F.Build, R.Build);
        F.Verify = std::min(F.Verify, R.Verify);
        F.Print = std::min(F.Print, R.Print);
        F.Parse = std::min(F.Parse, R.Parse);
        F.Write = std::min(F.Write, R.Write);
        F.Read = std::min(F.Read, R.Read);
      }
      Rows.push_back(F);
      auto Ns = [N](double S) { return S * 1e9 / N; };
      llvm::outs() << llvm::format("%-6s %9zu %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f %10.0f %11.3f s\n",
                                   Dag ? "dag" : "chain", N, Ns(F.Build), Ns(F.Verify),
                                   Ns(F.Print), Ns(F.Parse), Ns(F.Write), Ns(F.Read),
                                   F.BytesPerNode, F.Parse + F.Verify);
    }
    // Growth: time ratio for 10x nodes, per stage (linear = 10x).
    for (size_t I = 1; I < Rows.size(); ++I) {
      const Figures &A = Rows[I - 1], &B = Rows[I];
      llvm::outs() << llvm::format(
          "%-6s %9s growth %zuk->%zuk: build %.1fx verify %.1fx print %.1fx parse %.1fx bwrite "
          "%.1fx bread %.1fx\n",
          Dag ? "dag" : "chain", static_cast<const char *>(""), Sizes[I - 1] / 1000, Sizes[I] / 1000, B.Build / A.Build,
          B.Verify / A.Verify, B.Print / A.Print, B.Parse / A.Parse, B.Write / A.Write,
          B.Read / A.Read);
    }
  }
  return 0;
}
