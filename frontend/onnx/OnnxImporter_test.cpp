//===- OnnxImporter_test.cpp - Reading ONNX files: inputs, names, errors --===//
//
// Model-level behaviour of the ONNX importer: the seed model end to end,
// node and parameter names, locations, input shapes, tensor storage forms
// (typed fields, external data) and every error message for bad input.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxImporter.h"
#include "frontend/onnx/OnnxTestModel.h"
#include "ir/text/Printer.h"

#include "tests/support/TestHelpers.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::testing;

namespace {

/// The seed example: Conv2d(1,20,3) -> ReLU -> Conv2d(20,20,3) -> ReLU, as
/// torch.onnx.export names it.
OnnxTestModel seedModel() {
  OnnxTestModel M;
  M.input("input", {1, 1, 20, 20}).output("output");
  M.weight("0.weight", {20, 1, 3, 3}).weight("0.bias", {20});
  M.weight("2.weight", {20, 20, 3, 3}).weight("2.bias", {20});
  for (auto [Conv, In, Out] : {std::tuple("0", "input", "/0/Conv_output_0"),
                               std::tuple("2", "/1/Relu_output_0", "/2/Conv_output_0")}) {
    std::string C = Conv;
    M.node("Conv", {In, C + ".weight", C + ".bias"}, {Out}, "/" + C + "/Conv")
        .attr("dilations", std::vector<int64_t>{1, 1})
        .attr("group", int64_t(1))
        .attr("kernel_shape", std::vector<int64_t>{3, 3})
        .attr("pads", std::vector<int64_t>{0, 0, 0, 0})
        .attr("strides", std::vector<int64_t>{1, 1});
  }
  M.node("Relu", {"/0/Conv_output_0"}, {"/1/Relu_output_0"}, "/1/Relu");
  M.node("Relu", {"/2/Conv_output_0"}, {"output"}, "/3/Relu");
  // Keep the nodes in graph order: Conv, Relu, Conv, Relu.
  auto *Nodes = M.proto().mutable_graph()->mutable_node();
  Nodes->SwapElements(1, 2);
  return M;
}

/// A fresh temporary directory, removed by the destructor.
struct TempDir {
  llvm::SmallString<128> Path;
  TempDir() { REQUIRE(!llvm::sys::fs::createUniqueDirectory("qatc-onnx-test", Path)); }
  ~TempDir() { llvm::sys::fs::remove_directories(Path); }
  std::string file(llvm::StringRef Name) const {
    llvm::SmallString<128> P(Path);
    llvm::sys::path::append(P, Name);
    return P.str().str();
  }
  void write(llvm::StringRef Name, llvm::StringRef Bytes) const {
    std::error_code EC;
    llvm::raw_fd_ostream OS(file(Name), EC);
    REQUIRE(!EC);
    OS << Bytes;
  }
};

/// A model whose initializer 'w' [2, 3] lives in external data.
OnnxTestModel externalModel(const std::string &Location, int64_t Offset, int64_t Length) {
  OnnxTestModel M;
  M.input("x", {1, 3}).output("y");
  onnx::TensorProto W;
  W.set_data_type(onnx::TensorProto::FLOAT);
  W.add_dims(2);
  W.add_dims(3);
  W.set_data_location(onnx::TensorProto::EXTERNAL);
  auto AddKey = [&](const std::string &K, const std::string &V) {
    onnx::StringStringEntryProto *E = W.add_external_data();
    E->set_key(K);
    E->set_value(V);
  };
  AddKey("location", Location);
  if (Offset >= 0)
    AddKey("offset", std::to_string(Offset));
  if (Length >= 0)
    AddKey("length", std::to_string(Length));
  M.initializer("w", W);
  M.node("Gemm", {"x", "w"}, {"y"}, "fc").attr("transB", int64_t(1));
  return M;
}

std::string floatBytes(std::vector<float> V) {
  return std::string(reinterpret_cast<const char *>(V.data()), V.size() * 4);
}

} // namespace

TEST_CASE("onnx: the seed model imports to canonical QIR", "[onnx]") {
  CHECK(importText(seedModel()) == R"(graph @test {
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

TEST_CASE("onnx: parameters keep the initializer bytes", "[onnx]") {
  auto G = seedModel().import();
  REQUIRE_OK(G);
  Parameter *P = (*G)->lookupParameter("0.bias");
  REQUIRE(P);
  REQUIRE(P->values<float>().size() == 20);
  CHECK(P->values<float>()[0] == 0.0f);
  CHECK(P->values<float>()[19] == 19.0f);
}

TEST_CASE("onnx: locations give the node's position in graph.node", "[onnx]") {
  auto G = seedModel().import({}, "models/seed.onnx");
  REQUIRE_OK(G);
  CHECK((*G)->name() == "seed");
  Node *Conv = (*G)->lookupNode("2");
  REQUIRE(Conv);
  CHECK(Conv->loc() == Location("models/seed.onnx", 3, 1));
  CHECK((*G)->lookupNode("2.weight")->loc() == Location("models/seed.onnx", 3, 1));
  CHECK(!(*G)->lookupNode("input")->loc().isKnown());
}

TEST_CASE("onnx: the graph is named after the file up to its first dot", "[onnx]") {
  auto G = seedModel().import({}, "/m/resnet18.bn.onnx");
  REQUIRE_OK(G);
  CHECK((*G)->name() == "resnet18");
}

TEST_CASE("onnx: node names follow the PyTorch module path", "[onnx][names]") {
  OnnxTestModel M;
  M.input("x", {1, 4}).output("out");
  M.node("Relu", {"x"}, {"a"}, "/layer1/layer1.0/conv1/Relu");
  M.node("Relu", {"a"}, {"b"}, "/layer1/layer1.0/relu/Relu");
  M.node("Relu", {"b"}, {"c"}, "/layer1/layer1.0/relu_1/Relu");
  M.node("Add", {"c", "a"}, {"d"}, "/layer1/layer1.0/Add");
  M.node("Add", {"d", "a"}, {"e"}, "/layer1/layer1.0/Add_1");
  M.node("Sigmoid", {"e"}, {"f"}, "/Sigmoid");
  M.node("Tanh", {"f"}, {"g"}, "my_tanh");
  M.node("Tanh", {"g"}, {"h"}, "");
  M.node("Tanh", {"h"}, {"out"}, "");
  CHECK(importText(M) == R"(graph @test {
  %x = placeholder : f32[1, 4]
  %layer1.0.conv1 = relu(%x) : f32[1, 4]
  %layer1.0.relu = relu(%layer1.0.conv1) : f32[1, 4]
  %layer1.0.relu_1 = relu(%layer1.0.relu) : f32[1, 4]
  %layer1.0.add = add(%layer1.0.relu_1, %layer1.0.conv1) : f32[1, 4]
  %layer1.0.add_1 = add(%layer1.0.add, %layer1.0.conv1) : f32[1, 4]
  %sigmoid = sigmoid(%layer1.0.add_1) : f32[1, 4]
  %my_tanh = tanh(%sigmoid) : f32[1, 4]
  %tanh = tanh(%my_tanh) : f32[1, 4]
  %tanh_1 = tanh(%tanh) : f32[1, 4]
  output(%tanh_1)
}
)");
}

TEST_CASE("onnx: anonymous initializers are named after consumer and operand", "[onnx][names]") {
  OnnxTestModel M;
  M.input("x", {1, 2, 4, 4}).output("y");
  M.weight("onnx::Conv_7", {3, 2, 1, 1}).weight("onnx::Conv_8", {3});
  M.weight("scale", {1});
  M.node("Conv", {"x", "onnx::Conv_7", "onnx::Conv_8"}, {"c"}, "/layer1/conv1/Conv");
  M.node("Constant", {}, {"k"}, "/layer1/Constant").attr("value", floatTensor({1}, {2.0f}));
  M.node("Mul", {"c", "k"}, {"m"}, "/layer1/Mul");
  M.node("Mul", {"m", "scale"}, {"y"}, "/layer1/Mul_1");
  CHECK(importText(M) == R"(graph @test {
  param @layer1.conv1.weight : f32[3, 2, 1, 1] = elided
  param @layer1.conv1.bias : f32[3] = elided
  param @layer1.mul.rhs : f32[1] = elided
  param @scale : f32[1] = elided
  %x = placeholder : f32[1, 2, 4, 4]
  %layer1.conv1.weight = get_attr @layer1.conv1.weight : f32[3, 2, 1, 1]
  %layer1.conv1.bias = get_attr @layer1.conv1.bias : f32[3]
  %layer1.conv1 = conv2d(%x, %layer1.conv1.weight, %layer1.conv1.bias) : f32[1, 3, 4, 4]
  %layer1.mul.rhs = get_attr @layer1.mul.rhs : f32[1]
  %layer1.mul = mul(%layer1.conv1, %layer1.mul.rhs) : f32[1, 3, 4, 4]
  %scale = get_attr @scale : f32[1]
  %layer1.mul_1 = mul(%layer1.mul, %scale) : f32[1, 3, 4, 4]
  output(%layer1.mul_1)
}
)");
}

TEST_CASE("onnx: an Identity of an initializer is a parameter named after its output",
          "[onnx][names]") {
  // torch.onnx deduplicates equal tensors: bn2.running_var reads bn1.weight's data.
  OnnxTestModel M;
  M.input("x", {1, 2}).output("y");
  M.weight("w", {2}, {1.0f, 1.0f});
  M.node("Identity", {"w"}, {"bn2.running_var"}, "Identity_0");
  M.node("Identity", {"w"}, {"onnx::Mul_5"}, "Identity_1");
  M.node("Add", {"x", "bn2.running_var"}, {"a"}, "/Add");
  M.node("Mul", {"a", "onnx::Mul_5"}, {"y"}, "/Mul");
  auto G = M.import();
  REQUIRE_OK(G);
  Parameter *Var = (*G)->lookupParameter("bn2.running_var");
  Parameter *Rhs = (*G)->lookupParameter("mul.rhs");
  REQUIRE(Var);
  REQUIRE(Rhs);
  CHECK(!(*G)->lookupParameter("w"));
  CHECK(Var->values<float>()[1] == 1.0f);
  CHECK(Rhs->values<float>()[0] == 1.0f);
  CHECK((*G)->params().size() == 2);
}

TEST_CASE("onnx: a shared initializer becomes one parameter", "[onnx][names]") {
  OnnxTestModel M;
  M.input("x", {2}).output("y");
  M.weight("onnx::Add_1", {2});
  M.node("Add", {"x", "onnx::Add_1"}, {"a"}, "/first/Add");
  M.node("Add", {"a", "onnx::Add_1"}, {"y"}, "/second/Add");
  CHECK(importText(M) == R"(graph @test {
  param @first.rhs : f32[2] = elided
  %x = placeholder : f32[2]
  %first.rhs = get_attr @first.rhs : f32[2]
  %first = add(%x, %first.rhs) : f32[2]
  %second = add(%first, %first.rhs) : f32[2]
  output(%second)
}
)");
}

TEST_CASE("onnx: a constant graph output becomes a parameter", "[onnx]") {
  OnnxTestModel M;
  M.input("x", {2}).output("y").output("k");
  M.node("Relu", {"x"}, {"y"}, "r");
  M.node("Constant", {}, {"k"}, "c").attr("value", floatTensor({2}));
  CHECK(importText(M) == R"(graph @test {
  param @k : f32[2] = elided
  %x = placeholder : f32[2]
  %r = relu(%x) : f32[2]
  %k = get_attr @k : f32[2]
  output(%r, %k)
}
)");
}

TEST_CASE("onnx: input shapes", "[onnx][inputs]") {
  OnnxTestModel M;
  M.input("x", {-1, 3, 8, 8}).output("y");
  M.node("Relu", {"x"}, {"y"}, "r");
  SECTION("dynamic dims stay dynamic") {
    CHECK(importText(M).find("%x = placeholder : f32[?, 3, 8, 8]") != std::string::npos);
  }
  SECTION("--input-shape fixes them") {
    ImportOptions Opts;
    Opts.InputShapes["x"] = {2, 3, 8, 8};
    CHECK(importText(M, Opts).find("%r = relu(%x) : f32[2, 3, 8, 8]") != std::string::npos);
  }
  SECTION("unknown input name") {
    ImportOptions Opts;
    Opts.InputShapes["input"] = {1, 3, 8, 8};
    CHECK(importText(M, Opts) == "test.onnx: --input-shape names 'input', which is not an input "
                                 "of the model; its inputs are 'x'");
  }
  SECTION("rank mismatch") {
    ImportOptions Opts;
    Opts.InputShapes["x"] = {1, 3, 8};
    CHECK(importText(M, Opts) ==
          "test.onnx: --input-shape for 'x' has 3 dims but the model declares f32[?, 3, 8, 8]");
  }
  SECTION("conflicting static dim") {
    ImportOptions Opts;
    Opts.InputShapes["x"] = {1, 4, 8, 8};
    CHECK(importText(M, Opts) == "test.onnx: --input-shape for 'x' gives 4 for dim 1 but the "
                                 "model declares f32[?, 3, 8, 8]");
  }
  SECTION("an input without a shape takes the given one") {
    M.proto().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
        ->clear_shape();
    CHECK(importText(M).find("%x = placeholder : f32[*]") != std::string::npos);
    ImportOptions Opts;
    Opts.InputShapes["x"] = {5, 6};
    CHECK(importText(M, Opts).find("%x = placeholder : f32[5, 6]") != std::string::npos);
  }
  SECTION("an input with an initializer is a constant") {
    M.weight("x", {2});
    CHECK(importText(M) == R"(graph @test {
  param @x : f32[2] = elided
  %x = get_attr @x : f32[2]
  %r = relu(%x) : f32[2]
  output(%r)
}
)");
  }
  SECTION("integer inputs") {
    OnnxTestModel I;
    I.input("ids", {4}, onnx::TensorProto::INT64).output("ids");
    CHECK(importText(I).find("%ids = placeholder : i64[4]") != std::string::npos);
  }
}

TEST_CASE("onnx: tensors stored in typed fields", "[onnx][tensors]") {
  OnnxTestModel M;
  M.input("x", {2}).output("y");
  onnx::TensorProto F;
  F.set_data_type(onnx::TensorProto::FLOAT);
  F.add_dims(2);
  F.add_float_data(1.5f);
  F.add_float_data(-2.0f);
  M.initializer("f", F);
  M.node("Add", {"x", "f"}, {"y"}, "add");
  auto G = M.import();
  REQUIRE_OK(G);
  CHECK((*G)->lookupParameter("f")->values<float>()[1] == -2.0f);

  OnnxTestModel I;
  I.input("x", {3}, onnx::TensorProto::INT8).output("y");
  onnx::TensorProto B;
  B.set_data_type(onnx::TensorProto::INT8);
  B.add_dims(3);
  for (int V : {-1, 2, 127})
    B.add_int32_data(V);
  I.initializer("b", B);
  I.node("Add", {"x", "b"}, {"y"}, "add");
  auto H = I.import();
  REQUIRE_OK(H);
  Parameter *P = (*H)->lookupParameter("b");
  CHECK(P->type().str() == "i8[3]");
  CHECK(P->values<int8_t>()[0] == -1);
  CHECK(P->values<int8_t>()[2] == 127);
}

TEST_CASE("onnx: external data", "[onnx][external]") {
  TempDir Dir;
  std::string Weights = floatBytes({9, 9, 1, 2, 3, 4, 5, 6});
  Dir.write("w.bin", Weights);
  SECTION("with offset and length") {
    Dir.write("m.onnx", externalModel("w.bin", 8, 24).bytes());
    auto G = importOnnxModel(Dir.file("m.onnx"), {});
    REQUIRE_OK(G);
    llvm::ArrayRef<float> W = (*G)->lookupParameter("w")->values<float>();
    CHECK(std::vector<float>(W.begin(), W.end()) == std::vector<float>{1, 2, 3, 4, 5, 6});
  }
  SECTION("missing data file") {
    Dir.write("m.onnx", externalModel("missing.bin", -1, -1).bytes());
    CHECK(importError(externalModel("missing.bin", -1, -1).bytes(), Dir.file("m.onnx"), {},
                      Dir.Path.str().str()) ==
          Dir.file("m.onnx") + ": initializer 'w' stores its data in '" +
              Dir.file("missing.bin") +
              "', which cannot be read: No such file or directory; keep the data file next to "
              "the model");
  }
  SECTION("out of bounds") {
    CHECK(importError(externalModel("w.bin", 16, -1).bytes(), "m.onnx", {},
                      Dir.Path.str().str()) ==
          "m.onnx: initializer 'w' reads bytes 16 to 40 of 'w.bin', but the file has only 32 "
          "bytes");
    CHECK(importError(externalModel("w.bin", 1000000000000, -1).bytes(), "m.onnx", {},
                      Dir.Path.str().str()) ==
          "m.onnx: initializer 'w' reads bytes 1000000000000 to 1000000000024 of 'w.bin', but "
          "the file has only 32 bytes");
  }
  SECTION("length disagrees with the type") {
    CHECK(importError(externalModel("w.bin", 0, 20).bytes(), "m.onnx", {},
                      Dir.Path.str().str()) ==
          "m.onnx: initializer 'w' declares 20 bytes of external data but its type needs 24");
  }
  SECTION("location outside the model's directory") {
    for (std::string Location : {"../w.bin", "/etc/passwd", ""})
      CHECK(importError(externalModel(Location, -1, -1).bytes(), "m.onnx", {},
                        Dir.Path.str().str()) ==
            "m.onnx: initializer 'w' has external data location '" + Location +
                "', which is not a path inside the model's directory");
  }
  SECTION("not a regular file") {
    REQUIRE(!llvm::sys::fs::create_directory(Dir.file("dir.bin")));
    CHECK(importError(externalModel("dir.bin", -1, -1).bytes(), "m.onnx", {},
                      Dir.Path.str().str()) ==
          "m.onnx: initializer 'w' stores its data in '" + Dir.file("dir.bin") +
              "', which is not a regular file");
  }
  SECTION("invalid offset") {
    OnnxTestModel M = externalModel("w.bin", -1, -1);
    auto *E = M.proto().mutable_graph()->mutable_initializer(0)->add_external_data();
    E->set_key("offset");
    E->set_value("-8");
    CHECK(importError(M.bytes(), "m.onnx", {}, Dir.Path.str().str()) ==
          "m.onnx: initializer 'w' has an invalid external data offset '-8'");
  }
}

TEST_CASE("onnx: files that are not models", "[onnx][errors]") {
  CHECK(importError("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff") ==
        "test.onnx: not a valid ONNX model: the protobuf data is truncated, corrupted or nested "
        "deeper than 100 levels");
  CHECK(importError("") == "test.onnx: not an ONNX model: the file holds no graph");
  CHECK(importError("\x08\x07") == "test.onnx: not an ONNX model: the file holds no graph");
  std::string Seed = seedModel().bytes();
  CHECK(importError(Seed.substr(0, Seed.size() - 100)) ==
        "test.onnx: not a valid ONNX model: the protobuf data is truncated, corrupted or nested "
        "deeper than 100 levels");
  // A graph field whose contents are not a GraphProto.
  CHECK(importError(std::string("\x3a\x05\xff\xff\xff\xff\xff", 7)) ==
        "test.onnx: not a valid ONNX model: the protobuf data is truncated, corrupted or nested "
        "deeper than 100 levels");
  CHECK(llvm::toString(importOnnxModel("/nonexistent/m.onnx", {}).takeError()) ==
        "/nonexistent/m.onnx: cannot read the file: No such file or directory");
  CHECK(llvm::toString(importOnnxModel("/", {}).takeError()) ==
        "/: cannot read the file: it is not a regular file");
}

TEST_CASE("onnx: opsets", "[onnx][errors]") {
  for (int64_t Opset : {11, 13, 17}) {
    OnnxTestModel M(Opset);
    M.input("x", {1}).output("y");
    M.node("Relu", {"x"}, {"y"}, "r");
    CHECK(importError(M.bytes()) == "");
  }
  for (int64_t Opset : {9, 10, 18}) {
    OnnxTestModel M(Opset);
    CHECK(importError(M.bytes()) ==
          "test.onnx: opset " + std::to_string(Opset) +
              " is not supported; qatc imports ONNX opsets 11 to 17 (re-export the model with "
              "an opset in that range)");
  }
  OnnxTestModel M;
  M.proto().mutable_opset_import(0)->set_domain("ai.onnx.ml");
  CHECK(importError(M.bytes()) == "test.onnx: the model declares no opset for the default ONNX "
                                  "domain; qatc imports opsets 11 to 17");
}

TEST_CASE("onnx: every unsupported op is reported at once", "[onnx][errors]") {
  OnnxTestModel M;
  M.input("x", {1, 3, 4, 4}).output("y");
  for (int I = 0; I < 4; ++I)
    M.node("Resize", {"x"}, {"r" + std::to_string(I)}, "/up" + std::to_string(I) + "/Resize");
  M.node("Relu", {"x"}, {"a"}, "/relu/Relu");
  M.node("NonMaxSuppression", {"x"}, {"n"}, "nms");
  M.node("FusedConv", {"x"}, {"y"}, "").domain("com.microsoft");
  CHECK(importError(M.bytes()) ==
        "test.onnx: 3 unsupported op types: Resize (4 nodes: /up0/Resize, /up1/Resize, "
        "/up2/Resize, ...), NonMaxSuppression (1 node: nms), com.microsoft.FusedConv (1 node: "
        "#7); docs/frontends.md lists the ops qatc imports");
}

TEST_CASE("onnx: bad tensors", "[onnx][errors]") {
  OnnxTestModel M;
  M.input("x", {2, 3}).output("y");
  M.node("Add", {"x", "w"}, {"y"}, "/Add");
  SECTION("raw data of the wrong size") {
    onnx::TensorProto W = floatTensor({2, 3});
    W.mutable_raw_data()->resize(12);
    M.initializer("w", W);
    CHECK(importError(M.bytes()) == "test.onnx: initializer 'w' has 12 bytes of data but its "
                                    "type f32[2, 3] needs 24");
  }
  SECTION("typed data of the wrong size") {
    onnx::TensorProto W;
    W.set_data_type(onnx::TensorProto::FLOAT);
    W.add_dims(2);
    W.add_dims(3);
    W.add_float_data(1);
    M.initializer("w", W);
    CHECK(importError(M.bytes()) == "test.onnx: initializer 'w' has 1 values of data but its "
                                    "type f32[2, 3] needs 6");
  }
  SECTION("a huge declared size is checked against the data, not allocated") {
    onnx::TensorProto W = floatTensor({1}, {1});
    W.clear_dims();
    W.add_dims(1000000);
    W.add_dims(1000000);
    M.initializer("w", W);
    CHECK(importError(M.bytes()) == "test.onnx: initializer 'w' has 4 bytes of data but its "
                                    "type f32[1000000, 1000000] needs 4000000000000");
  }
  SECTION("a dim larger than 2^30") {
    onnx::TensorProto W = floatTensor({1}, {1});
    W.set_dims(0, int64_t(1) << 40);
    M.initializer("w", W);
    CHECK(importError(M.bytes()) == "test.onnx: initializer 'w' has dimension 1099511627776, "
                                    "larger than qatc supports (2^30)");
  }
  SECTION("more elements than memory holds") {
    onnx::TensorProto W = floatTensor({1}, {1});
    for (int I = 0; I < 3; ++I)
      W.add_dims(int64_t(1) << 30);
    M.initializer("w", W);
    CHECK(importError(M.bytes()) ==
          "test.onnx: initializer 'w' declares more elements than fit in memory");
  }
  SECTION("negative dim") {
    onnx::TensorProto W = floatTensor({1}, {1});
    W.set_dims(0, -3);
    M.initializer("w", W);
    CHECK(importError(M.bytes()) == "test.onnx: initializer 'w' has a negative dimension -3");
  }
  SECTION("unsupported element type") {
    onnx::TensorProto W = floatTensor({1}, {1});
    W.set_data_type(onnx::TensorProto::DOUBLE);
    M.initializer("w", W);
    CHECK(importError(M.bytes()) ==
          "test.onnx: initializer 'w' has element type DOUBLE, which qatc does not support (use "
          "float32, float16, int8, uint8, int32, int64 or bool)");
  }
}

TEST_CASE("onnx: bad graphs", "[onnx][errors]") {
  OnnxTestModel M;
  M.input("x", {2}).output("y");
  SECTION("undefined value") {
    M.node("Add", {"x", "nowhere"}, {"y"}, "/Add");
    CHECK(importError(M.bytes()) ==
          "test.onnx: node '/Add' (Add): its input 'nowhere' is not a graph input, an "
          "initializer or the output of an earlier node");
  }
  SECTION("missing graph output") {
    M.node("Relu", {"x"}, {"z"}, "");
    CHECK(importError(M.bytes()) == "test.onnx: graph output 'y' is not computed by any node");
  }
  SECTION("no outputs") {
    M.proto().mutable_graph()->clear_output();
    CHECK(importError(M.bytes()) == "test.onnx: the graph has no outputs");
  }
  SECTION("a node without outputs (found by the fuzzer)") {
    M.node("Identity", {"x"}, {}, "id");
    M.node("Relu", {"x"}, {"y"}, "");
    CHECK(importError(M.bytes()) == "test.onnx: node 'id' (Identity): it has no outputs");
  }
  SECTION("missing required input") {
    M.node("Add", {"x"}, {"y"}, "/Add");
    CHECK(importError(M.bytes()) == "test.onnx: node '/Add' (Add): it needs at least 2 inputs, "
                                    "but input 1 is missing");
  }
  SECTION("attribute of the wrong kind") {
    M.node("LeakyRelu", {"x"}, {"y"}, "lr").attr("alpha", int64_t(1));
    CHECK(importError(M.bytes()) ==
          "test.onnx: node 'lr' (LeakyRelu): attribute 'alpha' must be a float, not an int");
  }
  SECTION("an unsupported output that is used") {
    OnnxTestModel P;
    P.input("x", {1, 1, 2, 2}).output("y");
    P.node("MaxPool", {"x"}, {"p", "y"}, "mp").attr("kernel_shape", std::vector<int64_t>{1, 1});
    M = P;
    CHECK(importError(M.bytes()) ==
          "test.onnx: node 'mp' (MaxPool): its output 1 ('y') is used, but qatc does not "
          "support it");
  }
  SECTION("a node the registry's shape function rejects") {
    M.weight("w", {3});
    M.node("Add", {"x", "w"}, {"y"}, "/Add");
    CHECK(importError(M.bytes()) ==
          "test.onnx: node '/Add' (Add): op 'add': shapes [2] and [3] do not broadcast");
  }
  SECTION("sparse initializers") {
    M.proto().mutable_graph()->add_sparse_initializer();
    M.node("Relu", {"x"}, {"y"}, "");
    CHECK(importError(M.bytes()) ==
          "test.onnx: the model has sparse initializers, which qatc does not import");
  }
  SECTION("input with an unsupported element type") {
    M.proto().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
        ->set_elem_type(onnx::TensorProto::STRING);
    M.node("Relu", {"x"}, {"y"}, "");
    CHECK(importError(M.bytes()) == "test.onnx: graph input 'x' has element type STRING, which "
                                    "qatc does not support");
  }
}
