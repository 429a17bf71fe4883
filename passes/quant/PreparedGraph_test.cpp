//===- PreparedGraph_test.cpp - Counting the fake quants of a graph -------===//
#include "passes/quant/PreparedGraph.h"

#include "ir/text/Parser.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

TEST_CASE("the census tells weights from activations and counts shared states", "[prepare]") {
  auto G = parseGraph(R"(graph @g {
    param @s : f32[1] = elided
    param @s2 : f32[1] = elided
    param @z : i32[1] = elided
    param @w : f32[4, 3] = elided
    param @ws : f32[4] = elided
    param @wz : i32[4] = elided
    %x = placeholder : f32[2, 3]
    %s = get_attr @s : f32[1]
    %z = get_attr @z : i32[1]
    %a = fake_quantize(%x, %s, %z) : f32[2, 3]
    %w = get_attr @w : f32[4, 3]
    %ws = get_attr @ws : f32[4]
    %wz = get_attr @wz : i32[4]
    %wfq = fake_quantize(%w, %ws, %wz) {axis = 0} : f32[4, 3]
    %fc = linear(%a, %wfq) : f32[2, 4]
    %s_again = get_attr @s : f32[1]
    %b = fake_quantize(%fc, %s_again, %z) : f32[2, 4]
    %s2 = get_attr @s2 : f32[1]
    %c = fake_quantize(%b, %s2, %z) {scheme = "symmetric"} : f32[2, 4]
    %m = matmul(%c, %wfq) : f32[2, 3]
    output(%m)
  })",
                      "test.qir");
  REQUIRE_OK(G);
  // %wfq also feeds a matmul (as an activation), so it is not a weight fake
  // quant. Plain three-operand fake quants have fixed qparams, whatever their
  // scheme says (lit test prepare/stats.qir counts observed ones).
  FakeQuantCensus C = countFakeQuants(**G);
  CHECK(C.Weight == 0);
  CHECK(C.ActivationSites == 4);
  CHECK(C.ActivationUnique == 3);
  CHECK(C.ActivationFixed == 3);
  CHECK(C.ActivationSymmetric == 0);
  CHECK(C.ActivationAffine == 0);
  CHECK(C.total() == 4);
  CHECK(isWeightFakeQuant(*(*G)->lookupNode("wfq")) == false);
  CHECK(fakeQuantSite(*(*G)->lookupNode("a")) == fakeQuantSite(*(*G)->lookupNode("b")));

  llvm::json::Value J = fakeQuantCensusJson(C);
  std::string S;
  llvm::raw_string_ostream(S) << J;
  CHECK(S == "{\"activation_affine\":0,\"activation_fixed\":3,\"activation_sites\":4,"
             "\"activation_symmetric\":0,\"activation_unique\":3,\"weight\":0}");
}

TEST_CASE("a fake quant read only as a layer weight is a weight fake quant", "[prepare]") {
  auto G = parseGraph(R"(graph @g {
    param @w : f32[4, 3] = elided
    param @ws : f32[4] = elided
    param @wz : i32[4] = elided
    %x = placeholder : f32[2, 3]
    %w = get_attr @w : f32[4, 3]
    %ws = get_attr @ws : f32[4]
    %wz = get_attr @wz : i32[4]
    %wfq = fake_quantize(%w, %ws, %wz) {axis = 0} : f32[4, 3]
    %fc = linear(%x, %wfq) : f32[2, 4]
    %fc2 = linear(%x, %wfq) : f32[2, 4]
    output(%fc, %fc2)
  })",
                      "test.qir");
  REQUIRE_OK(G);
  CHECK(isWeightFakeQuant(*(*G)->lookupNode("wfq")));
  CHECK(countFakeQuants(**G).Weight == 1);
  CHECK(countFakeQuants(**G).ActivationSites == 0);
}
