//===- ConfigResolver.h - Which config applies to a layer or fused group -*- C++ -*-===//
//
// Answers, for one layer or one fused group, which ModuleQuantizationConfig
// applies (or none: the layer stays float) and which config entry decided it.
//
// One layer, as in coremltools (spec §1.6), highest priority first:
//   1. module_name_configs: the layer's name, else its parent paths
//      (`layer1.0.conv1`, `layer1.0`, `layer1`), nearest first;
//   2. module_type_configs: a key selecting the layer's QIR op;
//   3. global_config, else coremltools' built-in default with the effective
//      scheme (spec §1.5).
// A null entry stops the search: the layer is not quantized.
//
// A fused group (conv → batch_norm → relu, add → relu) takes one config, so
// asking with any member gives the same answer. Members are given in data-flow
// order, the pattern's root (the weighted layer or binary op) first:
//   1. an exact name entry of a member, the root's first, then the others';
//   2. a parent-path name entry of a member, the root's first, nearest first;
//   3. the type entry of the root's op (an activation's type entry describes
//      standalone activations, not the fused block);
//   4. global_config or the built-in default.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_CONFIGRESOLVER_H
#define QATC_PASSES_QUANT_CONFIGRESOLVER_H

#include "passes/quant/QuantizationConfig.h"

#include "llvm/ADT/StringMap.h"

namespace qatc {

/// A layer as the resolver sees it.
struct LayerRef {
  /// The node or module path (`layer1.0.conv1`).
  llvm::StringRef Name;
  /// The QIR op name (`conv2d`).
  llvm::StringRef Op;
};

/// Which part of the config decided; Decision is a pass's or plugin's
/// quantization decision (QuantDecisions), checked before the config.
enum class ConfigSource : uint8_t { ModuleName, ModuleType, Global, Default, Decision };

/// The answer for one layer or group.
struct ResolvedConfig {
  /// The config to apply; null when the deciding entry is null (stay float).
  const ModuleQuantizationConfig *Config = nullptr;
  ConfigSource Source = ConfigSource::Default;
  /// The deciding entry's key (`layer1`, `Conv2d`), or who made a Decision;
  /// empty for global/default.
  llvm::StringRef Key;
  /// The member whose name or op matched the entry; empty for global/default.
  llvm::StringRef MatchedLayer;

  /// False when the layer or group stays float.
  bool isQuantized() const { return Config != nullptr; }
  /// The deciding entry as a user wrote it: `module_name_configs['layer1']`,
  /// `module_type_configs['Conv2d']`, `global_config`,
  /// `default config (no global_config)`, or who made a Decision.
  std::string describe() const;
};

/// Resolves configs for layers of one model. Keeps its own copy of the
/// config; results point into the resolver, so keep it alive and in place
/// while they are used.
class ConfigResolver {
public:
  /// Validates Config (validateConfig) and indexes its entries.
  static llvm::Expected<ConfigResolver> create(LinearQuantizerConfig Config);

  /// The config for one layer that is not part of a fused group.
  ResolvedConfig resolve(const LayerRef &Layer) const;
  /// The one config for a fused group; Members in data-flow order, root first.
  ResolvedConfig resolveGroup(llvm::ArrayRef<LayerRef> Members) const;

  /// The config that supplies the model-wide scheme and milestones.
  const EffectiveGlobalConfig &effectiveGlobal() const { return Effective; }

private:
  ConfigResolver() = default;

  /// The name entry for exactly Name, or null.
  const ModuleConfigEntry *exactNameEntry(llvm::StringRef Name) const;
  /// The name entry of Name's nearest strict parent path, or null.
  const ModuleConfigEntry *parentNameEntry(llvm::StringRef Name) const;
  ResolvedConfig fromEntry(const ModuleConfigEntry &E, ConfigSource Source,
                           llvm::StringRef Layer) const;

  LinearQuantizerConfig Config;
  EffectiveGlobalConfig Effective;
  /// coremltools' built-in default with the effective scheme, used for ops no
  /// entry selects when global_config is not set.
  ModuleQuantizationConfig BuiltinDefault;
  /// Entry indices into Config's tables.
  llvm::StringMap<unsigned> NameIndex;
  llvm::StringMap<unsigned> OpIndex;
};

} // namespace qatc

#endif // QATC_PASSES_QUANT_CONFIGRESOLVER_H
