//===- ConfigReader_test.cpp - Reading LinearQuantizerConfig JSON and YAML ===//
#include "passes/quant/ConfigReader.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

const char *const TestData = "passes/quant/testdata/";

LinearQuantizerConfig read(llvm::StringRef Text, ConfigFormat Format = ConfigFormat::YAML) {
  auto C = readConfigString(Text, Format, Format == ConfigFormat::YAML ? "q.yaml" : "q.json");
  REQUIRE_OK(C);
  return *C;
}

std::string yamlError(llvm::StringRef Text) {
  auto C = readConfigString(Text, ConfigFormat::YAML, "q.yaml");
  return C ? std::string("no error") : llvm::toString(C.takeError());
}

std::string jsonError(llvm::StringRef Text) {
  auto C = readConfigString(Text, ConfigFormat::JSON, "q.json");
  return C ? std::string("no error") : llvm::toString(C.takeError());
}

std::string fileError(llvm::StringRef Path) {
  auto C = readConfigFile(Path);
  return C ? std::string("no error") : llvm::toString(C.takeError());
}

/// A global config with one key set, read from YAML.
ModuleQuantizationConfig globalWith(llvm::StringRef Key, llvm::StringRef Value) {
  LinearQuantizerConfig C = read(("global_config:\n  " + Key + ": " + Value + "\n").str());
  REQUIRE(C.GlobalConfig);
  return *C.GlobalConfig;
}

std::string globalError(llvm::StringRef Key, llvm::StringRef Value) {
  return yamlError(("global_config:\n  " + Key + ": " + Value + "\n").str());
}

} // namespace

TEST_CASE("an empty mapping gives coremltools' defaults", "[quant-config]") {
  CHECK(read("{}") == defaultLinearQuantizerConfig());
  CHECK(read("{}", ConfigFormat::JSON) == defaultLinearQuantizerConfig());
  CHECK(read("global_config:\n") == defaultLinearQuantizerConfig());
  CHECK(read("global_config: {}") == defaultLinearQuantizerConfig());
  CHECK(read("module_type_configs: {}\nmodule_name_configs: ~\n") ==
        defaultLinearQuantizerConfig());
}

TEST_CASE("module configs alone leave the global config unset", "[quant-config]") {
  LinearQuantizerConfig C = read("module_type_configs:\n  Linear:\n    weight_dtype: quint8\n");
  CHECK_FALSE(C.GlobalConfig);
  REQUIRE(C.ModuleTypeConfigs.size() == 1);
  CHECK(C.ModuleTypeConfigs[0].Key == "Linear");
  CHECK(C.ModuleTypeConfigs[0].Config->WeightType == WeightDType::QUInt8);
  CHECK(C.ModuleNameConfigs.empty());

  LinearQuantizerConfig N =
      read(R"({"module_name_configs": {"conv2d": null}})", ConfigFormat::JSON);
  CHECK_FALSE(N.GlobalConfig);
  REQUIRE(N.ModuleNameConfigs.size() == 1);
  CHECK_FALSE(N.ModuleNameConfigs[0].Config);
}

TEST_CASE("every key is read (YAML and JSON testdata agree)", "[quant-config]") {
  auto Y = readConfigFile(std::string(TestData) + "full.yaml");
  REQUIRE_OK(Y);
  auto J = readConfigFile(std::string(TestData) + "full.json");
  REQUIRE_OK(J);
  CHECK(*Y == *J);

  const LinearQuantizerConfig &C = *Y;
  REQUIRE(C.GlobalConfig);
  const ModuleQuantizationConfig &G = *C.GlobalConfig;
  CHECK(G.Scheme == QuantizationScheme::Affine);
  CHECK(G.StepMilestones == Milestones{0, 100, 300, 200});
  CHECK(G.WeightType == WeightDType::QInt8);
  CHECK(G.ActivationType == ActivationDType::QUInt8);
  CHECK(G.WeightPerChannel);
  CHECK(G.Algo == Algorithm::Learnable);
  CHECK(G.WeightObserver == ObserverKind::MovingAverageMinMax);
  CHECK(G.ActivationObserver == ObserverKind::EmaMinMax);

  REQUIRE(C.ModuleTypeConfigs.size() == 3);
  CHECK(C.ModuleTypeConfigs[0].Key == "Conv2d");
  CHECK(C.ModuleTypeConfigs[0].Config->WeightType == WeightDType::QInt4);
  // Keys not written take the defaults, not the global config's values.
  CHECK(C.ModuleTypeConfigs[0].Config->ActivationObserver == ObserverKind::MovingAverageMinMax);
  CHECK_FALSE(C.ModuleTypeConfigs[0].Config->StepMilestones);
  CHECK(C.ModuleTypeConfigs[1].Key == "operator.add");
  CHECK_FALSE(C.ModuleTypeConfigs[1].Config);
  CHECK(C.ModuleTypeConfigs[2].Key == "linear");
  const ModuleQuantizationConfig &L = *C.ModuleTypeConfigs[2].Config;
  CHECK(L.WeightType == WeightDType::QUInt4);
  CHECK_FALSE(L.WeightPerChannel);
  CHECK(L.WeightObserver == ObserverKind::MinMax);
  CHECK(L.ActivationObserver == ObserverKind::MinMax);

  REQUIRE(C.ModuleNameConfigs.size() == 3);
  CHECK(C.ModuleNameConfigs[0].Key == "layer1");
  CHECK_FALSE(C.ModuleNameConfigs[0].Config);
  CHECK(C.ModuleNameConfigs[1].Key == "layer1.0.conv1");
  CHECK(C.ModuleNameConfigs[1].Config->ActivationType == ActivationDType::Float32);
  CHECK(C.ModuleNameConfigs[2].Key == "fc");
  CHECK(C.ModuleNameConfigs[2].Config->WeightType == WeightDType::Float32);

  CHECK(C.NonTraceableModuleNames == std::vector<std::string>{"head"});
  CHECK(C.PreservedAttributes == std::vector<std::string>{"num_classes"});
}

TEST_CASE("every enum value is accepted", "[quant-config]") {
  for (llvm::StringRef V : {"symmetric", "affine"})
    CHECK(spell(globalWith("quantization_scheme", V).Scheme) == V);
  for (llvm::StringRef V : {"qint8", "quint8", "qint4", "quint4", "float32"})
    CHECK(spell(globalWith("weight_dtype", V).WeightType) == V);
  for (llvm::StringRef V : {"quint8", "float32"})
    CHECK(spell(globalWith("activation_dtype", V).ActivationType) == V);
  for (llvm::StringRef V : {"vanilla", "learnable"})
    CHECK(spell(globalWith("algorithm", V).Algo) == V);
  for (llvm::StringRef V : {"moving_average_min_max", "min_max", "ema_min_max"}) {
    CHECK(spell(globalWith("weight_observer", V).WeightObserver) == V);
    CHECK(spell(globalWith("activation_observer", V).ActivationObserver) == V);
    ModuleQuantizationConfig Both = globalWith("observer", V);
    CHECK(spell(Both.WeightObserver) == V);
    CHECK(spell(Both.ActivationObserver) == V);
  }
  for (llvm::StringRef V : {"true", "false"})
    CHECK(globalWith("weight_per_channel", V).WeightPerChannel == (V == "true"));
}

TEST_CASE("coremltools' lenient spellings are accepted", "[quant-config]") {
  // activation_dtype is lower-cased by coremltools (weight_dtype is not).
  CHECK(globalWith("activation_dtype", "QUINT8").ActivationType == ActivationDType::QUInt8);
  CHECK(globalWith("activation_dtype", "Float32").ActivationType == ActivationDType::Float32);
  // Quoted strings are strings.
  CHECK(globalWith("weight_dtype", "'qint4'").WeightType == WeightDType::QInt4);
  CHECK(globalWith("weight_dtype", "\"quint4\"").WeightType == WeightDType::QUInt4);
  // PyYAML (YAML 1.1) booleans and integers.
  for (llvm::StringRef V : {"yes", "Yes", "on", "ON", "True", "TRUE"})
    CHECK(globalWith("weight_per_channel", V).WeightPerChannel);
  for (llvm::StringRef V : {"no", "NO", "off", "Off", "False"})
    CHECK_FALSE(globalWith("weight_per_channel", V).WeightPerChannel);
  CHECK(globalWith("milestones", "[0, 1_000, +2, -1]").StepMilestones ==
        Milestones{0, 1000, 2, -1});
  CHECK_FALSE(globalWith("milestones", "~").StepMilestones);
  CHECK_FALSE(globalWith("milestones", "null").StepMilestones);
  // The issue tracker's `ema` spelling.
  CHECK(globalWith("observer", "ema").ActivationObserver == ObserverKind::EmaMinMax);
  CHECK(globalWith("weight_observer", "ema").WeightObserver == ObserverKind::EmaMinMax);
}

TEST_CASE("milestones may be negative and in any order", "[quant-config]") {
  CHECK(globalWith("milestones", "[0, 100, 300, 200]").StepMilestones ==
        Milestones{0, 100, 300, 200});
  CHECK(globalWith("milestones", "[-1, -1, -1, -1]").StepMilestones == Milestones{-1, -1, -1, -1});
  CHECK(read(R"({"global_config": {"milestones": [0, 1, 2, 1]}})", ConfigFormat::JSON)
            .GlobalConfig->StepMilestones == Milestones{0, 1, 2, 1});
}

TEST_CASE("mapping order is kept in both formats", "[quant-config]") {
  const char *Yaml = "module_type_configs:\n  Linear: ~\n  Conv2d: {}\n  ReLU: ~\n  add: {}\n";
  const char *Json = R"({"module_type_configs": {"Linear": null, "Conv2d": {}, "ReLU": null,
                        "add": {}}})";
  for (const LinearQuantizerConfig &C : {read(Yaml), read(Json, ConfigFormat::JSON)}) {
    std::vector<std::string> Keys;
    for (const ModuleConfigEntry &E : C.ModuleTypeConfigs)
      Keys.push_back(E.Key);
    CHECK(Keys == std::vector<std::string>{"Linear", "Conv2d", "ReLU", "add"});
    // The effective global config is the first non-null type config.
    CHECK(C.effectiveGlobal().Path == "module_type_configs.Conv2d");
  }
}

TEST_CASE("YAML anchors and aliases share a config", "[quant-config]") {
  auto C = readConfigFile(std::string(TestData) + "skip_layers.yaml");
  REQUIRE_OK(C);
  REQUIRE(C->ModuleTypeConfigs.size() == 2);
  CHECK(C->ModuleTypeConfigs[0].Config == C->ModuleTypeConfigs[1].Config);
  CHECK(C->ModuleTypeConfigs[1].Config->WeightType == WeightDType::QInt4);
  REQUIRE(C->ModuleNameConfigs.size() == 2);
  CHECK_FALSE(C->ModuleNameConfigs[0].Config);
  CHECK_FALSE(C->ModuleNameConfigs[1].Config);
  // Module names that look like numbers stay names.
  LinearQuantizerConfig N = read("module_name_configs:\n  0: ~\n  features.10: ~\n");
  CHECK(N.ModuleNameConfigs[0].Key == "0");
  CHECK(N.ModuleNameConfigs[1].Key == "features.10");
}

TEST_CASE("unknown keys are rejected with their full path", "[quant-config]") {
  CHECK(yamlError("module_name_configs:\n  layer1.0.conv1:\n    weight_dtyp: qint4\n") ==
        "q.yaml: module_name_configs.layer1.0.conv1.weight_dtyp: unknown key; did you mean "
        "'weight_dtype'?");
  CHECK(yamlError("module_type_configs:\n  Conv2d:\n    colour: blue\n") ==
        "q.yaml: module_type_configs.Conv2d.colour: unknown key; the keys here are "
        "quantization_scheme, milestones, weight_dtype, activation_dtype, weight_per_channel, "
        "algorithm, weight_observer, activation_observer, observer");
  CHECK(yamlError("global_config:\n  observers: min_max\n") ==
        "q.yaml: global_config.observers: unknown key; did you mean 'observer'?");
  CHECK(yamlError("global_configs: {}\n") ==
        "q.yaml: global_configs: unknown key; did you mean 'global_config'?");
  CHECK(yamlError("quantization_scheme: affine\n") ==
        "q.yaml: quantization_scheme: unknown key; the keys here are global_config, "
        "module_type_configs, module_name_configs, non_traceable_module_names, "
        "preserved_attributes");
  CHECK(jsonError(R"({"module_name_configs": {"fc": {"weight_n_bits": 4}}})") ==
        "q.json: module_name_configs.fc.weight_n_bits: weight_n_bits follows from weight_dtype "
        "and cannot be set; remove it and pick qint4 or quint4 for 4-bit weights");
}

TEST_CASE("bad values name the key and the accepted values", "[quant-config]") {
  CHECK(yamlError("module_type_configs:\n  Conv2d:\n    weight_dtype: int9\n") ==
        "q.yaml: module_type_configs.Conv2d.weight_dtype: 'int9' is not one of qint8, quint8, "
        "qint4, quint4, float32");
  // coremltools rejects these spellings too.
  CHECK(globalError("weight_dtype", "int8") ==
        "q.yaml: global_config.weight_dtype: 'int8' is not one of qint8, quint8, qint4, quint4, "
        "float32");
  CHECK(globalError("weight_dtype", "QINT8") ==
        "q.yaml: global_config.weight_dtype: 'QINT8' is not one of qint8, quint8, qint4, "
        "quint4, float32");
  CHECK(globalError("weight_dtype", "torch.int32") ==
        "q.yaml: global_config.weight_dtype: 'torch.int32' is not one of qint8, quint8, qint4, "
        "quint4, float32");
  CHECK(globalError("activation_dtype", "qint8") ==
        "q.yaml: global_config.activation_dtype: 'qint8' is not one of quint8, float32");
  CHECK(globalError("activation_dtype", "float16") ==
        "q.yaml: global_config.activation_dtype: 'float16' is not one of quint8, float32");
  CHECK(globalError("quantization_scheme", "asymmetric") ==
        "q.yaml: global_config.quantization_scheme: 'asymmetric' is not one of symmetric, affine");
  CHECK(globalError("algorithm", "lsq") ==
        "q.yaml: global_config.algorithm: 'lsq' is not one of vanilla, learnable");
  CHECK(globalError("weight_observer", "histogram") ==
        "q.yaml: global_config.weight_observer: 'histogram' is not one of "
        "moving_average_min_max, min_max, ema_min_max");
  CHECK(globalError("activation_observer", "[min_max]") ==
        "q.yaml: global_config.activation_observer: a list is not one of "
        "moving_average_min_max, min_max, ema_min_max");
  CHECK(globalError("observer", "~") ==
        "q.yaml: global_config.observer: null is not one of moving_average_min_max, min_max, "
        "ema_min_max");
  CHECK(globalError("weight_dtype", "8") ==
        "q.yaml: global_config.weight_dtype: '8' is not one of qint8, quint8, qint4, quint4, "
        "float32");
  // weight_per_channel is strictly a boolean (coremltools rejects 1).
  CHECK(globalError("weight_per_channel", "1") ==
        "q.yaml: global_config.weight_per_channel: '1' is not a boolean; write true or false");
  CHECK(globalError("weight_per_channel", "'true'") ==
        "q.yaml: global_config.weight_per_channel: 'true' is not a boolean; write true or false");
  CHECK(jsonError(R"({"global_config": {"weight_per_channel": "yes"}})") ==
        "q.json: global_config.weight_per_channel: 'yes' is not a boolean; write true or false");
  CHECK(globalError("observer: min_max\n  weight_observer", "ema_min_max") ==
        "q.yaml: global_config.observer: observer sets both observers and cannot be combined "
        "with weight_observer or activation_observer; keep either observer or the other two");
}

TEST_CASE("milestones are null or exactly four integers", "[quant-config]") {
  // coremltools' test_config_illegal_options case.
  CHECK(globalError("milestones", "[0, 2]") ==
        "q.yaml: global_config.milestones: has 2 entries but needs exactly 4: the steps that "
        "enable observers, enable fake quant, disable observers and freeze batch norm");
  CHECK(globalError("milestones", "[0, 1, 2, 3, 4]") ==
        "q.yaml: global_config.milestones: has 5 entries but needs exactly 4: the steps that "
        "enable observers, enable fake quant, disable observers and freeze batch norm");
  CHECK(globalError("milestones", "[0, 1, 2.0, 3]") ==
        "q.yaml: global_config.milestones[2]: '2.0' is not an integer; write a step count such "
        "as 0 or 100");
  CHECK(jsonError(R"({"global_config": {"milestones": [0, 1, 2, 3.5]}})") ==
        "q.json: global_config.milestones[3]: '3.5' is not an integer; write a step count such "
        "as 0 or 100");
  CHECK(jsonError(R"({"global_config": {"milestones": ["0", 1, 2, 3]}})") ==
        "q.json: global_config.milestones[0]: '0' is not an integer; write a step count such as "
        "0 or 100");
  CHECK(globalError("milestones", "[0, 1, true, 3]") ==
        "q.yaml: global_config.milestones[2]: 'true' is not an integer; write a step count such "
        "as 0 or 100");
  CHECK(globalError("milestones", "[0, 1, 2, 99999999999999999999]") ==
        "q.yaml: global_config.milestones[3]: '99999999999999999999' is not an integer; write a "
        "step count such as 0 or 100");
  CHECK(globalError("milestones", "5") ==
        "q.yaml: global_config.milestones: expected null or a list of four integers such as "
        "[0, 1, 2, 3], not '5'");
  CHECK(globalError("milestones", "{a: 1}") ==
        "q.yaml: global_config.milestones: expected null or a list of four integers such as "
        "[0, 1, 2, 3], not a mapping");
}

TEST_CASE("structure errors name the key path", "[quant-config]") {
  CHECK(yamlError("global_config: symmetric\n") ==
        "q.yaml: global_config: expected a mapping of module config keys or null, not "
        "'symmetric'");
  CHECK(yamlError("module_type_configs:\n  Conv2d: [1]\n") ==
        "q.yaml: module_type_configs.Conv2d: expected a mapping of module config keys or null, "
        "not a list");
  CHECK(yamlError("module_name_configs: [conv1]\n") ==
        "q.yaml: module_name_configs: expected a mapping from keys to module configs, not a "
        "list");
  CHECK(yamlError("preserved_attributes: num_classes\n") ==
        "q.yaml: preserved_attributes: expected a list of names, not 'num_classes'");
  CHECK(yamlError("non_traceable_module_names: [a, {b: 1}]\n") ==
        "q.yaml: non_traceable_module_names[1]: expected a name, not a mapping");
  CHECK(yamlError("module_name_configs:\n  fc: ~\n  fc: {}\n") ==
        "q.yaml: module_name_configs.fc: the key is given twice; keep one of them");
  CHECK(jsonError(R"({"global_config": {"algorithm": "vanilla", "algorithm": "learnable"}})") ==
        "q.json: global_config.algorithm: the key is given twice; keep one of them");
}

TEST_CASE("the top level must be a non-empty mapping", "[quant-config]") {
  CHECK(yamlError("") == "q.yaml: the config is empty; write {} for coremltools' default config");
  CHECK(yamlError("# nothing but a comment\n") ==
        "q.yaml: the config is empty; write {} for coremltools' default config");
  CHECK(yamlError("~\n") ==
        "q.yaml: the config is empty; write {} for coremltools' default config");
  CHECK(jsonError("  \n") ==
        "q.json: the config is empty; write {} for coremltools' default config");
  CHECK(jsonError("null") ==
        "q.json: the config is empty; write {} for coremltools' default config");
  CHECK(yamlError("- global_config\n") ==
        "q.yaml: the top level is a list, not a mapping; write a mapping with global_config, "
        "module_type_configs or module_name_configs");
  CHECK(jsonError("\"affine\"") ==
        "q.json: the top level is 'affine', not a mapping; write a mapping with global_config, "
        "module_type_configs or module_name_configs");
  CHECK(yamlError("global_config: {}\n---\nglobal_config: {}\n") ==
        "q.yaml: the file holds 2 YAML documents; a config is one document, so remove the '---' "
        "separators");
}

TEST_CASE("syntax errors give file:line:column", "[quant-config]") {
  CHECK(yamlError("global_config:\n  milestones: [0, 1\n") ==
        "q.yaml:2:20: invalid YAML: could not find closing ]");
  CHECK(jsonError("{\"global_config\": {\n  \"algorithm\" \"vanilla\"}}") ==
        "q.json:2:15: invalid JSON: expected : after object key");
  // YAML-only syntax is not JSON.
  CHECK(jsonError("global_config: {}") == "q.json:1:1: invalid JSON: invalid JSON value");
  CHECK(fileError(std::string(TestData) + "bad_syntax.json") ==
        "passes/quant/testdata/bad_syntax.json:4:3: invalid JSON: expected object key");
  CHECK(yamlError("module_name_configs:\n  a: *missing\n") ==
        "q.yaml: module_name_configs.a: the alias '*missing' names no earlier anchor; define "
        "'&missing' before using it");
  CHECK(yamlError("global_config:\n  <<: {algorithm: vanilla}\n") ==
        "q.yaml: global_config.<<: YAML merge keys are not supported; write the keys out or "
        "alias the whole mapping");
  CHECK(yamlError("global_config: !!python/object:foo {}\n") ==
        "q.yaml: global_config: the YAML tag '!!python/object:foo' is not supported; remove it");
  CHECK(yamlError("global_config:\n  ? [a]\n  : 1\n") ==
        "q.yaml: global_config: a mapping key is not a plain string; write keys as strings");
}

TEST_CASE("cross-entry rules are checked after reading", "[quant-config]") {
  CHECK(yamlError("global_config:\n  quantization_scheme: affine\nmodule_type_configs:\n"
                  "  Linear:\n    weight_dtype: qint4\n") ==
        "q.yaml: module_type_configs.Linear.quantization_scheme: 'symmetric' differs from "
        "'affine' in global_config; use one quantization_scheme in every config (a module config "
        "without one is symmetric)");
  CHECK(yamlError("module_name_configs:\n  conv1: {quantization_scheme: symmetric}\n"
                  "  conv2: {quantization_scheme: affine}\n") ==
        "q.yaml: module_name_configs.conv2.quantization_scheme: 'affine' differs from "
        "'symmetric' in module_name_configs.conv1; use one quantization_scheme in every config "
        "(a module config without one is symmetric)");
  CHECK(yamlError("global_config: {algorithm: learnable}\n"
                  "module_name_configs:\n  conv1: {}\n") ==
        "q.yaml: module_name_configs.conv1.algorithm: 'vanilla' differs from 'learnable' in "
        "global_config; use one algorithm in every config");
  CHECK(yamlError("module_type_configs:\n  Conv2D: ~\n") ==
        "q.yaml: module_type_configs.Conv2D: 'Conv2D' is not a known module type; did you mean "
        "'Conv2d'?");
  CHECK(yamlError("global_config: {}\nmodule_type_configs:\n"
                  "  Conv2d: {milestones: [0, 0, 10, 10]}\n") ==
        "q.yaml: module_type_configs.Conv2d.milestones: [0, 0, 10, 10] differs from the "
        "model-wide milestones null of global_config; milestones apply to the whole model, so "
        "set them only in global_config");
  CHECK(yamlError("module_name_configs:\n  '': ~\n") ==
        "q.yaml: module_name_configs: the empty module name never matches a module; move its "
        "config to global_config");
}

TEST_CASE("files: format by extension, errors name the file", "[quant-config]") {
  CHECK(configFormatForPath("q.json") == ConfigFormat::JSON);
  CHECK(configFormatForPath("dir/q.YAML") == ConfigFormat::YAML);
  CHECK(configFormatForPath("q.yml") == ConfigFormat::YAML);
  CHECK_FALSE(configFormatForPath("q.toml"));
  CHECK_FALSE(configFormatForPath("yaml"));

  CHECK(fileError(std::string(TestData) + "typo.yaml") ==
        "passes/quant/testdata/typo.yaml: module_name_configs.layer1.0.conv1.weight_dtyp: "
        "unknown key; did you mean 'weight_dtype'?");
  CHECK(fileError("q.toml") ==
        "q.toml: the config format is unknown; name the file .json, .yaml or .yml");
  CHECK(fileError("no/such/config.yaml") ==
        "no/such/config.yaml: cannot read the config (No such file or directory); check the "
        "path");
}
