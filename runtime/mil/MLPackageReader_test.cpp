//===- MLPackageReader_test.cpp - Reading packages: errors and MIL forms --===//
//
// Corrupted packages fail with messages that name the file, op or value;
// hand-written ML Programs in forms the writer never produces (pad_type
// "same", num_splits, squeeze masks, general sigmoid_hard, float zero
// points, block-wise scales) execute with Core ML's semantics.
//
//===----------------------------------------------------------------------===//
#include "runtime/mil/MilImporter.h"

#include "passes/mil/MLPackageWriter.h"
#include "passes/mil/MilValue.h"
#include "passes/mil/PackageLayout.h"
#include "passes/mil/testing/TestFiles.h"
#include "passes/mil/testing/TestGraphs.h"
#include "runtime/Executor.h"

#include "tests/support/TestHelpers.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace qatc;
using namespace qatc::mil;
using namespace qatc::mil::testing;
using runtime::Tensor;
namespace CML = CoreML::Specification;
namespace Spec = CoreML::Specification::MILSpec;

namespace {

std::string at(llvm::StringRef Pkg, llvm::StringRef Rel) { return (Pkg + "/" + Rel).str(); }

CML::Model readModel(llvm::StringRef Pkg) {
  CML::Model M;
  REQUIRE(M.ParseFromString(readFile(at(Pkg, kModelFile))));
  return M;
}

void writeModel(llvm::StringRef Pkg, const CML::Model &M) {
  writeFile(at(Pkg, kModelFile), serializeModel(M));
}

Spec::Block &mainBlock(CML::Model &M) {
  Spec::Function &F = (*M.mutable_mlprogram()->mutable_functions())["main"];
  return (*F.mutable_block_specializations())[F.opset()];
}

Spec::Operation &opNamed(CML::Model &M, llvm::StringRef Name) {
  for (Spec::Operation &Op : *mainBlock(M).mutable_operations())
    if (Op.outputs_size() && Op.outputs(0).name() == Name)
      return Op;
  FAIL("no op " << Name.str());
  return *mainBlock(M).mutable_operations(0);
}

std::string loadError(llvm::StringRef Pkg) {
  return qatc::testing::errorText(loadMLPackageGraph(Pkg).takeError());
}

/// A fresh float CNN package in Dir/Name.
std::string floatPackage(llvm::StringRef Dir, llvm::StringRef Name) {
  std::string Pkg = (Dir + "/" + Name).str();
  REQUIRE_OK(writeMLPackage(*floatCnn(), Pkg));
  return Pkg;
}

/// Builds an ML Program by hand (forms qatc's writer does not produce).
struct ProgramBuilder {
  LoweredModel L;
  BlobWriter Blobs;
  Spec::Block *B;
  Spec::Function *F;

  ProgramBuilder() {
    L.Model.set_specificationversion(8);
    L.Model.mutable_mlprogram()->set_version(1);
    F = &(*L.Model.mutable_mlprogram()->mutable_functions())["main"];
    F->set_opset("CoreML7");
    B = &(*F->mutable_block_specializations())["CoreML7"];
  }
  void input(const std::string &Name, llvm::ArrayRef<int64_t> Dims) {
    Spec::NamedValueType *In = F->add_inputs();
    In->set_name(Name);
    *In->mutable_type() = tensorValueType(Spec::FLOAT32, Dims);
  }
  Spec::Value value(const MilTensor &T) {
    return encodeValue(T, belongsInBlob(T, 10) ? &Blobs : nullptr);
  }
  void constant(const std::string &Name, const MilTensor &T) {
    Spec::Operation *Op = B->add_operations();
    Op->set_type("const");
    Spec::NamedValueType *O = Op->add_outputs();
    O->set_name(Name);
    *O->mutable_type() = tensorValueType(T.DType, T.Shape);
    (*Op->mutable_attributes())["val"] = value(T);
  }
  /// An op with named bindings; each entry of Consts becomes a const op.
  Spec::Operation &op(const std::string &Type, const std::string &Out,
                      std::vector<std::pair<std::string, std::string>> Names,
                      std::vector<std::pair<std::string, MilTensor>> Consts,
                      llvm::ArrayRef<int64_t> OutDims, MilDType OutType = Spec::FLOAT32) {
    for (auto &[Param, T] : Consts) {
      constant(Out + "_" + Param, T);
      Names.push_back({Param, Out + "_" + Param});
    }
    Spec::Operation *Op = B->add_operations();
    Op->set_type(Type);
    for (auto &[Param, Name] : Names)
      (*Op->mutable_inputs())[Param].add_arguments()->set_name(Name);
    Spec::NamedValueType *O = Op->add_outputs();
    O->set_name(Out);
    *O->mutable_type() = tensorValueType(OutType, OutDims);
    return *Op;
  }
  std::string write(llvm::StringRef Dir, llvm::StringRef Name) {
    L.Weights = Blobs.bytes();
    std::string Pkg = (Dir + "/" + Name).str();
    REQUIRE_OK(writeLoweredPackage(L, Pkg));
    return Pkg;
  }
};

std::vector<float> runPackage(llvm::StringRef Pkg, llvm::ArrayRef<Tensor> In,
                              unsigned Output = 0) {
  auto G = loadMLPackageGraph(Pkg);
  REQUIRE_OK(G);
  auto E = runtime::Executor::create(**G);
  REQUIRE_OK(E);
  auto R = (*E)->forward(In, runtime::RunOptions());
  REQUIRE_OK(R);
  const Tensor &T = (*R)[Output];
  return std::vector<float>(T.f32(), T.f32() + T.numel());
}

std::vector<float> iota(size_t N, float Start = 0, float Step = 1) {
  std::vector<float> V(N);
  for (size_t I = 0; I < N; ++I)
    V[I] = Start + Step * float(I);
  return V;
}

} // namespace

TEST_CASE("packages that are not there or not packages", "[mil][reader]") {
  std::string Dir = freshDir("missing");
  CHECK(loadError(Dir + "/none.mlpackage") ==
        Dir + "/none.mlpackage: no such package; an .mlpackage is a directory");
  writeFile(Dir + "/file.mlpackage", "x");
  CHECK(loadError(Dir + "/file.mlpackage") ==
        Dir + "/file.mlpackage: not a directory; an .mlpackage is a directory");
  llvm::sys::fs::create_directories(Dir + "/empty.mlpackage");
  CHECK(loadError(Dir + "/empty.mlpackage")
            .find(Dir + "/empty.mlpackage/Manifest.json: cannot read") == 0);
  std::string Pkg = floatPackage(Dir, "nomodel.mlpackage");
  llvm::sys::fs::remove(at(Pkg, kModelFile));
  CHECK(loadError(Pkg).find("names 'com.apple.CoreML/model.mlmodel', which does not exist in "
                            "the package") != std::string::npos);
  Pkg = floatPackage(Dir, "badmanifest.mlpackage");
  writeFile(at(Pkg, kManifestFile), "{\"fileFormatVersion\": \"2.0.0\"}");
  CHECK(loadError(Pkg) == at(Pkg, kManifestFile) +
                              ": fileFormatVersion \"2.0.0\" is not supported (expected 1.0.0)");
}

TEST_CASE("models that are not valid ML Programs", "[mil][reader]") {
  std::string Dir = freshDir("models");
  std::string Pkg = floatPackage(Dir, "garbage.mlpackage");
  writeFile(at(Pkg, kModelFile), "\xff\xff\xff garbage");
  CHECK(loadError(Pkg) == at(Pkg, kModelFile) +
                              ": not a valid Core ML model (the protobuf does not parse); "
                              "rewrite the package");

  Pkg = floatPackage(Dir, "neural.mlpackage");
  CML::Model M = readModel(Pkg);
  M.clear_mlprogram();
  writeModel(Pkg, M);
  CHECK(loadError(Pkg).find("the model is not an ML Program (mlProgram, field 502, is unset)") !=
        std::string::npos);

  Pkg = floatPackage(Dir, "mismatch.mlpackage");
  M = readModel(Pkg);
  M.set_specificationversion(7);
  writeModel(Pkg, M);
  CHECK(loadError(Pkg) == at(Pkg, kModelFile) +
                              ": specification version 7 does not pair with opset \"CoreML7\" "
                              "(expected 6/CoreML5, 7/CoreML6, 8/CoreML7 or 9/CoreML8)");
}

TEST_CASE("corrupt blob references and weights are caught", "[mil][reader]") {
  std::string Dir = freshDir("blobs");
  std::string Pkg = floatPackage(Dir, "offset.mlpackage");
  CML::Model M = readModel(Pkg);
  Spec::Value &Val = (*opNamed(M, "conv2_weight").mutable_attributes())["val"];
  REQUIRE(Val.has_blobfilevalue());
  Val.mutable_blobfilevalue()->set_offset(Val.blobfilevalue().offset() + 8);
  writeModel(Pkg, M);
  CHECK(loadError(Pkg).find(Pkg + ": operation 'conv2_weight' (const): conv2_weight: ") == 0);
  CHECK(loadError(Pkg).find("no blob metadata (sentinel 0xDEADBEEF) at offset 456") !=
        std::string::npos);

  Pkg = floatPackage(Dir, "truncated.mlpackage");
  std::string W = readFile(at(Pkg, kWeightFile));
  writeFile(at(Pkg, kWeightFile), W.substr(0, W.size() - 20));
  CHECK(loadError(Pkg).find("the file is truncated") != std::string::npos);

  Pkg = floatPackage(Dir, "dtype.mlpackage");
  M = readModel(Pkg);
  Spec::Value &Val2 = (*opNamed(M, "conv2_weight").mutable_attributes())["val"];
  Val2.mutable_type()->mutable_tensortype()->set_datatype(Spec::FLOAT16);
  writeModel(Pkg, M);
  CHECK(loadError(Pkg).find("holds fp32 but the model declares fp16") != std::string::npos);

  Pkg = floatPackage(Dir, "noweights.mlpackage");
  llvm::sys::fs::remove(at(Pkg, kWeightFile));
  CHECK(loadError(Pkg).find("refers to weights/weight.bin, which the package lacks") !=
        std::string::npos);

  Pkg = floatPackage(Dir, "version.mlpackage");
  W = readFile(at(Pkg, kWeightFile));
  W[4] = 1;
  writeFile(at(Pkg, kWeightFile), W);
  CHECK(loadError(Pkg) == at(Pkg, kWeightFile) +
                              ": blob storage version 1 is not supported (expected 2); rewrite "
                              "the package with a current writer");
}

TEST_CASE("bad programs name the operation", "[mil][reader]") {
  std::string Dir = freshDir("programs");
  std::string Pkg = floatPackage(Dir, "unknown.mlpackage");
  CML::Model M = readModel(Pkg);
  opNamed(M, "relu1").set_type("relu_custom");
  opNamed(M, "relu2").set_type("erf");
  writeModel(Pkg, M);
  CHECK(loadError(Pkg) == Pkg + ": the program uses 2 op type(s) the reference executor does "
                                "not implement: erf, relu_custom");

  Pkg = floatPackage(Dir, "type.mlpackage");
  M = readModel(Pkg);
  *opNamed(M, "relu1").mutable_outputs(0)->mutable_type() =
      tensorValueType(Spec::FLOAT32, {2, 8, 8, 9});
  writeModel(Pkg, M);
  CHECK(loadError(Pkg) == Pkg + ": operation 'relu1' (relu): output 'relu1' is declared "
                                "fp32[2, 8, 8, 9] but the operation computes f32[2, 8, 8, 8]");

  Pkg = floatPackage(Dir, "missing.mlpackage");
  M = readModel(Pkg);
  opNamed(M, "relu1").mutable_inputs()->erase("x");
  writeModel(Pkg, M);
  CHECK(loadError(Pkg) ==
        Pkg + ": operation 'relu1' (relu): required parameter 'x' is missing");

  Pkg = floatPackage(Dir, "undefined.mlpackage");
  M = readModel(Pkg);
  (*opNamed(M, "relu2").mutable_inputs())["x"].mutable_arguments(0)->set_name("nope");
  writeModel(Pkg, M);
  CHECK(loadError(Pkg) == Pkg + ": operation 'relu2' (relu): parameter 'x' reads 'nope', which "
                                "is not defined before it");

  Pkg = floatPackage(Dir, "strides.mlpackage");
  M = readModel(Pkg);
  (*opNamed(M, "conv1").mutable_inputs())["strides"].mutable_arguments(0)->set_name("relu1");
  writeModel(Pkg, M);
  CHECK(loadError(Pkg).find("parameter 'strides' must be a constant, but 'relu1' is computed "
                            "at run time") != std::string::npos);
}

TEST_CASE("hand-written MIL forms execute with Core ML semantics", "[mil][reader]") {
  std::string Dir = freshDir("forms");

  SECTION("sigmoid_hard with other parameters is clip(alpha * x + beta, 0, 1)") {
    ProgramBuilder P;
    P.input("x", {7});
    P.op("sigmoid_hard", "y", {{"x", "x"}},
         {{"alpha", MilTensor::scalarFloat(0.2f)}, {"beta", MilTensor::scalarFloat(0.3f)}}, {7});
    P.B->add_outputs("y");
    std::vector<float> X = {-9, -2, -1.5f, 0, 1, 3.5f, 9};
    std::vector<float> Y = runPackage(P.write(Dir, "sh.mlpackage"), {Tensor::fromFloats({7}, X)});
    for (size_t I = 0; I < X.size(); ++I)
      CHECK(Y[I] == std::min(std::max(X[I] * 0.2f + 0.3f, 0.0f), 1.0f));
  }

  SECTION("conv with pad_type same pads like Core ML") {
    ProgramBuilder P;
    P.input("x", {1, 1, 7, 7});
    std::vector<float> W = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    P.op("conv", "y", {{"x", "x"}},
         {{"weight", MilTensor::floats({1, 1, 3, 3}, W)},
          {"strides", MilTensor::int32s({2, 2})},
          {"pad_type", MilTensor::scalarString("same")}},
         {1, 1, 4, 4});
    P.B->add_outputs("y");
    std::vector<float> Y =
        runPackage(P.write(Dir, "same.mlpackage"), {Tensor::fromFloats({1, 1, 7, 7}, iota(49))});
    // out = ceil(7 / 2) = 4; total padding (4 - 1) * 2 + 3 - 7 = 2: one each side.
    auto X = [](int R, int C) { return R < 0 || C < 0 || R >= 7 || C >= 7 ? 0.0f : float(R * 7 + C); };
    for (int R = 0; R < 4; ++R)
      for (int C = 0; C < 4; ++C) {
        float Sum = 0;
        for (int I = 0; I < 3; ++I)
          for (int J = 0; J < 3; ++J)
            Sum += W[I * 3 + J] * X(2 * R - 1 + I, 2 * C - 1 + J);
        CHECK(Y[R * 4 + C] == Approx(Sum));
      }
  }

  SECTION("split by num_splits, slice_by_index with masks, matmul with transpose") {
    ProgramBuilder P;
    P.input("x", {2, 6});
    Spec::Operation &S = P.op("split", "a", {{"x", "x"}},
                              {{"num_splits", MilTensor::scalarInt32(2)},
                               {"axis", MilTensor::scalarInt32(1)}},
                              {2, 3});
    Spec::NamedValueType *B = S.add_outputs();
    B->set_name("b");
    *B->mutable_type() = tensorValueType(Spec::FLOAT32, {2, 3});
    P.op("slice_by_index", "row", {{"x", "b"}},
         {{"begin", MilTensor::int32s({1, 1})},
          {"end", MilTensor::int32s({0, 0})},
          {"end_mask", MilTensor::bools({false, true})},
          {"squeeze_mask", MilTensor::bools({true, false})}},
         {2});
    P.op("matmul", "m", {{"x", "a"}, {"y", "b"}}, {{"transpose_y", MilTensor::scalarBool(true)}},
         {2, 2});
    P.B->add_outputs("row");
    P.B->add_outputs("m");
    std::string Pkg = P.write(Dir, "split.mlpackage");
    std::vector<float> X = iota(12);
    std::vector<float> Row = runPackage(Pkg, {Tensor::fromFloats({2, 6}, X)}, 0);
    CHECK(Row == std::vector<float>{10, 11}); // b[1, 1:]
    std::vector<float> Mm = runPackage(Pkg, {Tensor::fromFloats({2, 6}, X)}, 1);
    // a = [[0,1,2],[6,7,8]], b = [[3,4,5],[9,10,11]]; a @ b^T
    CHECK(Mm == std::vector<float>{0 * 3 + 1 * 4 + 2 * 5, 0 * 9 + 1 * 10 + 2 * 11,
                                   6 * 3 + 7 * 4 + 8 * 5, 6 * 9 + 7 * 10 + 8 * 11});
  }

  SECTION("constexpr ops with float zero points and block-wise scales fold") {
    ProgramBuilder P;
    P.input("x", {1, 4});
    // Affine with an fp32 zero point, per channel along axis 0.
    Spec::Operation &A = P.op("constexpr_affine_dequantize", "wa", {}, {}, {2, 4});
    (*A.mutable_attributes())["quantized_data"] =
        P.value(MilTensor::integers(Spec::UINT8, {2, 4}, {0, 1, 2, 3, 10, 20, 30, 40}));
    (*A.mutable_attributes())["zero_point"] = P.value(MilTensor::floats({2}, {0.5f, 10.0f}));
    (*A.mutable_attributes())["scale"] = P.value(MilTensor::floats({2}, {2.0f, 0.5f}));
    (*A.mutable_attributes())["axis"] = P.value(MilTensor::scalarInt32(0));
    // Block-wise: blocks of 2 along dim 1, int4 data, int4 offsets.
    Spec::Operation &B = P.op("constexpr_blockwise_shift_scale", "wb", {}, {}, {2, 4});
    (*B.mutable_inputs())["data"].add_arguments()->mutable_value()->CopyFrom(
        P.value(MilTensor::integers(Spec::INT4, {2, 4}, {-8, -1, 0, 7, 1, 2, 3, 4})));
    (*B.mutable_inputs())["scale"].add_arguments()->mutable_value()->CopyFrom(
        P.value(MilTensor::floats({2, 2}, {1, 2, 3, 4})));
    (*B.mutable_inputs())["offset"].add_arguments()->mutable_value()->CopyFrom(
        P.value(MilTensor::integers(Spec::INT4, {2, 2}, {0, 1, -1, 2})));
    P.op("linear", "ya", {{"x", "x"}, {"weight", "wa"}}, {}, {1, 2});
    P.op("linear", "yb", {{"x", "x"}, {"weight", "wb"}}, {}, {1, 2});
    P.B->add_outputs("ya");
    P.B->add_outputs("yb");
    std::string Pkg = P.write(Dir, "constexpr.mlpackage");
    std::vector<float> X = {1, 10, 100, 1000};
    std::vector<float> WA = {(0 - 0.5f) * 2, (1 - 0.5f) * 2, (2 - 0.5f) * 2, (3 - 0.5f) * 2,
                             (10 - 10.0f) * 0.5f, (20 - 10.0f) * 0.5f, (30 - 10.0f) * 0.5f,
                             (40 - 10.0f) * 0.5f};
    std::vector<float> WB = {(-8 - 0) * 1.0f, (-1 - 0) * 1.0f, (0 - 1) * 2.0f, (7 - 1) * 2.0f,
                             (1 + 1) * 3.0f,  (2 + 1) * 3.0f,  (3 - 2) * 4.0f, (4 - 2) * 4.0f};
    auto dot = [&](const std::vector<float> &W, int Row) {
      float S = 0;
      for (int I = 0; I < 4; ++I)
        S += X[I] * W[Row * 4 + I];
      return S;
    };
    std::vector<float> YA = runPackage(Pkg, {Tensor::fromFloats({1, 4}, X)}, 0);
    std::vector<float> YB = runPackage(Pkg, {Tensor::fromFloats({1, 4}, X)}, 1);
    CHECK(YA[0] == Approx(dot(WA, 0)));
    CHECK(YA[1] == Approx(dot(WA, 1)));
    CHECK(YB[0] == Approx(dot(WB, 0)));
    CHECK(YB[1] == Approx(dot(WB, 1)));
  }

  SECTION("expand_dims with several axes and reshape with 0") {
    ProgramBuilder P;
    P.input("x", {2, 3});
    P.op("expand_dims", "e", {{"x", "x"}}, {{"axes", MilTensor::int32s({0, -1})}}, {1, 2, 3, 1});
    P.op("reshape", "r", {{"x", "e"}}, {{"shape", MilTensor::int32s({0, 3, 2, 0})}},
         {1, 3, 2, 1});
    P.B->add_outputs("r");
    std::vector<float> Y =
        runPackage(P.write(Dir, "expand.mlpackage"), {Tensor::fromFloats({2, 3}, iota(6))});
    CHECK(Y == iota(6));
  }
}

TEST_CASE("mutated model and weight bytes never crash the reader", "[mil][reader]") {
  std::string Dir = freshDir("mutations");
  std::string Pkg = joinPath(Dir, "q.mlpackage");
  MilOptions O;
  O.Target = MilTarget::IOS18;
  REQUIRE_OK(writeMLPackage(*quantizedCnn(4), Pkg, O));
  const std::string Model = readFile(at(Pkg, kModelFile));
  const std::string Weights = readFile(at(Pkg, kWeightFile));
  std::mt19937 Rng(17);
  unsigned Loaded = 0, Refused = 0;
  for (int Trial = 0; Trial < 300; ++Trial) {
    std::string M = Model, W = Weights;
    std::string &Target = Trial % 3 == 2 ? W : M;
    int Edits = 1 + int(Rng() % 4);
    for (int E = 0; E < Edits; ++E) {
      size_t At = Rng() % Target.size();
      switch (Rng() % 3) {
      case 0:
        Target[At] = char(Rng());
        break;
      case 1:
        Target[At] = char(Target[At] ^ (1 << (Rng() % 8)));
        break;
      default:
        Target.resize(At);
        break;
      }
      if (Target.empty())
        Target = "x";
    }
    writeFile(at(Pkg, kModelFile), M);
    writeFile(at(Pkg, kWeightFile), W);
    auto G = loadMLPackageGraph(Pkg);
    if (G) {
      ++Loaded;
    } else {
      ++Refused;
      std::string Message = llvm::toString(G.takeError());
      CHECK(llvm::StringRef(Message).startswith(Pkg));
    }
  }
  INFO(Loaded << " loaded, " << Refused << " refused");
  CHECK(Refused > 100);
}
