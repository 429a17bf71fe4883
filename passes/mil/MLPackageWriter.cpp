//===- MLPackageWriter.cpp - Writing .mlpackage directories ---------------===//
#include "passes/mil/MLPackageWriter.h"

#include "passes/mil/PackageLayout.h"

#include "ir/AtomicFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace qatc {
namespace mil {

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// Writes Bytes to Path (a new file in the temporary directory).
llvm::Error writeFile(llvm::StringRef Path, llvm::StringRef Bytes) {
  std::error_code EC;
  llvm::raw_fd_ostream OS(Path, EC, llvm::sys::fs::OF_None);
  if (EC)
    return makeError("cannot create '" + Path + "': " + EC.message());
  OS << Bytes;
  OS.close();
  if (OS.has_error()) {
    std::string Message = OS.error().message();
    OS.clear_error();
    return makeError("cannot write '" + Path + "': " + Message);
  }
  return llvm::Error::success();
}

llvm::Error makeDirectory(llvm::StringRef Path) {
  if (std::error_code EC = llvm::sys::fs::create_directory(Path, /*IgnoreExisting=*/false))
    return makeError("cannot create directory '" + Path + "': " + EC.message());
  return llvm::Error::success();
}

/// Writes the package's files under the (empty, existing) directory Root.
llvm::Error writeTree(llvm::StringRef Root, const LoweredModel &M) {
  auto at = [&](llvm::StringRef Rel) {
    llvm::SmallString<256> P(Root);
    llvm::sys::path::append(P, Rel);
    return std::string(P);
  };
  std::string Model = serializeModel(M.Model);
  for (const char *Dir : {kDataDir, kCoreMLDir, kWeightsDir})
    if (llvm::Error E = makeDirectory(at(Dir)))
      return E;
  if (llvm::Error E = writeFile(at(kModelFile), Model))
    return E;
  if (llvm::Error E = writeFile(at(kWeightFile), M.Weights))
    return E;
  std::string Manifest = manifestJson(identifierFromSeed("model.mlmodel:" + Model),
                                      identifierFromSeed("weights:" + M.Weights));
  return writeFile(at(kManifestFile), Manifest);
}

} // namespace

std::string serializeModel(const CoreML::Specification::Model &M) {
  std::string Out;
  {
    google::protobuf::io::StringOutputStream Stream(&Out);
    google::protobuf::io::CodedOutputStream Coded(&Stream);
    Coded.SetSerializationDeterministic(true);
    M.SerializeToCodedStream(&Coded);
  }
  return Out;
}

llvm::Error writeLoweredPackage(const LoweredModel &M, llvm::StringRef Path) {
  if (!Path.endswith(".mlpackage"))
    return makeError("output '" + Path + "' must end in .mlpackage (Core ML packages are "
                                         "directories named *.mlpackage)");
  llvm::SmallString<256> Target(Path);
  llvm::sys::path::remove_dots(Target, /*remove_dot_dot=*/true);
  return writeDirectoryAtomically(Target, [&](llvm::StringRef Dir) { return writeTree(Dir, M); });
}

llvm::Error writeMLPackage(const Graph &G, llvm::StringRef Path, const MilOptions &Opts) {
  if (!Path.endswith(".mlpackage"))
    return makeError("output '" + Path + "' must end in .mlpackage (Core ML packages are "
                                         "directories named *.mlpackage)");
  auto M = lowerToMil(G, Opts);
  if (!M)
    return M.takeError();
  return writeLoweredPackage(*M, Path);
}

} // namespace mil
} // namespace qatc
