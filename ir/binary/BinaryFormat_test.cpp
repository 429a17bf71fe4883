//===- BinaryFormat_test.cpp - .qirb round trips and corrupt input --------===//
#include "ir/Builder.h"
#include "ir/Verifier.h"
#include "ir/binary/BinaryFormat.h"
#include "ir/text/Printer.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

std::string writeToString(const Graph &G) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  REQUIRE_OK(writeBinaryGraph(G, OS));
  OS.flush();
  return S;
}

std::unique_ptr<Graph> sampleGraph() {
  auto G = std::make_unique<Graph>("bin");
  Builder B(*G);
  Parameter *W = G->addParameter("w", Type::tensor(DType::F32, {2, 3}));
  std::vector<uint8_t> Bytes(W->byteSize());
  for (size_t I = 0; I < Bytes.size(); ++I)
    Bytes[I] = uint8_t(I * 37 + 1);
  W->setData(Bytes);
  G->addParameter("e", Type::tensor(DType::I8, {4}));
  B.setLoc(Location("m.pt", 4, 2));
  Node *X = B.placeholder("x", Type::tensor(DType::F32, {kDynamicDim, 3}));
  Node *L = cantFail(B.call("linear", {X, B.getAttr(W)}, {}, "fc"));
  L->setAttr("note", Attribute(std::vector<std::string>{"a", "b"}));
  B.output({L});
  return G;
}

} // namespace

TEST_CASE("binary round trip preserves structure and parameter bits", "[binary]") {
  auto G = sampleGraph();
  // Unknown attributes are fine in the binary form; the verifier judges them.
  std::string Bytes = writeToString(*G);
  auto G2 = readBinaryGraph(Bytes, "t.qirb");
  REQUIRE_OK(G2);
  CHECK(printGraphToString(**G2) == printGraphToString(*G));
  CHECK((*G2)->lookupParameter("w")->bytes() == G->lookupParameter("w")->bytes());
  CHECK((*G2)->lookupParameter("e")->isElided());
  CHECK((*G2)->lookupNode("fc")->loc() == G->lookupNode("fc")->loc());
  CHECK(writeToString(**G2) == Bytes);
}

// Found by the ONNX fuzzer: names are bytes, and protobuf refused to parse
// `string` fields holding invalid UTF-8.
TEST_CASE("binary round trip keeps names and strings that are not UTF-8", "[binary]") {
  const std::string Odd = "n\xff\xfe\x80";
  auto G = std::make_unique<Graph>("g" + Odd);
  Builder B(*G);
  Parameter *W = G->addParameter("w" + Odd, Type::tensor(DType::F32, {3, 3}));
  B.setLoc(Location("m" + Odd + ".onnx", 1, 1));
  Node *X = B.placeholder("x" + Odd, Type::tensor(DType::F32, {2, 3}));
  Node *L = cantFail(B.call("linear", {X, B.getAttr(W)}, {}, "fc" + Odd));
  L->setAttr("note" + Odd, Attribute(std::vector<std::string>{Odd}));
  B.output({L});
  auto G2 = readBinaryGraph(writeToString(*G), "t.qirb");
  REQUIRE_OK(G2);
  CHECK(printGraphToString(**G2) == printGraphToString(*G));
  CHECK((*G2)->lookupNode("fc" + Odd) != nullptr);
}

TEST_CASE("binary round trip after erasing and inserting nodes", "[binary]") {
  auto G = sampleGraph();
  Builder B(*G);
  Node *X = G->lookupNode("x");
  Node *Fc = G->lookupNode("fc");
  Fc->removeAttr("note");
  // Erase a node in the middle (leaves a gap in the node orders) and insert
  // one before the output (invalidates them).
  B.setInsertionPointAfter(X);
  Node *Dead = cantFail(B.call("relu", {X}, {}, "dead"));
  REQUIRE_OK(verify(*G));
  G->erase(Dead);
  B.setInsertionPointBefore(G->output());
  Node *R = cantFail(B.call("relu", {Fc}, {}, "late"));
  G->output()->setOperand(0, R);
  REQUIRE_OK(verify(*G));
  auto G2 = readBinaryGraph(writeToString(*G), "t.qirb");
  REQUIRE_OK(G2);
  REQUIRE_OK(verify(**G2));
  CHECK(printGraphToString(**G2) == printGraphToString(*G));
}

TEST_CASE("binary reader rejects foreign, truncated and corrupt data", "[binary]") {
  auto G = sampleGraph();
  std::string Bytes = writeToString(*G);
  auto err = [](llvm::StringRef Data) {
    auto R = readBinaryGraph(Data, "t.qirb");
    return R ? std::string("ok") : llvm::toString(R.takeError());
  };
  CHECK(err("graph @x {}") == "t.qirb: not a QIR binary file (missing the QIRB header)");
  CHECK(err("") == "t.qirb: not a QIR binary file (missing the QIRB header)");
  CHECK(err(llvm::StringRef(Bytes).drop_back(7)) == "t.qirb: the QIR binary data is truncated or corrupt");
  // Flip every byte of the body in turn: never crash, always a clean answer.
  size_t Errors = 0;
  for (size_t I = 8; I < Bytes.size(); ++I) {
    std::string Bad = Bytes;
    Bad[I] = char(Bad[I] ^ 0x5A);
    auto R = readBinaryGraph(Bad, "t.qirb");
    if (!R) {
      ++Errors;
      std::string Msg = llvm::toString(R.takeError());
      CHECK(llvm::StringRef(Msg).startswith("t.qirb: "));
    }
  }
  CHECK(Errors > 0);
}
