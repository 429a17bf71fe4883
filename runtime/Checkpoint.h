//===- Checkpoint.h - Training checkpoints ----------------------*- C++ -*-===//
//
// A checkpoint is one stored zip written atomically: `graph.qirb` (the graph
// with every parameter, observer state and the QAT counter as of the last
// finished step), `optimizer/<entry>.npy` (the optimizer state) and
// `trainer.json` (the step reached and the settings a resume must repeat).
// `unzip -l` lists it.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_CHECKPOINT_H
#define QATC_RUNTIME_CHECKPOINT_H

#include "runtime/NpzFile.h"

#include "ir/Graph.h"

#include "llvm/Support/JSON.h"

#include <memory>

namespace qatc {
namespace runtime {

/// What a checkpoint holds.
struct Checkpoint {
  std::unique_ptr<Graph> G;
  NamedTensors OptimizerState;
  llvm::json::Object Trainer;
};

/// Writes G (whose parameters must be current), the optimizer state and the
/// trainer record to Path atomically.
llvm::Error writeCheckpoint(llvm::StringRef Path, const Graph &G,
                            const NamedTensors &OptimizerState,
                            const llvm::json::Object &Trainer);

/// Reads a checkpoint; errors name the file and the missing or bad member.
llvm::Expected<Checkpoint> readCheckpoint(llvm::StringRef Path);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_CHECKPOINT_H
