//===- Verifier_test.cpp - Every verifier message, one test each ----------===//
#include "ir/Builder.h"
#include "ir/Verifier.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

Type f32(std::initializer_list<int64_t> Dims) { return Type::tensor(DType::F32, Dims); }

std::string verifyMessage(const Graph &G) {
  llvm::Error E = verify(G);
  return E ? llvm::toString(std::move(E)) : std::string("ok");
}

const OpInfo *op(llvm::StringRef Name) { return OpRegistry::get().lookup(Name); }

} // namespace

TEST_CASE("verifier accepts a well-formed graph", "[verifier]") {
  Graph G;
  Builder B(G);
  Parameter *W = G.addParameter("w", f32({4, 2}));
  Node *X = B.placeholder("x", f32({3, 2}));
  Node *L = cantFail(B.call("linear", {X, B.getAttr(W)}));
  B.output({L});
  CHECK(verifyMessage(G) == "ok");
}

TEST_CASE("verifier: structure", "[verifier]") {
  SECTION("missing output") {
    Graph G;
    Builder B(G);
    B.placeholder("x", f32({1}));
    CHECK(verifyMessage(G) == "graph 'main': the graph has no output node");
  }
  SECTION("node after the output") {
    Graph G;
    Builder B(G);
    Node *X = B.placeholder("x", f32({1}));
    B.output({X});
    G.createNode(NodeKind::Call, op("relu"), "late", {X}, f32({1}), G.nodes().end());
    CHECK(verifyMessage(G) ==
          "graph 'main': node 'late' comes after the output node; the output must be last");
  }
  SECTION("use before definition") {
    Graph G;
    Builder B(G);
    Node *X = B.placeholder("x", f32({1}));
    Node *A = cantFail(B.call("relu", {X}, {}, "a"));
    Node *C = cantFail(B.call("relu", {A}, {}, "c"));
    A->setOperand(0, C);
    B.output({C});
    CHECK(verifyMessage(G) ==
          "graph 'main': node 'a' uses 'c' before it is defined (or from another graph)");
  }
  SECTION("output without operands") {
    Graph G;
    Builder B(G);
    B.placeholder("x", f32({1}));
    B.output({});
    CHECK(verifyMessage(G) ==
          "graph 'main': the output node returns nothing; it needs at least one operand");
  }
  SECTION("node used from another graph") {
    Graph Other;
    Builder OB(Other);
    Node *Foreign = OB.placeholder("y", f32({1}));
    Graph G;
    Builder B(G);
    B.placeholder("x", f32({1}));
    Node *R = G.createNode(NodeKind::Call, op("relu"), "r", {Foreign}, f32({1}), G.nodes().end());
    B.output({R});
    CHECK(verifyMessage(G) ==
          "graph 'main': node 'r' uses 'y' before it is defined (or from another graph)");
    R->setOperand(0, nullptr);
  }
  SECTION("placeholder with a tuple type") {
    Graph G;
    Builder B(G);
    Node *X = B.placeholder("x", Type::tuple({f32({1})}));
    B.output({X});
    CHECK(verifyMessage(G) == "graph 'main': node 'x' is a placeholder whose type is not a tensor");
  }
}

TEST_CASE("verifier: parameters and get_attr", "[verifier]") {
  SECTION("get_attr type differs from its parameter") {
    Graph G;
    Builder B(G);
    Parameter *W = G.addParameter("w", f32({4}));
    Node *N = B.getAttr(W);
    N->setType(f32({5}));
    B.output({N});
    CHECK(verifyMessage(G) ==
          "graph 'main': node 'w' has type f32[5] but parameter 'w' has type f32[4]");
  }
  SECTION("get_attr of a parameter of another graph") {
    Graph Other;
    Parameter *W = Other.addParameter("w", f32({4}));
    Graph G;
    Builder B(G);
    Node *N = B.getAttr(W);
    B.output({N});
    CHECK(verifyMessage(G) == "graph 'main': node 'w' reads a parameter that is not in the graph");
  }
  SECTION("parameter with a dynamic shape") {
    Graph G;
    Builder B(G);
    G.addParameter("p", f32({-1}));
    B.output({B.placeholder("x", f32({1}))});
    CHECK(verifyMessage(G) == "graph 'main': parameter 'p' must have a static shape, not f32[?]");
  }
}

TEST_CASE("verifier: calls against the registry", "[verifier]") {
  Graph G;
  Builder B(G);
  Node *X = B.placeholder("x", f32({1, 3, 8, 8}));
  SECTION("operand count") {
    Node *R = G.createNode(NodeKind::Call, op("relu"), "r", {X, X}, f32({1, 3, 8, 8}),
                           G.nodes().end());
    B.output({R});
    CHECK(verifyMessage(G) == "graph 'main': node 'r' (relu) has 2 operands; expected 1");
  }
  SECTION("operand count of a variadic op") {
    Node *C = G.createNode(NodeKind::Call, op("cat"), "c", {}, f32({1}), G.nodes().end());
    B.output({C});
    CHECK(verifyMessage(G) == "graph 'main': node 'c' (cat) has 0 operands; expected at least 1");
  }
  SECTION("unknown attribute") {
    Node *R = cantFail(B.call("relu", {X}, {}, "r"));
    R->setAttr("bogus", 1);
    B.output({R});
    CHECK(verifyMessage(G) == "graph 'main': node 'r' (relu) has unknown attribute 'bogus'");
  }
  SECTION("attribute of the wrong kind") {
    Node *R = cantFail(B.call("softmax", {X}, {}, "s"));
    R->setAttr("dim", "one");
    B.output({R});
    CHECK(verifyMessage(G) == "graph 'main': node 's' (softmax) attribute 'dim' must be int, not string");
  }
  SECTION("missing required attribute") {
    Node *R = G.createNode(NodeKind::Call, op("reshape"), "r", {X}, f32({192}), G.nodes().end());
    B.output({R});
    CHECK(verifyMessage(G) == "graph 'main': node 'r' (reshape) is missing required attribute 'shape'");
  }
  SECTION("declared type disagrees with inference") {
    Node *R = cantFail(B.call("relu", {X}, {}, "r"));
    R->setType(f32({1, 3, 8, 9}));
    B.output({R});
    CHECK(verifyMessage(G) ==
          "graph 'main': node 'r' (relu) has type f32[1, 3, 8, 9] but its operands give f32[1, 3, 8, 8]");
  }
  SECTION("operands that do not type-check") {
    Parameter *W = G.addParameter("w", f32({4, 2, 3, 3}));
    Node *C = G.createNode(NodeKind::Call, op("conv2d"), "c", {X, B.getAttr(W)}, f32({1, 4, 6, 6}),
                           G.nodes().end());
    B.output({C});
    CHECK(verifyMessage(G) == "graph 'main': node 'c' (conv2d): input has 3 channels but weight "
                              "expects 2 (= 2 x groups 1)");
  }
  SECTION("a declared dynamic dim is compatible with a known one") {
    Node *R = cantFail(B.call("relu", {X}, {}, "r"));
    R->setType(f32({-1, 3, 8, 8}));
    B.output({R});
    CHECK(verifyMessage(G) == "ok");
  }
}
