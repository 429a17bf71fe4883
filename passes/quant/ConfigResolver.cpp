//===- ConfigResolver.cpp - Which config applies to a layer or fused group ===//
#include "passes/quant/ConfigResolver.h"

#include "passes/quant/ModuleTypes.h"

#include "llvm/Support/ErrorHandling.h"

#include <cassert>

namespace qatc {

std::string ResolvedConfig::describe() const {
  switch (Source) {
  case ConfigSource::ModuleName: return ("module_name_configs['" + Key + "']").str();
  case ConfigSource::ModuleType: return ("module_type_configs['" + Key + "']").str();
  case ConfigSource::Global: return "global_config";
  case ConfigSource::Default: return "default config (no global_config)";
  case ConfigSource::Decision: return Key.str();
  }
  llvm_unreachable("unknown config source");
}

llvm::Expected<ConfigResolver> ConfigResolver::create(LinearQuantizerConfig Config) {
  if (auto Err = validateConfig(Config))
    return Err;
  ConfigResolver R;
  R.Config = std::move(Config);
  R.Effective = R.Config.effectiveGlobal();
  R.BuiltinDefault.Scheme = R.Effective.Config.Scheme;
  for (unsigned I = 0, E = R.Config.ModuleNameConfigs.size(); I != E; ++I)
    R.NameIndex.try_emplace(R.Config.ModuleNameConfigs[I].Key, I);
  // validateConfig guarantees keys selecting the same op carry the same config.
  for (unsigned I = 0, E = R.Config.ModuleTypeConfigs.size(); I != E; ++I) {
    llvm::StringRef Op = *lookupModuleTypeKey(R.Config.ModuleTypeConfigs[I].Key);
    if (!Op.empty())
      R.OpIndex.try_emplace(Op, I);
  }
  return R;
}

const ModuleConfigEntry *ConfigResolver::exactNameEntry(llvm::StringRef Name) const {
  auto It = NameIndex.find(Name);
  return It == NameIndex.end() ? nullptr : &Config.ModuleNameConfigs[It->second];
}

const ModuleConfigEntry *ConfigResolver::parentNameEntry(llvm::StringRef Name) const {
  // Like torch: `a.b.c` falls back to `a.b`, then `a`; the root never matches.
  for (size_t Dot = Name.rfind('.'); Dot != llvm::StringRef::npos; Dot = Name.rfind('.')) {
    Name = Name.take_front(Dot);
    if (const ModuleConfigEntry *E = exactNameEntry(Name))
      return E;
  }
  return nullptr;
}

ResolvedConfig ConfigResolver::fromEntry(const ModuleConfigEntry &E, ConfigSource Source,
                                         llvm::StringRef Layer) const {
  ResolvedConfig R;
  R.Config = E.Config ? &*E.Config : nullptr;
  R.Source = Source;
  R.Key = E.Key;
  R.MatchedLayer = Layer;
  return R;
}

ResolvedConfig ConfigResolver::resolve(const LayerRef &Layer) const { return resolveGroup(Layer); }

ResolvedConfig ConfigResolver::resolveGroup(llvm::ArrayRef<LayerRef> Members) const {
  assert(!Members.empty() && "a group has at least one member");
  if (!NameIndex.empty()) {
    for (const LayerRef &M : Members)
      if (const ModuleConfigEntry *E = exactNameEntry(M.Name))
        return fromEntry(*E, ConfigSource::ModuleName, M.Name);
    for (const LayerRef &M : Members)
      if (const ModuleConfigEntry *E = parentNameEntry(M.Name))
        return fromEntry(*E, ConfigSource::ModuleName, M.Name);
  }
  const LayerRef &Root = Members.front();
  auto It = OpIndex.find(Root.Op);
  if (It != OpIndex.end())
    return fromEntry(Config.ModuleTypeConfigs[It->second], ConfigSource::ModuleType, Root.Name);
  ResolvedConfig R;
  if (Config.GlobalConfig) {
    R.Config = &*Config.GlobalConfig;
    R.Source = ConfigSource::Global;
  } else {
    R.Config = &BuiltinDefault;
    R.Source = ConfigSource::Default;
  }
  return R;
}

} // namespace qatc
