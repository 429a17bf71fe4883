//===- Quantization_test.cpp - quantize and dequantize against PyTorch ----===//

#include "runtime/quant/testing/FixtureFile.h"
#include "runtime/testing/OpTester.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

/// The case's axis attribute, if any.
llvm::SmallVector<NamedAttribute, 0> axisAttr(const FixtureCase &C) {
  llvm::SmallVector<NamedAttribute, 0> Attrs;
  if (C.Ints.count("axis"))
    Attrs.push_back({"axis", Attribute(C.Ints.lookup("axis"))});
  return Attrs;
}

/// Runs Op and returns its single output.
Tensor runSingle(const OpCase &Op) {
  auto Out = runOp(Op);
  REQUIRE_OK(Out);
  return Out->front();
}

} // namespace

TEST_CASE("quantize and dequantize are bit-exact with torch", "[quantization][torch]") {
  auto Cases = readFixtureFile("runtime/quant/fixtures/quantize.txt");
  REQUIRE_OK(Cases);
  REQUIRE(Cases->size() == 18);
  int64_t Saturated = 0;
  for (const FixtureCase &C : *Cases) {
    INFO("case " << C.Name);
    DType D = *parseDType(C.Strings.lookup("dtype"));
    llvm::SmallVector<NamedAttribute, 0> Attrs = axisAttr(C);
    Attrs.push_back({"dtype", Attribute(D)});
    Tensor Q = runSingle(
        OpCase{"quantize", {C.tensor("x"), C.tensor("scale"), C.tensor("zero_point")}, Attrs});
    const Tensor &Want = C.tensor("q");
    CHECK_BITS(Q, Want);
    Tensor Y = runSingle(
        OpCase{"dequantize", {Want, C.tensor("scale"), C.tensor("zero_point")}, axisAttr(C)});
    CHECK_BITS(Y, C.tensor("y"));
    if (D == DType::U8)
      for (int64_t I = 0; I < Q.numel(); ++I)
        Saturated += Q.data<uint8_t>()[I] == 0 || Q.data<uint8_t>()[I] == 255;
  }
  CHECK(Saturated > 10);
}

TEST_CASE("dequantize(quantize(x)) is the fake quant of x", "[quantization]") {
  std::mt19937 Rng(17);
  Tensor X = randomTensor({4, 3, 5}, Rng, -4, 4);
  for (DType D : {DType::U8, DType::I8}) {
    int64_t Min = D == DType::U8 ? 0 : -128, Max = D == DType::U8 ? 255 : 127;
    for (bool PerChannel : {false, true}) {
      INFO(dtypeName(D).str() << (PerChannel ? " per channel" : " per tensor"));
      int64_t N = PerChannel ? 3 : 1;
      Tensor Scale = randomTensor({N}, Rng, 0.01f, 0.04f);
      Tensor Zp = Tensor::zeros({N}, DType::I32);
      for (int64_t I = 0; I < N; ++I)
        Zp.data<int32_t>()[I] = int32_t(Min + 20 + 30 * I);
      llvm::SmallVector<NamedAttribute, 0> Axis;
      if (PerChannel)
        Axis.push_back({"axis", Attribute(1)});
      llvm::SmallVector<NamedAttribute, 0> QAttrs = Axis;
      QAttrs.push_back({"dtype", Attribute(D)});
      Tensor Q = runSingle(OpCase{"quantize", {X, Scale, Zp}, QAttrs});
      Tensor Y = runSingle(OpCase{"dequantize", {Q, Scale, Zp}, Axis});
      llvm::SmallVector<NamedAttribute, 0> FqAttrs = Axis;
      FqAttrs.push_back({"quant_min", Attribute(Min)});
      FqAttrs.push_back({"quant_max", Attribute(Max)});
      Tensor Fq = runSingle(OpCase{"fake_quantize", {X, Scale, Zp}, FqAttrs});
      CHECK_BITS(Y, Fq);
    }
  }
}

TEST_CASE("quantize clamps to the dtype and sends NaN to its minimum", "[quantization]") {
  Tensor X = Tensor::fromFloats({5}, {1e30f, -1e30f, std::nanf(""), 0.25f, 0.75f});
  Tensor Scale = Tensor::full({1}, 0.5f), Zp = Tensor::zeros({1}, DType::I32);
  Tensor Q = runSingle(OpCase{"quantize", {X, Scale, Zp}, {{"dtype", Attribute(DType::I8)}}});
  llvm::SmallVector<int8_t, 5> Got(Q.data<int8_t>(), Q.data<int8_t>() + 5);
  // 0.25 / 0.5 = 0.5 rounds to even 0; 0.75 / 0.5 = 1.5 rounds to 2.
  CHECK(Got == llvm::SmallVector<int8_t, 5>{127, -128, -128, 0, 2});
  Tensor Q32 = runSingle(OpCase{"quantize", {X, Scale, Zp}, {{"dtype", Attribute(DType::I32)}}});
  CHECK(Q32.data<int32_t>()[0] == std::numeric_limits<int32_t>::max());
  CHECK(Q32.data<int32_t>()[1] == std::numeric_limits<int32_t>::min());
}
