//===- HostApi_test.cpp - The plugin function table, driven without a .so -===//
#include "passes/plugin/PluginHost.h"

#include "ir/Verifier.h"
#include "ir/text/Parser.h"
#include "passes/quant/BackendPatterns.h"
#include "passes/quant/FusionMatcher.h"
#include "passes/quant/Prepare.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

using namespace qatc;

namespace {

const qatc_host_api &api() { return pluginHostApi(); }

std::unique_ptr<Graph> parse(llvm::StringRef Text) {
  auto G = parseGraph(Text, "test.qir");
  REQUIRE_OK(G);
  return std::move(*G);
}

std::string text(qatc_string S) { return fromQatcString(S).str(); }

/// The patterns prepare would match, as `conv2d+relu6`.
std::vector<std::string> patternsOf(const Graph &G) {
  std::vector<std::string> R;
  for (const PatternMatch &M : matchPatterns(G).Patterns)
    R.push_back(M.describe());
  return R;
}

constexpr llvm::StringLiteral Chain = R"(
graph @chain {
  param @w : f32[4, 1, 3, 3] = elided
  %x = placeholder : f32[1, 1, 8, 8]
  %w = get_attr @w : f32[4, 1, 3, 3]
  %c = conv2d(%x, %w) {padding = [1, 1]} : f32[1, 4, 8, 8]
  %r = relu6(%c) : f32[1, 4, 8, 8]
  %d = sub(%r, %x) : f32[1, 4, 8, 8]
  %a = relu(%d) : f32[1, 4, 8, 8]
  output(%a)
}
)";

qatc_node *node(qatc_graph &H, const char *Name) {
  qatc_node *N = api().lookup_node(&H, qatc_str(Name));
  REQUIRE(N);
  return N;
}

} // namespace

TEST_CASE("the table describes itself", "[plugin]") {
  CHECK(api().abi_version == QATC_PLUGIN_ABI_VERSION);
  CHECK(api().struct_size == sizeof(qatc_host_api));
}

TEST_CASE("plugins read nodes, types and attributes", "[plugin]") {
  auto G = parse(Chain);
  qatc_graph H(*G);
  std::vector<std::string> Names;
  for (qatc_node *N = api().first_node(&H); N; N = api().next_node(&H, N))
    Names.push_back(text(api().node_name(&H, N)));
  CHECK(Names == std::vector<std::string>{"x", "w", "c", "r", "d", "a", ""});

  qatc_node *C = node(H, "c");
  CHECK(api().node_kind(&H, C) == QATC_NODE_CALL);
  CHECK(text(api().node_op(&H, C)) == "conv2d");
  CHECK(api().node_quant_role(&H, C) == QATC_ROLE_WEIGHTED);
  CHECK(api().num_operands(&H, C) == 2);
  CHECK(api().operand(&H, C, 1) == node(H, "w"));
  CHECK(api().operand(&H, C, 2) == nullptr);
  CHECK(api().num_uses(&H, C) == 1);
  CHECK(api().num_uses(&H, node(H, "x")) == 2);
  CHECK(text(api().node_op(&H, node(H, "x"))).empty());

  qatc_type T;
  api().node_type(&H, C, &T);
  CHECK(T.kind == QATC_TYPE_TENSOR);
  CHECK(T.dtype == QATC_DTYPE_F32);
  REQUIRE(T.rank == 4);
  CHECK(std::vector<int64_t>(T.dims, T.dims + 4) == std::vector<int64_t>{1, 4, 8, 8});

  REQUIRE(api().num_attrs(&H, C) == 1);
  qatc_attr A;
  REQUIRE(api().attr_at(&H, C, 0, &A) == QATC_OK);
  CHECK(text(A.name) == "padding");
  CHECK(A.kind == QATC_ATTR_INTS);
  CHECK(std::vector<int64_t>(A.ints, A.ints + A.count) == std::vector<int64_t>{1, 1});
  // Defaults come from the op registry.
  REQUIRE(api().find_attr(&H, C, qatc_str("groups"), &A) == QATC_OK);
  CHECK(A.kind == QATC_ATTR_INT);
  CHECK(A.int_value == 1);
  CHECK(api().find_attr(&H, C, qatc_str("nope"), &A) == QATC_INVALID_ARGUMENT);
  CHECK(text(api().last_error(&H)) == "find_attr: node 'c' has no attribute 'nope'");
  CHECK(api().attr_at(&H, C, 5, &A) == QATC_INVALID_ARGUMENT);
  CHECK(text(api().last_error(&H)) == "attr_at: node 'c' has 1 attributes, so there is no #5");
}

TEST_CASE("plugins change graphs through checked calls", "[plugin]") {
  auto G = parse(Chain);
  qatc_graph H(*G);
  qatc_node *R = node(H, "r");
  qatc_node *In = api().operand(&H, R, 0);

  qatc_attr Attrs[2];
  std::memset(Attrs, 0, sizeof(Attrs));
  Attrs[0].name = qatc_str("min");
  Attrs[0].kind = QATC_ATTR_FLOAT;
  Attrs[1].name = qatc_str("max");
  Attrs[1].kind = QATC_ATTR_FLOAT;
  Attrs[1].float_value = 6.0;
  qatc_node *Clamp = nullptr;
  REQUIRE(api().create_call(&H, qatc_str("clamp"), qatc_str("r.clamp"), &In, 1, Attrs, 2, R,
                            &Clamp) == QATC_OK);
  CHECK(text(api().node_name(&H, Clamp)) == "r.clamp");

  SECTION("erasing a node with uses is refused") {
    CHECK(api().erase_node(&H, R) == QATC_INVALID_ARGUMENT);
    CHECK(text(api().last_error(&H)) == "erase_node: node 'r' still has 1 uses; replace them first");
  }
  SECTION("replace, then erase") {
    REQUIRE(api().replace_all_uses(&H, R, Clamp) == QATC_OK);
    REQUIRE(api().erase_node(&H, R) == QATC_OK);
    CHECK_OK(verify(*G));
    CHECK(G->lookupNode("d")->operand(0)->name() == "r.clamp");
  }
  SECTION("wrong attributes, ops and operands are errors, not crashes") {
    qatc_node *Out = nullptr;
    Attrs[0].kind = QATC_ATTR_INT;
    CHECK(api().create_call(&H, qatc_str("clamp"), qatc_str(""), &In, 1, Attrs, 2, nullptr,
                            &Out) == QATC_INVALID_ARGUMENT);
    CHECK(text(api().last_error(&H)) == "create_call: attribute 'min' of op 'clamp' must be float");
    CHECK(api().create_call(&H, qatc_str("clomp"), qatc_str(""), &In, 1, nullptr, 0, nullptr,
                            &Out) == QATC_INVALID_ARGUMENT);
    CHECK(text(api().last_error(&H)) == "create_call: unknown op 'clomp'");
    CHECK(api().create_call(&H, qatc_str("relu"), qatc_str(""), nullptr, 0, nullptr, 0, nullptr,
                            &Out) == QATC_INVALID_ARGUMENT);
    CHECK(api().set_operand(&H, R, 3, In) == QATC_INVALID_ARGUMENT);
    CHECK(api().erase_node(&H, nullptr) == QATC_INVALID_ARGUMENT);
    auto Other = parse(Chain);
    qatc_graph OtherH(*Other);
    CHECK(api().replace_all_uses(&OtherH, R, Clamp) == QATC_INVALID_ARGUMENT);
    CHECK(text(api().last_error(&OtherH)) ==
          "replace_all_uses: the node handle is null or belongs to another graph");
  }
}

TEST_CASE("prepare hooks may decide but not change the graph", "[plugin]") {
  auto G = parse(Chain);
  QuantDecisions Decisions;
  qatc_graph H(*G);
  H.AllowMutation = false;
  H.Decisions = &Decisions;
  H.DecidedBy = "plugin 'test'";
  qatc_node *C = node(H, "c");
  CHECK(api().erase_node(&H, node(H, "a")) == QATC_NOT_ALLOWED);
  CHECK(text(api().last_error(&H)) ==
        "erase_node cannot change the graph in a prepare hook; register a pass instead");
  REQUIRE(api().set_quantization(&H, C, QATC_QUANT_FLOAT) == QATC_OK);
  CHECK(api().get_quantization(&H, C) == QATC_QUANT_FLOAT);
  REQUIRE(Decisions.floatDecision("c"));
  CHECK(*Decisions.floatDecision("c") == "plugin 'test'");
  CHECK(api().set_quantization(&H, C, 7) == QATC_INVALID_ARGUMENT);
  REQUIRE(api().set_quantization(&H, C, QATC_QUANT_DEFAULT) == QATC_OK);
  CHECK(!Decisions.floatDecision("c"));

  qatc_graph NoPrepare(*G);
  CHECK(api().set_quantization(&NoPrepare, C, QATC_QUANT_FLOAT) == QATC_NOT_ALLOWED);
}

TEST_CASE("a float decision on any member keeps the whole pattern float", "[plugin]") {
  auto G = parse(Chain);
  QuantDecisions Decisions;
  // r is the relu6 fused into conv c.
  Decisions.keepFloat("r", "plugin 'test'");
  auto Resolver = ConfigResolver::create(defaultLinearQuantizerConfig());
  REQUIRE_OK(Resolver);
  PrepareOptions Opts;
  Opts.Decisions = &Decisions;
  std::string Explain;
  llvm::raw_string_ostream OS(Explain);
  Opts.Explain = &OS;
  REQUIRE_OK(prepareForQAT(*G, *Resolver, Opts));
  OS.flush();
  CHECK(llvm::StringRef(Explain).contains(
      "c: conv2d+relu6 (weighted) not quantized: kept in float by plugin 'test' (through r)"));
  CHECK(!G->lookupNode("w.fq"));
  CHECK(G->lookupNode("d.fq"));
}

TEST_CASE("the backend table grows at run time", "[plugin]") {
  auto G = parse(Chain);
  CHECK(patternsOf(*G) == std::vector<std::string>{"conv2d+relu6", "sub", "relu"});
  REQUIRE_OK(addFusion("sub", "relu"));
  CHECK(hasAddedFusion("sub", "relu"));
  CHECK(patternsOf(*G) == std::vector<std::string>{"conv2d+relu6", "sub+relu"});

  auto BN = parse(R"(
graph @bn {
  param @g : f32[4] = elided
  param @b : f32[4] = elided
  param @m : f32[4] = elided
  param @v : f32[4] = elided
  %x = placeholder : f32[1, 4, 8, 8]
  %g = get_attr @g : f32[4]
  %b = get_attr @b : f32[4]
  %m = get_attr @m : f32[4]
  %v = get_attr @v : f32[4]
  %bn = batch_norm(%x, %g, %b, %m, %v) : f32[1, 4, 8, 8]
  %r = relu6(%bn) : f32[1, 4, 8, 8]
  output(%r)
}
)");
  CHECK(patternsOf(*BN) == std::vector<std::string>{"batch_norm", "relu6"});
  REQUIRE_OK(addFusion("batch_norm", "relu6"));
  CHECK(patternsOf(*BN) == std::vector<std::string>{"batch_norm+relu6"});

  CHECK(testing::errorText(addFusion("relu", "relu")) ==
        "cannot add the fusion relu + relu: 'relu' has pattern kind activation, and only "
        "weighted, binary and norm patterns fuse an activation");
  CHECK(testing::errorText(addFusion("sub", "conv2d")) ==
        "cannot add the fusion sub + conv2d: 'conv2d' has pattern kind weighted, not activation "
        "or fixed qparams");
  CHECK(testing::errorText(addFusion("sub", "relu7")) ==
        "cannot add the fusion sub + relu7: unknown op 'relu7'");

  const OpInfo *Div = OpRegistry::get().lookup("div");
  REQUIRE(Div);
  CHECK(backendOp(*Div).Kind == PatternKind::Float);
  BackendOp Row;
  Row.Op = "div";
  Row.Kind = PatternKind::Binary;
  REQUIRE_OK(addBackendOp(Row));
  CHECK(backendOp(*Div).Kind == PatternKind::Binary);
  CHECK(!backendOp(*Div).FromRegistry);
  CHECK(testing::errorText(addBackendOp(Row)) ==
        "op 'div' already has a backend pattern row (binary)");
  Row.Op = "relu";
  CHECK(testing::errorText(addBackendOp(Row)) ==
        "op 'relu' already has a backend pattern row (activation)");
  Row.Op = "nope";
  CHECK(testing::errorText(addBackendOp(Row)) ==
        "cannot add a backend pattern row for unknown op 'nope'");
}
