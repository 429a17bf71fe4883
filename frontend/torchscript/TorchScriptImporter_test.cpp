//===- TorchScriptImporter_test.cpp - TorchScript import: ops, names, errors ===//
//
// Imports the tiny archives testdata/make_fixtures.py writes (one per op
// mapping, naming rule or error) and checks the QIR text, parameter data and
// every error message.
//
//===----------------------------------------------------------------------===//
#include "frontend/torchscript/TorchScriptImporter.h"
#include "ir/Verifier.h"
#include "ir/text/Printer.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

using Shapes = std::initializer_list<std::pair<const char *, std::vector<int64_t>>>;

/// The path of a generated fixture, relative to the test's runfiles.
std::string fixture(llvm::StringRef Name) {
  return ("frontend/torchscript/fixtures/" + Name + ".pt").str();
}

ImportOptions options(Shapes InputShapes) {
  ImportOptions Opts;
  for (const auto &[Name, Dims] : InputShapes)
    Opts.InputShapes[Name] = llvm::SmallVector<int64_t, 4>(Dims.begin(), Dims.end());
  return Opts;
}

/// Imports a fixture and requires the graph to verify.
std::unique_ptr<Graph> importGraph(llvm::StringRef Name, Shapes InputShapes) {
  auto G = importTorchScriptModel(fixture(Name), options(InputShapes));
  REQUIRE_OK(G);
  REQUIRE_OK(verify(**G));
  return std::move(*G);
}

/// The graph's text with parameters elided and without locations.
std::string importText(llvm::StringRef Name, Shapes InputShapes) {
  PrintOptions Opts;
  Opts.ElideParamsAbove = 0;
  Opts.PrintLocations = false;
  return printGraphToString(*importGraph(Name, InputShapes), Opts);
}

/// The message of an import that must fail ("imported" if it succeeds).
std::string importError(llvm::StringRef Path, Shapes InputShapes = {}) {
  auto G = importTorchScriptModel(Path, options(InputShapes));
  return G ? "imported" : llvm::toString(G.takeError());
}

/// The values of an f32 parameter.
std::vector<float> floats(const Graph &G, llvm::StringRef Param) {
  const Parameter *P = G.lookupParameter(Param);
  REQUIRE(P);
  llvm::ArrayRef<float> V = P->values<float>();
  return std::vector<float>(V.begin(), V.end());
}

} // namespace

TEST_CASE("conv2d: a layer with default attributes leaves them out", "[conv]") {
  CHECK(importText("conv_basic", {{"input", {1, 3, 8, 8}}}) == R"(graph @conv_basic {
  param @weight : f32[4, 3, 3, 3] = elided
  param @bias : f32[4] = elided
  %input = placeholder : f32[1, 3, 8, 8]
  %weight = get_attr @weight : f32[4, 3, 3, 3]
  %bias = get_attr @bias : f32[4]
  %conv2d = conv2d(%input, %weight, %bias) : f32[1, 4, 6, 6]
  output(%conv2d)
}
)");
}

TEST_CASE("conv2d: stride, per-dim padding, dilation, groups and no bias", "[conv]") {
  CHECK(importText("conv_attrs", {{"input", {1, 4, 9, 9}}}) == R"(graph @conv_attrs {
  param @weight : f32[6, 2, 3, 3] = elided
  %input = placeholder : f32[1, 4, 9, 9]
  %weight = get_attr @weight : f32[6, 2, 3, 3]
  %conv2d = conv2d(%input, %weight) {dilation = [2, 2], groups = 2, padding = [1, 2], stride = [2, 2]} : f32[1, 6, 4, 5]
  output(%conv2d)
}
)");
}

TEST_CASE("conv2d: padding 'same' (asymmetric for even kernels) and 'valid'", "[conv]") {
  CHECK(importText("conv_same", {{"input", {1, 2, 8, 8}}}) == R"(graph @conv_same {
  param @0.weight : f32[2, 2, 4, 4] = elided
  param @0.bias : f32[2] = elided
  param @1.weight : f32[2, 2, 3, 2] = elided
  param @1.bias : f32[2] = elided
  param @2.weight : f32[2, 2, 3, 3] = elided
  param @2.bias : f32[2] = elided
  %input = placeholder : f32[1, 2, 8, 8]
  %0.weight = get_attr @0.weight : f32[2, 2, 4, 4]
  %0.bias = get_attr @0.bias : f32[2]
  %0 = conv2d(%input, %0.weight, %0.bias) {padding = [1, 1, 2, 2]} : f32[1, 2, 8, 8]
  %1.weight = get_attr @1.weight : f32[2, 2, 3, 2]
  %1.bias = get_attr @1.bias : f32[2]
  %1 = conv2d(%0, %1.weight, %1.bias) {dilation = [1, 3], padding = [1, 1, 1, 2]} : f32[1, 2, 8, 8]
  %2.weight = get_attr @2.weight : f32[2, 2, 3, 3]
  %2.bias = get_attr @2.bias : f32[2]
  %2 = conv2d(%1, %2.weight, %2.bias) : f32[1, 2, 6, 6]
  output(%2)
}
)");
}

TEST_CASE("conv1d: one value per spatial attribute", "[conv]") {
  CHECK(importText("conv1d", {{"input", {1, 2, 10}}}) == R"(graph @conv1d {
  param @weight : f32[3, 2, 3] = elided
  param @bias : f32[3] = elided
  %input = placeholder : f32[1, 2, 10]
  %weight = get_attr @weight : f32[3, 2, 3]
  %bias = get_attr @bias : f32[3]
  %conv1d = conv1d(%input, %weight, %bias) {padding = [1], stride = [2]} : f32[1, 3, 5]
  output(%conv1d)
}
)");
}

TEST_CASE("conv_transpose2d: from _convolution's transposed flag", "[conv]") {
  CHECK(importText("conv_transpose", {{"input", {1, 4, 5, 5}}}) == R"(graph @conv_transpose {
  param @weight : f32[4, 2, 3, 3] = elided
  param @bias : f32[2] = elided
  %input = placeholder : f32[1, 4, 5, 5]
  %weight = get_attr @weight : f32[4, 2, 3, 3]
  %bias = get_attr @bias : f32[2]
  %conv_transpose2d = conv_transpose2d(%input, %weight, %bias) {output_padding = [1, 1], padding = [1, 1], stride = [2, 2]} : f32[1, 2, 10, 10]
  output(%conv_transpose2d)
}
)");
}

TEST_CASE("linear: with and without bias", "[linear]") {
  CHECK(importText("linear", {{"x", {2, 8}}}) == R"(graph @linear {
  param @fc1.weight : f32[4, 8] = elided
  param @fc1.bias : f32[4] = elided
  param @fc2.weight : f32[2, 4] = elided
  %x = placeholder : f32[2, 8]
  %fc1.weight = get_attr @fc1.weight : f32[4, 8]
  %fc1.bias = get_attr @fc1.bias : f32[4]
  %fc1 = linear(%x, %fc1.weight, %fc1.bias) : f32[2, 4]
  %fc2.weight = get_attr @fc2.weight : f32[2, 4]
  %fc2 = linear(%fc1, %fc2.weight) : f32[2, 2]
  output(%fc2)
}
)");
}

TEST_CASE("addmm: with a transposed weight it is linear, else matmul, mul and add", "[linear]") {
  CHECK(importText("addmm", {{"x", {2, 8}}}) == R"(graph @addmm {
  param @weight : f32[4, 8] = elided
  param @bias : f32[4] = elided
  param @mul.rhs : f32[] = elided
  param @mul_1.rhs : f32[] = elided
  %x = placeholder : f32[2, 8]
  %weight = get_attr @weight : f32[4, 8]
  %bias = get_attr @bias : f32[4]
  %linear = linear(%x, %weight, %bias) : f32[2, 4]
  %permute = permute(%weight) {dims = [1, 0]} : f32[8, 4]
  %matmul = matmul(%x, %permute) : f32[2, 4]
  %mul.rhs = get_attr @mul.rhs : f32[]
  %mul = mul(%matmul, %mul.rhs) : f32[2, 4]
  %mul_1.rhs = get_attr @mul_1.rhs : f32[]
  %mul_1 = mul(%bias, %mul_1.rhs) : f32[4]
  %add = add(%mul, %mul_1) : f32[2, 4]
  output(%linear, %add)
}
)");
}

TEST_CASE("matmul: two inputs", "[linear]") {
  CHECK(importText("matmul", {{"argument_1", {2, 3}}, {"argument_2", {3, 4}}}) == R"(graph @matmul {
  %argument_1 = placeholder : f32[2, 3]
  %argument_2 = placeholder : f32[3, 4]
  %matmul = matmul(%argument_1, %argument_2) : f32[2, 4]
  output(%matmul)
}
)");
}

TEST_CASE("batch_norm: eps and momentum; affine-free gets ones and zeros", "[norm]") {
  CHECK(importText("batch_norm", {{"input", {1, 4, 3, 3}}}) == R"(graph @batch_norm {
  param @0.weight : f32[4] = elided
  param @0.bias : f32[4] = elided
  param @0.running_mean : f32[4] = elided
  param @0.running_var : f32[4] = elided
  param @1.running_mean : f32[4] = elided
  param @1.running_var : f32[4] = elided
  param @1.weight : f32[4] = elided
  param @1.bias : f32[4] = elided
  %input = placeholder : f32[1, 4, 3, 3]
  %0.weight = get_attr @0.weight : f32[4]
  %0.bias = get_attr @0.bias : f32[4]
  %0.running_mean = get_attr @0.running_mean : f32[4]
  %0.running_var = get_attr @0.running_var : f32[4]
  %0 = batch_norm(%input, %0.weight, %0.bias, %0.running_mean, %0.running_var) {eps = 0.001, momentum = 0.2} : f32[1, 4, 3, 3]
  %1.running_mean = get_attr @1.running_mean : f32[4]
  %1.running_var = get_attr @1.running_var : f32[4]
  %1.weight = get_attr @1.weight : f32[4]
  %1.bias = get_attr @1.bias : f32[4]
  %1 = batch_norm(%0, %1.weight, %1.bias, %1.running_mean, %1.running_var) : f32[1, 4, 3, 3]
  output(%1)
}
)");
}

TEST_CASE("activations: ReLU6 and Hardtanh become clamp, defaults left out", "[activation]") {
  CHECK(importText("activations", {{"input", {1, 4, 3, 3}}}) == R"(graph @activations {
  %input = placeholder : f32[1, 4, 3, 3]
  %0 = relu(%input) : f32[1, 4, 3, 3]
  %1 = clamp(%0) {max = 6.0, min = 0.0} : f32[1, 4, 3, 3]
  %2 = clamp(%1) {max = 3.0, min = -2.0} : f32[1, 4, 3, 3]
  %3 = hardswish(%2) : f32[1, 4, 3, 3]
  %4 = hardsigmoid(%3) : f32[1, 4, 3, 3]
  %5 = sigmoid(%4) : f32[1, 4, 3, 3]
  %6 = silu(%5) : f32[1, 4, 3, 3]
  %7 = tanh(%6) : f32[1, 4, 3, 3]
  %8 = gelu(%7) {approximate = "tanh"} : f32[1, 4, 3, 3]
  %9 = gelu(%8) : f32[1, 4, 3, 3]
  %10 = leaky_relu(%9) {negative_slope = 0.2} : f32[1, 4, 3, 3]
  %11 = leaky_relu(%10) : f32[1, 4, 3, 3]
  %12 = softmax(%11) {dim = 1} : f32[1, 4, 3, 3]
  %13 = softmax(%12) : f32[1, 4, 3, 3]
  output(%13)
}
)");
}

TEST_CASE("activations: in-place variants, relu6 and clamp", "[activation]") {
  CHECK(importText("inplace", {{"x", {1, 4, 3, 3}}}) == R"(graph @inplace {
  param @add.rhs : f32[] = elided
  %x = placeholder : f32[1, 4, 3, 3]
  %add.rhs = get_attr @add.rhs : f32[]
  %add = add(%x, %add.rhs) : f32[1, 4, 3, 3]
  %relu = relu(%add) : f32[1, 4, 3, 3]
  %clamp = clamp(%relu) {max = 1.0, min = -1.0} : f32[1, 4, 3, 3]
  %hardswish = hardswish(%clamp) : f32[1, 4, 3, 3]
  %hardsigmoid = hardsigmoid(%hardswish) : f32[1, 4, 3, 3]
  %silu = silu(%hardsigmoid) : f32[1, 4, 3, 3]
  %leaky_relu = leaky_relu(%silu) {negative_slope = 0.1} : f32[1, 4, 3, 3]
  %sigmoid = sigmoid(%leaky_relu) : f32[1, 4, 3, 3]
  %tanh = tanh(%sigmoid) : f32[1, 4, 3, 3]
  %clamp_1 = clamp(%tanh) {max = 6.0, min = 0.0} : f32[1, 4, 3, 3]
  %clamp_2 = clamp(%clamp_1) {min = -0.5} : f32[1, 4, 3, 3]
  %clamp_3 = clamp(%clamp_2) {max = 0.25, min = 0.0} : f32[1, 4, 3, 3]
  output(%clamp_3)
}
)");
}

TEST_CASE("arithmetic: scalar and tensor constants, alpha, add_", "[arithmetic]") {
  CHECK(importText("arithmetic", {{"a", {1, 4, 2, 2}}, {"b", {1, 4, 2, 2}}}) ==
        R"(graph @arithmetic {
  param @scale : f32[] = elided
  param @add_1.rhs : f32[] = elided
  param @mul_1.rhs : f32[] = elided
  param @mul_2.rhs : f32[] = elided
  param @sub_1.rhs : f32[] = elided
  param @div_1.rhs : f32[1, 4, 1, 1] = elided
  param @mul_4.rhs : f32[] = elided
  %a = placeholder : f32[1, 4, 2, 2]
  %b = placeholder : f32[1, 4, 2, 2]
  %add = add(%a, %b) : f32[1, 4, 2, 2]
  %sub = sub(%a, %b) : f32[1, 4, 2, 2]
  %mul = mul(%a, %b) : f32[1, 4, 2, 2]
  %div = div(%a, %b) : f32[1, 4, 2, 2]
  %add_1.rhs = get_attr @add_1.rhs : f32[]
  %add_1 = add(%add, %add_1.rhs) : f32[1, 4, 2, 2]
  %mul_1.rhs = get_attr @mul_1.rhs : f32[]
  %mul_1 = mul(%div, %mul_1.rhs) : f32[1, 4, 2, 2]
  %add_2 = add(%mul, %mul_1) : f32[1, 4, 2, 2]
  %mul_2.rhs = get_attr @mul_2.rhs : f32[]
  %mul_2 = mul(%sub, %mul_2.rhs) : f32[1, 4, 2, 2]
  %sub_1.rhs = get_attr @sub_1.rhs : f32[]
  %sub_1 = sub(%div, %sub_1.rhs) : f32[1, 4, 2, 2]
  %scale = get_attr @scale : f32[]
  %mul_3 = mul(%add_1, %scale) : f32[1, 4, 2, 2]
  %div_1.rhs = get_attr @div_1.rhs : f32[1, 4, 1, 1]
  %div_1 = div(%sub, %div_1.rhs) : f32[1, 4, 2, 2]
  %mul_4.rhs = get_attr @mul_4.rhs : f32[]
  %mul_4 = mul(%b, %mul_4.rhs) : f32[1, 4, 2, 2]
  %sub_2 = sub(%a, %mul_4) : f32[1, 4, 2, 2]
  output(%add_2, %mul_2, %sub_1, %mul_3, %div_1, %sub_2)
}
)");
}

TEST_CASE("pooling: stride left out when it is the kernel, ceil_mode, count_include_pad, dilation, "
          "divisor_override; adaptive pools with even windows are avg_pool2d",
          "[pool]") {
  CHECK(importText("pools", {{"x", {1, 2, 9, 9}}}) == R"(graph @pools {
  %x = placeholder : f32[1, 2, 9, 9]
  %max_ceil = max_pool2d(%x) {ceil_mode = true, kernel_size = [3, 3], padding = [1, 1], stride = [2, 2]} : f32[1, 2, 5, 5]
  %max_plain = max_pool2d(%x) {kernel_size = [2, 2]} : f32[1, 2, 4, 4]
  %max_dilated = max_pool2d(%x) {dilation = [2, 2], kernel_size = [3, 3], stride = [1, 1]} : f32[1, 2, 5, 5]
  %avg_pad = avg_pool2d(%x) {ceil_mode = true, count_include_pad = false, kernel_size = [3, 3], padding = [1, 1], stride = [2, 2]} : f32[1, 2, 5, 5]
  %avg_divisor = avg_pool2d(%x) {divisor_override = 3, kernel_size = [2, 2]} : f32[1, 2, 4, 4]
  %global_pool = adaptive_avg_pool2d(%x) {output_size = [1, 1]} : f32[1, 2, 1, 1]
  %adaptive = adaptive_avg_pool2d(%x) {output_size = [2, 3]} : f32[1, 2, 2, 3]
  %adaptive_even = avg_pool2d(%x) {kernel_size = [3, 3]} : f32[1, 2, 3, 3]
  output(%max_ceil, %max_plain, %max_dilated, %avg_pad, %avg_divisor, %global_pool, %adaptive, %adaptive_even)
}
)");
}

TEST_CASE("mean: dims, keepdim and all dims", "[pool]") {
  CHECK(importText("means", {{"x", {1, 2, 3, 4}}}) == R"(graph @means {
  %x = placeholder : f32[1, 2, 3, 4]
  %mean = mean(%x) {dims = [2, 3]} : f32[1, 2]
  %mean_1 = mean(%x) {dims = [-1], keepdim = true} : f32[1, 2, 3, 1]
  %mean_2 = mean(%x) : f32[]
  %mean_3 = mean(%x) {dims = [1]} : f32[1, 3, 4]
  output(%mean, %mean_1, %mean_2, %mean_3)
}
)");
}

TEST_CASE("flatten: nn.Flatten, torch.flatten and a range", "[shape]") {
  CHECK(importText("flattens", {{"x", {2, 3, 4, 5}}}) == R"(graph @flattens {
  %x = placeholder : f32[2, 3, 4, 5]
  %flatten = flatten(%x) : f32[2, 60]
  %flatten_1 = flatten(%x) {start_dim = 0} : f32[120]
  %flatten_2 = flatten(%x) {end_dim = 2} : f32[2, 12, 5]
  output(%flatten, %flatten_1, %flatten_2)
}
)");
}

TEST_CASE("view and reshape: -1 kept, x.size(0) folded", "[shape]") {
  CHECK(importText("reshapes", {{"x", {2, 3, 4, 5}}}) == R"(graph @reshapes {
  %x = placeholder : f32[2, 3, 4, 5]
  %reshape = reshape(%x) {shape = [2, -1]} : f32[2, 60]
  %reshape_1 = reshape(%x) {shape = [-1, 10]} : f32[12, 10]
  %reshape_2 = reshape(%x) {shape = [2, -1]} : f32[2, 60]
  output(%reshape, %reshape_1, %reshape_2)
}
)");
}

TEST_CASE("transpose and permute become permute with non-negative dims", "[shape]") {
  CHECK(importText("permutes", {{"x", {1, 2, 3, 4}}}) == R"(graph @permutes {
  %x = placeholder : f32[1, 2, 3, 4]
  %permute = permute(%x) {dims = [0, 2, 1, 3]} : f32[1, 3, 2, 4]
  %permute_1 = permute(%x) {dims = [3, 1, 2, 0]} : f32[4, 2, 3, 1]
  %permute_2 = permute(%x) {dims = [0, 2, 3, 1]} : f32[1, 3, 4, 2]
  %permute_3 = permute(%x) {dims = [0, 3, 1, 2]} : f32[1, 4, 2, 3]
  output(%permute, %permute_1, %permute_2, %permute_3)
}
)");
}

TEST_CASE("chunk and split become split and getitem", "[shape]") {
  CHECK(importText("splits", {{"x", {1, 4, 2, 5}}}) == R"(graph @splits {
  %x = placeholder : f32[1, 4, 2, 5]
  %split = split(%x) {dim = 1, split_sizes = [2, 2]} : (f32[1, 2, 2, 5], f32[1, 2, 2, 5])
  %getitem = getitem(%split) {index = 0} : f32[1, 2, 2, 5]
  %getitem_1 = getitem(%split) {index = 1} : f32[1, 2, 2, 5]
  %split_1 = split(%x) {dim = 1, split_sizes = [2, 2]} : (f32[1, 2, 2, 5], f32[1, 2, 2, 5])
  %getitem_2 = getitem(%split_1) {index = 0} : f32[1, 2, 2, 5]
  %getitem_3 = getitem(%split_1) {index = 1} : f32[1, 2, 2, 5]
  %split_2 = split(%x) {dim = -1, split_sizes = [2, 2, 1]} : (f32[1, 4, 2, 2], f32[1, 4, 2, 2], f32[1, 4, 2, 1])
  %getitem_4 = getitem(%split_2) {index = 0} : f32[1, 4, 2, 2]
  %getitem_5 = getitem(%split_2) {index = 1} : f32[1, 4, 2, 2]
  %getitem_6 = getitem(%split_2) {index = 2} : f32[1, 4, 2, 1]
  %split_3 = split(%x) {dim = 1, split_sizes = [3, 1]} : (f32[1, 3, 2, 5], f32[1, 1, 2, 5])
  %getitem_7 = getitem(%split_3) {index = 0} : f32[1, 3, 2, 5]
  %getitem_8 = getitem(%split_3) {index = 1} : f32[1, 1, 2, 5]
  %split_4 = split(%x) {dim = 1, split_sizes = [1, 3]} : (f32[1, 1, 2, 5], f32[1, 3, 2, 5])
  %getitem_9 = getitem(%split_4) {index = 0} : f32[1, 1, 2, 5]
  %getitem_10 = getitem(%split_4) {index = 1} : f32[1, 3, 2, 5]
  output(%getitem, %getitem_1, %getitem_2, %getitem_3, %getitem_4, %getitem_5, %getitem_6, %getitem_7, %getitem_8, %getitem_9, %getitem_10)
}
)");
}

TEST_CASE("pad: constant with a value, reflect, replicate and constant_pad_nd", "[shape]") {
  CHECK(importText("pads", {{"x", {1, 2, 4, 4}}}) == R"(graph @pads {
  %x = placeholder : f32[1, 2, 4, 4]
  %pad = pad(%x) {pads = [0, 0, 0, 1, 0, 0, 0, 2]} : f32[1, 2, 4, 7]
  %pad_1 = pad(%x) {pads = [0, 0, 2, 1, 0, 0, 0, 1], value = 0.5} : f32[1, 2, 6, 6]
  %pad_2 = pad(%x) {mode = "reflect", pads = [0, 0, 1, 1, 0, 0, 1, 1]} : f32[1, 2, 6, 6]
  %pad_3 = pad(%x) {mode = "replicate", pads = [0, 0, 1, 1, 0, 0, 1, 1]} : f32[1, 2, 6, 6]
  %pad_4 = pad(%x) {pads = [0, 0, 0, 1, 0, 0, 0, 1]} : f32[1, 2, 4, 6]
  output(%pad, %pad_1, %pad_2, %pad_3, %pad_4)
}
)");
}

TEST_CASE("squeeze, unsqueeze with a negative dim, and a squeeze that does nothing", "[shape]") {
  CHECK(importText("squeezes", {{"x", {1, 3, 1, 4}}}) == R"(graph @squeezes {
  %x = placeholder : f32[1, 3, 1, 4]
  %squeeze = squeeze(%x) {dims = [0]} : f32[3, 1, 4]
  %squeeze_1 = squeeze(%x) : f32[3, 4]
  %unsqueeze = unsqueeze(%x) {dim = 1} : f32[1, 1, 3, 1, 4]
  %unsqueeze_1 = unsqueeze(%x) {dim = 4} : f32[1, 3, 1, 4, 1]
  output(%squeeze, %x, %squeeze_1, %unsqueeze, %unsqueeze_1)
}
)");
}

TEST_CASE("cat: positive and negative dims", "[shape]") {
  CHECK(importText("cat", {{"x", {1, 2, 3, 3}}}) == R"(graph @cat {
  param @mul.rhs : f32[] = elided
  %x = placeholder : f32[1, 2, 3, 3]
  %mul.rhs = get_attr @mul.rhs : f32[]
  %mul = mul(%x, %mul.rhs) : f32[1, 2, 3, 3]
  %cat = cat(%x, %mul) {dim = 1} : f32[1, 4, 3, 3]
  %cat_1 = cat(%x, %x) {dim = -1} : f32[1, 2, 3, 6]
  output(%cat, %cat_1)
}
)");
}

TEST_CASE("slice: start, end and step; full slices disappear", "[shape]") {
  CHECK(importText("slices", {{"x", {1, 4, 5}}}) == R"(graph @slices {
  %x = placeholder : f32[1, 4, 5]
  %slice = slice(%x) {dim = 1, end = 3, start = 1} : f32[1, 2, 5]
  %slice_1 = slice(%x) {dim = 2, end = 9223372036854775807, start = 1} : f32[1, 4, 4]
  %slice_2 = slice(%x) {dim = 1, end = 9223372036854775807, step = 2} : f32[1, 2, 5]
  output(%slice, %slice_1, %slice_2)
}
)");
}

TEST_CASE("dropout keeps p (canonicalize removes it for inference)", "[shape]") {
  CHECK(importText("dropout", {{"input", {2, 4}}}) == R"(graph @dropout {
  param @0.weight : f32[4, 4] = elided
  param @0.bias : f32[4] = elided
  param @2.weight : f32[4, 4] = elided
  param @2.bias : f32[4] = elided
  %input = placeholder : f32[2, 4]
  %0.weight = get_attr @0.weight : f32[4, 4]
  %0.bias = get_attr @0.bias : f32[4]
  %0 = linear(%input, %0.weight, %0.bias) : f32[2, 4]
  %1 = dropout(%0) {p = 0.3} : f32[2, 4]
  %2.weight = get_attr @2.weight : f32[4, 4]
  %2.bias = get_attr @2.bias : f32[4]
  %2 = linear(%1, %2.weight, %2.bias) : f32[2, 4]
  %3 = dropout(%2) : f32[2, 4]
  output(%3)
}
)");
}

TEST_CASE("shape arithmetic: size, floor_divide and Int fold; contiguous disappears", "[shape]") {
  CHECK(importText("channel_shuffle", {{"x", {1, 4, 2, 2}}}) == R"(graph @channel_shuffle {
  %x = placeholder : f32[1, 4, 2, 2]
  %reshape = reshape(%x) {shape = [1, 2, 2, 2, 2]} : f32[1, 2, 2, 2, 2]
  %permute = permute(%reshape) {dims = [0, 2, 1, 3, 4]} : f32[1, 2, 2, 2, 2]
  %reshape_1 = reshape(%permute) {shape = [1, -1, 2, 2]} : f32[1, 4, 2, 2]
  output(%reshape_1)
}
)");
}

TEST_CASE("the seed model: Sequential children are named by index", "[naming]") {
  CHECK(importText("seed", {{"input", {1, 1, 20, 20}}}) == R"(graph @seed {
  param @0.weight : f32[20, 1, 3, 3] = elided
  param @0.bias : f32[20] = elided
  param @2.weight : f32[20, 20, 3, 3] = elided
  param @2.bias : f32[20] = elided
  %input = placeholder : f32[1, 1, 20, 20]
  %0.weight = get_attr @0.weight : f32[20, 1, 3, 3]
  %0.bias = get_attr @0.bias : f32[20]
  %0 = conv2d(%input, %0.weight, %0.bias) : f32[1, 20, 18, 18]
  %1 = relu(%0) : f32[1, 20, 18, 18]
  %2.weight = get_attr @2.weight : f32[20, 20, 3, 3]
  %2.bias = get_attr @2.bias : f32[20]
  %2 = conv2d(%1, %2.weight, %2.bias) : f32[1, 20, 16, 16]
  %3 = relu(%2) : f32[1, 20, 16, 16]
  output(%3)
}
)");
}

TEST_CASE("scripted: attributes, shape checks, static loops and eval-mode dropout", "[scripted]") {
  CHECK(importText("scripted_checks", {{"x", {1, 2, 3, 3}}}) == R"(graph @scripted_checks {
  param @conv.weight : f32[2, 2, 1, 1] = elided
  param @conv.bias : f32[2] = elided
  param @bn.weight : f32[2] = elided
  param @bn.bias : f32[2] = elided
  param @bn.running_mean : f32[2] = elided
  param @bn.running_var : f32[2] = elided
  param @add.rhs : f32[] = elided
  param @add_1.rhs : f32[] = elided
  %x = placeholder : f32[1, 2, 3, 3]
  %conv.weight = get_attr @conv.weight : f32[2, 2, 1, 1]
  %conv.bias = get_attr @conv.bias : f32[2]
  %conv = conv2d(%x, %conv.weight, %conv.bias) : f32[1, 2, 3, 3]
  %conv_1 = conv2d(%conv, %conv.weight, %conv.bias) : f32[1, 2, 3, 3]
  %add.rhs = get_attr @add.rhs : f32[]
  %add = add(%conv_1, %add.rhs) : f32[1, 2, 3, 3]
  %add_1.rhs = get_attr @add_1.rhs : f32[]
  %add_1 = add(%add, %add_1.rhs) : f32[1, 2, 3, 3]
  %bn.weight = get_attr @bn.weight : f32[2]
  %bn.bias = get_attr @bn.bias : f32[2]
  %bn.running_mean = get_attr @bn.running_mean : f32[2]
  %bn.running_var = get_attr @bn.running_var : f32[2]
  %bn = batch_norm(%add_1, %bn.weight, %bn.bias, %bn.running_mean, %bn.running_var) : f32[1, 2, 3, 3]
  %drop = dropout(%bn) {p = 0.1} : f32[1, 2, 3, 3]
  %pool = adaptive_avg_pool2d(%drop) {output_size = [1, 1]} : f32[1, 2, 1, 1]
  output(%pool)
}
)");
}

TEST_CASE("scripted: an in-place op updates the tensor its input names", "[scripted]") {
  CHECK(importText("scripted_inplace", {{"x", {1, 2}}}) == R"(graph @scripted_inplace {
  param @mul.rhs : f32[] = elided
  param @add.rhs : f32[] = elided
  %x = placeholder : f32[1, 2]
  %mul.rhs = get_attr @mul.rhs : f32[]
  %mul = mul(%x, %mul.rhs) : f32[1, 2]
  %relu = relu(%mul) : f32[1, 2]
  %add.rhs = get_attr @add.rhs : f32[]
  %add = add(%relu, %add.rhs) : f32[1, 2]
  output(%add)
}
)");
}

TEST_CASE("scripted: tuples, list slices, `in`, float() and in-place arithmetic fold",
          "[scripted]") {
  CHECK(importText("scripted_shapes", {{"x", {1, 2, 4, 4}}}) == R"(graph @scripted_shapes {
  param @up.weight : f32[2, 2, 2, 2] = elided
  param @up.bias : f32[2] = elided
  param @mul.rhs : f32[] = elided
  param @sub.rhs : f32[] = elided
  param @mul_1.rhs : f32[] = elided
  param @div.rhs : f32[] = elided
  %x = placeholder : f32[1, 2, 4, 4]
  %mul.rhs = get_attr @mul.rhs : f32[]
  %mul = mul(%x, %mul.rhs) : f32[1, 2, 4, 4]
  %reshape = reshape(%mul) {shape = [1, 32]} : f32[1, 32]
  %sub.rhs = get_attr @sub.rhs : f32[]
  %sub = sub(%mul, %sub.rhs) : f32[1, 2, 4, 4]
  %mul_1.rhs = get_attr @mul_1.rhs : f32[]
  %mul_1 = mul(%sub, %mul_1.rhs) : f32[1, 2, 4, 4]
  %div.rhs = get_attr @div.rhs : f32[]
  %div = div(%mul_1, %div.rhs) : f32[1, 2, 4, 4]
  %permute = permute(%reshape) {dims = [1, 0]} : f32[32, 1]
  %matmul = matmul(%reshape, %permute) : f32[1, 1]
  %reshape_1 = reshape(%mul) {shape = [2, 4, 4]} : f32[2, 4, 4]
  %reshape_2 = reshape(%div) {shape = [2, 4, 4]} : f32[2, 4, 4]
  %matmul_1 = matmul(%reshape_1, %reshape_2) : f32[2, 4, 4]
  %up.weight = get_attr @up.weight : f32[2, 2, 2, 2]
  %up.bias = get_attr @up.bias : f32[2]
  %up = conv_transpose2d(%mul, %up.weight, %up.bias) {stride = [2, 2]} : f32[1, 2, 8, 8]
  output(%matmul, %matmul_1, %up)
}
)");
  // With h > w the scaling branch is not taken.
  CHECK(importText("scripted_shapes", {{"x", {1, 2, 4, 2}}}) == R"(graph @scripted_shapes {
  param @up.weight : f32[2, 2, 2, 2] = elided
  param @up.bias : f32[2] = elided
  param @sub.rhs : f32[] = elided
  param @mul.rhs : f32[] = elided
  param @div.rhs : f32[] = elided
  %x = placeholder : f32[1, 2, 4, 2]
  %reshape = reshape(%x) {shape = [1, 16]} : f32[1, 16]
  %sub.rhs = get_attr @sub.rhs : f32[]
  %sub = sub(%x, %sub.rhs) : f32[1, 2, 4, 2]
  %mul.rhs = get_attr @mul.rhs : f32[]
  %mul = mul(%sub, %mul.rhs) : f32[1, 2, 4, 2]
  %div.rhs = get_attr @div.rhs : f32[]
  %div = div(%mul, %div.rhs) : f32[1, 2, 4, 2]
  %permute = permute(%reshape) {dims = [1, 0]} : f32[16, 1]
  %matmul = matmul(%reshape, %permute) : f32[1, 1]
  %reshape_1 = reshape(%x) {shape = [2, 4, 2]} : f32[2, 4, 2]
  %reshape_2 = reshape(%div) {shape = [2, 2, 4]} : f32[2, 2, 4]
  %matmul_1 = matmul(%reshape_1, %reshape_2) : f32[2, 4, 4]
  %up.weight = get_attr @up.weight : f32[2, 2, 2, 2]
  %up.bias = get_attr @up.bias : f32[2]
  %up = conv_transpose2d(%x, %up.weight, %up.bias) {stride = [2, 2]} : f32[1, 2, 8, 4]
  output(%matmul, %matmul_1, %up)
}
)");
}

TEST_CASE("parameters and constants carry their data", "[params]") {
  auto G = importGraph("params", {{"x", {1, 1, 2, 2}}});
  CHECK(floats(*G, "conv.weight") == std::vector<float>{1.5f, -2.0f});
  CHECK(floats(*G, "conv.bias") == std::vector<float>{0.25f, 0.5f});
  CHECK(floats(*G, "mul.rhs") == std::vector<float>{0.5f});

  auto Scripted = importGraph("scripted_shapes", {{"x", {1, 2, 4, 4}}});
  CHECK(floats(*Scripted, "mul.rhs") == std::vector<float>{2.0f});

  auto BN = importGraph("batch_norm", {{"input", {1, 4, 3, 3}}});
  CHECK(floats(*BN, "1.weight") == std::vector<float>(4, 1.0f));
  CHECK(floats(*BN, "1.bias") == std::vector<float>(4, 0.0f));
  CHECK(floats(*BN, "1.running_var") == std::vector<float>(4, 1.0f));
}

TEST_CASE("naming: module paths, container ops, repeated calls, constants", "[naming]") {
  auto G = importGraph("naming", {{"x", {1, 3, 4, 4}}});
  std::vector<std::string> Calls, Params;
  for (const Node &N : G->nodes())
    if (N.isCall())
      Calls.push_back(N.name().str());
  for (const Parameter &P : G->params())
    Params.push_back(P.name().str());
  CHECK(Calls == std::vector<std::string>{
                     "stem",
                     "act",
                     "blocks.0.conv1",
                     "blocks.0.bn1",
                     "blocks.0.relu",
                     "blocks.0.conv2",
                     "blocks.0.add",
                     "blocks.0.relu_1",
                     "blocks.1.conv1",
                     "blocks.1.bn1",
                     "blocks.1.relu",
                     "blocks.1.conv2",
                     "blocks.1.add",
                     "blocks.1.relu_1",
                     "act_1",
                     "mean",
                     "flatten",
                     "head",
                     "mul",
                 });
  CHECK(Params == std::vector<std::string>{
                      "stem.weight",
                      "stem.bias",
                      "blocks.0.conv1.weight",
                      "blocks.0.conv1.bias",
                      "blocks.0.bn1.weight",
                      "blocks.0.bn1.bias",
                      "blocks.0.bn1.running_mean",
                      "blocks.0.bn1.running_var",
                      "blocks.0.conv2.weight",
                      "blocks.0.conv2.bias",
                      "blocks.1.conv1.weight",
                      "blocks.1.conv1.bias",
                      "blocks.1.bn1.weight",
                      "blocks.1.bn1.bias",
                      "blocks.1.bn1.running_mean",
                      "blocks.1.bn1.running_var",
                      "blocks.1.conv2.weight",
                      "blocks.1.conv2.bias",
                      "head.weight",
                      "head.bias",
                      "mul.rhs",
                  });
}

TEST_CASE("input shapes: without them inputs have unknown rank", "[shapes]") {
  CHECK(importText("conv_basic", {}) == R"(graph @conv_basic {
  param @weight : f32[4, 3, 3, 3] = elided
  param @bias : f32[4] = elided
  %input = placeholder : f32[*]
  %weight = get_attr @weight : f32[4, 3, 3, 3]
  %bias = get_attr @bias : f32[4]
  %conv2d = conv2d(%input, %weight, %bias) : f32[*]
  output(%conv2d)
}
)");
}

TEST_CASE("every node records the model file as its location", "[locations]") {
  auto G = importGraph("seed", {{"input", {1, 1, 20, 20}}});
  for (const Node &N : G->nodes())
    CHECK(N.loc().file() == fixture("seed"));
}

TEST_CASE("errors: files that are not TorchScript archives", "[errors]") {
  CHECK(importError(fixture("missing")) ==
        "cannot read 'frontend/torchscript/fixtures/missing.pt': No such file or directory");
  CHECK(importError(fixture("garbage")) ==
        "'frontend/torchscript/fixtures/garbage.pt' is not a TorchScript archive (not a zip "
        "file); save the model with torch.jit.save(torch.jit.trace(model, example_input), "
        "path)");
  CHECK(importError(fixture("truncated")) ==
        "'frontend/torchscript/fixtures/truncated.pt' is truncated or corrupted (its zip "
        "directory is missing); copy or export the file again");
  CHECK(importError(fixture("corrupted")) ==
        "'frontend/torchscript/fixtures/corrupted.pt' could not be loaded as a TorchScript "
        "archive: Expected PROTO opcode at the start of pickle archive, found 65");
  CHECK(importError(fixture("state_dict")) ==
        "'frontend/torchscript/fixtures/state_dict.pt' is a PyTorch archive without "
        "TorchScript code (torch.save writes such files); save a traced or scripted module "
        "with torch.jit.save");
  CHECK(importError(fixture("no_forward")) ==
        "'frontend/torchscript/fixtures/no_forward.pt' has no forward method (its methods: "
        "predict); save a module whose forward is the model");
}

// Found by //tests/fuzz:torchscript_fuzz_test: a mangled archive whose tensor
// claims 144 bytes of an 8-byte storage record made the import copy past it.
TEST_CASE("errors: a tensor reaching past its storage", "[errors]") {
  std::string Message = importError("frontend/torchscript/testdata/past_storage.pt");
  INFO(Message);
  CHECK(llvm::StringRef(Message).contains(
      "reaches past the end of its storage; the archive is corrupt, export the model again"));
}

TEST_CASE("errors: every unsupported op is listed at once", "[errors]") {
  CHECK(importError(fixture("unsupported"), {{"x", {1, 3, 4}}}) ==
        "frontend/torchscript/fixtures/unsupported.pt: 2 unsupported op types: aten::cumsum "
        "(1 node: cumsum), aten::abs (2 nodes: sub, sub_1); qatc imports the ops listed in "
        "docs/frontends.md; rewrite these parts of the model with supported ops");
}

TEST_CASE("errors: an op used in an unsupported form is listed with the form", "[errors]") {
  CHECK(importError(fixture("unsupported_form"), {{"input", {1, 3}}}) ==
        "frontend/torchscript/fixtures/unsupported_form.pt: 2 unsupported op types: "
        "aten::softmax with a dtype (1 node: softmax), aten::div with a rounding mode (1 node: "
        "div); qatc imports the ops listed in docs/frontends.md; rewrite these parts of the "
        "model with supported ops");
}

TEST_CASE("errors: inputs, outputs and parameters qatc cannot represent", "[errors]") {
  CHECK(importError(fixture("conv_basic"), {{"x", {1, 3, 8, 8}}}) ==
        "frontend/torchscript/fixtures/conv_basic.pt: --input-shape names 'x', but the model's "
        "inputs are: input");
  CHECK(importError(fixture("scripted_int_input"), {{"x", {1}}}) ==
        "frontend/torchscript/fixtures/scripted_int_input.pt: forward argument 'n' has type "
        "int; qatc imports models whose inputs are all tensors");
  CHECK(importError(fixture("scripted_returns_int"), {{"x", {1}}}) ==
        "frontend/torchscript/fixtures/scripted_returns_int.pt: forward returns an int; qatc "
        "imports models that return tensors (or tuples of tensors)");
  CHECK(importError(fixture("double_params"), {{"input", {1, 2}}}) ==
        "frontend/torchscript/fixtures/double_params.pt: tensor 'bias' has element type "
        "Double, which QIR does not have; convert the model (e.g. model.float()) before "
        "saving it");
}

TEST_CASE("errors: shape arithmetic and checks need static input shapes", "[errors]") {
  CHECK(importError(fixture("channel_shuffle")) ==
        "frontend/torchscript/fixtures/channel_shuffle.pt: aten::view in forward needs static "
        "input shapes (the rank of f32[*] is not known); pass them with --input-shape x=DIMS");
  CHECK(importError(fixture("scripted_checks")) ==
        "frontend/torchscript/fixtures/scripted_checks.pt: prim::If in forward needs static "
        "input shapes (the rank of f32[*] is not known); pass them with --input-shape x=DIMS");
}

TEST_CASE("errors: a model that raises for the given shapes", "[errors]") {
  CHECK(importError(fixture("scripted_checks"), {{"x", {2, 3}}}) ==
        "frontend/torchscript/fixtures/scripted_checks.pt: the model raises an exception in "
        "forward for the given input shapes: expected a 4-d input, got 2-d");
}

TEST_CASE("errors: shapes that do not fit an op name it and its module", "[errors]") {
  CHECK(importError(fixture("naming"), {{"x", {1, 4, 4, 4}}}) ==
        "frontend/torchscript/fixtures/naming.pt: aten::_convolution in module 'stem': op "
        "'conv2d': input has 4 channels but weight expects 3 (= 3 x groups 1)");
}
