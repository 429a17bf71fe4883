//===- LowerToMil_test.cpp - Lowering quantized QIR to MIL ----------------===//
#include "passes/mil/LowerToMil.h"
#include "passes/mil/MilPrinter.h"
#include "passes/mil/testing/TestGraphs.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include "llvm/Support/MemoryBuffer.h"

#include <cstdlib>
#include <set>

using namespace qatc;
using namespace qatc::mil;
using namespace qatc::mil::testing;
namespace Spec = CoreML::Specification::MILSpec;

namespace {

LoweredModel lower(const Graph &G, MilTarget T = MilTarget::IOS17) {
  MilOptions O;
  O.Target = T;
  auto M = lowerToMil(G, O);
  REQUIRE_OK(M);
  return std::move(*M);
}

std::string lowerError(const Graph &G, MilTarget T) {
  MilOptions O;
  O.Target = T;
  return qatc::testing::errorText(lowerToMil(G, O).takeError());
}

const Spec::Block &mainBlock(const LoweredModel &M) {
  const Spec::Function &F = M.Model.mlprogram().functions().at("main");
  return F.block_specializations().at(F.opset());
}

/// The op types of main, in order, without consts.
std::vector<std::string> opTypes(const LoweredModel &M) {
  std::vector<std::string> Types;
  for (const Spec::Operation &Op : mainBlock(M).operations())
    if (Op.type() != "const")
      Types.push_back(Op.type());
  return Types;
}

const Spec::Operation *findOp(const LoweredModel &M, llvm::StringRef Name) {
  for (const Spec::Operation &Op : mainBlock(M).operations())
    for (const auto &O : Op.outputs())
      if (O.name() == Name)
        return &Op;
  return nullptr;
}

std::set<std::string> inputKeys(const Spec::Operation &Op) {
  std::set<std::string> Keys;
  for (const auto &KV : Op.inputs())
    Keys.insert(KV.first);
  return Keys;
}

/// Compares Actual with passes/mil/testdata/<File>; with QATC_UPDATE_GOLDEN=<dir>
/// in the environment it writes Actual to <dir>/<File> instead.
void checkGolden(const std::string &Actual, llvm::StringRef File) {
  if (const char *Dir = std::getenv("QATC_UPDATE_GOLDEN")) {
    std::error_code EC;
    llvm::raw_fd_ostream OS((llvm::Twine(Dir) + "/" + File).str(), EC);
    REQUIRE(!EC);
    OS << Actual;
    return;
  }
  auto Expected = llvm::MemoryBuffer::getFile("passes/mil/testdata/" + File);
  REQUIRE(Expected);
  CHECK(Actual == (*Expected)->getBuffer().str());
}

/// A small quantized graph with hand-picked values for the golden dumps:
/// x -> q/dq (i8, zp 0) -> conv (i8 weight, per channel) -> hardswish
/// -> q/dq (u8, zp 3) -> flatten -> linear (4-bit u8 weight) -> output.
std::unique_ptr<Graph> goldenGraph() {
  GraphMaker M("golden", 1);
  Node *X = M.input("x.in", {1, 2, 3, 3});
  Node *XQ = M.fakeQuantPair("x", X, 0.125f, 0, DType::I8);
  Node *W = M.ints("conv.weight.quantized", DType::I8, {2, 2, 1, 1}, {-3, 2, 1, -8});
  Node *WS = M.floats("conv.weight.scale", {2}, {0.5f, 0.25f});
  Node *WZ = M.ints("conv.weight.zero_point", DType::I8, {2}, {0, 0});
  Node *WD = M.call("dequantize", {W, WS, WZ}, {{"axis", int64_t(0)}}, "conv.weight_dq");
  Node *C = M.call("conv2d", {XQ, WD, M.floats("conv.bias", {2}, {0.5f, -1})}, {}, "conv");
  Node *H = M.call("hardswish", {C}, {}, "act");
  Node *HQ = M.fakeQuantPair("act", H, 0.0625f, 3, DType::U8);
  Node *F = M.call("flatten", {HQ}, {}, "flat");
  std::vector<int64_t> FcW(36);
  for (size_t I = 0; I < FcW.size(); ++I)
    FcW[I] = int64_t(I % 16);
  Node *FW = M.ints("fc.weight.quantized", DType::U8, {2, 18}, FcW);
  Node *FS = M.floats("fc.weight.scale", {2}, {0.03125f, 0.0625f});
  Node *FZ = M.ints("fc.weight.zero_point", DType::U8, {2}, {8, 7});
  Node *FD = M.call("dequantize", {FW, FS, FZ}, {{"axis", int64_t(0)}, {"bits", int64_t(4)}},
                    "fc.weight_dq");
  Node *Fc = M.call("linear", {F, FD}, {}, "fc");
  M.output({Fc});
  return M.take();
}

} // namespace

TEST_CASE("the golden quantized graph lowers for iOS18", "[mil][lower]") {
  std::unique_ptr<Graph> G = goldenGraph();
  LoweredModel M = lower(*G, MilTarget::IOS18);
  checkGolden(printMilModelToString(M.Model), "golden_ios18.mil");
}

TEST_CASE("the golden graph with 8-bit weights lowers for iOS17", "[mil][lower]") {
  std::unique_ptr<Graph> G = goldenGraph();
  G->lookupNode("fc.weight_dq")->setAttr("bits", int64_t(8));
  LoweredModel M = lower(*G, MilTarget::IOS17);
  checkGolden(printMilModelToString(M.Model), "golden_ios17.mil");
}

TEST_CASE("a float CNN lowers with coremltools' conventions", "[mil][lower]") {
  std::unique_ptr<Graph> G = floatCnn();
  LoweredModel M = lower(*G);
  CHECK(M.Model.specificationversion() == 8);
  const Spec::Program &P = M.Model.mlprogram();
  CHECK(P.version() == 1);
  REQUIRE(P.functions().count("main"));
  const Spec::Function &F = P.functions().at("main");
  CHECK(F.opset() == "CoreML7");
  CHECK(F.block_specializations().size() == 1);
  CHECK(opTypes(M) == std::vector<std::string>{"conv", "batch_norm", "relu", "conv", "relu",
                                               "max_pool", "reshape", "linear"});
  // Every parameter of conv, with defaults, bound by name to a const op.
  const Spec::Operation *Conv = findOp(M, "conv1");
  REQUIRE(Conv);
  CHECK(inputKeys(*Conv) == std::set<std::string>{"x", "weight", "bias", "strides", "pad_type",
                                                  "pad", "dilations", "groups"});
  for (const auto &KV : Conv->inputs()) {
    REQUIRE(KV.second.arguments_size() == 1);
    const std::string &Bound = KV.second.arguments(0).name();
    CHECK(!Bound.empty());
    if (KV.first != "x") {
      const Spec::Operation *C = findOp(M, Bound);
      REQUIRE(C);
      CHECK(C->type() == "const");
      CHECK(C->attributes().count("val"));
      CHECK(C->inputs().empty());
    }
  }
  CHECK(Conv->inputs().at("strides").arguments(0).name() == "conv1_strides_0");
  // Every op has its name attribute; every output a full type.
  for (const Spec::Operation &Op : mainBlock(M).operations()) {
    REQUIRE(Op.attributes().count("name"));
    CHECK(Op.attributes().at("name").immediatevalue().tensor().strings().values(0) ==
          Op.outputs(0).name());
    for (const auto &O : Op.outputs())
      CHECK(O.type().has_tensortype());
  }
  // Interface: the sanitized input name, FLOAT32 MultiArrays with shapes.
  const auto &D = M.Model.description();
  REQUIRE(D.input_size() == 1);
  CHECK(D.input(0).name() == "input_1");
  CHECK(D.input(0).type().multiarraytype().datatype() ==
        CoreML::Specification::ArrayFeatureType::FLOAT32);
  CHECK(D.input(0).type().multiarraytype().shape_size() == 4);
  CHECK(F.inputs(0).name() == "input_1");
  REQUIRE(D.output_size() == 1);
  CHECK(D.output(0).name() == "fc");
  CHECK(mainBlock(M).outputs(0) == "fc");
  // Large constants went to weight.bin.
  CHECK(M.Weights.size() > 64);
  CHECK(findOp(M, "conv2_weight")->attributes().at("val").has_blobfilevalue());
  CHECK(findOp(M, "conv1_groups_0")->attributes().at("val").has_immediatevalue());
}

TEST_CASE("a dynamic batch dim becomes 1 plus a shape range", "[mil][lower]") {
  std::unique_ptr<Graph> G = floatCnn(/*DynamicBatch=*/true);
  LoweredModel M = lower(*G);
  const auto &In = M.Model.description().input(0).type().multiarraytype();
  CHECK(std::vector<int64_t>(In.shape().begin(), In.shape().end()) ==
        std::vector<int64_t>{1, 1, 8, 8});
  REQUIRE(In.has_shaperange());
  REQUIRE(In.shaperange().sizeranges_size() == 4);
  CHECK(In.shaperange().sizeranges(0).lowerbound() == 1);
  CHECK(In.shaperange().sizeranges(0).upperbound() == -1);
  CHECK(In.shaperange().sizeranges(2).lowerbound() == 8);
  CHECK(In.shaperange().sizeranges(2).upperbound() == 8);
  // The function input keeps the dim unknown; outputs have no fixed shape.
  const Spec::Function &F = M.Model.mlprogram().functions().at("main");
  CHECK(F.inputs(0).type().tensortype().dimensions(0).has_unknown());
  CHECK(M.Model.description().output(0).type().multiarraytype().shape_size() == 0);
  // flatten's shape is [-1, 256].
  const Spec::Operation *Shape = findOp(M, "flatten_shape_0");
  REQUIRE(Shape);
  auto Ints = Shape->attributes().at("val").immediatevalue().tensor().ints().values();
  CHECK(std::vector<int32_t>(Ints.begin(), Ints.end()) == std::vector<int32_t>{-1, 256});
}

TEST_CASE("quantized graphs use quantize/dequantize and constexpr weights", "[mil][lower]") {
  std::unique_ptr<Graph> G = quantizedCnn(8);
  LoweredModel M17 = lower(*G, MilTarget::IOS17);
  CHECK(opTypes(M17) ==
        std::vector<std::string>{"quantize", "dequantize", "constexpr_affine_dequantize", "conv",
                                 "relu", "quantize", "dequantize", "constexpr_affine_dequantize",
                                 "conv", "relu", "quantize", "dequantize", "max_pool", "reshape",
                                 "constexpr_affine_dequantize", "linear", "quantize",
                                 "dequantize"});
  const Spec::Operation *W = findOp(M17, "conv2_weight_dq");
  REQUIRE(W);
  CHECK(W->inputs().empty());
  std::set<std::string> Attrs;
  for (const auto &KV : W->attributes())
    Attrs.insert(KV.first);
  CHECK(Attrs == std::set<std::string>{"name", "quantized_data", "zero_point", "scale", "axis"});
  CHECK(W->attributes().at("quantized_data").has_blobfilevalue());
  // relu1's pair has a zero point (3); relu2's is all zero and omitted.
  CHECK(inputKeys(*findOp(M17, "relu1_q")) ==
        std::set<std::string>{"input", "scale", "zero_point", "output_dtype"});
  CHECK(inputKeys(*findOp(M17, "relu2_q")) ==
        std::set<std::string>{"input", "scale", "output_dtype"});
  CHECK(inputKeys(*findOp(M17, "relu2_dq")) == std::set<std::string>{"input", "scale"});

  LoweredModel M18 = lower(*G, MilTarget::IOS18);
  CHECK(M18.Model.specificationversion() == 9);
  const Spec::Operation *B = findOp(M18, "conv2_weight_dq");
  REQUIRE(B);
  CHECK(B->type() == "constexpr_blockwise_shift_scale");
  CHECK(inputKeys(*B) == std::set<std::string>{"data", "scale", "offset"});
  for (const auto &KV : B->inputs())
    CHECK(KV.second.arguments(0).has_value());
  CHECK(B->attributes().size() == 1);
  const Spec::Value &Scale = B->inputs().at("scale").arguments(0).value();
  CHECK(Scale.type().tensortype().rank() == 4);
  CHECK(Scale.type().tensortype().dimensions(0).constant().size() == 16);
  CHECK(Scale.type().tensortype().dimensions(1).constant().size() == 1);
  // conv1's zero points are all zero: no offset.
  CHECK(inputKeys(*findOp(M18, "conv1_weight_dq")) == std::set<std::string>{"data", "scale"});
  // Full-range 8-bit data stays int8.
  CHECK(B->inputs().at("data").arguments(0).value().type().tensortype().datatype() ==
        Spec::INT8);
}

TEST_CASE("4-bit weights become int4/uint4 on iOS18 and are refused before", "[mil][lower]") {
  std::unique_ptr<Graph> G = quantizedCnn(4);
  LoweredModel M = lower(*G, MilTarget::IOS18);
  for (const char *Name : {"conv1_weight_dq", "conv2_weight_dq"})
    CHECK(findOp(M, Name)->inputs().at("data").arguments(0).value().type().tensortype()
              .datatype() == Spec::INT4);
  const Spec::Operation *Fc = findOp(M, "fc_weight_dq");
  CHECK(Fc->inputs().at("data").arguments(0).value().type().tensortype().datatype() ==
        Spec::UINT4);
  CHECK(Fc->inputs().at("offset").arguments(0).value().type().tensortype().datatype() ==
        Spec::UINT4);
  CHECK(lowerError(*G, MilTarget::IOS17) ==
        "node 'conv1.weight_dq' (dequantize): 4-bit weights need constexpr_blockwise_shift_scale "
        "(iOS18) but the target is ios17; use --target ios18");

  // bits = 4 on values outside the 4-bit range is an error naming the node.
  GraphMaker Bad("bad4");
  Node *X = Bad.input("x", {1, 3});
  Node *W = Bad.ints("w", DType::I8, {2, 3}, {1, 2, 3, 4, 5, 100});
  Node *D = Bad.call("dequantize",
                     {W, Bad.floats("s", {1}, {0.5f}), Bad.ints("z", DType::I8, {1}, {0})},
                     {{"bits", int64_t(4)}}, "w_dq");
  Bad.output({Bad.call("linear", {X, D})});
  std::unique_ptr<Graph> BG = Bad.take();
  CHECK(lowerError(*BG, MilTarget::IOS18) ==
        "node 'w_dq' (dequantize): 'bits' is 4 but the data or zero point leaves the int4 "
        "range; requantize to 4 bits or set bits = 8");
}

TEST_CASE("activation quantization needs iOS17", "[mil][lower]") {
  std::unique_ptr<Graph> G = quantizedCnn(8);
  CHECK(lowerError(*G, MilTarget::IOS16) ==
        "node 'input_1_q' (quantize): activation quantize/dequantize need the iOS17 opset "
        "(CoreML7) but the target is ios16; use --target ios17");
  // Weight-only quantization is fine on iOS16.
  GraphMaker W("weights_only");
  Node *X = W.input("x", {1, 4});
  W.output({W.call("linear", {X, W.quantizedWeight("fc", {3, 4}, 0, 8)}, {}, "fc")});
  std::unique_ptr<Graph> WG = W.take();
  LoweredModel M = lower(*WG, MilTarget::IOS16);
  CHECK(M.Model.specificationversion() == 7);
  CHECK(M.Model.mlprogram().functions().at("main").opset() == "CoreML6");
  CHECK(opTypes(M) == std::vector<std::string>{"constexpr_affine_dequantize", "linear"});
}

TEST_CASE("every op case lowers on every target", "[mil][lower]") {
  for (OpCase &C : opCases()) {
    INFO("case " << C.Name);
    for (MilTarget T : {MilTarget::IOS16, MilTarget::IOS17, MilTarget::IOS18}) {
      if (T == MilTarget::IOS16 && C.Name == "quantize_dequantize") {
        CHECK(lowerError(*C.G, T).find("use --target ios17") != std::string::npos);
        continue;
      }
      MilOptions O;
      O.Target = T;
      auto M = lowerToMil(*C.G, O);
      REQUIRE_OK(M);
      for (const Spec::Operation &Op : mainBlock(*M).operations())
        CHECK(Op.attributes().count("name") == 1);
    }
  }
}

TEST_CASE("ops without a MIL mapping are all listed in one error", "[mil][lower]") {
  GraphMaker M("unmapped");
  Node *X = M.input("x", {1, 2, 6, 6});
  Node *S = M.floats("s", {1}, {0.1f});
  Node *Z = M.ints("z", DType::U8, {1}, {0});
  Node *F = M.call("fake_quantize", {X, S, Z}, {}, "fq");
  Node *P = M.call("avg_pool2d", {F},
                   {{"kernel_size", std::vector<int64_t>{2, 2}}, {"divisor_override", int64_t(3)}},
                   "pool");
  Node *A = M.call("adaptive_avg_pool2d", {P}, {{"output_size", std::vector<int64_t>{2, 2}}},
                   "adaptive");
  M.output({A});
  std::unique_ptr<Graph> G = M.take();
  CHECK(lowerError(*G, MilTarget::IOS17) ==
        "graph 'unmapped' has 3 node(s) without a Core ML (MIL) mapping: 'fq' (fake_quantize: a "
        "training-time op; run qatc finalize first), 'pool' (avg_pool2d: divisor_override has no "
        "MIL equivalent), 'adaptive' (adaptive_avg_pool2d: output size 2x2 does not divide the "
        "input f32[1, 2, 3, 3]; MIL has no adaptive pooling)");
}

TEST_CASE("names are unique MIL identifiers", "[mil][lower]") {
  GraphMaker M("names");
  Node *X = M.input("a.b", {2, 3});
  Node *Y = M.call("relu", {X}, {}, "a_b");
  Node *Z = M.call("relu", {Y}, {}, "1");
  M.output({Z, Z, X});
  std::unique_ptr<Graph> G = M.take();
  LoweredModel L = lower(*G);
  std::set<std::string> Names;
  for (const Spec::Operation &Op : mainBlock(L).operations())
    for (const auto &O : Op.outputs())
      CHECK(Names.insert(O.name()).second);
  CHECK(L.Model.description().input(0).name() == "a_b");
  CHECK(findOp(L, "a_b_1")->type() == "relu");
  CHECK(findOp(L, "var_1")->type() == "relu");
  // Repeated and input outputs get their own identity ops.
  const auto &Outs = mainBlock(L).outputs();
  REQUIRE(Outs.size() == 3);
  CHECK(Outs[0] == "var_1");
  CHECK(findOp(L, Outs[1])->type() == "identity");
  CHECK(findOp(L, Outs[2])->type() == "identity");
  CHECK(L.Model.description().output(2).name() == Outs[2]);
}

TEST_CASE("bad graphs are refused with the node named", "[mil][lower]") {
  GraphMaker M("elided");
  Node *X = M.input("x", {1, 3});
  Node *W = M.param("w", {2, 3});
  M.output({M.call("linear", {X, W}, {}, "fc")});
  std::unique_ptr<Graph> G = M.take();
  G->lookupParameter("w")->elide();
  CHECK(lowerError(*G, MilTarget::IOS17) ==
        "node 'w' (get_attr): parameter 'w' has no data (elided); write the graph with its "
        "parameters (.qirb, or .qir printed without --elide-params)");

  GraphMaker I("int_input");
  Node *Q = I.call("relu", {I.input("x", {2})});
  I.output({Q});
  std::unique_ptr<Graph> IG = I.take();
  IG->lookupNode("x")->setType(Type::tensor(DType::I8, {2}));
  IG->lookupNode("relu")->setType(Type::tensor(DType::I8, {2}));
  CHECK(lowerError(*IG, MilTarget::IOS17).find("node 'x' (placeholder): model inputs must be "
                                               "f32, f16 or i32") != std::string::npos);
}
