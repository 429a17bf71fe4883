//===- Dataset.h - In-memory training data from an .npz file ----*- C++ -*-===//
//
// `qatc train` and `qatc eval` read an .npz holding `x` (samples along the
// first axis, f32) and `y` (one integer label per sample for cross entropy,
// or targets of any shape with the same first axis for MSE). Batches are
// gathered in an order fixed by (seed, epoch), so a resumed run sees the same
// batches as an uninterrupted one.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_DATASET_H
#define QATC_RUNTIME_DATASET_H

#include "runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qatc {
namespace runtime {

/// Samples x with targets y.
class Dataset {
public:
  /// Reads Path; errors name the file and the missing or mismatched array.
  static llvm::Expected<Dataset> load(llvm::StringRef Path);
  /// A dataset over given arrays (first axes must agree).
  static llvm::Expected<Dataset> fromArrays(Tensor X, Tensor Y, llvm::StringRef Origin);

  int64_t size() const { return X.dim(0); }
  /// The file (or description) the data came from, for messages.
  llvm::StringRef origin() const { return Origin; }
  /// Checks that every target is a class label in [0, Classes); the error
  /// names the first bad sample by its index in the file.
  llvm::Error checkLabels(int64_t Classes) const;
  const Tensor &inputs() const { return X; }
  const Tensor &targets() const { return Y; }

  /// The samples at Indices, stacked: {x batch, y batch}.
  std::pair<Tensor, Tensor> gather(llvm::ArrayRef<int64_t> Indices) const;
  /// The samples [Begin, End) in order.
  std::pair<Tensor, Tensor> slice(int64_t Begin, int64_t End) const;

  /// A permutation of [0, size()) fixed by Seed and Epoch.
  std::vector<int64_t> shuffled(uint64_t Seed, int64_t Epoch) const;

private:
  Tensor X, Y;
  std::string Origin;
};

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_DATASET_H
