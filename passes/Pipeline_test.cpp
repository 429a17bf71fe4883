//===- Pipeline_test.cpp - Pipeline text round trips and the pass manager -===//
#include "ir/Builder.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

std::string reprint(llvm::StringRef Text) {
  auto P = parsePipeline(Text);
  REQUIRE_OK(P);
  return printPipeline(*P);
}

std::string parseError(llvm::StringRef Text) {
  auto P = parsePipeline(Text);
  return P ? std::string("parsed") : llvm::toString(P.takeError());
}

} // namespace

TEST_CASE("pipelines print back in canonical form", "[pipeline]") {
  CHECK(reprint("dce,cse") == "dce,cse");
  CHECK(reprint("  dce , canonicalize{ training = true } ,cse ") ==
        "dce,canonicalize{training=true},cse");
  CHECK(reprint("p{b=2,a=1}") == "p{a=1,b=2}");
  CHECK(reprint("prepare{config=\"my dir/q,1.yaml\"}") == "prepare{config=\"my dir/q,1.yaml\"}");
  CHECK(reprint("p{v=\"quote\\\" and \\\\ back\"}") == "p{v=\"quote\\\" and \\\\ back\"}");
  CHECK(reprint("p{v=\"\"}") == "p{v=\"\"}");
  CHECK(reprint("") == "");
  // Printing is a fixed point.
  for (const char *Text : {"a,b{x=1},c{y=\"a b\",z=w}", "prepare{config=q.yaml}"}) {
    std::string Once = reprint(Text);
    CHECK(reprint(Once) == Once);
  }
  auto P = parsePipeline("canonicalize{training=true}");
  REQUIRE_OK(P);
  REQUIRE(P->size() == 1);
  CHECK((*P)[0].Options.at("training") == "true");
}

TEST_CASE("pipeline syntax errors name the column", "[pipeline]") {
  CHECK(parseError("dce;cse") == "invalid pass pipeline 'dce;cse' at column 4: expected ',' between passes");
  CHECK(parseError("dce{a}") == "invalid pass pipeline 'dce{a}' at column 6: expected '=' after option 'a'");
  CHECK(parseError("dce{a=1 b=2}") ==
        "invalid pass pipeline 'dce{a=1 b=2}' at column 9: expected ',' or '}' in the options of 'dce'");
  CHECK(parseError("dce{a=1,a=2}") ==
        "invalid pass pipeline 'dce{a=1,a=2}' at column 12: option 'a' of 'dce' is given twice");
  CHECK(parseError("dce{a=}") ==
        "invalid pass pipeline 'dce{a=}' at column 7: expected a value (write \"\" for an empty one)");
  CHECK(parseError("dce{a=\"x}") == "invalid pass pipeline 'dce{a=\"x}' at column 10: unterminated quoted value");
  CHECK(parseError("dce{=1}") ==
        "invalid pass pipeline 'dce{=1}' at column 5: expected an option name in the options of 'dce'");
}

TEST_CASE("the registry creates passes and rejects unknown names and options", "[pipeline]") {
  PassRegistry &R = PassRegistry::get();
  CHECK(R.lookup("dce"));
  CHECK(R.passes().size() >= 3);
  auto Bad = R.create("nope", {});
  REQUIRE(!Bad);
  CHECK(llvm::StringRef(llvm::toString(Bad.takeError())).startswith("unknown pass 'nope'; available passes: "));
  auto BadOpt = R.create("canonicalize", {{"speed", "1"}});
  REQUIRE(!BadOpt);
  CHECK(llvm::toString(BadOpt.takeError()) ==
        "pass 'canonicalize' has no option 'speed'; its options are: training");
  auto Dup = R.registerPass(PassInfo{"dce", "", {}, nullptr});
  REQUIRE(bool(Dup));
  CHECK(llvm::toString(std::move(Dup)) == "pass 'dce' is already registered");
  auto NotKebab = R.registerPass(PassInfo{"Fold_All", "", {}, nullptr});
  REQUIRE(bool(NotKebab));
  CHECK(llvm::toString(std::move(NotKebab)) ==
        "pass name 'Fold_All' is not kebab-case (lowercase letters, digits, '-')");
}

namespace {

/// A test pass that breaks the graph, to check verification after each pass.
struct BreakingPass : Pass {
  llvm::StringRef name() const override { return "break-types"; }
  llvm::Error run(Graph &G, PassContext &) override {
    for (Node &N : G.nodes())
      if (N.isCall())
        N.setType(Type::tensor(DType::I8, {7}));
    return llvm::Error::success();
  }
};

struct FailingPass : Pass {
  llvm::StringRef name() const override { return "fail"; }
  llvm::Error run(Graph &, PassContext &) override {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "config key 'x' is bad");
  }
};

} // namespace

TEST_CASE("the pass manager verifies after each pass, times and prints", "[pipeline]") {
  Graph G("g");
  Builder B(G);
  Node *X = B.placeholder("x", Type::tensor(DType::F32, {2}));
  Node *I = cantFail(B.call("identity", {X}));
  B.output({cantFail(B.call("relu", {I}))});

  std::string Printed;
  llvm::raw_string_ostream OS(Printed);
  PassManager PM;
  PM.PrintAfterAll = &OS;
  REQUIRE_OK(PM.addPipeline("canonicalize,dce"));
  REQUIRE_OK(PM.run(G));
  OS.flush();
  CHECK(PM.timings().size() == 2);
  CHECK(PM.timings()[0].Name == "canonicalize");
  CHECK(G.nodesWithOp("identity").empty());
  CHECK(llvm::StringRef(Printed).count("// -----// IR after pass") == 2);

  PassManager Breaking;
  Breaking.addPass(std::make_unique<BreakingPass>());
  auto E = Breaking.run(G);
  REQUIRE(bool(E));
  CHECK(llvm::StringRef(llvm::toString(std::move(E)))
            .startswith("the graph is invalid after pass 'break-types': graph 'g': node 'relu'"));

  PassManager Failing;
  Failing.addPass(std::make_unique<FailingPass>());
  auto F = Failing.run(G);
  REQUIRE(bool(F));
  CHECK(llvm::toString(std::move(F)) == "pass 'fail' failed: config key 'x' is bad");
}
