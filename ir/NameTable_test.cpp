//===- NameTable_test.cpp - Tests of the name table behind graph names ----===//
#include "ir/NameTable.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

using namespace qatc;

namespace {
struct Item {
  int Id;
};
} // namespace

TEST_CASE("name table: insert, find and erase", "[ir]") {
  NameTable<Item> T;
  Item A{1}, B{2};
  CHECK(T.find("a") == nullptr);
  CHECK_FALSE(T.erase("a"));
  T.prefetch("a"); // a hint, also on an empty table
  auto [EA, NewA] = T.insert("a", &A);
  CHECK(NewA);
  CHECK(EA->getKey() == "a");
  CHECK(EA->getValue() == &A);
  auto [Again, NewAgain] = T.insert("a", &B);
  CHECK_FALSE(NewAgain);
  CHECK(Again == EA);
  CHECK(EA->getValue() == &A);
  T.insert("", &B);
  CHECK(T.find("")->getValue() == &B);
  CHECK(T.size() == 2);
  CHECK(T.erase("a"));
  CHECK(T.find("a") == nullptr);
  CHECK(T.size() == 1);
}

// Many inserts and erases against std::map: growth, probe sequences that wrap
// around the end of the slots, and backward-shift deletion in the middle of
// clusters.
TEST_CASE("name table matches std::map under random inserts and erases", "[ir]") {
  std::mt19937 Rng(7);
  std::map<std::string, Item *> Model;
  std::vector<Item> Items(4096);
  NameTable<Item> T;
  for (int Step = 0; Step < 200000; ++Step) {
    std::string Key = "n" + std::to_string(Rng() % 3000);
    if (Rng() % 3) {
      Item *V = &Items[Rng() % Items.size()];
      auto [E, Added] = T.insert(Key, V);
      auto [It, ModelAdded] = Model.try_emplace(Key, V);
      REQUIRE(Added == ModelAdded);
      REQUIRE(E->getValue() == It->second);
    } else {
      REQUIRE(T.erase(Key) == (Model.erase(Key) == 1));
    }
    REQUIRE(T.size() == Model.size());
  }
  for (int I = 0; I < 3000; ++I) {
    std::string Key = "n" + std::to_string(I);
    auto It = Model.find(Key);
    auto *E = T.find(Key);
    REQUIRE((E != nullptr) == (It != Model.end()));
    if (E)
      CHECK(E->getValue() == It->second);
  }
}

TEST_CASE("name table reserve keeps every name", "[ir]") {
  NameTable<Item> T;
  Item A{1};
  for (int I = 0; I < 100; ++I)
    T.insert("k" + std::to_string(I), &A);
  T.reserve(100000);
  for (int I = 0; I < 100; ++I)
    CHECK(T.find("k" + std::to_string(I)) != nullptr);
  CHECK(T.find("k100") == nullptr);
  CHECK(T.size() == 100);
}
