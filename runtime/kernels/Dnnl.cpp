//===- Dnnl.cpp - oneDNN engine, stream and a per-shape primitive cache ---===//

#include "runtime/kernels/Dnnl.h"

#include "runtime/Tensor.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <mutex>
#include <tuple>
#include <unordered_map>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::dnnl_support;

namespace {

/// More distinct shapes than this means shapes vary per call (no reuse
/// worth keeping): the cache starts over instead of growing.
constexpr size_t MaxCachedPrimitives = 1024;

struct Cache {
  std::mutex Lock;
  llvm::StringMap<std::shared_ptr<Primitive>> Entries;
};

Cache &cache() {
  static Cache *C = new Cache();
  return *C;
}

dnnl::stream &cpuStream() {
  static dnnl::stream *S = new dnnl::stream(cpuEngine());
  return *S;
}

llvm::Error dnnlError(const dnnl::error &E) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 std::string("oneDNN failed: ") + E.what());
}

} // namespace

dnnl::engine &dnnl_support::cpuEngine() {
  static dnnl::engine *E = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *E;
}

dnnl::memory::desc dnnl_support::plainDesc(llvm::ArrayRef<int64_t> Dims) {
  llvm::SmallVector<int64_t, 6> Strides(Dims.size(), 1);
  for (size_t I = Dims.size(); I-- > 1;)
    Strides[I - 1] = Strides[I] * Dims[I];
  return stridedDesc(Dims, Strides);
}

dnnl::memory::desc dnnl_support::stridedDesc(llvm::ArrayRef<int64_t> Dims,
                                             llvm::ArrayRef<int64_t> Strides) {
  return dnnl::memory::desc(dnnl::memory::dims(Dims.begin(), Dims.end()),
                            dnnl::memory::data_type::f32,
                            dnnl::memory::dims(Strides.begin(), Strides.end()));
}

llvm::Error Primitive::run(llvm::ArrayRef<Arg> Args) {
  try {
    dnnl::engine &Eng = cpuEngine();
    dnnl::stream &S = cpuStream();
    std::unordered_map<int, dnnl::memory> ExecArgs;
    // Outputs computed in another format: (reorder, internal, user).
    llvm::SmallVector<std::tuple<dnnl::reorder *, dnnl::memory, dnnl::memory>, 2> CopyBack;
    llvm::SmallVector<Tensor, 4> Temporaries;
    for (const Arg &A : Args) {
      dnnl::memory User(A.Layout, Eng, const_cast<float *>(A.Data));
      dnnl::memory::desc Want = Desc.query_md(dnnl::query::exec_arg_md, A.Id);
      if (Want == A.Layout) {
        ExecArgs.emplace(A.Id, User);
        continue;
      }
      Temporaries.push_back(Tensor::empty({int64_t((Want.get_size() + 3) / 4)}));
      dnnl::memory Internal(Want, Eng, Temporaries.back().f32());
      auto It = Reorders.find(A.Id);
      if (It == Reorders.end())
        It = Reorders
                 .emplace(A.Id, A.IsOutput ? dnnl::reorder(Internal, User)
                                           : dnnl::reorder(User, Internal))
                 .first;
      if (A.IsOutput)
        CopyBack.emplace_back(&It->second, Internal, User);
      else
        It->second.execute(S, User, Internal);
      ExecArgs.emplace(A.Id, Internal);
    }
    Prim.execute(S, ExecArgs);
    for (auto &[Reorder, Internal, User] : CopyBack)
      Reorder->execute(S, Internal, User);
    S.wait();
  } catch (const dnnl::error &E) {
    return dnnlError(E);
  }
  return llvm::Error::success();
}

llvm::Expected<std::shared_ptr<Primitive>>
dnnl_support::cachedPrimitive(llvm::StringRef Key, llvm::function_ref<Primitive()> Build) {
  Cache &C = cache();
  {
    std::lock_guard<std::mutex> Guard(C.Lock);
    auto It = C.Entries.find(Key);
    if (It != C.Entries.end())
      return It->second;
  }
  std::shared_ptr<Primitive> Made;
  try {
    Made = std::make_shared<Primitive>(Build());
  } catch (const dnnl::error &E) {
    return dnnlError(E);
  }
  std::lock_guard<std::mutex> Guard(C.Lock);
  if (C.Entries.size() >= MaxCachedPrimitives)
    C.Entries.clear();
  C.Entries[Key] = Made;
  return Made;
}

size_t dnnl_support::cachedPrimitiveCount() {
  std::lock_guard<std::mutex> Guard(cache().Lock);
  return cache().Entries.size();
}
