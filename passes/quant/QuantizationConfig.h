//===- QuantizationConfig.h - The LinearQuantizerConfig data model -*- C++ -*-===//
//
// What the prepare pass is told to do, in coremltools' terms: a per-module
// config (scheme, dtypes, observers, algorithm, milestones) and the model-wide
// LinearQuantizerConfig holding a global config plus ordered per-type and
// per-name configs, where a null entry disables quantization. Defaults are
// coremltools' (spec §1.2-1.3). README.md in this folder is the user reference.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_QUANTIZATIONCONFIG_H
#define QATC_PASSES_QUANT_QUANTIZATIONCONFIG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qatc {

/// How scale and zero point are derived from the observed range.
enum class QuantizationScheme : uint8_t { Symmetric, Affine };

/// Storage type of quantized weights; Float32 leaves weights unquantized.
enum class WeightDType : uint8_t { QInt8, QUInt8, QInt4, QUInt4, Float32 };

/// Storage type of quantized activations; Float32 leaves them unquantized.
enum class ActivationDType : uint8_t { QUInt8, Float32 };

/// Fake-quant flavour: fixed observer qparams or LSQ-style learned ones.
enum class Algorithm : uint8_t { Vanilla, Learnable };

/// Range statistic an observer keeps.
enum class ObserverKind : uint8_t { MovingAverageMinMax, MinMax, EmaMinMax };

/// The config spellings of an enum's values, in declaration order. Specialised
/// below for every enum of this file.
template <typename E> struct EnumSpellings;

template <> struct EnumSpellings<QuantizationScheme> {
  static constexpr llvm::StringLiteral Names[] = {"symmetric", "affine"};
};
template <> struct EnumSpellings<WeightDType> {
  static constexpr llvm::StringLiteral Names[] = {"qint8", "quint8", "qint4", "quint4", "float32"};
};
template <> struct EnumSpellings<ActivationDType> {
  static constexpr llvm::StringLiteral Names[] = {"quint8", "float32"};
};
template <> struct EnumSpellings<Algorithm> {
  static constexpr llvm::StringLiteral Names[] = {"vanilla", "learnable"};
};
template <> struct EnumSpellings<ObserverKind> {
  static constexpr llvm::StringLiteral Names[] = {"moving_average_min_max", "min_max",
                                                  "ema_min_max"};
};

/// The config spelling of V (`qint8`, `affine`, ...).
template <typename E> llvm::StringRef spell(E V) {
  return EnumSpellings<E>::Names[static_cast<unsigned>(V)];
}

/// The value spelled exactly S, or nullopt.
template <typename E> std::optional<E> parseSpelling(llvm::StringRef S) {
  unsigned I = 0;
  for (llvm::StringRef Name : EnumSpellings<E>::Names) {
    if (Name == S)
      return static_cast<E>(I);
    ++I;
  }
  return std::nullopt;
}

/// Every spelling of E, comma-separated (`qint8, quint8, ...`), for messages.
template <typename E> std::string spellingList() {
  std::string Out;
  for (llvm::StringRef Name : EnumSpellings<E>::Names) {
    if (!Out.empty())
      Out += ", ";
    Out += Name.str();
  }
  return Out;
}

/// The four step counts of the QAT schedule: enable observers, enable fake
/// quant, disable observers, freeze batch norm (spec §1.7).
using Milestones = std::array<int64_t, 4>;

/// coremltools' ModuleLinearQuantizerConfig: how one module (or the whole
/// model, as the global config) is quantized. Member defaults are coremltools'.
struct ModuleQuantizationConfig {
  QuantizationScheme Scheme = QuantizationScheme::Symmetric;
  /// None: observers and fake quant are on from the start and never change.
  std::optional<Milestones> StepMilestones;
  WeightDType WeightType = WeightDType::QInt8;
  ActivationDType ActivationType = ActivationDType::QUInt8;
  bool WeightPerChannel = true;
  Algorithm Algo = Algorithm::Vanilla;
  ObserverKind WeightObserver = ObserverKind::MovingAverageMinMax;
  ObserverKind ActivationObserver = ObserverKind::MovingAverageMinMax;

  /// False for weight_dtype float32 (activation-only quantization).
  bool quantizesWeights() const { return WeightType != WeightDType::Float32; }
  /// False for activation_dtype float32 (weight-only quantization).
  bool quantizesActivations() const { return ActivationType != ActivationDType::Float32; }
  /// coremltools' weight_n_bits: 8, 4, or 32 for float32.
  unsigned weightBits() const;
  /// The weight fake-quant's [quant_min, quant_max]; nullopt for float32.
  std::optional<std::pair<int64_t, int64_t>> weightQuantRange() const;

  bool operator==(const ModuleQuantizationConfig &O) const;
  bool operator!=(const ModuleQuantizationConfig &O) const { return !(*this == O); }
};

/// One entry of module_type_configs or module_name_configs; a null Config
/// disables quantization for what the key selects.
struct ModuleConfigEntry {
  std::string Key;
  std::optional<ModuleQuantizationConfig> Config;

  bool operator==(const ModuleConfigEntry &O) const { return Key == O.Key && Config == O.Config; }
};

/// Keyed module configs in insertion order (the order decides the effective
/// global config, spec §1.5).
class ModuleConfigTable {
public:
  /// Sets Key's entry, replacing an existing one in place or appending.
  void set(llvm::StringRef Key, std::optional<ModuleQuantizationConfig> Config);
  /// Key's entry, or null when Key has none.
  const ModuleConfigEntry *find(llvm::StringRef Key) const;

  bool empty() const { return Entries.empty(); }
  size_t size() const { return Entries.size(); }
  const ModuleConfigEntry &operator[](size_t I) const { return Entries[I]; }
  std::vector<ModuleConfigEntry>::const_iterator begin() const { return Entries.begin(); }
  std::vector<ModuleConfigEntry>::const_iterator end() const { return Entries.end(); }

  bool operator==(const ModuleConfigTable &O) const { return Entries == O.Entries; }

private:
  std::vector<ModuleConfigEntry> Entries;
};

/// Where the model-wide settings (scheme, milestones) come from.
struct EffectiveGlobalConfig {
  /// global_config, the first non-null type or name config, or the defaults.
  ModuleQuantizationConfig Config;
  /// Key path of the entry, e.g. `module_type_configs.Conv2d`; empty for the
  /// defaults.
  std::string Path;
};

/// coremltools' LinearQuantizerConfig for the whole model.
struct LinearQuantizerConfig {
  /// None: ops no type or name entry selects get coremltools' built-in
  /// default config (with the effective scheme).
  std::optional<ModuleQuantizationConfig> GlobalConfig;
  ModuleConfigTable ModuleTypeConfigs;
  ModuleConfigTable ModuleNameConfigs;
  /// Accepted for compatibility; QIR is not traced, so they have no effect.
  std::vector<std::string> NonTraceableModuleNames;
  /// Accepted for compatibility; QIR has no Python attributes to keep.
  std::vector<std::string> PreservedAttributes;

  /// The config that supplies the model-wide scheme and milestones (spec §1.5).
  EffectiveGlobalConfig effectiveGlobal() const;

  bool operator==(const LinearQuantizerConfig &O) const;
};

/// coremltools' LinearQuantizerConfig(): a default global config and nothing else.
LinearQuantizerConfig defaultLinearQuantizerConfig();

/// Checks the rules that span entries: one quantization scheme and one
/// algorithm everywhere, milestones only where they agree with the effective
/// global config, known and non-conflicting type keys, non-empty name keys.
/// Errors read `<key path>: <what is wrong>; <what to do>`.
llvm::Error validateConfig(const LinearQuantizerConfig &Config);

} // namespace qatc

#endif // QATC_PASSES_QUANT_QUANTIZATIONCONFIG_H
