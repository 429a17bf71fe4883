//===- NpzFile.h - NumPy .npy and .npz files as tensors ---------*- C++ -*-===//
//
// Training data, `qatc run` inputs and outputs are NumPy files. Readers check
// every declared size against the bytes actually present before allocating,
// so a small file declaring a huge array fails with a message. Floating
// arrays (f2/f4/f8) load as f32; integer and bool arrays load as i64.
// Writers produce version 1.0 little-endian .npy and stored (uncompressed)
// .npz archives, written atomically.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_RUNTIME_NPZFILE_H
#define QATC_RUNTIME_NPZFILE_H

#include "runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace qatc {
namespace runtime {

/// Named arrays in archive order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Parses one .npy image; Origin names it in messages.
llvm::Expected<Tensor> parseNpy(llvm::StringRef Bytes, llvm::StringRef Origin);
/// Parses an .npz (zip) image; member names lose their ".npy" suffix.
llvm::Expected<NamedTensors> parseNpz(llvm::StringRef Bytes, llvm::StringRef Origin);

/// Reads a .npy file.
llvm::Expected<Tensor> readNpy(llvm::StringRef Path);
/// Reads a .npz file.
llvm::Expected<NamedTensors> readNpz(llvm::StringRef Path);

/// The .npy image of T (f32, i64, i32, u8 or i8).
std::string encodeNpy(const Tensor &T);
/// Writes Arrays as an .npz archive at Path, atomically.
llvm::Error writeNpz(llvm::StringRef Path, const NamedTensors &Arrays);
/// Writes T as a .npy file at Path, atomically.
llvm::Error writeNpy(llvm::StringRef Path, const Tensor &T);

} // namespace runtime
} // namespace qatc

#endif // QATC_RUNTIME_NPZFILE_H
