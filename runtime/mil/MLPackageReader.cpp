//===- MLPackageReader.cpp - Reading .mlpackage directories ---------------===//
#include "runtime/mil/MLPackageReader.h"

#include "passes/mil/PackageLayout.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

namespace qatc {
namespace mil {

namespace Spec = CoreML::Specification::MILSpec;

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

std::string join(llvm::StringRef A, llvm::StringRef B) {
  llvm::SmallString<256> P(A);
  llvm::sys::path::append(P, B);
  return std::string(P);
}

/// The opsets Core ML pairs with each specification version of an ML Program.
llvm::StringRef opsetForVersion(int V) {
  switch (V) {
  case 6:
    return "CoreML5";
  case 7:
    return "CoreML6";
  case 8:
    return "CoreML7";
  case 9:
    return "CoreML8";
  default:
    return "";
  }
}

} // namespace

bool isMLPackagePath(llvm::StringRef Path) {
  return Path.rtrim('/').endswith(".mlpackage");
}

llvm::Expected<std::unique_ptr<MLPackage>> readMLPackage(llvm::StringRef Path) {
  auto P = std::make_unique<MLPackage>();
  P->Path = Path.str();
  if (!llvm::sys::fs::is_directory(Path))
    return makeError(llvm::formatv("{0}: {1}; an .mlpackage is a directory", Path,
                                   llvm::sys::fs::exists(Path) ? "not a directory"
                                                               : "no such package"));
  std::string ManifestPath = join(Path, kManifestFile);
  auto ManifestBuf = llvm::MemoryBuffer::getFile(ManifestPath);
  if (!ManifestBuf)
    return makeError(llvm::formatv("{0}: cannot read ({1}); every .mlpackage has a "
                                   "Manifest.json",
                                   ManifestPath, ManifestBuf.getError().message()));
  auto M = parseManifest((*ManifestBuf)->getBuffer(), ManifestPath);
  if (!M)
    return M.takeError();
  std::string DataDir = join(Path, kDataDir);
  for (const ManifestItem &Item : M->Items)
    if (!llvm::sys::fs::exists(join(DataDir, Item.Path)))
      return makeError(llvm::formatv("{0}: item '{1}' names '{2}', which does not exist in the "
                                     "package",
                                     ManifestPath, Item.Identifier, Item.Path));

  std::string ModelPath = join(DataDir, M->rootItem().Path);
  auto ModelBuf = llvm::MemoryBuffer::getFile(ModelPath);
  if (!ModelBuf)
    return makeError(llvm::formatv("{0}: cannot read ({1})", ModelPath,
                                   ModelBuf.getError().message()));
  llvm::StringRef Bytes = (*ModelBuf)->getBuffer();
  if (!P->Model.ParseFromArray(Bytes.data(), int(Bytes.size())))
    return makeError(llvm::formatv("{0}: not a valid Core ML model (the protobuf does not "
                                   "parse); rewrite the package",
                                   ModelPath));
  const CoreML::Specification::Model &Model = P->Model;
  if (!Model.has_mlprogram())
    return makeError(llvm::formatv("{0}: the model is not an ML Program (mlProgram, field 502, "
                                   "is unset); qatc reads ML Program models only",
                                   ModelPath));
  int V = Model.specificationversion();
  const Spec::Program &Program = Model.mlprogram();
  auto Fn = Program.functions().find("main");
  if (Fn == Program.functions().end())
    return makeError(llvm::formatv("{0}: the program has no function 'main'", ModelPath));
  P->Main = &Fn->second;
  llvm::StringRef Opset = P->Main->opset();
  if (opsetForVersion(V) != Opset)
    return makeError(llvm::formatv("{0}: specification version {1} does not pair with opset "
                                   "\"{2}\" (expected 6/CoreML5, 7/CoreML6, 8/CoreML7 or "
                                   "9/CoreML8)",
                                   ModelPath, V, Opset));
  auto Blk = P->Main->block_specializations().find(P->Main->opset());
  if (Blk == P->Main->block_specializations().end())
    return makeError(llvm::formatv("{0}: function 'main' has no block for its opset \"{1}\"",
                                   ModelPath, Opset));
  P->Block = &Blk->second;

  // @model_path is the directory holding the model file.
  std::string WeightPath =
      join(join(llvm::sys::path::parent_path(ModelPath), "weights"), "weight.bin");
  if (llvm::sys::fs::exists(WeightPath)) {
    auto W = llvm::MemoryBuffer::getFile(WeightPath, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
    if (!W)
      return makeError(llvm::formatv("{0}: cannot read ({1})", WeightPath,
                                     W.getError().message()));
    P->WeightFile = std::move(*W);
    auto R = BlobReader::create(P->WeightFile->getBuffer(), WeightPath);
    if (!R)
      return R.takeError();
    P->Blobs.emplace(std::move(*R));
  }
  return P;
}

} // namespace mil
} // namespace qatc
