//===- Tensor.cpp - Tensors and their buffer cache ------------------------===//

#include "runtime/Tensor.h"

#include "runtime/Parallel.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

using namespace qatc;
using namespace qatc::runtime;

namespace {

constexpr size_t kAlignment = 64;

/// Unused buffers by exact (aligned) size. Training repeats one step's
/// allocation pattern, so exact sizes hit almost always.
class BufferCache {
public:
  void *take(size_t Bytes) {
    {
      std::lock_guard<std::mutex> Lock(Mutex);
      auto It = Free.find(Bytes);
      if (It != Free.end() && !It->second.empty()) {
        void *P = It->second.back();
        It->second.pop_back();
        CachedBytes -= Bytes;
        noteLive(Bytes);
        return P;
      }
    }
    void *P = std::aligned_alloc(kAlignment, Bytes);
    if (!P)
      llvm::report_bad_alloc_error("qatc runtime: out of memory allocating a tensor");
    std::lock_guard<std::mutex> Lock(Mutex);
    noteLive(Bytes);
    return P;
  }

  void give(void *P, size_t Bytes) {
    std::lock_guard<std::mutex> Lock(Mutex);
    Live -= Bytes;
    Free[Bytes].push_back(P);
    CachedBytes += Bytes;
  }

  void release() {
    std::lock_guard<std::mutex> Lock(Mutex);
    for (auto &KV : Free)
      for (void *P : KV.second)
        std::free(P);
    Free.clear();
    CachedBytes = 0;
  }

  size_t live() {
    std::lock_guard<std::mutex> Lock(Mutex);
    return Live;
  }
  size_t peak() {
    std::lock_guard<std::mutex> Lock(Mutex);
    return Peak;
  }
  void resetPeak() {
    std::lock_guard<std::mutex> Lock(Mutex);
    Peak = Live;
  }

private:
  void noteLive(size_t Bytes) {
    Live += Bytes;
    if (Live > Peak)
      Peak = Live;
  }

  std::mutex Mutex;
  llvm::DenseMap<size_t, std::vector<void *>> Free;
  size_t Live = 0, Peak = 0, CachedBytes = 0;
};

BufferCache &cache() {
  // Leaked on purpose: tensors in static storage may outlive other statics.
  static BufferCache *C = new BufferCache();
  return *C;
}

size_t roundUp(size_t Bytes) {
  return Bytes == 0 ? kAlignment : (Bytes + kAlignment - 1) / kAlignment * kAlignment;
}

} // namespace

struct Tensor::Buffer {
  explicit Buffer(size_t Bytes) : Size(roundUp(Bytes)), Data(cache().take(Size)) {}
  ~Buffer() { cache().give(Data, Size); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  size_t Size;
  void *Data;
};

int64_t runtime::shapeNumel(llvm::ArrayRef<int64_t> Dims) {
  int64_t N = 1;
  for (int64_t D : Dims)
    N *= D;
  return N;
}

std::string runtime::shapeString(llvm::ArrayRef<int64_t> Dims) {
  std::string S = "[";
  for (size_t I = 0; I < Dims.size(); ++I) {
    if (I)
      S += ", ";
    S += std::to_string(Dims[I]);
  }
  return S + "]";
}

Tensor Tensor::empty(llvm::ArrayRef<int64_t> Dims, DType T) {
  Tensor R;
  R.Dims.assign(Dims.begin(), Dims.end());
  R.NumElements = shapeNumel(Dims);
  R.Elem = T;
  R.Store = std::make_shared<Buffer>(R.byteSize());
  return R;
}

Tensor Tensor::zeros(llvm::ArrayRef<int64_t> Dims, DType T) {
  Tensor R = empty(Dims, T);
  R.zero();
  return R;
}

Tensor Tensor::full(llvm::ArrayRef<int64_t> Dims, float Value) {
  Tensor R = empty(Dims, DType::F32);
  float *P = R.f32();
  for (int64_t I = 0; I < R.numel(); ++I)
    P[I] = Value;
  return R;
}

Tensor Tensor::fromBytes(llvm::ArrayRef<int64_t> Dims, DType T,
                         llvm::ArrayRef<uint8_t> Bytes) {
  Tensor R = empty(Dims, T);
  assert(Bytes.size() == R.byteSize() && "byte count does not match the shape");
  if (!Bytes.empty())
    std::memcpy(R.raw(), Bytes.data(), Bytes.size());
  return R;
}

Tensor Tensor::fromFloats(llvm::ArrayRef<int64_t> Dims, llvm::ArrayRef<float> Values) {
  return fromBytes(Dims, DType::F32,
                   {reinterpret_cast<const uint8_t *>(Values.data()),
                    Values.size() * sizeof(float)});
}

void *Tensor::raw() const { return Store ? Store->Data : nullptr; }

Tensor Tensor::clone() const {
  if (!defined())
    return {};
  Tensor R = empty(Dims, Elem);
  std::memcpy(R.raw(), raw(), byteSize());
  return R;
}

Tensor Tensor::view(llvm::ArrayRef<int64_t> NewDims) const {
  assert(shapeNumel(NewDims) == NumElements && "a view must keep the element count");
  Tensor R = *this;
  R.Dims.assign(NewDims.begin(), NewDims.end());
  return R;
}

void Tensor::copyFrom(const Tensor &O) const {
  assert(O.Elem == Elem && O.NumElements == NumElements && "copyFrom needs equal sizes");
  if (raw() != O.raw())
    std::memcpy(raw(), O.raw(), byteSize());
}

void Tensor::zero() const {
  if (byteSize())
    std::memset(raw(), 0, byteSize());
}

std::string Tensor::describe() const {
  if (!defined())
    return "undefined";
  return shapeString(Dims) + " " + dtypeName(Elem).str();
}

size_t runtime::liveBufferBytes() { return cache().live(); }
size_t runtime::peakBufferBytes() { return cache().peak(); }
void runtime::resetPeakBufferBytes() { cache().resetPeak(); }
void runtime::releaseCachedBuffers() { cache().release(); }

int runtime::numThreads() { return omp_get_max_threads(); }
void runtime::setNumThreads(int N) { omp_set_num_threads(std::max(1, N)); }
