//===- PackageLayout.cpp - The .mlpackage directory and Manifest.json -----===//
#include "passes/mil/PackageLayout.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/raw_ostream.h"

namespace qatc {
namespace mil {

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

} // namespace

const ManifestItem &Manifest::rootItem() const {
  for (const ManifestItem &I : Items)
    if (I.Identifier == RootModelIdentifier)
      return I;
  return Items.front();
}

std::string identifierFromSeed(llvm::StringRef Seed) {
  llvm::MD5 Hash;
  Hash.update(Seed);
  llvm::MD5::MD5Result R;
  Hash.final(R);
  uint8_t B[16];
  for (unsigned I = 0; I < 16; ++I)
    B[I] = R[I];
  B[6] = uint8_t((B[6] & 0x0F) | 0x40); // version 4
  B[8] = uint8_t((B[8] & 0x3F) | 0x80); // RFC 4122 variant
  std::string Hex = llvm::toHex(llvm::ArrayRef<uint8_t>(B, 16), /*LowerCase=*/false);
  return Hex.substr(0, 8) + "-" + Hex.substr(8, 4) + "-" + Hex.substr(12, 4) + "-" +
         Hex.substr(16, 4) + "-" + Hex.substr(20, 12);
}

std::string manifestJson(llvm::StringRef ModelId, llvm::StringRef WeightsId) {
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  llvm::json::OStream J(OS, 4);
  auto item = [&](llvm::StringRef Id, llvm::StringRef Description, llvm::StringRef Name,
                  llvm::StringRef Path) {
    J.attributeObject(Id, [&] {
      J.attribute("author", "com.apple.CoreML");
      J.attribute("description", Description);
      J.attribute("name", Name);
      J.attribute("path", Path);
    });
  };
  J.object([&] {
    J.attribute("fileFormatVersion", "1.0.0");
    J.attributeObject("itemInfoEntries", [&] {
      item(ModelId, "CoreML Model Specification", "model.mlmodel",
           "com.apple.CoreML/model.mlmodel");
      item(WeightsId, "CoreML Model Weights", "weights", "com.apple.CoreML/weights");
    });
    J.attribute("rootModelIdentifier", ModelId);
  });
  OS << "\n";
  return OS.str();
}

/// Core ML's rule: major.minor.patch, refused above 1.0.0.
static bool supportedVersion(llvm::StringRef V) {
  llvm::SmallVector<llvm::StringRef, 3> Parts;
  V.split(Parts, '.');
  if (Parts.size() != 3)
    return false;
  unsigned Nums[3];
  for (unsigned I = 0; I < 3; ++I)
    if (Parts[I].getAsInteger(10, Nums[I]))
      return false;
  if (Nums[0] != 1)
    return Nums[0] < 1;
  if (Nums[1] != 0)
    return false;
  return Nums[2] == 0;
}

llvm::Expected<Manifest> parseManifest(llvm::StringRef Json, llvm::StringRef Origin) {
  auto Parsed = llvm::json::parse(Json);
  if (!Parsed)
    return makeError(llvm::formatv("{0}: not valid JSON ({1}); rewrite the package", Origin,
                                   llvm::toString(Parsed.takeError())));
  const llvm::json::Object *Root = Parsed->getAsObject();
  if (!Root)
    return makeError(llvm::formatv("{0}: the manifest must be a JSON object", Origin));
  Manifest M;
  auto Version = Root->getString("fileFormatVersion");
  if (!Version)
    return makeError(llvm::formatv("{0}: key 'fileFormatVersion' is missing", Origin));
  if (!supportedVersion(*Version))
    return makeError(llvm::formatv("{0}: fileFormatVersion \"{1}\" is not supported (expected "
                                   "1.0.0)",
                                   Origin, *Version));
  M.FileFormatVersion = Version->str();
  const llvm::json::Object *Entries = Root->getObject("itemInfoEntries");
  if (!Entries)
    return makeError(llvm::formatv("{0}: key 'itemInfoEntries' is missing or not an object",
                                   Origin));
  for (const auto &KV : *Entries) {
    const llvm::json::Object *E = KV.second.getAsObject();
    if (!E)
      return makeError(llvm::formatv("{0}: item '{1}' is not an object", Origin,
                                     KV.first.str()));
    ManifestItem Item;
    Item.Identifier = KV.first.str();
    struct {
      const char *Key;
      std::string *Out;
    } Fields[] = {{"path", &Item.Path},
                  {"name", &Item.Name},
                  {"author", &Item.Author},
                  {"description", &Item.Description}};
    for (auto &F : Fields) {
      auto S = E->getString(F.Key);
      if (!S)
        return makeError(llvm::formatv("{0}: item '{1}' lacks the string key '{2}'", Origin,
                                       Item.Identifier, F.Key));
      *F.Out = S->str();
    }
    if (llvm::StringRef(Item.Path).startswith("/") ||
        llvm::StringRef(Item.Path).contains(".."))
      return makeError(llvm::formatv("{0}: item '{1}' has path '{2}' outside the package",
                                     Origin, Item.Identifier, Item.Path));
    M.Items.push_back(std::move(Item));
  }
  std::sort(M.Items.begin(), M.Items.end(),
            [](const ManifestItem &A, const ManifestItem &B) { return A.Identifier < B.Identifier; });
  auto RootId = Root->getString("rootModelIdentifier");
  if (!RootId)
    return makeError(llvm::formatv("{0}: key 'rootModelIdentifier' is missing", Origin));
  M.RootModelIdentifier = RootId->str();
  bool Found = false;
  for (const ManifestItem &I : M.Items)
    Found |= I.Identifier == M.RootModelIdentifier;
  if (!Found)
    return makeError(llvm::formatv("{0}: rootModelIdentifier '{1}' names no item of "
                                   "itemInfoEntries",
                                   Origin, M.RootModelIdentifier));
  return M;
}

} // namespace mil
} // namespace qatc
