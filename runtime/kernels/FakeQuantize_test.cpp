//===- FakeQuantize_test.cpp - fake_quantize against PyTorch --------------===//

#include "runtime/quant/Observer.h"
#include "runtime/quant/testing/FixtureFile.h"
#include "runtime/testing/OpTester.h"

#include "ir/Builder.h"
#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

constexpr float Inf = std::numeric_limits<float>::infinity();

Tensor flag(bool On) {
  Tensor T = Tensor::empty({1}, DType::U8);
  T.data<uint8_t>()[0] = On;
  return T;
}

/// The quant range and axis of a fixture case as attributes.
llvm::SmallVector<NamedAttribute, 0> rangeAttrs(const FixtureCase &C) {
  llvm::SmallVector<NamedAttribute, 0> Attrs = {
      {"quant_min", Attribute(C.Ints.lookup("quant_min"))},
      {"quant_max", Attribute(C.Ints.lookup("quant_max"))}};
  if (C.Ints.count("axis"))
    Attrs.push_back({"axis", Attribute(C.Ints.lookup("axis"))});
  return Attrs;
}

/// Runs B forward (recording gradients) and backward from Dy; returns the
/// output.
Tensor forwardBackward(BuiltOp &B, const Tensor &Dy, bool UpdateState = true) {
  RunOptions Opts;
  Opts.UpdateState = UpdateState;
  Opts.RecordGradients = true;
  auto Out = B.Exec->forward({}, Opts);
  REQUIRE_OK(Out);
  REQUIRE_OK(B.Exec->backward({Dy}));
  return Out->front();
}

/// The live value and gradient of operand I.
const Tensor &operand(const BuiltOp &B, unsigned I) {
  return B.Exec->parameter(B.OperandParams[I]);
}
const Tensor &gradient(const BuiltOp &B, unsigned I) {
  return B.Exec->gradient(B.OperandParams[I]);
}

/// Whether operand I's parameter is trainable.
bool trainable(const BuiltOp &B, unsigned I) {
  for (Parameter *P : B.Exec->trainableParameters())
    if (P == B.OperandParams[I])
      return true;
  return false;
}

std::vector<FixtureCase> readCases(llvm::StringRef File) {
  auto Cases = readFixtureFile(("runtime/quant/fixtures/" + File).str());
  REQUIRE_OK(Cases);
  return *Cases;
}

/// An observing fake quant over X with fresh state (scale 1, zero point 0,
/// range unobserved) of Channels elements and both flags set.
OpCase observingCase(const Tensor &X, int64_t Channels, DType ZeroPointType,
                     llvm::SmallVector<NamedAttribute, 0> Attrs) {
  return OpCase{"fake_quantize",
                {X, Tensor::full({Channels}, 1.0f), Tensor::zeros({Channels}, ZeroPointType),
                 flag(true), flag(true), Tensor::full({Channels}, Inf),
                 Tensor::full({Channels}, -Inf)},
                std::move(Attrs)};
}

/// Checks a learnable scale or zero-point gradient against the fixture's
/// Name + Suffix tensors: within 1e-5 relative of the exact sum of torch's
/// per-element terms, and within 1e-5 of the terms' magnitude of torch's own
/// float32 sum (whose rounding is larger than ours when the terms cancel).
void checkLearnableGradient(const Tensor &Got, const FixtureCase &C, llvm::StringRef Name,
                            llvm::StringRef Suffix) {
  const Tensor &Torch = C.tensor((Name + Suffix).str());
  const Tensor &Exact = C.tensor((Name + "_exact" + Suffix).str());
  const Tensor &Magnitude = C.tensor((Name + "_abs" + Suffix).str());
  INFO(Name.str() << Suffix.str());
  CHECK(relativeError(Got, Exact) < 1e-5);
  for (int64_t I = 0; I < Got.numel(); ++I)
    CHECK(std::fabs(Got.f32()[I] - Torch.f32()[I]) <= 1e-5 * Magnitude.f32()[I]);
}

} // namespace

TEST_CASE("vanilla fake quant is bit-exact with torch", "[fake_quantize][torch]") {
  std::vector<FixtureCase> Cases = readCases("fake_quantize.txt");
  REQUIRE(Cases.size() == 52);
  int64_t Clamped = 0, Passed = 0;
  for (const FixtureCase &C : Cases) {
    INFO("case " << C.Name);
    OpCase Op{
        "fake_quantize", {C.tensor("x"), C.tensor("scale"), C.tensor("zero_point")}, rangeAttrs(C)};
    auto B = buildOp(Op);
    REQUIRE_OK(B);
    Tensor Y = forwardBackward(*B, C.tensor("dy"));
    CHECK_BITS(Y, C.tensor("y"));
    CHECK_BITS(gradient(*B, 0), C.tensor("dx"));
    CHECK(!trainable(*B, 1));
    // The fixtures must exercise both sides of the mask.
    for (int64_t I = 0; I < C.tensor("dx").numel(); ++I)
      (C.tensor("dx").f32()[I] == 0 ? Clamped : Passed)++;
  }
  CHECK(Clamped > 100);
  CHECK(Passed > 1000);
}

TEST_CASE("observers in fake_quantize follow torch FakeQuantize over four batches",
          "[fake_quantize][torch]") {
  std::vector<FixtureCase> Cases = readCases("observers.txt");
  REQUIRE(Cases.size() == 72);
  for (const FixtureCase &C : Cases) {
    INFO("case " << C.Name);
    llvm::SmallVector<NamedAttribute, 0> Attrs = rangeAttrs(C);
    Attrs.push_back({"observer", Attribute(C.Strings.lookup("observer"))});
    Attrs.push_back({"scheme", Attribute(C.Strings.lookup("scheme"))});
    for (const auto &KV : C.Floats)
      Attrs.push_back({KV.getKey().str(), Attribute(KV.getValue())});
    int64_t Channels = C.tensor("scale0").numel();
    auto B = buildOp(observingCase(C.tensor("x0"), Channels, DType::I32, Attrs));
    REQUIRE_OK(B);
    for (int64_t Batch = 0; Batch < C.getInt("batches", 0); ++Batch) {
      INFO("batch " << Batch);
      std::string S = std::to_string(Batch);
      operand(*B, 0).copyFrom(C.tensor("x" + S));
      Tensor Y = forwardBackward(*B, C.tensor("dy" + S));
      CHECK_BITS(Y, C.tensor("y" + S));
      CHECK_BITS(gradient(*B, 0), C.tensor("dx" + S));
      CHECK_BITS(operand(*B, 1), C.tensor("scale" + S));
      CHECK_BITS(operand(*B, 2), C.tensor("zero_point" + S));
      CHECK_BITS(operand(*B, 5), C.tensor("min_val" + S));
      CHECK_BITS(operand(*B, 6), C.tensor("max_val" + S));
    }
  }
}

TEST_CASE("learnable fake quant matches torch's LSQ kernels", "[fake_quantize][torch]") {
  std::vector<FixtureCase> Cases = readCases("learnable.txt");
  REQUIRE(Cases.size() == 27);
  for (const FixtureCase &C : Cases) {
    if (C.Name == "observing")
      continue;
    INFO("case " << C.Name);
    llvm::SmallVector<NamedAttribute, 0> Attrs = rangeAttrs(C);
    Attrs.push_back({"algorithm", Attribute("learnable")});
    Attrs.push_back({"scheme", Attribute(C.Strings.lookup("scheme"))});
    OpCase Op{"fake_quantize", {C.tensor("x"), C.tensor("scale"), C.tensor("zero_point")}, Attrs};
    auto B = buildOp(Op);
    REQUIRE_OK(B);
    Tensor Y = forwardBackward(*B, C.tensor("dy"));
    CHECK_BITS(Y, C.tensor("y"));
    CHECK_BITS(gradient(*B, 0), C.tensor("dx"));
    REQUIRE(gradient(*B, 1).defined());
    checkLearnableGradient(gradient(*B, 1), C, "dscale", "");
    bool Affine = C.Strings.lookup("scheme") == "affine";
    CHECK(trainable(*B, 2) == Affine);
    if (Affine) {
      REQUIRE(gradient(*B, 2).defined());
      checkLearnableGradient(gradient(*B, 2), C, "dzero_point", "");
    }
  }
}

TEST_CASE("a learnable fake quant with its observer on restarts from the observer",
          "[fake_quantize][torch]") {
  std::vector<FixtureCase> Cases = readCases("learnable.txt");
  const FixtureCase *C = nullptr;
  for (const FixtureCase &Case : Cases)
    if (Case.Name == "observing")
      C = &Case;
  REQUIRE(C);
  auto B = buildOp(observingCase(
      C->tensor("x0"), 1, DType::F32,
      {{"observer", Attribute("moving_average_min_max")}, {"algorithm", Attribute("learnable")}}));
  REQUIRE_OK(B);
  for (int64_t Batch = 0; Batch < C->getInt("batches", 0); ++Batch) {
    INFO("batch " << Batch);
    std::string S = std::to_string(Batch);
    operand(*B, 0).copyFrom(C->tensor("x" + S));
    Tensor Y = forwardBackward(*B, C->tensor("dy" + S));
    CHECK_BITS(operand(*B, 1), C->tensor("scale" + S));
    CHECK_BITS(operand(*B, 2), C->tensor("zero_point" + S));
    CHECK_BITS(Y, C->tensor("y" + S));
    CHECK_BITS(gradient(*B, 0), C->tensor("dx" + S));
    checkLearnableGradient(gradient(*B, 1), *C, "dscale", S);
    checkLearnableGradient(gradient(*B, 2), *C, "dzero_point", S);
  }
}

TEST_CASE("fake quants sharing a site get gradients at their own forward-time qparams",
          "[fake_quantize]") {
  std::mt19937 Rng(23);
  Tensor X1 = randomTensor({3, 4}, Rng, -1, 2), X2 = randomTensor({3, 4}, Rng, -4, 5);
  Tensor Dy1 = randomTensor({3, 4}, Rng), Dy2 = randomTensor({3, 4}, Rng);
  llvm::SmallVector<NamedAttribute, 0> Attrs = {{"observer", Attribute("moving_average_min_max")},
                                                {"algorithm", Attribute("learnable")}};

  // One graph: both fake quants read the same state; the second observes
  // (and rewrites scale and zero point) before the first one's backward.
  Graph G("shared_site");
  Builder Build(G);
  auto Read = [&](llvm::StringRef Name, const Tensor &T) {
    Parameter *P = G.addParameter(Name, Type::tensor(T.dtype(), T.shape()));
    P->setData(std::vector<uint8_t>(T.bytes().begin(), T.bytes().end()));
    return Build.getAttr(P);
  };
  OpCase Fresh = observingCase(X1, 1, DType::F32, Attrs);
  llvm::SmallVector<Node *, 7> State = {nullptr};
  const char *Names[] = {
      "", "scale", "zero_point", "observer_enabled", "fake_quant_enabled", "min_val", "max_val"};
  for (unsigned I = 1; I < 7; ++I)
    State.push_back(Read(Names[I], Fresh.Operands[I]));
  State[0] = Read("x1", X1);
  auto Fq1 = Build.call("fake_quantize", State, Attrs, "fq1");
  REQUIRE_OK(Fq1);
  State[0] = Read("x2", X2);
  auto Fq2 = Build.call("fake_quantize", State, Attrs, "fq2");
  REQUIRE_OK(Fq2);
  Build.output({*Fq1, *Fq2});
  auto Exec = Executor::create(G);
  REQUIRE_OK(Exec);
  RunOptions Opts;
  Opts.UpdateState = true;
  Opts.RecordGradients = true;
  auto Outs = (*Exec)->forward({}, Opts);
  REQUIRE_OK(Outs);
  REQUIRE_OK((*Exec)->backward({Dy1, Dy2}));

  // The same two steps one at a time.
  auto First = buildOp(Fresh);
  REQUIRE_OK(First);
  forwardBackward(*First, Dy1);
  std::vector<Tensor> After = {X2};
  for (unsigned I = 1; I < 7; ++I)
    After.push_back(operand(*First, I).clone());
  auto Second = buildOp(OpCase{"fake_quantize", After, Attrs});
  REQUIRE_OK(Second);
  forwardBackward(*Second, Dy2);

  Tensor Sum =
      Tensor::fromFloats({1}, {gradient(*Second, 1).f32()[0] + gradient(*First, 1).f32()[0]});
  CHECK_BITS((*Exec)->gradient(G.lookupParameter("scale")), Sum);
  CHECK_BITS((*Exec)->gradient(G.lookupParameter("x1")), gradient(*First, 0));
  CHECK_BITS((*Exec)->gradient(G.lookupParameter("x2")), gradient(*Second, 0));
}

TEST_CASE("the observer flag and UpdateState gate every state change", "[fake_quantize]") {
  std::mt19937 Rng(7);
  Tensor X = randomTensor({4, 5}, Rng, -3, 3);
  Tensor Scale = Tensor::full({1}, 0.05f), Zp = Tensor::zeros({1}, DType::I32);
  Zp.data<int32_t>()[0] = 10;
  OpCase Observing{
      "fake_quantize",
      {X, Scale, Zp, flag(false), flag(true), Tensor::full({1}, -1.0f), Tensor::full({1}, 2.0f)},
      {{"observer", Attribute("moving_average_min_max")}}};
  auto Frozen = runOp(OpCase{"fake_quantize", {X, Scale, Zp}, {}});
  REQUIRE_OK(Frozen);

  auto StateBytes = [](const BuiltOp &B) {
    std::vector<uint8_t> Bytes;
    for (unsigned I : {1, 2, 5, 6})
      Bytes.insert(Bytes.end(), operand(B, I).bytes().begin(), operand(B, I).bytes().end());
    return Bytes;
  };
  auto B = buildOp(Observing);
  REQUIRE_OK(B);
  std::vector<uint8_t> Before = StateBytes(*B);
  RunOptions Update;
  Update.UpdateState = true;

  // Observer disabled: state unchanged, the stored qparams apply.
  auto Out = B->Exec->forward({}, Update);
  REQUIRE_OK(Out);
  CHECK(StateBytes(*B) == Before);
  CHECK_BITS(Out->front(), Frozen->front());

  // Observer enabled but the run does not update state.
  operand(*B, 3).data<uint8_t>()[0] = 1;
  Out = B->Exec->forward({}, RunOptions());
  REQUIRE_OK(Out);
  CHECK(StateBytes(*B) == Before);

  // Both: the running range moves 1% towards the batch and qparams follow.
  Out = B->Exec->forward({}, Update);
  REQUIRE_OK(Out);
  CHECK(StateBytes(*B) != Before);
  float BatchMin = *std::min_element(X.f32(), X.f32() + X.numel());
  CHECK(operand(*B, 5).f32()[0] == -1.0f + 0.01f * (BatchMin - -1.0f));
  quant::QParams Q = quant::computeQParams(operand(*B, 5).f32()[0], operand(*B, 6).f32()[0],
                                           quant::QScheme::Affine, quant::QuantRange{0, 255});
  CHECK(operand(*B, 1).f32()[0] == Q.Scale);
  CHECK(operand(*B, 2).data<int32_t>()[0] == Q.ZeroPoint);
}

TEST_CASE("fake quant disabled is the identity with an identity gradient", "[fake_quantize]") {
  std::mt19937 Rng(11);
  Tensor X = randomTensor({3, 4}, Rng, -5, 5), Dy = randomTensor({3, 4}, Rng);
  for (const char *Algorithm : {"vanilla", "learnable"}) {
    INFO(Algorithm);
    bool Learnable = llvm::StringRef(Algorithm) == "learnable";
    OpCase Op{"fake_quantize",
              {X, Tensor::full({1}, 0.1f), Tensor::zeros({1}, Learnable ? DType::F32 : DType::I32),
               flag(true), flag(false), Tensor::full({1}, Inf), Tensor::full({1}, -Inf)},
              {{"observer", Attribute("min_max")}, {"algorithm", Attribute(Algorithm)}}};
    auto B = buildOp(Op);
    REQUIRE_OK(B);
    Tensor Y = forwardBackward(*B, Dy);
    CHECK_BITS(Y, X);
    CHECK_BITS(gradient(*B, 0), Dy);
    // The observer still ran (torch's flags are independent).
    CHECK(operand(*B, 5).f32()[0] == *std::min_element(X.f32(), X.f32() + X.numel()));
    if (Learnable) {
      // x + 0 * scale + 0 * zp: the parameters get zero gradients, not none.
      REQUIRE(gradient(*B, 1).defined());
      CHECK_BITS(gradient(*B, 1), Tensor::zeros({1}));
      REQUIRE(gradient(*B, 2).defined());
      CHECK_BITS(gradient(*B, 2), Tensor::zeros({1}));
    }
  }
}

TEST_CASE("only the input and learnable qparams are differentiable", "[fake_quantize]") {
  std::mt19937 Rng(3);
  Tensor X = randomTensor({2, 3}, Rng);
  auto Trainable = [&](const char *Algorithm, const char *Scheme) {
    auto B = buildOp(OpCase{"fake_quantize",
                            {X, Tensor::full({3}, 0.1f), Tensor::zeros({3}, DType::F32), flag(true),
                             flag(true), Tensor::full({3}, Inf), Tensor::full({3}, -Inf)},
                            {{"observer", Attribute("min_max")},
                             {"algorithm", Attribute(Algorithm)},
                             {"scheme", Attribute(Scheme)},
                             {"axis", Attribute(1)}}});
    REQUIRE_OK(B);
    std::string Mask;
    for (unsigned I = 0; I < 7; ++I)
      Mask += trainable(*B, I) ? '1' : '0';
    return Mask;
  };
  CHECK(Trainable("vanilla", "affine") == "1000000");
  CHECK(Trainable("learnable", "symmetric") == "1100000");
  CHECK(Trainable("learnable", "affine") == "1110000");
}

TEST_CASE("fake_quantize reports operands that do not fit the input", "[fake_quantize]") {
  std::mt19937 Rng(5);
  Tensor X = randomTensor({2, 3}, Rng);
  auto B = buildOp(OpCase{"fake_quantize",
                          {X, Tensor::full({3}, 0.1f), Tensor::zeros({3}, DType::I32)},
                          {{"axis", Attribute(1)}}});
  REQUIRE_OK(B);
  const OpKernel *K = lookupKernel("fake_quantize");
  REQUIRE(K);
  auto Run = [&](std::vector<Tensor> Inputs) {
    ForwardArgs Args{*B->Call, Inputs};
    TensorList Out;
    return qatc::testing::errorText(K->Forward(Args, Out));
  };
  // A batch whose channel count differs from the qparams (a dynamic dim).
  CHECK(Run({randomTensor({3, 2}, Rng), Tensor::full({3}, 0.1f), Tensor::zeros({3}, DType::I32)}) ==
        "scale has 3 values but the input has 2 channels along 'axis'");
  CHECK(Run({X, Tensor::full({3}, 0.1f), Tensor::zeros({2}, DType::I32)}) ==
        "zero point has 2 values but the input has 3 channels along 'axis'");
  CHECK(Run({X, Tensor::full({3}, 0.1f), Tensor::zeros({3}, DType::Bool)}) ==
        "zero point must be i8, u8, i32, i64 or f32, not bool");
  CHECK(Run({randomTensor({6}, Rng), Tensor::full({3}, 0.1f), Tensor::zeros({3})}) ==
        "'axis' 1 is out of range for an input of rank 1");
}
