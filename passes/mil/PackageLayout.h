//===- PackageLayout.h - The .mlpackage directory and Manifest.json -*- C++ -*-===//
//
// An .mlpackage is a directory: Manifest.json names its items, and
// Data/com.apple.CoreML/ holds model.mlmodel (one serialized Model) and
// weights/weight.bin. This file knows the paths, writes the manifest the way
// coremltools does (two items, 4-space indented JSON) and parses manifests
// with the checks Core ML's package reader applies.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_MIL_PACKAGELAYOUT_H
#define QATC_PASSES_MIL_PACKAGELAYOUT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qatc {
namespace mil {

/// Paths inside a package.
inline constexpr const char *kManifestFile = "Manifest.json";
inline constexpr const char *kDataDir = "Data";
inline constexpr const char *kCoreMLDir = "Data/com.apple.CoreML";
inline constexpr const char *kModelFile = "Data/com.apple.CoreML/model.mlmodel";
inline constexpr const char *kWeightsDir = "Data/com.apple.CoreML/weights";
inline constexpr const char *kWeightFile = "Data/com.apple.CoreML/weights/weight.bin";

/// One entry of Manifest.json's itemInfoEntries.
struct ManifestItem {
  std::string Identifier;
  std::string Path; ///< relative to Data/
  std::string Name;
  std::string Author;
  std::string Description;
};

/// What a manifest says.
struct Manifest {
  std::string FileFormatVersion;
  std::vector<ManifestItem> Items;
  std::string RootModelIdentifier;
  /// The root model's item (valid after parseManifest succeeds).
  const ManifestItem &rootItem() const;
};

/// The manifest of a package holding model.mlmodel and weights/ whose item
/// identifiers are ModelId and WeightsId.
std::string manifestJson(llvm::StringRef ModelId, llvm::StringRef WeightsId);

/// A UUID-shaped identifier derived from Seed (deterministic, version-4 form).
std::string identifierFromSeed(llvm::StringRef Seed);

/// Parses Manifest.json (Origin names it in messages): a supported
/// fileFormatVersion, every item with its four string keys, and a root model
/// identifier that names an item.
llvm::Expected<Manifest> parseManifest(llvm::StringRef Json, llvm::StringRef Origin);

} // namespace mil
} // namespace qatc

#endif // QATC_PASSES_MIL_PACKAGELAYOUT_H
