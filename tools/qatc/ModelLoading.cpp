//===- ModelLoading.cpp - Loading any model qatc can execute --------------===//
//
// `qatc run` and `qatc eval` accept QIR graphs (.qir, .qirb) and Core ML
// packages (.mlpackage, through the MIL reader and its conversion to QIR),
// so any two stages of the pipeline can be compared on the same data.
//
//===----------------------------------------------------------------------===//
#include "tools/qatc/CommandSupport.h"

#include "runtime/mil/MilImporter.h"

namespace qatc {

llvm::Expected<std::unique_ptr<Graph>> loadModelGraph(llvm::StringRef Path) {
  if (mil::isMLPackagePath(Path))
    return mil::loadMLPackageGraph(Path.rtrim('/'));
  return loadVerifiedGraph(Path);
}

} // namespace qatc
