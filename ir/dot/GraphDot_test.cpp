//===- GraphDot_test.cpp - DOT text of small graphs -----------------------===//
#include "ir/dot/GraphDot.h"

#include "ir/text/Parser.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

namespace {

std::unique_ptr<Graph> quantizedGraph() {
  auto G = parseGraph(R"(graph @g {
    param @s : f32[1] = elided
    param @z : i32[1] = elided
    param @w : f32[2, 3] = elided
    %x = placeholder : f32[1, 3]
    %s = get_attr @s : f32[1]
    %z = get_attr @z : i32[1]
    %x.q = quantize(%x, %s, %z) : u8[1, 3]
    %x.dq = dequantize(%x.q, %s, %z) : f32[1, 3]
    %w = get_attr @w : f32[2, 3]
    %w.fq = fake_quantize(%w, %s, %z) {quant_min = -128, quant_max = 127, scheme = "symmetric"} : f32[2, 3]
    %fc = linear(%x.dq, %w.fq) : f32[1, 2]
    output(%fc)
  })",
                      "viz.qir");
  REQUIRE_OK(G);
  return std::move(*G);
}

} // namespace

TEST_CASE("DOT of a small graph: labels, colours, edges, qparams hidden", "[dot]") {
  DotOptions Opts;
  Opts.Legend = false;
  CHECK(graphDotString(*quantizedGraph(), Opts) == R"(digraph "g" {
  rankdir=TB;
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];
  edge [color="#868e96", arrowsize=0.6];
  n0 [label="placeholder\nx\nf32[1, 3]", fillcolor="#dee2e6", color="#495057", penwidth=1];
  n1 [label="quantize\nx.q\nu8[1, 3]", fillcolor="#74c0fc", color="#1864ab", penwidth=2.5];
  n2 [label="dequantize\nx.dq\nf32[1, 3]", fillcolor="#8ce99a", color="#2b8a3e", penwidth=2.5];
  n3 [label="get_attr\nw\nf32[2, 3]", fillcolor="#fff9db", color="#adb5bd", penwidth=1];
  n4 [label="fake_quantize\nw.fq\nf32[2, 3]\n[-128, 127] symmetric", fillcolor="#ffc078", color="#d9480f", penwidth=2.5];
  n5 [label="linear\nfc\nf32[1, 2]", fillcolor="#ffffff", color="#495057", penwidth=1];
  n6 [label="output", fillcolor="#dee2e6", color="#495057", penwidth=1];
  n0 -> n1;
  n1 -> n2;
  n3 -> n4;
  n2 -> n5;
  n4 -> n5;
  n5 -> n6;
}
)");
}

TEST_CASE("DOT with quantization state and the legend", "[dot]") {
  DotOptions Opts;
  Opts.ShowQuantState = true;
  std::string Dot = graphDotString(*quantizedGraph(), Opts);
  // The scale and zero point get_attrs are drawn, each feeding three ops.
  CHECK(Dot.find("[label=\"get_attr\\ns\\nf32[1]\"") != std::string::npos);
  CHECK(Dot.find("n1 -> n3;") != std::string::npos);
  CHECK(Dot.find("n1 -> n4;") != std::string::npos);
  CHECK(Dot.find("n1 -> n6;") != std::string::npos);
  CHECK(Dot.find("subgraph cluster_legend") != std::string::npos);
  for (const char *Entry : {"\"fake_quantize\", fillcolor=\"#ffc078\"",
                            "\"quantize\", fillcolor=\"#74c0fc\"",
                            "\"dequantize\", fillcolor=\"#8ce99a\""})
    CHECK(Dot.find(Entry) != std::string::npos);
}

TEST_CASE("DOT labels escape quotes and backslashes", "[dot]") {
  auto G = parseGraph(R"(graph @"a\"b" {
    %"x\\y" = placeholder : f32[2]
    output(%"x\\y")
  })",
                      "escape.qir");
  REQUIRE_OK(G);
  std::string Dot = graphDotString(**G);
  CHECK(Dot.rfind("digraph \"a\\\"b\" {", 0) == 0);
  CHECK(Dot.find("placeholder\\nx\\\\y\\n") != std::string::npos);
}
