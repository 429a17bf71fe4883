//===- QuantizationConfig.cpp - The LinearQuantizerConfig data model ------===//
#include "passes/quant/QuantizationConfig.h"

#include "passes/quant/ModuleTypes.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {

unsigned ModuleQuantizationConfig::weightBits() const {
  switch (WeightType) {
  case WeightDType::QInt8:
  case WeightDType::QUInt8: return 8;
  case WeightDType::QInt4:
  case WeightDType::QUInt4: return 4;
  case WeightDType::Float32: return 32;
  }
  llvm_unreachable("unknown weight dtype");
}

std::optional<std::pair<int64_t, int64_t>> ModuleQuantizationConfig::weightQuantRange() const {
  switch (WeightType) {
  case WeightDType::QInt8: return std::make_pair(-128, 127);
  case WeightDType::QUInt8: return std::make_pair(0, 255);
  case WeightDType::QInt4: return std::make_pair(-8, 7);
  case WeightDType::QUInt4: return std::make_pair(0, 15);
  case WeightDType::Float32: return std::nullopt;
  }
  llvm_unreachable("unknown weight dtype");
}

bool ModuleQuantizationConfig::operator==(const ModuleQuantizationConfig &O) const {
  return Scheme == O.Scheme && StepMilestones == O.StepMilestones && WeightType == O.WeightType &&
         ActivationType == O.ActivationType && WeightPerChannel == O.WeightPerChannel &&
         Algo == O.Algo && WeightObserver == O.WeightObserver &&
         ActivationObserver == O.ActivationObserver;
}

void ModuleConfigTable::set(llvm::StringRef Key, std::optional<ModuleQuantizationConfig> Config) {
  for (ModuleConfigEntry &E : Entries)
    if (E.Key == Key) {
      E.Config = std::move(Config);
      return;
    }
  Entries.push_back({Key.str(), std::move(Config)});
}

const ModuleConfigEntry *ModuleConfigTable::find(llvm::StringRef Key) const {
  for (const ModuleConfigEntry &E : Entries)
    if (E.Key == Key)
      return &E;
  return nullptr;
}

EffectiveGlobalConfig LinearQuantizerConfig::effectiveGlobal() const {
  if (GlobalConfig)
    return {*GlobalConfig, "global_config"};
  for (const ModuleConfigEntry &E : ModuleTypeConfigs)
    if (E.Config)
      return {*E.Config, "module_type_configs." + E.Key};
  for (const ModuleConfigEntry &E : ModuleNameConfigs)
    if (E.Config)
      return {*E.Config, "module_name_configs." + E.Key};
  return {ModuleQuantizationConfig(), ""};
}

bool LinearQuantizerConfig::operator==(const LinearQuantizerConfig &O) const {
  return GlobalConfig == O.GlobalConfig && ModuleTypeConfigs == O.ModuleTypeConfigs &&
         ModuleNameConfigs == O.ModuleNameConfigs &&
         NonTraceableModuleNames == O.NonTraceableModuleNames &&
         PreservedAttributes == O.PreservedAttributes;
}

LinearQuantizerConfig defaultLinearQuantizerConfig() {
  LinearQuantizerConfig Config;
  Config.GlobalConfig = ModuleQuantizationConfig();
  return Config;
}

namespace {

llvm::Error configError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message.str());
}

std::string printMilestones(const std::optional<Milestones> &M) {
  if (!M)
    return "null";
  return llvm::formatv("[{0}, {1}, {2}, {3}]", (*M)[0], (*M)[1], (*M)[2], (*M)[3]).str();
}

/// A non-null config with its key path, in document order.
struct PlacedConfig {
  std::string Path;
  const ModuleQuantizationConfig *Config;
};

std::vector<PlacedConfig> placedConfigs(const LinearQuantizerConfig &C) {
  std::vector<PlacedConfig> Out;
  if (C.GlobalConfig)
    Out.push_back({"global_config", &*C.GlobalConfig});
  for (const ModuleConfigEntry &E : C.ModuleTypeConfigs)
    if (E.Config)
      Out.push_back({"module_type_configs." + E.Key, &*E.Config});
  for (const ModuleConfigEntry &E : C.ModuleNameConfigs)
    if (E.Config)
      Out.push_back({"module_name_configs." + E.Key, &*E.Config});
  return Out;
}

llvm::Error validateTypeKeys(const ModuleConfigTable &Types) {
  // The first key seen for each QIR op, to catch two keys selecting one op.
  llvm::StringMap<const ModuleConfigEntry *> ByOp;
  for (const ModuleConfigEntry &E : Types) {
    std::optional<llvm::StringRef> Op = lookupModuleTypeKey(E.Key);
    if (!Op) {
      std::string Suggestion = suggestModuleTypeKey(E.Key);
      if (!Suggestion.empty())
        return configError(llvm::formatv("module_type_configs.{0}: '{0}' is not a known module "
                                         "type; did you mean '{1}'?",
                                         E.Key, Suggestion));
      return configError(llvm::formatv(
          "module_type_configs.{0}: '{0}' is not a known module type; use a PyTorch class or "
          "function name (Conv2d, Linear, ReLU, operator.add, ...) or a QIR op name (conv2d, "
          "linear, relu, add, ...)",
          E.Key));
    }
    if (Op->empty())
      continue;
    auto [It, Inserted] = ByOp.try_emplace(*Op, &E);
    if (!Inserted && It->second->Config != E.Config)
      return configError(llvm::formatv(
          "module_type_configs.{0}: '{0}' and '{1}' both select QIR op {2} but give it different "
          "configs; give them the same config or keep one of them",
          E.Key, It->second->Key, *Op));
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error validateConfig(const LinearQuantizerConfig &Config) {
  if (auto Err = validateTypeKeys(Config.ModuleTypeConfigs))
    return Err;
  if (Config.ModuleNameConfigs.find(""))
    return configError("module_name_configs: the empty module name never matches a module; move "
                       "its config to global_config");

  std::vector<PlacedConfig> Placed = placedConfigs(Config);
  // One scheme everywhere; unlike other fields it is not per module (spec §1.3).
  for (const PlacedConfig &P : Placed)
    if (P.Config->Scheme != Placed.front().Config->Scheme)
      return configError(llvm::formatv(
          "{0}.quantization_scheme: '{1}' differs from '{2}' in {3}; use one quantization_scheme "
          "in every config (a module config without one is symmetric)",
          P.Path, spell(P.Config->Scheme), spell(Placed.front().Config->Scheme),
          Placed.front().Path));

  // One algorithm everywhere. Without a global config, the ops no entry selects
  // use coremltools' always-vanilla default, so vanilla is the reference.
  Algorithm Reference = Config.GlobalConfig ? Config.GlobalConfig->Algo : Algorithm::Vanilla;
  for (const PlacedConfig &P : Placed)
    if (P.Config->Algo != Reference)
      return configError(llvm::formatv(
          "{0}.algorithm: '{1}' differs from '{2}' {3}; use one algorithm in every config", P.Path,
          spell(P.Config->Algo), spell(Reference),
          Config.GlobalConfig ? "in global_config"
                              : "(the default for ops no entry selects when global_config is "
                                "not set), so set global_config.algorithm too"));

  // Milestones are model-wide: a module config may only repeat them.
  EffectiveGlobalConfig Effective = Config.effectiveGlobal();
  for (const PlacedConfig &P : Placed) {
    if (P.Path == Effective.Path || !P.Config->StepMilestones ||
        P.Config->StepMilestones == Effective.Config.StepMilestones)
      continue;
    return configError(llvm::formatv(
        "{0}.milestones: {1} differs from the model-wide milestones {2} of {3}; milestones apply "
        "to the whole model, so set them only in global_config",
        P.Path, printMilestones(P.Config->StepMilestones),
        printMilestones(Effective.Config.StepMilestones), Effective.Path));
  }
  return llvm::Error::success();
}

} // namespace qatc
