//===- ConfigResolver_test.cpp - Precedence, parent paths, fused groups ---===//
#include "passes/quant/ConfigReader.h"
#include "passes/quant/ConfigResolver.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

ConfigResolver resolverFor(llvm::StringRef Yaml) {
  auto C = readConfigString(Yaml, ConfigFormat::YAML, "q.yaml");
  REQUIRE_OK(C);
  auto R = ConfigResolver::create(std::move(*C));
  REQUIRE_OK(R);
  return std::move(*R);
}

/// `describe()` of the answer for one layer, or "float" when it stays float
/// (with the entry that decided, e.g. "float: module_name_configs['fc']").
std::string answer(const ResolvedConfig &R) {
  return R.isQuantized() ? R.describe() : "float: " + R.describe();
}

std::string answer(const ConfigResolver &R, llvm::StringRef Name, llvm::StringRef Op) {
  return answer(R.resolve({Name, Op}));
}

} // namespace

TEST_CASE("name beats type beats global", "[quant-config]") {
  ConfigResolver R = resolverFor("global_config: {}\n"
                                 "module_type_configs:\n"
                                 "  Conv2d: {weight_dtype: qint4}\n"
                                 "module_name_configs:\n"
                                 "  layer1.0.conv1: {weight_dtype: quint8}\n");
  ResolvedConfig ByName = R.resolve({"layer1.0.conv1", "conv2d"});
  CHECK(answer(ByName) == "module_name_configs['layer1.0.conv1']");
  CHECK(ByName.Source == ConfigSource::ModuleName);
  CHECK(ByName.Key == "layer1.0.conv1");
  CHECK(ByName.MatchedLayer == "layer1.0.conv1");
  CHECK(ByName.Config->WeightType == WeightDType::QUInt8);

  ResolvedConfig ByType = R.resolve({"layer1.0.conv2", "conv2d"});
  CHECK(answer(ByType) == "module_type_configs['Conv2d']");
  CHECK(ByType.Source == ConfigSource::ModuleType);
  CHECK(ByType.Config->WeightType == WeightDType::QInt4);

  ResolvedConfig ByGlobal = R.resolve({"fc", "linear"});
  CHECK(answer(ByGlobal) == "global_config");
  CHECK(ByGlobal.Source == ConfigSource::Global);
  CHECK(ByGlobal.Key.empty());
  CHECK(ByGlobal.MatchedLayer.empty());
  CHECK(*ByGlobal.Config == ModuleQuantizationConfig());
}

TEST_CASE("name keys fall back to parent paths, nearest first", "[quant-config]") {
  ConfigResolver R = resolverFor("module_type_configs:\n"
                                 "  Conv2d: {weight_dtype: qint4}\n"
                                 "module_name_configs:\n"
                                 "  layer1: {weight_dtype: quint8}\n"
                                 "  layer1.0: {weight_dtype: quint4}\n"
                                 "  layer2: ~\n"
                                 "  layer2.1.conv2: {}\n");
  // A parent-path name entry beats an exact type entry, as in torch.
  CHECK(answer(R, "layer1.0.conv1", "conv2d") == "module_name_configs['layer1.0']");
  CHECK(answer(R, "layer1.1.conv1", "conv2d") == "module_name_configs['layer1']");
  CHECK(answer(R, "layer1", "conv2d") == "module_name_configs['layer1']");
  // Paths match whole components: `layer1` is no parent of `layer10`.
  CHECK(answer(R, "layer10.conv1", "conv2d") == "module_type_configs['Conv2d']");
  CHECK(answer(R, "layer1_0.conv1", "conv2d") == "module_type_configs['Conv2d']");
  // Null disables a whole subtree; a deeper entry re-enables one layer.
  CHECK(answer(R, "layer2.0.conv1", "conv2d") == "float: module_name_configs['layer2']");
  CHECK(answer(R, "layer2.1.conv2", "conv2d") == "module_name_configs['layer2.1.conv2']");
  CHECK(answer(R, "layer2.1.conv2.inner", "conv2d") == "module_name_configs['layer2.1.conv2']");
  // Name entries also cover functional ops named under the module.
  CHECK(answer(R, "layer2.0.add", "add") == "float: module_name_configs['layer2']");
  // Without global_config: the built-in default.
  CHECK(answer(R, "fc", "linear") == "default config (no global_config)");
}

TEST_CASE("null type entries disable, any accepted spelling selects", "[quant-config]") {
  ConfigResolver R = resolverFor("global_config: {}\n"
                                 "module_type_configs:\n"
                                 "  operator.add: ~\n"
                                 "  BatchNorm2d: ~\n"
                                 "  BatchNorm1d: ~\n"
                                 "  relu6: {activation_dtype: float32}\n"
                                 "  Embedding: ~\n");
  CHECK(answer(R, "layer1.0.add", "add") == "float: module_type_configs['operator.add']");
  CHECK(answer(R, "bn", "batch_norm") == "float: module_type_configs['BatchNorm2d']");
  ResolvedConfig Act = R.resolve({"act", "relu6"});
  CHECK(answer(Act) == "module_type_configs['relu6']");
  CHECK_FALSE(Act.Config->quantizesActivations());
  CHECK(answer(R, "mul", "mul") == "global_config");
}

TEST_CASE("the built-in default takes the effective scheme", "[quant-config]") {
  ConfigResolver R = resolverFor("module_type_configs:\n"
                                 "  Linear: ~\n"
                                 "  Conv2d: {quantization_scheme: affine, weight_dtype: qint4,\n"
                                 "           milestones: [0, 1, 2, 3]}\n");
  CHECK(R.effectiveGlobal().Path == "module_type_configs.Conv2d");
  CHECK(R.effectiveGlobal().Config.StepMilestones == Milestones{0, 1, 2, 3});
  ResolvedConfig Other = R.resolve({"relu", "relu"});
  CHECK(Other.Source == ConfigSource::Default);
  ModuleQuantizationConfig Expected;
  Expected.Scheme = QuantizationScheme::Affine;
  CHECK(*Other.Config == Expected);
  CHECK(answer(R, "fc", "linear") == "float: module_type_configs['Linear']");
}

TEST_CASE("a fused group resolves the same whichever member carries the entry", "[quant-config]") {
  const LayerRef Conv{"layer1.0.conv1", "conv2d"}, BN{"layer1.0.bn1", "batch_norm"},
      Act{"layer1.0.relu", "relu"};
  const LayerRef Group[] = {Conv, BN, Act};
  auto GroupAnswer = [&](llvm::StringRef Yaml) {
    ConfigResolver R = resolverFor(Yaml);
    ResolvedConfig G = R.resolveGroup(Group);
    return answer(G) + " via " + G.MatchedLayer.str();
  };

  // A name entry on any member applies to the whole group.
  CHECK(GroupAnswer("module_name_configs:\n  layer1.0.conv1: {weight_dtype: qint4}\n") ==
        "module_name_configs['layer1.0.conv1'] via layer1.0.conv1");
  CHECK(GroupAnswer("module_name_configs:\n  layer1.0.bn1: {weight_dtype: qint4}\n") ==
        "module_name_configs['layer1.0.bn1'] via layer1.0.bn1");
  CHECK(GroupAnswer("module_name_configs:\n  layer1.0.relu: ~\n") ==
        "float: module_name_configs['layer1.0.relu'] via layer1.0.relu");
  // The root's exact entry wins over another member's.
  CHECK(GroupAnswer("module_name_configs:\n  layer1.0.relu: ~\n  layer1.0.conv1: {}\n") ==
        "module_name_configs['layer1.0.conv1'] via layer1.0.conv1");
  // Any exact entry wins over a parent path.
  CHECK(GroupAnswer("module_name_configs:\n  layer1: {}\n  layer1.0.relu: ~\n") ==
        "float: module_name_configs['layer1.0.relu'] via layer1.0.relu");
  CHECK(GroupAnswer("module_name_configs:\n  layer1: ~\n") ==
        "float: module_name_configs['layer1'] via layer1.0.conv1");
  // Type entries: the root's op decides; activation entries are for
  // standalone activations.
  CHECK(GroupAnswer("global_config: {}\nmodule_type_configs:\n  Conv2d: {weight_dtype: qint4}\n"
                    "  ReLU: ~\n") == "module_type_configs['Conv2d'] via layer1.0.conv1");
  CHECK(GroupAnswer("global_config: {}\nmodule_type_configs:\n  ReLU: ~\n  BatchNorm2d: ~\n") ==
        "global_config via ");
  CHECK(GroupAnswer("module_type_configs:\n  Conv2d: ~\n") ==
        "float: module_type_configs['Conv2d'] via layer1.0.conv1");

  // Members whose names sit under different parents.
  ConfigResolver R = resolverFor("module_name_configs:\n  head: ~\n");
  const LayerRef Split[] = {{"body.fc", "linear"}, {"head.act", "relu"}};
  CHECK(answer(R.resolveGroup(Split)) == "float: module_name_configs['head']");
  CHECK(R.resolveGroup(Split).MatchedLayer == "head.act");
}

TEST_CASE("binary op groups use the binary op as root", "[quant-config]") {
  ConfigResolver R = resolverFor("global_config: {}\n"
                                 "module_type_configs:\n  torch.add: {activation_dtype: float32}\n"
                                 "  relu: ~\n");
  const LayerRef AddRelu[] = {{"layer1.0.add", "add"}, {"layer1.0.relu_1", "relu"}};
  CHECK(answer(R.resolveGroup(AddRelu)) == "module_type_configs['torch.add']");
  CHECK(answer(R, "layer1.0.relu_1", "relu") == "float: module_type_configs['relu']");
}

TEST_CASE("the resolver validates what it is given", "[quant-config]") {
  LinearQuantizerConfig C;
  C.ModuleTypeConfigs.set("Conv2D", std::nullopt);
  auto R = ConfigResolver::create(C);
  CHECK(testing::errorText(R) ==
        "module_type_configs.Conv2D: 'Conv2D' is not a known module type; did you mean "
        "'Conv2d'?");

  auto D = ConfigResolver::create(defaultLinearQuantizerConfig());
  REQUIRE_OK(D);
  CHECK(answer(D->resolve({"anything", "conv2d"})) == "global_config");
  CHECK(D->effectiveGlobal().Path == "global_config");
}
