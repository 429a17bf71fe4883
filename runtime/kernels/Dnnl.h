//===- Dnnl.h - oneDNN engine, stream and a per-shape primitive cache -*- C++ -*-===//
//
// The convolution and matrix-multiply kernels run oneDNN primitives. Creating
// a primitive (JIT code generation) costs far more than running it on small
// shapes, and training calls the same shapes every step, so primitives are
// cached by a key the kernel builds from shapes and attributes. Runtime
// tensors are always plain row-major; a primitive may pick blocked formats
// (faster on AVX-512), and Primitive::run reorders to and from them.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_KERNELS_DNNL_H
#define QATC_RUNTIME_KERNELS_DNNL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <dnnl.hpp>

#include <map>
#include <memory>

namespace qatc {
namespace runtime {
namespace dnnl_support {

/// The process-wide CPU engine.
dnnl::engine &cpuEngine();

/// A plain (row-major, contiguous) f32 descriptor.
dnnl::memory::desc plainDesc(llvm::ArrayRef<int64_t> Dims);
/// An f32 descriptor with explicit strides (in elements).
dnnl::memory::desc stridedDesc(llvm::ArrayRef<int64_t> Dims, llvm::ArrayRef<int64_t> Strides);

/// One argument of a primitive: its DNNL_ARG_* id, the plain layout of the
/// caller's buffer, and the buffer.
struct Arg {
  int Id;
  dnnl::memory::desc Layout;
  const float *Data;
  /// The primitive writes this argument.
  bool IsOutput = false;
};

/// A primitive with the descriptor that chose its memory formats.
class Primitive {
public:
  Primitive(dnnl::primitive P, dnnl::primitive_desc_base Desc)
      : Prim(std::move(P)), Desc(std::move(Desc)) {}

  /// Executes on the caller's plain buffers, reordering an argument through
  /// a temporary buffer when the primitive chose another format for it.
  llvm::Error run(llvm::ArrayRef<Arg> Args);

private:
  dnnl::primitive Prim;
  dnnl::primitive_desc_base Desc;
  /// Reorders by argument id, made on first use.
  std::map<int, dnnl::reorder> Reorders;
};

/// The primitive cached under Key, made by Build (which may throw
/// dnnl::error) the first time. Keys must encode every shape and attribute
/// the primitive depends on. Safe to call from one executor at a time.
llvm::Expected<std::shared_ptr<Primitive>>
cachedPrimitive(llvm::StringRef Key, llvm::function_ref<Primitive()> Build);

/// Number of primitives in the cache (for tests).
size_t cachedPrimitiveCount();

} // namespace dnnl_support
} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_KERNELS_DNNL_H
