//===- Npz_fuzz.cpp - libFuzzer target for the .npz / .npy reader ---------===//
//
// Feeds arbitrary bytes to parseNpz and parseNpy. The readers must never
// crash, hang or leak; every array they accept must encode back to .npy and
// parse again to the same dtype, shape and bytes.
//
//===----------------------------------------------------------------------===//
#include "runtime/NpzFile.h"
#include "tools/fuzz/GraphChecks.h"

#include <cstring>

using qatc::runtime::Tensor;

static void checkRoundTrip(const Tensor &T, const char *Origin) {
  std::string Encoded = qatc::runtime::encodeNpy(T);
  auto Back = qatc::runtime::parseNpy(Encoded, "encoded.npy");
  if (!Back)
    qatc::fuzz::fail(Origin, "an accepted array does not re-parse after encodeNpy: " +
                                 llvm::toString(Back.takeError()));
  if (Back->dtype() != T.dtype() || Back->shape() != T.shape() ||
      Back->byteSize() != T.byteSize() ||
      (T.byteSize() && std::memcmp(Back->raw(), T.raw(), T.byteSize()) != 0))
    qatc::fuzz::fail(Origin, "an array changed through encodeNpy and parseNpy: " + T.describe() +
                                 " became " + Back->describe());
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Bytes(reinterpret_cast<const char *>(Data), Size);
  if (auto Arrays = qatc::runtime::parseNpz(Bytes, "fuzz.npz")) {
    for (const auto &Entry : *Arrays)
      checkRoundTrip(Entry.second, ".npz reader");
  } else {
    llvm::consumeError(Arrays.takeError());
  }
  if (auto T = qatc::runtime::parseNpy(Bytes, "fuzz.npy"))
    checkRoundTrip(*T, ".npy reader");
  else
    llvm::consumeError(T.takeError());
  return 0;
}
