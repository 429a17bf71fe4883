//===- PassRegistry.cpp - Passes available to pipelines -------------------===//
#include "passes/PassRegistry.h"

#include "passes/quant/FinalizePass.h"
#include "passes/quant/PreparePass.h"
#include "passes/transforms/Transforms.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

namespace qatc {

PassRegistry::PassRegistry() {
#define QATC_PASS(NAME, FACTORY, OPTIONS, DESC)                                             \
  {                                                                                         \
    llvm::SmallVector<llvm::StringRef, 4> Keys;                                             \
    llvm::StringRef(OPTIONS).split(Keys, ' ', -1, false);                                   \
    llvm::cantFail(registerPass(PassInfo{NAME, DESC,                                        \
                                         std::vector<std::string>(Keys.begin(), Keys.end()), \
                                         &FACTORY}));                                       \
  }
#include "passes/Passes.def"
}

PassRegistry &PassRegistry::get() {
  static PassRegistry *R = new PassRegistry();
  return *R;
}

const PassInfo *PassRegistry::lookup(llvm::StringRef Name) const {
  for (const auto &I : Infos)
    if (I->Name == Name)
      return I.get();
  return nullptr;
}

static bool isKebabCase(llvm::StringRef S) {
  auto IsLower = [](char C) { return C >= 'a' && C <= 'z'; };
  if (S.empty() || !IsLower(S.front()))
    return false;
  return llvm::all_of(S, [&](char C) { return IsLower(C) || llvm::isDigit(C) || C == '-'; });
}

llvm::Error PassRegistry::checkNewName(llvm::StringRef Name) const {
  if (!isKebabCase(Name))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "pass name '" + Name +
                                       "' is not kebab-case (lowercase letters, digits, '-')");
  if (lookup(Name))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "pass '" + Name + "' is already registered");
  return llvm::Error::success();
}

llvm::Error PassRegistry::registerPass(PassInfo Info) {
  if (llvm::Error E = checkNewName(Info.Name))
    return E;
  Infos.push_back(std::make_unique<PassInfo>(std::move(Info)));
  return llvm::Error::success();
}

std::vector<const PassInfo *> PassRegistry::passes() const {
  std::vector<const PassInfo *> R;
  for (const auto &I : Infos)
    R.push_back(I.get());
  std::sort(R.begin(), R.end(),
            [](const PassInfo *A, const PassInfo *B) { return A->Name < B->Name; });
  return R;
}

llvm::Expected<std::unique_ptr<Pass>> PassRegistry::create(llvm::StringRef Name,
                                                           const PassOptions &Opts) const {
  const PassInfo *Info = lookup(Name);
  if (!Info) {
    std::string Known;
    for (const PassInfo *P : passes())
      Known += (Known.empty() ? "" : ", ") + P->Name;
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown pass '" + Name + "'; available passes: " + Known);
  }
  for (const auto &KV : Opts)
    if (!llvm::is_contained(Info->OptionKeys, KV.first)) {
      std::string Keys = llvm::join(Info->OptionKeys, ", ");
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "pass '" + Name + "' has no option '" + KV.first + "'" +
              (Keys.empty() ? std::string("; it takes no options")
                            : "; its options are: " + Keys));
    }
  return Info->Factory(Opts);
}

} // namespace qatc
