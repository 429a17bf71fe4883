//===- RoundTripProperty_test.cpp - 1000 random graphs through text and binary ===//
#include "ir/Verifier.h"
#include "ir/binary/BinaryFormat.h"
#include "ir/text/Parser.h"
#include "ir/text/Printer.h"
#include "tests/support/RandomGraph.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

TEST_CASE("1000 seeded random graphs round-trip through text and binary", "[property]") {
  size_t TotalNodes = 0;
  for (uint64_t Seed = 1; Seed <= 1000; ++Seed) {
    auto G = testing::makeRandomGraph(Seed, 5 + Seed % 40);
    INFO("seed " << Seed);
    REQUIRE_OK(verify(*G));
    TotalNodes += G->numNodes();
    std::string Text = printGraphToString(*G);

    auto FromText = parseGraph(Text, "random.qir");
    REQUIRE_OK(FromText);
    REQUIRE_OK(verify(**FromText));
    REQUIRE(printGraphToString(**FromText) == Text);

    std::string Bytes;
    llvm::raw_string_ostream OS(Bytes);
    REQUIRE_OK(writeBinaryGraph(*G, OS));
    OS.flush();
    auto FromBinary = readBinaryGraph(Bytes, "random.qirb");
    REQUIRE_OK(FromBinary);
    REQUIRE_OK(verify(**FromBinary));
    REQUIRE(printGraphToString(**FromBinary) == Text);

    auto Clone = G->clone();
    REQUIRE(printGraphToString(*Clone) == Text);
  }
  // The generator must actually produce non-trivial graphs.
  CHECK(TotalNodes > 10000);
}
