//===- DemoBundle.cpp - The example `qatc demo` carries inside the binary -===//
#include "tools/qatc/DemoBundle.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {

#include "tools/demo_bundle/DemoBundle.inc"

llvm::ArrayRef<BundledFile> demoBundle() { return kBundle; }

llvm::Error writeDemoBundle(llvm::StringRef Dir) {
  for (const BundledFile &F : demoBundle()) {
    llvm::SmallString<256> Path(Dir);
    llvm::sys::path::append(Path, F.Name);
    std::error_code EC;
    llvm::raw_fd_ostream OS(Path, EC);
    if (!EC) {
      OS.write(reinterpret_cast<const char *>(F.Bytes.data()), F.Bytes.size());
      OS.close();
      EC = OS.error();
    }
    if (EC)
      return llvm::createStringError(EC, "cannot write the demo's '" + Path +
                                             "': " + EC.message());
  }
  return llvm::Error::success();
}

} // namespace qatc
