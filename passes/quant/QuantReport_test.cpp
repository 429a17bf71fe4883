//===- QuantReport_test.cpp - SQNR maths and the per-fake-quant report ----===//
#include "passes/quant/QuantReport.h"
#include "passes/quant/QuantReportFormat.h"

#include "ir/text/Parser.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using namespace qatc;
using runtime::Tensor;

namespace {

template <typename T> void setValues(Graph &G, llvm::StringRef Name, std::vector<T> Values) {
  Parameter *P = G.lookupParameter(Name);
  REQUIRE(P);
  std::vector<uint8_t> Bytes(Values.size() * sizeof(T));
  std::memcpy(Bytes.data(), Values.data(), Bytes.size());
  P->setData(std::move(Bytes));
}

/// x -> input fake quant -> linear with a fake-quantized weight -> output
/// fake quant. Qparams are set by the caller.
std::unique_ptr<Graph> smallGraph() {
  auto G = parseGraph(R"(graph @g {
    param @x.fq.scale : f32[1] = elided
    param @x.fq.zero_point : i32[1] = elided
    param @x.fq.observer_enabled : u8[1] = elided
    param @x.fq.fake_quant_enabled : u8[1] = elided
    param @x.fq.min_val : f32[1] = elided
    param @x.fq.max_val : f32[1] = elided
    param @w : f32[3, 4] = elided
    param @w.fq.scale : f32[3] = elided
    param @w.fq.zero_point : i32[3] = elided
    param @fc.fq.scale : f32[1] = elided
    param @fc.fq.zero_point : i32[1] = elided
    %x = placeholder : f32[?, 4]
    %x.fq.scale = get_attr @x.fq.scale : f32[1]
    %x.fq.zero_point = get_attr @x.fq.zero_point : i32[1]
    %x.fq.observer_enabled = get_attr @x.fq.observer_enabled : u8[1]
    %x.fq.fake_quant_enabled = get_attr @x.fq.fake_quant_enabled : u8[1]
    %x.fq.min_val = get_attr @x.fq.min_val : f32[1]
    %x.fq.max_val = get_attr @x.fq.max_val : f32[1]
    %x.fq = fake_quantize(%x, %x.fq.scale, %x.fq.zero_point, %x.fq.observer_enabled,
        %x.fq.fake_quant_enabled, %x.fq.min_val, %x.fq.max_val)
        {observer = "moving_average_min_max"} : f32[?, 4]
    %w = get_attr @w : f32[3, 4]
    %w.fq.scale = get_attr @w.fq.scale : f32[3]
    %w.fq.zero_point = get_attr @w.fq.zero_point : i32[3]
    %w.fq = fake_quantize(%w, %w.fq.scale, %w.fq.zero_point)
        {axis = 0, quant_min = -128, quant_max = 127} : f32[3, 4]
    %fc = linear(%x.fq, %w.fq) : f32[?, 3]
    %fc.fq.scale = get_attr @fc.fq.scale : f32[1]
    %fc.fq.zero_point = get_attr @fc.fq.zero_point : i32[1]
    %fc.fq = fake_quantize(%fc, %fc.fq.scale, %fc.fq.zero_point) : f32[?, 3]
    output(%fc.fq)
  })",
                      "report.qir");
  REQUIRE_OK(G);
  Graph &Gr = **G;
  // Inputs lie in [-1, 1]: scale 1/128 with zero point 128 fits them.
  setValues<float>(Gr, "x.fq.scale", {1.0f / 128});
  setValues<int32_t>(Gr, "x.fq.zero_point", {128});
  setValues<uint8_t>(Gr, "x.fq.observer_enabled", {1});
  // Fake quant is off in the graph; the report turns it on.
  setValues<uint8_t>(Gr, "x.fq.fake_quant_enabled", {0});
  setValues<float>(Gr, "x.fq.min_val", {-1.0f});
  setValues<float>(Gr, "x.fq.max_val", {0.99f});
  std::vector<float> W;
  for (int I = 0; I < 12; ++I)
    W.push_back(0.3f * std::sin(1.7f * I + 0.2f));
  setValues<float>(Gr, "w", W);
  setValues<float>(Gr, "w.fq.scale", {0.3f / 127, 0.3f / 127, 0.3f / 127});
  setValues<int32_t>(Gr, "w.fq.zero_point", {0, 0, 0});
  return std::move(*G);
}

/// 64 samples of 4 features in [-1, 1].
Tensor sampleInputs() {
  std::vector<float> X;
  for (int I = 0; I < 64 * 4; ++I)
    X.push_back(std::sin(0.37f * I) * 0.95f);
  return Tensor::fromFloats({64, 4}, X);
}

} // namespace

TEST_CASE("SQNR of known signals", "[report]") {
  SECTION("a 1% error on every sample of a +-1 signal is 40 dB") {
    ErrorStats S;
    S.add({1.0f, -1.0f, 1.0f, -1.0f}, {1.01f, -1.01f, 0.99f, -0.99f});
    CHECK(S.sqnrDb() == Approx(40.0).margin(1e-3));
    CHECK(S.MaxAbsError == Approx(0.01).margin(1e-6));
    CHECK(S.Count == 4);
  }
  SECTION("a sine against a constant offset: 10 log10(0.5 / 0.01^2)") {
    std::vector<float> Ref, Approx_;
    for (int I = 0; I < 1000; ++I) {
      Ref.push_back(std::sin(2 * M_PI * I / 100.0));
      Approx_.push_back(Ref.back() + 0.01f);
    }
    ErrorStats S;
    // Accumulating in two parts is the same as in one.
    S.add(llvm::ArrayRef<float>(Ref).take_front(300), llvm::ArrayRef<float>(Approx_).take_front(300));
    S.add(llvm::ArrayRef<float>(Ref).drop_front(300), llvm::ArrayRef<float>(Approx_).drop_front(300));
    CHECK(S.sqnrDb() == Approx(10 * std::log10(0.5 / 1e-4)).margin(0.01));
  }
  SECTION("exact and all-noise extremes") {
    ErrorStats Exact;
    Exact.add({0.5f, 2.0f}, {0.5f, 2.0f});
    CHECK(std::isinf(Exact.sqnrDb()));
    CHECK(Exact.sqnrDb() > 0);
    CHECK(formatSqnr(Exact.sqnrDb()) == "inf");
    ErrorStats Zero;
    Zero.add({0.0f, 0.0f}, {0.1f, 0.0f});
    CHECK(Zero.sqnrDb() < 0);
    CHECK(formatSqnr(Zero.sqnrDb()) == "-inf");
  }
}

TEST_CASE("the report measures each fake quant and flags terrible qparams", "[report]") {
  std::unique_ptr<Graph> G = smallGraph();
  // A scale of 10 rounds every output of the layer to zero.
  setValues<float>(*G, "fc.fq.scale", {10.0f});
  setValues<int32_t>(*G, "fc.fq.zero_point", {0});
  QuantReportOptions Opts;
  Opts.BatchSize = 10;
  auto R = computeQuantReport(*G, {sampleInputs()}, Opts);
  REQUIRE_OK(R);
  CHECK(R->Samples == 64);
  REQUIRE(R->FakeQuants.size() == 3);

  const FakeQuantReport &In = R->FakeQuants[0];
  CHECK(In.Name == "x.fq");
  CHECK(In.Layer == "x");
  CHECK(In.Kind == FakeQuantKind::Input);
  CHECK(In.Scale == std::vector<float>{1.0f / 128});
  CHECK(In.ZeroPoint == std::vector<float>{128});
  CHECK(*In.ObservedMin == -1.0f);
  CHECK(*In.ObservedMax == 0.99f);
  CHECK(In.Error.Count == 64 * 4);
  // Forced on although the graph's flag is off: rounding to steps of 1/128
  // gives about 6 dB per bit of an 8-bit code.
  CHECK(In.Error.MaxAbsError <= 0.5 / 128 + 1e-6);
  CHECK(In.Error.sqnrDb() > 40);
  CHECK_FALSE(In.Flagged);

  const FakeQuantReport &W = R->FakeQuants[1];
  CHECK(W.Kind == FakeQuantKind::Weight);
  CHECK(W.Layer == "fc");
  CHECK(W.Scale.size() == 3);
  CHECK(W.Observer == "fixed");
  CHECK_FALSE(W.ObservedMin);
  // Weights are counted once, not once per batch.
  CHECK(W.Error.Count == 12);
  CHECK(W.Error.sqnrDb() > 35);
  CHECK_FALSE(W.Flagged);

  const FakeQuantReport &Out = R->FakeQuants[2];
  CHECK(Out.Layer == "fc");
  CHECK(Out.Kind == FakeQuantKind::Activation);
  CHECK(Out.Error.sqnrDb() < 1);
  CHECK(Out.Flagged);
  CHECK(R->numFlagged() == 1);
  REQUIRE(R->Outputs.size() == 1);
  CHECK(R->Outputs[0].second.sqnrDb() == Approx(Out.Error.sqnrDb()));

  std::string Text;
  llvm::raw_string_ostream OS(Text);
  printReportMarkdown(*R, OS);
  OS.flush();
  CHECK(Text.find("| fc | fc.fq | activation | 10 | 0 | fixed qparams |") != std::string::npos);
  CHECK(Text.find("**under 20 dB** |") != std::string::npos);
  CHECK(Text.find("| fc | w.fq | weight | 0.002362 (3 ch) | 0 (3 ch) |") != std::string::npos);
  CHECK(Text.find("1 of 3 fake quants under 20 dB") != std::string::npos);
}

TEST_CASE("good qparams everywhere flag nothing; the threshold is an option", "[report]") {
  std::unique_ptr<Graph> G = smallGraph();
  // The layer's outputs stay within about +-1.2.
  setValues<float>(*G, "fc.fq.scale", {2.5f / 255});
  setValues<int32_t>(*G, "fc.fq.zero_point", {128});
  auto R = computeQuantReport(*G, {sampleInputs()});
  REQUIRE_OK(R);
  CHECK(R->numFlagged() == 0);
  QuantReportOptions Strict;
  Strict.ThresholdDb = 200;
  auto S = computeQuantReport(*G, {sampleInputs()}, Strict);
  REQUIRE_OK(S);
  CHECK(S->numFlagged() == 3);
}

TEST_CASE("the HTML page and JSON carry every fake quant", "[report]") {
  std::unique_ptr<Graph> G = smallGraph();
  setValues<float>(*G, "fc.fq.scale", {10.0f});
  setValues<int32_t>(*G, "fc.fq.zero_point", {0});
  auto R = computeQuantReport(*G, {sampleInputs()});
  REQUIRE_OK(R);
  std::string Html;
  llvm::raw_string_ostream OS(Html);
  printReportHtml(*R, "a<b>.qir", OS);
  OS.flush();
  CHECK(Html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(Html.find("a&lt;b&gt;.qir") != std::string::npos);
  CHECK(Html.find("<script") == std::string::npos);
  CHECK(Html.find("<svg") != std::string::npos);
  CHECK(Html.find("class=\"threshold\"") != std::string::npos);
  size_t Bars = 0, Flagged = 0;
  for (size_t P = Html.find("<rect class="); P != std::string::npos;
       P = Html.find("<rect class=", P + 1)) {
    ++Bars;
    Flagged += Html.compare(P, 21, "<rect class=\"flagged\"") == 0;
  }
  CHECK(Bars == 3);
  CHECK(Flagged == 1);

  llvm::json::Value J = reportToJson(*R);
  const llvm::json::Object *O = J.getAsObject();
  REQUIRE(O);
  CHECK(*O->getInteger("samples") == 64);
  CHECK(*O->getInteger("flagged") == 1);
  const llvm::json::Array *Fqs = O->getArray("fake_quants");
  REQUIRE(Fqs);
  REQUIRE(Fqs->size() == 3);
  CHECK(*(*Fqs)[1].getAsObject()->getString("kind") == "weight");
  CHECK(*(*Fqs)[2].getAsObject()->getBoolean("flagged"));
  CHECK((*Fqs)[1].getAsObject()->get("observed_min")->kind() == llvm::json::Value::Null);
}

TEST_CASE("graphs without fake quants are refused with what to run", "[report]") {
  auto G = parseGraph(R"(graph @g {
    %x = placeholder : f32[?, 4]
    %r = relu(%x) : f32[?, 4]
    output(%r)
  })",
                      "float.qir");
  REQUIRE_OK(G);
  auto R = computeQuantReport(**G, {sampleInputs()});
  REQUIRE_FALSE(bool(R));
  CHECK(llvm::toString(R.takeError()).find("needs a prepared graph") != std::string::npos);
  std::unique_ptr<Graph> P = smallGraph();
  setValues<float>(*P, "fc.fq.scale", {0.01f});
  setValues<int32_t>(*P, "fc.fq.zero_point", {0});
  auto Bad = computeQuantReport(*P, {Tensor::zeros({0, 4})});
  REQUIRE_FALSE(bool(Bad));
  CHECK(llvm::toString(Bad.takeError()).find("input 'x'") != std::string::npos);
}
