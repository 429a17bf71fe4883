//===- Parser_test.cpp - Text form: round trips and every parse error -----===//
#include "ir/Verifier.h"
#include "ir/text/Parser.h"
#include "ir/text/Printer.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace qatc;

namespace {

std::string parseError(llvm::StringRef Text) {
  auto G = parseGraph(Text, "t.qir");
  if (G)
    return "parsed";
  return llvm::toString(G.takeError());
}

std::string roundTrip(llvm::StringRef Text, const PrintOptions &Opts = {}) {
  auto G = parseGraph(Text, "t.qir");
  REQUIRE_OK(G);
  return printGraphToString(**G, Opts);
}

const char *kSample = R"(graph @sample {
  param @w : f32[2, 2] = dense<0x0000803F000000400000404000008040>
  param @big : f32[3] = elided
  %x = placeholder : f32[?, 2]
  %w = get_attr @w : f32[2, 2]
  %"onnx::MatMul_3" = matmul(%x, %w) : f32[?, 2] loc("model.onnx":12:3)
  %s = split(%"onnx::MatMul_3") {dim = 1, split_sizes = [1, 1]} : (f32[?, 1], f32[?, 1])
  %a = getitem(%s) {index = 0} : f32[?, 1]
  %c = clamp(%a) {max = 6.5, min = -inf} : f32[?, 1]
  %g = gelu(%c) {approximate = "tanh"} : f32[?, 1]
  output(%g, %a)
}
)";

} // namespace

TEST_CASE("text round trip is exact", "[text]") {
  std::string Once = roundTrip(kSample);
  CHECK(Once == kSample);
  CHECK(roundTrip(Once) == Once);
  auto G = parseGraph(kSample, "t.qir");
  REQUIRE_OK(G);
  CHECK_OK(verify(**G));
  Parameter *W = (*G)->lookupParameter("w");
  REQUIRE(W);
  CHECK(W->values<float>()[1] == 2.0f);
  CHECK((*G)->lookupParameter("big")->isElided());
  Node *M = (*G)->lookupNode("onnx::MatMul_3");
  REQUIRE(M);
  CHECK(M->loc().file() == "model.onnx");
  CHECK(M->loc().line() == 12);
  CHECK(std::isinf((*G)->lookupNode("c")->getFloat("min")));
}

TEST_CASE("printing elides parameters on request", "[text]") {
  PrintOptions Opts;
  Opts.ElideParamsAbove = 2;
  std::string S = roundTrip(kSample, Opts);
  CHECK(S.find("param @w : f32[2, 2] = elided") != std::string::npos);
  Opts.PrintLocations = false;
  CHECK(roundTrip(kSample, Opts).find("loc(") == std::string::npos);
}

TEST_CASE("attribute values of every kind round trip", "[text]") {
  const char *Text = R"(graph @attrs {
  %x = placeholder : f32[2]
  %y = relu(%x) {} : f32[2]
  output(%y)
}
)";
  auto G = parseGraph(Text, "t.qir");
  REQUIRE_OK(G);
  Node *Y = (*G)->lookupNode("y");
  Y->setAttr("i", int64_t(-9223372036854775807LL - 1));
  Y->setAttr("f", 0.1);
  Y->setAttr("tiny", 5e-324);
  Y->setAttr("negzero", -0.0);
  Y->setAttr("nan", double(NAN));
  Y->setAttr("b", true);
  Y->setAttr("s", std::string("quote\" back\\ nl\n tab\t \x01"));
  Y->setAttr("ints", std::vector<int64_t>{});
  Y->setAttr("floats", std::vector<double>{});
  Y->setAttr("strings", std::vector<std::string>{});
  Y->setAttr("fl", std::vector<double>{1.0, -2.5, 1e300});
  Y->setAttr("sl", std::vector<std::string>{"a", ""});
  Y->setAttr("dt", DType::Bool);
  Y->setAttr("odd name", 1);
  std::string Once = printGraphToString(**G);
  auto G2 = parseGraph(Once, "t.qir");
  REQUIRE_OK(G2);
  CHECK(printGraphToString(**G2) == Once);
  Node *Y2 = (*G2)->lookupNode("y");
  for (const NamedAttribute &A : Y->attrs()) {
    INFO(A.Name);
    REQUIRE(Y2->getExplicitAttr(A.Name));
    CHECK(*Y2->getExplicitAttr(A.Name) == A.Value);
  }
  CHECK(Y2->getExplicitAttr("floats")->kind() == AttrKind::Floats);
  CHECK(std::signbit(Y2->getFloat("negzero")));
}

TEST_CASE("several graphs parse with parseGraphs", "[text]") {
  auto Gs = parseGraphs("graph @a { %x = placeholder : f32[1]\n output(%x) }\n"
                        "graph @b { %y = placeholder : i64[*]\n output(%y) }",
                        "t.qir");
  REQUIRE_OK(Gs);
  REQUIRE(Gs->size() == 2);
  CHECK((*Gs)[1]->name() == "b");
  CHECK(parseError("graph @a { %x = placeholder : f32[1]\n output(%x) }\ngraph @b {}") ==
        "t.qir:3:1: expected end of input after the graph; one graph per input (use "
        "--split-input-file for several)");
}

TEST_CASE("every parse error names file, line and column", "[text]") {
  struct Case {
    const char *Text;
    const char *Message;
  };
  const Case Cases[] = {
      {"", "t.qir:1:1: expected 'graph' but the input ended"},
      {"module @m {}", "t.qir:1:1: expected 'graph', found 'module'"},
      {"graph m {}", "t.qir:1:7: expected the graph name (@name), found 'm'"},
      {"graph @m (", "t.qir:1:10: expected '{', found '('"},
      {"graph @m { 12 }", "t.qir:1:12: expected 'param', a %name or 'output', found '12'"},
      {"graph @m {\n  %x = placeholder f32[1]\n}",
       "t.qir:2:20: expected ':' and the type, found 'f32'"},
      {"graph @m { %x = placeholder : f33[1] }",
       "t.qir:1:31: unknown element type 'f33'; expected f32, f16, i8, u8, i32, i64 or bool"},
      {"graph @m { %x = placeholder : f32[1, -2] }",
       "t.qir:1:38: dimension '-2' must be a non-negative 64-bit integer or ?"},
      {"graph @m { %x = placeholder : f32[1 2] }", "t.qir:1:37: expected ',' or ']', found '2'"},
      {"graph @m { %x = placeholder : f32[99999999999999999999] }",
       "t.qir:1:35: dimension '99999999999999999999' must be a non-negative 64-bit integer or ?"},
      {"graph @m { %x = placeholder : f32 }", "t.qir:1:35: expected '[' and the shape, found '}'"},
      {"graph @m { %x = placeholder : () }", "t.qir:1:32: expected a type such as f32[1, 3], found ')'"},
      {"graph @m { %x = frobnicate(%y) : f32[1] }",
       "t.qir:1:17: unknown op 'frobnicate'; see the op registry (ir/Ops.def) or load the plugin "
       "that defines it"},
      {"graph @m { %x = relu(%y) : f32[1] }",
       "t.qir:1:22: use of undefined value '%y'; values must be defined before they are used"},
      {"graph @m { %x = placeholder : f32[1]\n %x = relu(%x) : f32[1] }",
       "t.qir:2:2: redefinition of '%x'; node names must be unique"},
      {"graph @m { %x = placeholder : f32[1]\n output(%x)\n output(%x) }",
       "t.qir:3:2: the graph has a second output node; a graph has exactly one"},
      {"graph @m { %x = placeholder : f32[1]\n output(%x)\n %y = relu(%x) : f32[1] }",
       "t.qir:3:2: node '%y' comes after the output node"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x %x) : f32[1] }",
       "t.qir:2:15: expected ',' or ')', found '%x'"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = 1 b = 2} : f32[1] }",
       "t.qir:2:23: expected ',' or '}', found 'b'"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = 1, a = 2} : f32[1] }",
       "t.qir:2:24: attribute 'a' is given twice"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = widget} : f32[1] }",
       "t.qir:2:21: unknown attribute value 'widget'"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = [1, \"s\"]} : f32[1] }",
       "t.qir:2:25: expected an integer list element, found '\"s\"'"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = 99999999999999999999} : f32[1] }",
       "t.qir:2:21: integer '99999999999999999999' does not fit in 64 bits"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = 1e999} : f32[1] }",
       "t.qir:2:21: float '1e999' is out of range"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = -x} : f32[1] }",
       "t.qir:2:22: expected 'inf' after '-', found 'x'"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = ints 3} : f32[1] }",
       "t.qir:2:26: expected '[' after the list kind, found '3'"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {a = \"\\q\"} : f32[1] }",
       "t.qir:2:21: invalid escape in string"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) : f32[1] loc(\"f\":1) }",
       "t.qir:2:34: expected ':', found ')'"},
      {"graph @m { %x = placeholder : f32[1] ^ }",
       "t.qir:1:38: invalid character or unterminated string '^'"},
      {"graph @m { %x = placeholder : f32[1]\n %y = relu(%x) {s = \"open} : f32[1] }",
       "t.qir:2:21: invalid character or unterminated string '\"open} : f32[1] }'"},
      {"graph @m { %y = get_attr @w : f32[1] }",
       "t.qir:1:26: get_attr of undefined parameter '@w'; declare it with 'param' first"},
      {"graph @m { %y = get_attr w : f32[1] }", "t.qir:1:26: expected a parameter name (@name), found 'w'"},
      {"graph @m { param @w : f32[2] = elided\n param @w : f32[2] = elided }",
       "t.qir:2:8: parameter '@w' is defined twice"},
      {"graph @m { param @w : f32[?] = elided }",
       "t.qir:1:23: parameter '@w' must have a static tensor type"},
      {"graph @m { param @w : f32[4294967296, 4294967296] = elided }",
       "t.qir:1:23: parameter '@w' has too many elements"},
      {"graph @m { param @w : f32[2] = dense<0x00> }",
       "t.qir:1:38: parameter '@w' has 1 bytes of data but its type f32[2] needs 8"},
      {"graph @m { param @w : f32[2] = zeros }", "t.qir:1:32: expected 'dense<0x...>' or 'elided', found 'zeros'"},
      {"graph @m { param @w : f32[1] = dense<12> }", "t.qir:1:38: expected hex data (0x...), found '12'"},
      {"graph @m { param @w : f32[1] = dense<0x00000000 }", "t.qir:1:49: expected '>', found '}'"},
      {"graph @m { param @w : f32[1] elided }", "t.qir:1:30: expected '=' and the parameter data, found 'elided'"},
      {"graph @m { %x = placeholder : f32[1]\n output(%x)", "t.qir:2:12: expected 'param', a %name or 'output' but the input ended"},
      {"graph @m { % = placeholder : f32[1] }", "t.qir:1:12: invalid character or unterminated string '%'"},
      {"graph @m { %\"a\\q\" = placeholder : f32[1] }", "t.qir:1:12: invalid escape in quoted name"},
  };
  for (const Case &C : Cases) {
    INFO(C.Text);
    CHECK(parseError(C.Text) == C.Message);
  }
}
