//===- DemoBundle.cpp - The example `qatc demo` carries inside the binary -===//
#include "tools/qatc/DemoBundle.h"

#include "ir/AtomicFile.h"

#include "llvm/Support/Path.h"

namespace qatc {

#include "tools/demo_bundle/DemoBundle.inc"

llvm::ArrayRef<BundledFile> demoBundle() { return kBundle; }

llvm::Error writeDemoBundle(llvm::StringRef Dir) {
  for (const BundledFile &F : demoBundle()) {
    llvm::SmallString<256> Path(Dir);
    llvm::sys::path::append(Path, F.Name);
    if (llvm::Error E = writeFileAtomically(Path, [&](llvm::raw_ostream &OS) {
          OS.write(reinterpret_cast<const char *>(F.Bytes.data()), F.Bytes.size());
          return llvm::Error::success();
        }))
      return E;
  }
  return llvm::Error::success();
}

} // namespace qatc
