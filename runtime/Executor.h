//===- Executor.h - Forward and reverse-mode execution of QIR ---*- C++ -*-===//
//
// Runs a graph's nodes in program order with the kernels of runtime/Kernel.h.
// The forward pass frees every value after its last use and, when gradients
// are wanted, keeps only what each node's backward kernel asked for; backward
// walks the recorded nodes in reverse, accumulates operand gradients and
// leaves one gradient per trainable parameter. Parameters live in the
// executor as tensors (stateful ops update them in place) until
// syncToGraph() writes them back. Node chains that runtime/Fusion.h matches
// run as one kernel, with the same results. With QATC_PROFILE=1 in the environment,
// the executor times every kernel call and prints, when it is destroyed,
// the milliseconds per pass spent in each op kind (docs/runtime.md).
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_EXECUTOR_H
#define QATC_RUNTIME_EXECUTOR_H

#include "runtime/Kernel.h"

#include "ir/Graph.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <vector>

namespace qatc {
namespace runtime {

/// How one forward pass runs.
struct RunOptions {
  /// Training mode (batch statistics, dropout).
  bool Training = false;
  /// Observers and running statistics are updated in place.
  bool UpdateState = false;
  /// Record what backward() needs.
  bool RecordGradients = false;
  /// Seeds random ops (dropout); vary it per step.
  uint64_t Seed = 0;
  /// Stop at the first node whose f32 result holds a NaN or Inf, naming it.
  bool CheckFinite = false;
};

/// How an executor is built.
struct ExecutorOptions {
  /// Run matching node chains as one kernel (runtime/Fusion.h); results are
  /// the same. Forward passes with CheckFinite always run node by node.
  bool Fuse = true;
};

/// Executes one graph; the graph must outlive the executor and not change.
class Executor {
public:
  /// Checks that every op has a kernel and every parameter has data, and
  /// loads the parameters. Errors name the node or parameter.
  static llvm::Expected<std::unique_ptr<Executor>>
  create(Graph &G, const ExecutorOptions &Opts = ExecutorOptions());
  /// Prints the QATC_PROFILE table when profiling.
  ~Executor();

  /// Runs forward on one tensor per placeholder (in graph order); returns one
  /// tensor per graph output.
  llvm::Expected<TensorList> forward(llvm::ArrayRef<Tensor> Inputs, const RunOptions &Opts);

  /// Back-propagates from the last forward (which must have recorded
  /// gradients) given one gradient per output (undefined = zero), and sets
  /// gradient(P) for every trainable parameter that received one. With
  /// CheckFinite, the first node whose gradient holds a NaN or Inf stops it
  /// with an error naming the node.
  llvm::Error backward(llvm::ArrayRef<Tensor> GradOutputs, bool CheckFinite = true);

  /// The f32 parameters that get gradients (those with a differentiable
  /// use), in graph order.
  llvm::ArrayRef<Parameter *> trainableParameters() const { return Trainable; }
  /// The live tensor of parameter P (updated in place by optimizers and
  /// stateful ops).
  const Tensor &parameter(const Parameter *P) const;
  /// The gradient of P from the last backward(); undefined when none.
  const Tensor &gradient(const Parameter *P) const;
  /// The placeholders, in the order forward() binds inputs.
  llvm::ArrayRef<Node *> inputs() const { return Placeholders; }
  /// The nodes the graph output returns.
  llvm::ArrayRef<Node *> outputs() const { return OutputNodes; }
  /// The node chains run as one kernel (runtime/Fusion.h).
  unsigned numFusions() const { return Fusions; }
  /// Writes every parameter tensor back into the graph's parameters.
  void syncToGraph();
  /// Reloads every parameter tensor from the graph (after the graph's
  /// parameters were changed outside the executor).
  void reloadFromGraph();
  Graph &graph() const { return G; }

private:
  Executor(Graph &G, const ExecutorOptions &Opts) : G(G), BuildOpts(Opts) {}
  llvm::Error plan();

  struct NodeInfo {
    Node *N = nullptr;
    const OpKernel *Kernel = nullptr;
    /// Operand value indices.
    llvm::SmallVector<unsigned, 4> Operands;
    /// Index of the last node reading this value (the node itself if none).
    unsigned LastUse = 0;
    /// A gradient can flow into this value from a trainable parameter.
    bool RequiresGrad = false;
    /// Per operand: the kernel differentiates it and it requires grad.
    llvm::SmallVector<bool, 4> OperandNeedsGrad;
    /// The batch norm of a conv + batch norm training form.
    bool FreezableBatchNorm = false;
    /// Part of a fused chain whose root runs it (runtime/Fusion.h).
    bool Absorbed = false;
    /// The op name, or the fusion's name at a fused root (for profiles).
    llvm::StringRef Label;
    /// Index of the parameter read by a get_attr node (into ParamTensors).
    int ParamIndex = -1;
  };
  /// What one forward recorded for one node's backward.
  struct Record {
    llvm::SmallVector<Tensor, 4> Inputs;
    llvm::SmallVector<Shape, 4> InputShapes;
    TensorList Outputs;
    llvm::SmallVector<Tensor, 2> Saved;
    bool Valid = false;
  };

  /// Runs the fusions of runtime/Fusion.h on Plan; returns how many matched.
  unsigned applyFusions(std::vector<NodeInfo> &Plan);
  /// Sets the last uses and which nodes and operands need gradients.
  void finishPlan(std::vector<NodeInfo> &Plan, const std::vector<bool> &IsTrainable);

  Graph &G;
  ExecutorOptions BuildOpts;
  /// One entry per node in program order, node by node; FusedNodes is the
  /// same with fused chains (empty when nothing fuses).
  std::vector<NodeInfo> Nodes, FusedNodes;
  /// The plan the last forward ran (its records are for it).
  std::vector<NodeInfo> *RecordedPlan = nullptr;
  unsigned Fusions = 0;
  llvm::DenseMap<const Node *, unsigned> IndexOf;
  std::vector<Node *> Placeholders, OutputNodes;
  std::vector<Parameter *> Params, Trainable;
  std::vector<Tensor> ParamTensors, ParamGrads;
  llvm::DenseMap<const Parameter *, unsigned> ParamIndexOf;
  std::vector<Record> Records;
  /// The index of qat.bn_frozen in Params, or -1.
  int BnFrozenParam = -1;
  bool HaveRecord = false;

  /// QATC_PROFILE: cumulative kernel time per op kind.
  struct ProfileEntry {
    double ForwardMs = 0, BackwardMs = 0;
    int64_t ForwardCalls = 0;
  };
  bool Profiling = false;
  int64_t ForwardPasses = 0, BackwardPasses = 0;
  int64_t ProfiledForwards = 0, ProfiledBackwards = 0;
  llvm::StringMap<ProfileEntry> Profile;
  void printProfile() const;
};

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_EXECUTOR_H
