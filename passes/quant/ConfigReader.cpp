//===- ConfigReader.cpp - Read a LinearQuantizerConfig from JSON or YAML --===//
#include "passes/quant/ConfigReader.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace qatc {

namespace {

constexpr llvm::StringLiteral TopLevelKeys[] = {"global_config", "module_type_configs",
                                                "module_name_configs", "non_traceable_module_names",
                                                "preserved_attributes"};

constexpr llvm::StringLiteral ModuleConfigKeys[] = {
    "quantization_scheme", "milestones",          "weight_dtype",
    "activation_dtype",    "weight_per_channel",  "algorithm",
    "weight_observer",     "activation_observer", "observer"};

std::string joinKeys(llvm::ArrayRef<llvm::StringLiteral> Keys) {
  std::string Out;
  for (llvm::StringRef K : Keys) {
    if (!Out.empty())
      Out += ", ";
    Out += K.str();
  }
  return Out;
}

/// How a value reads in a message: its text for scalars, else its kind.
std::string describe(const ConfigValue &V) {
  switch (V.kind()) {
  case ConfigValue::Kind::List: return "a list";
  case ConfigValue::Kind::Map: return "a mapping";
  case ConfigValue::Kind::Null: return "null";
  default: return ("'" + V.text() + "'").str();
  }
}

class Reader {
public:
  explicit Reader(llvm::StringRef Name) : Name(Name) {}

  llvm::Expected<LinearQuantizerConfig> read(const ConfigValue &Root) {
    if (Root.isNull())
      return fail("", "the config is empty; write {} for coremltools' default config");
    if (Root.kind() != ConfigValue::Kind::Map)
      return fail("", llvm::formatv("the top level is {0}, not a mapping; write a mapping with "
                                    "global_config, module_type_configs or module_name_configs",
                                    describe(Root)));
    LinearQuantizerConfig Config;
    for (const ConfigValue::Entry &E : Root.entries()) {
      const std::string &Key = E.first;
      const ConfigValue &V = E.second;
      llvm::Error Err = llvm::Error::success();
      if (Key == "global_config") {
        Err = readOptionalModuleConfig(V, Key, Config.GlobalConfig);
      } else if (Key == "module_type_configs") {
        Err = readModuleConfigTable(V, Key, Config.ModuleTypeConfigs);
      } else if (Key == "module_name_configs") {
        Err = readModuleConfigTable(V, Key, Config.ModuleNameConfigs);
      } else if (Key == "non_traceable_module_names") {
        Err = readNameList(V, Key, Config.NonTraceableModuleNames);
      } else if (Key == "preserved_attributes") {
        Err = readNameList(V, Key, Config.PreservedAttributes);
      } else {
        Err = unknownKey(Key, Key, TopLevelKeys);
      }
      if (Err)
        return Err;
    }
    // coremltools' post-init: with nothing given, the global config is the default.
    if (!Config.GlobalConfig && Config.ModuleTypeConfigs.empty() &&
        Config.ModuleNameConfigs.empty())
      Config.GlobalConfig = ModuleQuantizationConfig();
    if (auto Err = validateConfig(Config))
      return fail("", llvm::toString(std::move(Err)));
    return Config;
  }

private:
  llvm::Error fail(llvm::StringRef Path, const llvm::Twine &Message) {
    std::string Text = (Name + ": ").str();
    if (!Path.empty())
      Text += (Path + ": ").str();
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Text + Message.str());
  }

  llvm::Error unknownKey(llvm::StringRef Key, llvm::StringRef Path,
                         llvm::ArrayRef<llvm::StringLiteral> Known) {
    if (Key == "weight_n_bits")
      return fail(Path, "weight_n_bits follows from weight_dtype and cannot be set; remove it "
                        "and pick qint4 or quint4 for 4-bit weights");
    llvm::StringRef Best;
    unsigned BestDistance = 4;
    for (llvm::StringRef K : Known) {
      unsigned D = Key.edit_distance(K);
      if (D < BestDistance) {
        Best = K;
        BestDistance = D;
      }
    }
    if (!Best.empty())
      return fail(Path, llvm::formatv("unknown key; did you mean '{0}'?", Best));
    return fail(Path, llvm::formatv("unknown key; the keys here are {0}", joinKeys(Known)));
  }

  /// A config where null is allowed (and means none).
  llvm::Error readOptionalModuleConfig(const ConfigValue &V, const std::string &Path,
                                       std::optional<ModuleQuantizationConfig> &Out) {
    if (V.isNull()) {
      Out.reset();
      return llvm::Error::success();
    }
    if (V.kind() != ConfigValue::Kind::Map)
      return fail(Path, llvm::formatv("expected a mapping of module config keys or null, not {0}",
                                      describe(V)));
    ModuleQuantizationConfig Config;
    if (auto Err = readModuleConfig(V, Path, Config))
      return Err;
    Out = Config;
    return llvm::Error::success();
  }

  llvm::Error readModuleConfigTable(const ConfigValue &V, const std::string &Path,
                                    ModuleConfigTable &Out) {
    if (V.isNull())
      return llvm::Error::success();
    if (V.kind() != ConfigValue::Kind::Map)
      return fail(Path, llvm::formatv("expected a mapping from keys to module configs, not {0}",
                                      describe(V)));
    for (const ConfigValue::Entry &E : V.entries()) {
      std::optional<ModuleQuantizationConfig> Config;
      if (auto Err = readOptionalModuleConfig(E.second, Path + "." + E.first, Config))
        return Err;
      Out.set(E.first, std::move(Config));
    }
    return llvm::Error::success();
  }

  llvm::Error readNameList(const ConfigValue &V, const std::string &Path,
                           std::vector<std::string> &Out) {
    if (V.isNull())
      return llvm::Error::success();
    if (V.kind() != ConfigValue::Kind::List)
      return fail(Path, llvm::formatv("expected a list of names, not {0}", describe(V)));
    for (const ConfigValue &Item : V.items()) {
      if (Item.kind() != ConfigValue::Kind::String && Item.kind() != ConfigValue::Kind::Integer)
        return fail((Path + "[" + llvm::Twine(Out.size()) + "]").str(),
                    llvm::formatv("expected a name, not {0}", describe(Item)));
      Out.push_back(Item.text().str());
    }
    return llvm::Error::success();
  }

  template <typename E>
  llvm::Error readEnum(const ConfigValue &V, const std::string &Path, E &Out,
                       bool IgnoreCase = false) {
    if (V.kind() == ConfigValue::Kind::String) {
      std::string Text = IgnoreCase ? V.text().lower() : V.text().str();
      if (std::optional<E> Parsed = parseSpelling<E>(Text)) {
        Out = *Parsed;
        return llvm::Error::success();
      }
    }
    return fail(Path, llvm::formatv("{0} is not one of {1}", describe(V), spellingList<E>()));
  }

  /// Observers also accept `ema`, the spelling qatc's issue tracker used.
  llvm::Error readObserver(const ConfigValue &V, const std::string &Path, ObserverKind &Out) {
    if (V.kind() == ConfigValue::Kind::String && V.text() == "ema") {
      Out = ObserverKind::EmaMinMax;
      return llvm::Error::success();
    }
    return readEnum(V, Path, Out);
  }

  llvm::Error readMilestones(const ConfigValue &V, const std::string &Path,
                             std::optional<Milestones> &Out) {
    if (V.isNull()) {
      Out.reset();
      return llvm::Error::success();
    }
    if (V.kind() != ConfigValue::Kind::List)
      return fail(Path, llvm::formatv("expected null or a list of four integers such as "
                                      "[0, 1, 2, 3], not {0}",
                                      describe(V)));
    if (V.items().size() != 4)
      return fail(Path, llvm::formatv("has {0} entries but needs exactly 4: the steps that "
                                      "enable observers, enable fake quant, disable observers "
                                      "and freeze batch norm",
                                      V.items().size()));
    Milestones M;
    for (unsigned I = 0; I < 4; ++I) {
      const ConfigValue &Item = V.items()[I];
      if (Item.kind() != ConfigValue::Kind::Integer)
        return fail((Path + "[" + llvm::Twine(I) + "]").str(),
                    llvm::formatv("{0} is not an integer; write a step count such as 0 or 100",
                                  describe(Item)));
      M[I] = Item.getInteger();
    }
    Out = M;
    return llvm::Error::success();
  }

  llvm::Error readModuleConfig(const ConfigValue &V, const std::string &Path,
                               ModuleQuantizationConfig &Out) {
    bool HasObserver = false, HasSplitObserver = false;
    for (const ConfigValue::Entry &E : V.entries()) {
      const std::string &Key = E.first;
      const ConfigValue &Value = E.second;
      std::string Sub = Path + "." + Key;
      llvm::Error Err = llvm::Error::success();
      if (Key == "quantization_scheme") {
        Err = readEnum(Value, Sub, Out.Scheme);
      } else if (Key == "milestones") {
        Err = readMilestones(Value, Sub, Out.StepMilestones);
      } else if (Key == "weight_dtype") {
        Err = readEnum(Value, Sub, Out.WeightType);
      } else if (Key == "activation_dtype") {
        // coremltools lower-cases activation dtype strings (not weight ones).
        Err = readEnum(Value, Sub, Out.ActivationType, /*IgnoreCase=*/true);
      } else if (Key == "weight_per_channel") {
        if (Value.kind() == ConfigValue::Kind::Bool)
          Out.WeightPerChannel = Value.getBool();
        else
          Err = fail(Sub,
                     llvm::formatv("{0} is not a boolean; write true or false", describe(Value)));
      } else if (Key == "algorithm") {
        Err = readEnum(Value, Sub, Out.Algo);
      } else if (Key == "weight_observer" || Key == "activation_observer") {
        HasSplitObserver = true;
        Err = readObserver(Value, Sub,
                           Key == "weight_observer" ? Out.WeightObserver : Out.ActivationObserver);
      } else if (Key == "observer") {
        HasObserver = true;
        Err = readObserver(Value, Sub, Out.WeightObserver);
        Out.ActivationObserver = Out.WeightObserver;
      } else {
        Err = unknownKey(Key, Sub, ModuleConfigKeys);
      }
      if (Err)
        return Err;
    }
    if (HasObserver && HasSplitObserver)
      return fail(Path + ".observer",
                  "observer sets both observers and cannot be combined with weight_observer or "
                  "activation_observer; keep either observer or the other two");
    return llvm::Error::success();
  }

  llvm::StringRef Name;
};

} // namespace

std::optional<ConfigFormat> configFormatForPath(llvm::StringRef Path) {
  std::string Ext = llvm::sys::path::extension(Path).lower();
  if (Ext == ".json")
    return ConfigFormat::JSON;
  if (Ext == ".yaml" || Ext == ".yml")
    return ConfigFormat::YAML;
  return std::nullopt;
}

llvm::Expected<LinearQuantizerConfig> readConfigFile(llvm::StringRef Path) {
  std::optional<ConfigFormat> Format = configFormatForPath(Path);
  if (!Format)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("{0}: the config format is unknown; name the file .json, .yaml or .yml", Path)
            .str());
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> Buffer =
      llvm::MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!Buffer)
    return llvm::createStringError(
        Buffer.getError(), llvm::formatv("{0}: cannot read the config ({1}); check the path", Path,
                                         Buffer.getError().message())
                               .str());
  return readConfigString((*Buffer)->getBuffer(), *Format, Path);
}

llvm::Expected<LinearQuantizerConfig> readConfigString(llvm::StringRef Text, ConfigFormat Format,
                                                       llvm::StringRef Name) {
  llvm::Expected<ConfigValue> Root = parseConfigDocument(Text, Format, Name);
  if (!Root)
    return Root.takeError();
  return Reader(Name).read(*Root);
}

} // namespace qatc
