//===- Graph_test.cpp - Tests of graphs, nodes, uses, builder and clone ---===//
#include "ir/Builder.h"
#include "ir/Graph.h"
#include "ir/Verifier.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

Type f32(std::initializer_list<int64_t> Dims) { return Type::tensor(DType::F32, Dims); }

Parameter *addFilled(Graph &G, llvm::StringRef Name, Type T, uint8_t Fill) {
  Parameter *P = G.addParameter(Name, T);
  P->setData(std::vector<uint8_t>(P->byteSize(), Fill));
  return P;
}

} // namespace

TEST_CASE("x + x has two uses and RAUW moves both", "[ir]") {
  Graph G;
  Builder B(G);
  Node *X = B.placeholder("x", f32({2, 3}));
  Node *Y = B.placeholder("y", f32({2, 3}));
  Node *Add = cantFail(B.call("add", {X, X}));
  B.output({Add});
  CHECK(X->numUses() == 2);
  CHECK(X->users().size() == 1);
  CHECK(Add->operand(0) == X);
  X->replaceAllUsesWith(Y);
  CHECK(X->numUses() == 0);
  CHECK(Y->numUses() == 2);
  CHECK(Add->operand(0) == Y);
  CHECK(Add->operand(1) == Y);
  CHECK(Add->operandUses()[1].operandNumber() == 1);
  REQUIRE_OK(verify(G));
}

TEST_CASE("setOperand and setOperands keep use lists exact", "[ir]") {
  Graph G;
  Builder B(G);
  Node *X = B.placeholder("x", f32({4}));
  Node *Y = B.placeholder("y", f32({4}));
  Node *Z = B.placeholder("z", f32({4}));
  Node *Cat = cantFail(B.call("cat", {X, Y}));
  Cat->setOperand(1, Z);
  CHECK(Y->numUses() == 0);
  CHECK(Z->numUses() == 1);
  Cat->setOperands({X, Y, Z, X});
  CHECK(X->numUses() == 2);
  CHECK(Y->numUses() == 1);
  CHECK(Z->numUses() == 1);
  Cat->setType(f32({16}));
  B.output({Cat});
  REQUIRE_OK(verify(G));
}

TEST_CASE("builder infers types, uniques names and honours the insertion point", "[ir]") {
  Graph G;
  Builder B(G);
  Node *X = B.placeholder("x", f32({1, 3, 8, 8}));
  Node *R1 = cantFail(B.call("relu", {X}, {}, "act"));
  Node *R2 = cantFail(B.call("relu", {R1}, {}, "act"));
  CHECK(R1->name() == "act");
  CHECK(R2->name() == "act_1");
  CHECK(G.uniqueName("act") == "act_2");
  B.output({R2});
  // Insertion at the end goes before the output node.
  Node *R3 = cantFail(B.call("sigmoid", {R2}));
  CHECK(std::next(R3->getIterator())->isOutput());
  B.setInsertionPointAfter(X);
  Node *First = cantFail(B.call("tanh", {X}));
  Node *Second = cantFail(B.call("tanh", {First}));
  CHECK(std::prev(First->getIterator()) == X->getIterator());
  // Consecutive insertions after a node stay in creation order.
  CHECK(std::prev(Second->getIterator()) == First->getIterator());
  CHECK(R1->type() == f32({1, 3, 8, 8}));
  CHECK(G.nodesWithOp("relu").size() == 2);
  CHECK(G.lookupNode("act_1") == R2);
  auto Bad = B.call("conv2d", {X});
  REQUIRE(!Bad);
  CHECK(llvm::toString(Bad.takeError()) == "op 'conv2d' takes 2 to 3 operands, not 1");
  auto Unknown = B.call("frobnicate", {X});
  REQUIRE(!Unknown);
  CHECK(llvm::toString(Unknown.takeError()) == "unknown op 'frobnicate'");
}

TEST_CASE("erase and rename keep the name table consistent", "[ir]") {
  Graph G;
  Builder B(G);
  Node *X = B.placeholder("x", f32({2}));
  Node *R = cantFail(B.call("relu", {X}, {}, "r"));
  Node *S = cantFail(B.call("sigmoid", {X}, {}, "s"));
  B.output({S});
  G.erase(R);
  CHECK(G.lookupNode("r") == nullptr);
  CHECK(X->numUses() == 1);
  G.rename(S, "r");
  CHECK(G.lookupNode("r") == S);
  CHECK(G.lookupNode("s") == nullptr);
  REQUIRE_OK(verify(G));
}

TEST_CASE("moveBefore keeps the node, its name and its uses", "[ir]") {
  Graph G;
  Builder B(G);
  Parameter *W = addFilled(G, "w", f32({2}), 1);
  Node *X = B.placeholder("x", f32({2}));
  Node *R = cantFail(B.call("relu", {X}, {}, "r"));
  Node *WN = B.getAttr(W);
  Node *Add = cantFail(B.call("add", {R, WN}));
  B.output({Add});
  G.ensureOrdered();
  G.moveBefore(WN, R);
  CHECK(std::next(WN->getIterator()) == R->getIterator());
  CHECK(G.lookupNode("w") == WN);
  CHECK(Add->operand(1) == WN);
  CHECK(WN->numUses() == 1);
  G.ensureOrdered();
  CHECK(WN->order() < R->order());
  G.moveBefore(WN, R); // already there
  CHECK(std::next(WN->getIterator()) == R->getIterator());
  REQUIRE_OK(verify(G));
}

TEST_CASE("names stay exact through many creations and erasures", "[ir]") {
  Graph G;
  Builder B(G);
  G.reserveNames(1000, 10);
  Node *X = B.placeholder("x", f32({2}));
  std::vector<Node *> Made;
  for (int I = 0; I < 500; ++I) {
    G.prefetchNodeName("act");
    Made.push_back(cantFail(B.call("relu", {X}, {}, "act")));
  }
  CHECK(Made[0]->name() == "act");
  CHECK(Made[499]->name() == "act_499");
  // Erased nodes' storage is reused; names follow the table, not the slots.
  for (int I = 0; I < 500; I += 2)
    G.erase(Made[I]);
  CHECK(G.lookupNode("act") == nullptr);
  CHECK(G.lookupNode("act_1") == Made[1]);
  Node *Again = cantFail(B.call("relu", {X}, {}, "act"));
  CHECK(Again->name() == "act");
  CHECK(G.lookupNode("act") == Again);
  CHECK(G.uniqueName("act_1") == "act_1_1");
  B.output({Again});
  REQUIRE_OK(verify(G));
}

TEST_CASE("clone is deep for structure and copy-on-write for data", "[ir]") {
  Graph G("orig");
  Builder B(G);
  Parameter *W = addFilled(G, "w", f32({4, 3}), 1);
  Node *X = B.placeholder("x", f32({2, 3}));
  Node *WN = B.getAttr(W);
  Node *L = cantFail(B.call("linear", {X, WN}));
  L->setLoc(Location("m.onnx", 3, 7));
  B.output({L});

  auto C = G.clone();
  REQUIRE_OK(verify(*C));
  CHECK(C->name() == "orig");
  CHECK(C->numNodes() == G.numNodes());
  Node *CL = C->lookupNode("linear");
  REQUIRE(CL);
  CHECK(CL != L);
  CHECK(CL->operand(0) == C->lookupNode("x"));
  CHECK(CL->loc() == L->loc());
  Parameter *CW = C->lookupParameter("w");
  CHECK(CW->bytes().data() == W->bytes().data()); // shared until written
  CW->mutableBytes()[0] = 9;
  CHECK(W->bytes()[0] == 1);
  CHECK(CW->bytes()[0] == 9);
  // Mutating the clone leaves the original alone.
  Builder CB(*C);
  CB.setInsertionPointBefore(C->output());
  Node *R = cantFail(CB.call("relu", {CL}));
  C->output()->setOperand(0, R);
  CHECK(G.nodesWithOp("relu").empty());
  REQUIRE_OK(verify(*C));
}

TEST_CASE("parameters: unique names, byte sizes and erase", "[ir]") {
  Graph G;
  Parameter *P = G.addParameter("w", Type::tensor(DType::I8, {3, 5}));
  CHECK(P->byteSize() == 15);
  CHECK(P->isElided());
  CHECK(G.uniqueParameterName("w") == "w_1");
  CHECK(G.uniqueParameterName("v") == "v");
  G.addParameter("b", Type::tensor(DType::F32, {5}));
  CHECK(G.parameterBytes() == 35);
  G.eraseParameter(P);
  CHECK(G.lookupParameter("w") == nullptr);
  CHECK(G.params().size() == 1);
}

TEST_CASE("attributes are sorted, replaced and fall back to registry defaults", "[ir]") {
  Graph G;
  Builder B(G);
  Node *X = B.placeholder("x", f32({1, 1, 4, 4}));
  Node *P = cantFail(B.call("max_pool2d", {X},
                            {{"stride", std::vector<int64_t>{1, 1}},
                             {"kernel_size", std::vector<int64_t>{2, 2}}}));
  CHECK(P->attrs()[0].Name == "kernel_size");
  CHECK(P->attrs()[1].Name == "stride");
  CHECK(P->type() == f32({1, 1, 3, 3}));
  CHECK(P->getExplicitAttr("ceil_mode") == nullptr);
  CHECK(P->getBool("ceil_mode") == false);
  P->setAttr("ceil_mode", true);
  CHECK(P->getBool("ceil_mode"));
  CHECK(P->attrs().size() == 3);
  CHECK(P->removeAttr("ceil_mode"));
  CHECK_FALSE(P->removeAttr("ceil_mode"));
}
