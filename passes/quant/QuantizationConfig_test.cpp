//===- QuantizationConfig_test.cpp - Config enums, defaults and validation ===//
#include "ir/OpRegistry.h"
#include "passes/quant/ModuleTypes.h"
#include "passes/quant/QuantizationConfig.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

template <typename E> void checkRoundTrip(std::initializer_list<E> Values) {
  for (E V : Values)
    CHECK(parseSpelling<E>(spell(V)) == V);
}

ModuleQuantizationConfig withScheme(QuantizationScheme S) {
  ModuleQuantizationConfig C;
  C.Scheme = S;
  return C;
}

} // namespace

TEST_CASE("enum spellings are coremltools' strings", "[quant-config]") {
  CHECK(spell(QuantizationScheme::Symmetric) == "symmetric");
  CHECK(spell(QuantizationScheme::Affine) == "affine");
  CHECK(spell(WeightDType::QInt8) == "qint8");
  CHECK(spell(WeightDType::QUInt8) == "quint8");
  CHECK(spell(WeightDType::QInt4) == "qint4");
  CHECK(spell(WeightDType::QUInt4) == "quint4");
  CHECK(spell(WeightDType::Float32) == "float32");
  CHECK(spell(ActivationDType::QUInt8) == "quint8");
  CHECK(spell(ActivationDType::Float32) == "float32");
  CHECK(spell(Algorithm::Vanilla) == "vanilla");
  CHECK(spell(Algorithm::Learnable) == "learnable");
  CHECK(spell(ObserverKind::MovingAverageMinMax) == "moving_average_min_max");
  CHECK(spell(ObserverKind::MinMax) == "min_max");
  CHECK(spell(ObserverKind::EmaMinMax) == "ema_min_max");

  checkRoundTrip({QuantizationScheme::Symmetric, QuantizationScheme::Affine});
  checkRoundTrip({WeightDType::QInt8, WeightDType::QUInt8, WeightDType::QInt4, WeightDType::QUInt4,
                  WeightDType::Float32});
  checkRoundTrip({ActivationDType::QUInt8, ActivationDType::Float32});
  checkRoundTrip({Algorithm::Vanilla, Algorithm::Learnable});
  checkRoundTrip(
      {ObserverKind::MovingAverageMinMax, ObserverKind::MinMax, ObserverKind::EmaMinMax});

  // Exact and case-sensitive, as coremltools' membership checks.
  CHECK_FALSE(parseSpelling<WeightDType>("QINT8"));
  CHECK_FALSE(parseSpelling<WeightDType>("int8"));
  CHECK_FALSE(parseSpelling<ActivationDType>("qint8"));
  CHECK_FALSE(parseSpelling<QuantizationScheme>("Symmetric"));

  CHECK(spellingList<WeightDType>() == "qint8, quint8, qint4, quint4, float32");
  CHECK(spellingList<ActivationDType>() == "quint8, float32");
  CHECK(spellingList<ObserverKind>() == "moving_average_min_max, min_max, ema_min_max");
}

TEST_CASE("module config defaults are coremltools'", "[quant-config]") {
  ModuleQuantizationConfig C;
  CHECK(C.Scheme == QuantizationScheme::Symmetric);
  CHECK_FALSE(C.StepMilestones);
  CHECK(C.WeightType == WeightDType::QInt8);
  CHECK(C.ActivationType == ActivationDType::QUInt8);
  CHECK(C.WeightPerChannel);
  CHECK(C.Algo == Algorithm::Vanilla);
  CHECK(C.WeightObserver == ObserverKind::MovingAverageMinMax);
  CHECK(C.ActivationObserver == ObserverKind::MovingAverageMinMax);
  CHECK(C.quantizesWeights());
  CHECK(C.quantizesActivations());

  LinearQuantizerConfig D = defaultLinearQuantizerConfig();
  REQUIRE(D.GlobalConfig);
  CHECK(*D.GlobalConfig == ModuleQuantizationConfig());
  CHECK(D.ModuleTypeConfigs.empty());
  CHECK(D.ModuleNameConfigs.empty());
  CHECK(D.NonTraceableModuleNames.empty());
  CHECK(D.PreservedAttributes.empty());
  CHECK_OK(validateConfig(D));
}

TEST_CASE("weight dtypes give coremltools' bit widths and ranges", "[quant-config]") {
  using Range = std::optional<std::pair<int64_t, int64_t>>;
  struct Row {
    WeightDType T;
    unsigned Bits;
    Range R;
  };
  for (const Row &Row :
       {Row{WeightDType::QInt8, 8, Range({-128, 127})},
        Row{WeightDType::QUInt8, 8, Range({0, 255})}, Row{WeightDType::QInt4, 4, Range({-8, 7})},
        Row{WeightDType::QUInt4, 4, Range({0, 15})}, Row{WeightDType::Float32, 32, std::nullopt}}) {
    ModuleQuantizationConfig C;
    C.WeightType = Row.T;
    CHECK(C.weightBits() == Row.Bits);
    CHECK(C.weightQuantRange() == Row.R);
    CHECK(C.quantizesWeights() == (Row.T != WeightDType::Float32));
  }
  ModuleQuantizationConfig WeightOnly;
  WeightOnly.ActivationType = ActivationDType::Float32;
  CHECK_FALSE(WeightOnly.quantizesActivations());
}

TEST_CASE("module config tables keep insertion order and replace in place", "[quant-config]") {
  ModuleConfigTable T;
  T.set("b", ModuleQuantizationConfig());
  T.set("a", std::nullopt);
  T.set("c", withScheme(QuantizationScheme::Affine));
  T.set("a", ModuleQuantizationConfig());
  REQUIRE(T.size() == 3);
  CHECK(T[0].Key == "b");
  CHECK(T[1].Key == "a");
  CHECK(T[1].Config == ModuleQuantizationConfig());
  CHECK(T[2].Key == "c");
  REQUIRE(T.find("c"));
  CHECK(T.find("c")->Config->Scheme == QuantizationScheme::Affine);
  CHECK_FALSE(T.find("d"));
}

TEST_CASE("the effective global config follows spec 1.5", "[quant-config]") {
  LinearQuantizerConfig C;
  CHECK(C.effectiveGlobal().Path == "");
  CHECK(C.effectiveGlobal().Config == ModuleQuantizationConfig());

  C.ModuleNameConfigs.set("conv1", std::nullopt);
  C.ModuleNameConfigs.set("fc", withScheme(QuantizationScheme::Affine));
  CHECK(C.effectiveGlobal().Path == "module_name_configs.fc");

  C.ModuleTypeConfigs.set("ReLU", std::nullopt);
  C.ModuleTypeConfigs.set("Linear", withScheme(QuantizationScheme::Affine));
  C.ModuleTypeConfigs.set("Conv2d", withScheme(QuantizationScheme::Symmetric));
  CHECK(C.effectiveGlobal().Path == "module_type_configs.Linear");
  CHECK(C.effectiveGlobal().Config.Scheme == QuantizationScheme::Affine);

  C.GlobalConfig = ModuleQuantizationConfig();
  CHECK(C.effectiveGlobal().Path == "global_config");
}

TEST_CASE("validation: one scheme everywhere", "[quant-config]") {
  LinearQuantizerConfig C;
  C.GlobalConfig = withScheme(QuantizationScheme::Affine);
  C.ModuleTypeConfigs.set("Linear", std::nullopt);
  C.ModuleTypeConfigs.set("Conv2d", withScheme(QuantizationScheme::Affine));
  CHECK_OK(validateConfig(C));
  C.ModuleNameConfigs.set("fc", ModuleQuantizationConfig());
  CHECK(testing::errorText(validateConfig(C)) ==
        "module_name_configs.fc.quantization_scheme: 'symmetric' differs from 'affine' in "
        "global_config; use one quantization_scheme in every config (a module config without "
        "one is symmetric)");

  // Without a global config the first module config is the reference.
  LinearQuantizerConfig M;
  M.ModuleTypeConfigs.set("Linear", ModuleQuantizationConfig());
  M.ModuleTypeConfigs.set("Conv2d", withScheme(QuantizationScheme::Affine));
  CHECK(testing::errorText(validateConfig(M)) ==
        "module_type_configs.Conv2d.quantization_scheme: 'affine' differs from 'symmetric' in "
        "module_type_configs.Linear; use one quantization_scheme in every config (a module "
        "config without one is symmetric)");
}

TEST_CASE("validation: one algorithm, vanilla without a global config", "[quant-config]") {
  ModuleQuantizationConfig Learnable;
  Learnable.Algo = Algorithm::Learnable;

  LinearQuantizerConfig C;
  C.GlobalConfig = Learnable;
  C.ModuleTypeConfigs.set("Linear", Learnable);
  CHECK_OK(validateConfig(C));
  C.ModuleNameConfigs.set("fc", ModuleQuantizationConfig());
  CHECK(testing::errorText(validateConfig(C)) ==
        "module_name_configs.fc.algorithm: 'vanilla' differs from 'learnable' in global_config; "
        "use one algorithm in every config");

  // Only module configs, all learnable: the unselected ops would be vanilla.
  LinearQuantizerConfig M;
  M.ModuleTypeConfigs.set("Linear", Learnable);
  CHECK(testing::errorText(validateConfig(M)) ==
        "module_type_configs.Linear.algorithm: 'learnable' differs from 'vanilla' (the default "
        "for ops no entry selects when global_config is not set), so set "
        "global_config.algorithm too; use one algorithm in every config");
}

TEST_CASE("validation: milestones only in the effective global config", "[quant-config]") {
  ModuleQuantizationConfig Scheduled;
  Scheduled.StepMilestones = Milestones{0, 1, 2, 3};

  LinearQuantizerConfig C;
  C.GlobalConfig = Scheduled;
  C.ModuleTypeConfigs.set("Linear", Scheduled);                  // repeats them: fine
  C.ModuleTypeConfigs.set("Conv2d", ModuleQuantizationConfig()); // none: fine
  CHECK_OK(validateConfig(C));

  ModuleQuantizationConfig Other;
  Other.StepMilestones = Milestones{0, 10, 20, -1};
  C.ModuleNameConfigs.set("fc", Other);
  CHECK(testing::errorText(validateConfig(C)) ==
        "module_name_configs.fc.milestones: [0, 10, 20, -1] differs from the model-wide "
        "milestones [0, 1, 2, 3] of global_config; milestones apply to the whole model, so set "
        "them only in global_config");

  // The first type config is the effective global one; it may set them.
  LinearQuantizerConfig M;
  M.ModuleTypeConfigs.set("Linear", Scheduled);
  CHECK_OK(validateConfig(M));
  M.ModuleTypeConfigs.set("Conv2d", Other);
  CHECK(testing::errorText(validateConfig(M)) ==
        "module_type_configs.Conv2d.milestones: [0, 10, 20, -1] differs from the model-wide "
        "milestones [0, 1, 2, 3] of module_type_configs.Linear; milestones apply to the whole "
        "model, so set them only in global_config");

  LinearQuantizerConfig G;
  G.GlobalConfig = ModuleQuantizationConfig();
  G.ModuleTypeConfigs.set("Linear", Scheduled);
  CHECK(testing::errorText(validateConfig(G)) ==
        "module_type_configs.Linear.milestones: [0, 1, 2, 3] differs from the model-wide "
        "milestones null of global_config; milestones apply to the whole model, so set them "
        "only in global_config");
}

TEST_CASE("validation: type keys must be known and agree per op", "[quant-config]") {
  LinearQuantizerConfig C;
  C.GlobalConfig = ModuleQuantizationConfig();
  C.ModuleTypeConfigs.set("Conv2D", std::nullopt);
  CHECK(testing::errorText(validateConfig(C)) ==
        "module_type_configs.Conv2D: 'Conv2D' is not a known module type; did you mean "
        "'Conv2d'?");

  LinearQuantizerConfig U;
  U.ModuleTypeConfigs.set("TotallyCustomBlock", std::nullopt);
  CHECK(testing::errorText(validateConfig(U)) ==
        "module_type_configs.TotallyCustomBlock: 'TotallyCustomBlock' is not a known module "
        "type; use a PyTorch class or function name (Conv2d, Linear, ReLU, operator.add, ...) "
        "or a QIR op name (conv2d, linear, relu, add, ...)");

  // Several keys may select one op when they agree.
  LinearQuantizerConfig Same;
  ModuleQuantizationConfig Int4;
  Int4.WeightType = WeightDType::QInt4;
  Same.ModuleTypeConfigs.set("Conv2d", Int4);
  Same.ModuleTypeConfigs.set("conv2d", Int4);
  Same.ModuleTypeConfigs.set("Embedding", std::nullopt); // known, no QIR op yet
  CHECK_OK(validateConfig(Same));
  Same.ModuleTypeConfigs.set("BatchNorm1d", std::nullopt);
  Same.ModuleTypeConfigs.set("BatchNorm2d", ModuleQuantizationConfig());
  CHECK(testing::errorText(validateConfig(Same)) ==
        "module_type_configs.BatchNorm2d: 'BatchNorm2d' and 'BatchNorm1d' both select QIR op "
        "batch_norm but give it different configs; give them the same config or keep one of "
        "them");
}

TEST_CASE("validation: an empty module name is rejected", "[quant-config]") {
  LinearQuantizerConfig C;
  C.ModuleNameConfigs.set("", std::nullopt);
  CHECK(testing::errorText(validateConfig(C)) ==
        "module_name_configs: the empty module name never matches a module; move its config to "
        "global_config");
}

TEST_CASE("type keys map to QIR ops", "[quant-config]") {
  struct Row {
    const char *Key;
    const char *Op;
  };
  for (const Row &R :
       {Row{"Conv1d", "conv1d"}, Row{"Conv2d", "conv2d"},
        Row{"ConvTranspose2d", "conv_transpose2d"}, Row{"Linear", "linear"},
        Row{"BatchNorm1d", "batch_norm"}, Row{"BatchNorm2d", "batch_norm"}, Row{"ReLU", "relu"},
        Row{"ReLU6", "relu6"}, Row{"Hardswish", "hardswish"}, Row{"Hardsigmoid", "hardsigmoid"},
        Row{"Sigmoid", "sigmoid"}, Row{"Tanh", "tanh"}, Row{"SiLU", "silu"}, Row{"GELU", "gelu"},
        Row{"LeakyReLU", "leaky_relu"}, Row{"Softmax", "softmax"}, Row{"MaxPool2d", "max_pool2d"},
        Row{"AvgPool2d", "avg_pool2d"}, Row{"AdaptiveAvgPool2d", "adaptive_avg_pool2d"},
        Row{"Flatten", "flatten"}, Row{"operator.add", "add"}, Row{"torch.add", "add"},
        Row{"operator.mul", "mul"}, Row{"torch.mul", "mul"}, Row{"operator.sub", "sub"},
        Row{"torch.sub", "sub"}, Row{"torch.matmul", "matmul"}, Row{"operator.matmul", "matmul"},
        Row{"torch.cat", "cat"}, Row{"torch.mean", "mean"}, Row{"relu_", "relu"},
        Row{"Identity", "identity"}, Row{"Dropout", "dropout"},
        // QIR op names select themselves (functional spellings too).
        Row{"conv2d", "conv2d"}, Row{"relu", "relu"}, Row{"add", "add"},
        Row{"batch_norm", "batch_norm"}, Row{"max_pool2d", "max_pool2d"},
        // Known to coremltools, no QIR op yet.
        Row{"Embedding", ""}, Row{"Conv3d", ""}, Row{"torch.einsum", ""}}) {
    INFO(R.Key);
    std::optional<llvm::StringRef> Op = lookupModuleTypeKey(R.Key);
    REQUIRE(Op);
    CHECK(*Op == R.Op);
  }
  CHECK_FALSE(lookupModuleTypeKey("conv2D"));
  CHECK_FALSE(lookupModuleTypeKey("nn.Conv2d"));

  CHECK(pytorchTypeKeys("conv2d") == llvm::SmallVector<llvm::StringRef, 4>{"Conv2d"});
  CHECK(pytorchTypeKeys("batch_norm") ==
        llvm::SmallVector<llvm::StringRef, 4>{"BatchNorm1d", "BatchNorm2d"});
  CHECK(pytorchTypeKeys("add") ==
        llvm::SmallVector<llvm::StringRef, 4>{"operator.add", "torch.add"});
  CHECK(pytorchTypeKeys("").empty());

  CHECK(suggestModuleTypeKey("Conv2D") == "Conv2d");
  CHECK(suggestModuleTypeKey("Relu") == "ReLU");
  CHECK(suggestModuleTypeKey("Linaer") == "Linear");
  CHECK(suggestModuleTypeKey("TotallyCustomBlock") == "");
}

TEST_CASE("no table key is itself a QIR op name", "[quant-config]") {
  // Such a row would be dead: the registry answers first.
  for (const OpInfo *Op : OpRegistry::get().ops())
    for (llvm::StringRef Key : pytorchTypeKeys(Op->name())) {
      INFO(Key.str());
      CHECK_FALSE(OpRegistry::get().lookup(Key));
    }
}
