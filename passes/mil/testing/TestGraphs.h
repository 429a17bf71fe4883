//===- TestGraphs.h - QIR graphs for the Core ML export tests ---*- C++ -*-===//
//
// Hand-built graphs with seeded random parameters: one small graph per QIR op
// the frontends produce (with non-default attributes), a float CNN, and
// quantized CNNs in the form finalize produces (activation quantize /
// dequantize pairs; weights as dequantize of integer parameters, 8- or 4-bit,
// per channel or per tensor). Test-only.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_TESTING_TESTGRAPHS_H
#define QATC_PASSES_MIL_TESTING_TESTGRAPHS_H

#include "ir/Builder.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace qatc {
namespace mil {
namespace testing {

/// Builds a graph node by node; failures abort with the builder's message.
class GraphMaker {
public:
  explicit GraphMaker(llvm::StringRef Name, unsigned Seed = 1);

  Graph &graph() { return *G; }
  std::unique_ptr<Graph> take();

  Node *input(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims);
  /// An f32 parameter with values uniform in [Lo, Hi].
  Node *param(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims, float Lo = -1, float Hi = 1);
  /// An f32 parameter with the given values.
  Node *floats(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims, llvm::ArrayRef<float> Values);
  /// An integer parameter (i8, u8, i32) with the given values.
  Node *ints(llvm::StringRef Name, DType T, llvm::ArrayRef<int64_t> Dims,
             llvm::ArrayRef<int64_t> Values);
  /// An integer parameter with values uniform in [Lo, Hi].
  Node *randomInts(llvm::StringRef Name, DType T, llvm::ArrayRef<int64_t> Dims, int64_t Lo,
                   int64_t Hi);
  Node *call(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
             llvm::SmallVector<NamedAttribute, 0> Attrs = {}, llvm::StringRef Name = "");
  void output(llvm::ArrayRef<Node *> Results);

  /// quantize + dequantize of X with per-tensor scale and zero point.
  Node *fakeQuantPair(llvm::StringRef Name, Node *X, float Scale, int64_t ZeroPoint, DType T);
  /// dequantize of a random integer weight: per channel along Axis (or per
  /// tensor when Axis < 0), values in the Bits range.
  Node *quantizedWeight(llvm::StringRef Name, llvm::ArrayRef<int64_t> Dims, int Axis, int Bits,
                        DType T = DType::I8, bool NonZeroZeroPoint = false);

  std::mt19937 &rng() { return Rng; }

private:
  std::unique_ptr<Graph> G;
  Builder B;
  std::mt19937 Rng;
};

/// One graph exercising a QIR op (by case name, e.g. "conv2d_groups").
struct OpCase {
  std::string Name;
  std::unique_ptr<Graph> G;
};

/// Every op case; each graph has inputs named `x` (and `y`) and one output.
std::vector<OpCase> opCases();

/// The digits-like float CNN: conv-bn-relu, conv-relu, max pool, flatten, linear.
std::unique_ptr<Graph> floatCnn(bool DynamicBatch = false);

/// The quantized CNN (finalize's form). Bits = 4 gives 4-bit weights.
std::unique_ptr<Graph> quantizedCnn(int Bits = 8, bool PowerOfTwoScales = true,
                                    bool DynamicBatch = false);

/// Random f32 data for an input of the given shape.
std::vector<float> randomData(llvm::ArrayRef<int64_t> Dims, unsigned Seed, float Lo = -2,
                              float Hi = 2);

} // namespace testing
} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_TESTING_TESTGRAPHS_H
