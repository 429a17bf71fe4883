//===- Dataset.cpp - In-memory training data from an .npz file ------------===//

#include "runtime/Dataset.h"

#include "runtime/NpzFile.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <random>

using namespace qatc;
using namespace qatc::runtime;

static llvm::Error dataError(llvm::StringRef Origin, const llvm::Twine &What) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Origin + ": " + What);
}

llvm::Expected<Dataset> Dataset::load(llvm::StringRef Path) {
  auto Arrays = readNpz(Path);
  if (!Arrays)
    return Arrays.takeError();
  Tensor X, Y;
  for (auto &[Name, T] : *Arrays) {
    if (Name == "x")
      X = T;
    else if (Name == "y")
      Y = T;
  }
  if (!X.defined() || !Y.defined())
    return dataError(Path, "the archive needs arrays named 'x' (inputs) and 'y' (labels or "
                           "targets); save it with numpy.savez(path, x=..., y=...)");
  return fromArrays(X, Y, Path);
}

llvm::Expected<Dataset> Dataset::fromArrays(Tensor X, Tensor Y, llvm::StringRef Origin) {
  if (X.rank() == 0 || X.dim(0) == 0)
    return dataError(Origin, "array 'x' holds no samples (its first axis counts samples)");
  if (X.dtype() != DType::F32)
    return dataError(Origin, "array 'x' must hold floating-point values");
  if (Y.rank() == 0 || Y.dim(0) != X.dim(0))
    return dataError(Origin, llvm::formatv("'x' has {0} samples but 'y' is {1}; both need the "
                                           "same first axis",
                                           X.dim(0), Y.describe()));
  Dataset D;
  D.X = std::move(X);
  D.Y = std::move(Y);
  D.Origin = Origin.str();
  return D;
}

llvm::Error Dataset::checkLabels(int64_t Classes) const {
  if (Y.dtype() != DType::I64 || Y.rank() != 1)
    return dataError(Origin, llvm::formatv("cross entropy needs one integer label per sample in "
                                           "'y' but it is {0}",
                                           Y.describe()));
  const int64_t *Labels = Y.data<int64_t>();
  for (int64_t I = 0; I < Y.numel(); ++I)
    if (Labels[I] < 0 || Labels[I] >= Classes)
      return dataError(Origin, llvm::formatv("label {0} of sample {1} is outside the model's {2} "
                                             "classes [0, {2})",
                                             Labels[I], I, Classes));
  return llvm::Error::success();
}

static Tensor gatherRows(const Tensor &T, llvm::ArrayRef<int64_t> Indices) {
  Shape Dims(T.shape().begin(), T.shape().end());
  Dims[0] = Indices.size();
  Tensor Out = Tensor::empty(Dims, T.dtype());
  size_t RowBytes = T.byteSize() / T.dim(0);
  const char *Src = static_cast<const char *>(T.raw());
  char *Dst = static_cast<char *>(Out.raw());
  for (size_t I = 0; I < Indices.size(); ++I)
    std::memcpy(Dst + I * RowBytes, Src + Indices[I] * RowBytes, RowBytes);
  return Out;
}

std::pair<Tensor, Tensor> Dataset::gather(llvm::ArrayRef<int64_t> Indices) const {
  return {gatherRows(X, Indices), gatherRows(Y, Indices)};
}

std::pair<Tensor, Tensor> Dataset::slice(int64_t Begin, int64_t End) const {
  std::vector<int64_t> Indices;
  for (int64_t I = Begin; I < End; ++I)
    Indices.push_back(I);
  return gather(Indices);
}

std::vector<int64_t> Dataset::shuffled(uint64_t Seed, int64_t Epoch) const {
  std::vector<int64_t> Order(size());
  for (int64_t I = 0; I < size(); ++I)
    Order[I] = I;
  // Fisher-Yates with a fixed engine and our own bounded draw, so the order
  // does not depend on the standard library's distribution implementation.
  std::mt19937_64 Engine(Seed * 0x9E3779B97F4A7C15ull + uint64_t(Epoch) + 1);
  for (int64_t I = size() - 1; I > 0; --I) {
    uint64_t Bound = uint64_t(I) + 1, Limit = UINT64_MAX - UINT64_MAX % Bound, R;
    do
      R = Engine();
    while (R >= Limit);
    std::swap(Order[I], Order[R % Bound]);
  }
  return Order;
}
