//===- MilFormat_test.cpp - MIL tensors, values, blob storage, manifest ---===//
#include "passes/mil/BlobStorage.h"
#include "passes/mil/MilNames.h"
#include "passes/mil/MilTarget.h"
#include "passes/mil/MilTensor.h"
#include "passes/mil/MilValue.h"
#include "passes/mil/PackageLayout.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace qatc;
using namespace qatc::mil;
namespace Spec = CoreML::Specification::MILSpec;

namespace {

uint32_t u32At(const std::string &S, size_t At) {
  uint32_t V;
  std::memcpy(&V, S.data() + At, 4);
  return V;
}

uint64_t u64At(const std::string &S, size_t At) {
  uint64_t V;
  std::memcpy(&V, S.data() + At, 8);
  return V;
}

std::string errorOf(llvm::Error E) { return qatc::testing::errorText(std::move(E)); }

} // namespace

TEST_CASE("targets pair specification versions with opsets", "[mil][format]") {
  CHECK(specificationVersion(MilTarget::IOS16) == 7);
  CHECK(specificationVersion(MilTarget::IOS17) == 8);
  CHECK(specificationVersion(MilTarget::IOS18) == 9);
  CHECK(opsetName(MilTarget::IOS16) == "CoreML6");
  CHECK(opsetName(MilTarget::IOS17) == "CoreML7");
  CHECK(opsetName(MilTarget::IOS18) == "CoreML8");
  auto T = parseTarget("iOS18");
  REQUIRE_OK(T);
  CHECK(*T == MilTarget::IOS18);
  auto Bad = parseTarget("ios15");
  CHECK(qatc::testing::errorText(Bad) ==
        "unknown Core ML target 'ios15'; use ios16, ios17 or ios18");
  CHECK(MilOptions().Target == MilTarget::IOS17);
  auto Pair = targetForVersion(8, "CoreML6");
  CHECK(qatc::testing::errorText(Pair).find("is not a supported pair") != std::string::npos);
}

TEST_CASE("names are sanitized to MIL identifiers", "[mil][format]") {
  CHECK(sanitizeName("layer1.0.conv1") == "layer1_0_conv1");
  CHECK(sanitizeName("input.1") == "input_1");
  CHECK(sanitizeName("1") == "var_1");
  CHECK(sanitizeName("onnx::Conv_3") == "onnx__Conv_3");
  CHECK(isValidName("x_1"));
  CHECK_FALSE(isValidName("1x"));
  CHECK_FALSE(isValidName("a.b"));
}

TEST_CASE("sub-byte tensors pack from the least significant bit", "[mil][format]") {
  MilTensor T = MilTensor::integers(Spec::INT4, {5}, {-8, 7, -1, 0, 3});
  REQUIRE(T.Bytes.size() == 3);
  CHECK(T.Bytes[0] == 0x78); // -8 = 0x8 low nibble, 7 high nibble
  CHECK(T.Bytes[1] == 0x0F); // -1 = 0xF low, 0 high
  CHECK(T.Bytes[2] == 0x03);
  CHECK(T.intValues() == std::vector<int64_t>{-8, 7, -1, 0, 3});
  MilTensor U = MilTensor::integers(Spec::UINT4, {3}, {15, 0, 9});
  CHECK(U.intValues() == std::vector<int64_t>{15, 0, 9});
  MilTensor Three = MilTensor::integers(Spec::UINT3, {4}, {7, 5, 1, 6});
  CHECK(Three.byteSize() == 2);
  CHECK(Three.intValues() == std::vector<int64_t>{7, 5, 1, 6});
  CHECK(integerRange(Spec::INT4) == std::make_pair(int64_t(-8), int64_t(7)));
  CHECK(integerRange(Spec::UINT8) == std::make_pair(int64_t(0), int64_t(255)));
}

TEST_CASE("half floats convert with round to nearest even", "[mil][format]") {
  CHECK(floatToHalf(1.0f) == 0x3C00);
  CHECK(floatToHalf(-2.0f) == 0xC000);
  CHECK(floatToHalf(65504.0f) == 0x7BFF);
  CHECK(floatToHalf(1e6f) == 0x7C00);
  CHECK(halfToFloat(0x3555) == Approx(0.33325195f));
  CHECK(halfToFloat(0x0001) == std::ldexp(1.0f, -24));
  for (uint16_t H : {0x0000, 0x3C00, 0x0400, 0x03FF, 0x7BFF, 0xBC01, 0x8001})
    CHECK(floatToHalf(halfToFloat(H)) == H);
}

TEST_CASE("the blob writer lays out weight.bin like coremltools", "[mil][format]") {
  BlobWriter W;
  CHECK(W.bytes().size() == 64);
  CHECK(u32At(W.bytes(), 0) == 0);
  CHECK(u32At(W.bytes(), 4) == 2);
  std::vector<int64_t> Big(432, -3), Small(16, 5);
  uint64_t A = W.add(MilTensor::integers(Spec::INT8, {432}, Big));
  uint64_t B = W.add(MilTensor::integers(Spec::INT8, {16}, Small));
  // The example of the wire-format notes: 432 int8 at 64, then 16 int8 at 576.
  CHECK(A == 64);
  CHECK(B == 576);
  const std::string &S = W.bytes();
  CHECK(u32At(S, 0) == 2);
  CHECK(u32At(S, 64) == 0xDEADBEEF);
  CHECK(u32At(S, 68) == 4);
  CHECK(u64At(S, 72) == 432);
  CHECK(u64At(S, 80) == 128);
  CHECK(u64At(S, 88) == 0);
  for (size_t I = 560; I < 576; ++I)
    CHECK(S[I] == 0);
  CHECK(u64At(S, 576 + 16) == 640);
  CHECK(S.size() == 640 + 16); // no padding after the last blob
  uint64_t C = W.add(MilTensor::integers(Spec::INT4, {5}, {1, 2, 3, 4, 5}));
  CHECK(C == 704);
  CHECK(u32At(S, 704 + 4) == 8);
  CHECK(u64At(S, 704 + 8) == 3);
  CHECK(u64At(S, 704 + 24) == 4); // 24 bits for 20
  CHECK(W.count() == 3);
}

TEST_CASE("the blob reader checks every reference", "[mil][format]") {
  BlobWriter W;
  uint64_t A = W.add(MilTensor::integers(Spec::INT8, {432}, std::vector<int64_t>(432, 1)));
  uint64_t B = W.add(MilTensor::floats({4}, {1, 2, 3, 4}));
  std::string Image = W.bytes();
  auto R = BlobReader::create(Image, "w.bin");
  REQUIRE_OK(R);
  auto V = R->read(B, Spec::FLOAT32, 4);
  REQUIRE_OK(V);
  CHECK(V->Data.size() == 16);
  CHECK(R->count() == 2);
  auto Shifted = R->read(A + 8, Spec::INT8, 432);
  CHECK(qatc::testing::errorText(Shifted).find("no blob metadata") != std::string::npos);
  auto Past = R->read(Image.size() + 64, Spec::INT8, 1);
  CHECK(qatc::testing::errorText(Past).find("outside the file") != std::string::npos);
  auto Mismatch = R->read(A, Spec::UINT8, 432);
  CHECK(qatc::testing::errorText(Mismatch).find("holds int8 but the model declares uint8") !=
        std::string::npos);
  auto Count = R->read(A, Spec::INT8, 431);
  CHECK(qatc::testing::errorText(Count).find("declares 431 int8 elements") !=
        std::string::npos);
  std::string Truncated = Image.substr(0, Image.size() - 1);
  auto RT = BlobReader::create(Truncated, "w.bin");
  REQUIRE_OK(RT);
  CHECK(qatc::testing::errorText(RT->read(B, Spec::FLOAT32, 4)).find("truncated") !=
        std::string::npos);
  std::string V1 = Image;
  V1[4] = 1;
  CHECK(qatc::testing::errorText(BlobReader::create(V1, "w.bin").takeError()) ==
        "w.bin: blob storage version 1 is not supported (expected 2); rewrite the package "
        "with a current writer");
  CHECK(errorOf(BlobReader::create("short", "w.bin").takeError()).find("fewer than") !=
        std::string::npos);
}

TEST_CASE("values encode in the field their type selects and decode back", "[mil][format]") {
  auto roundTrip = [](const MilTensor &T, bool Blob) {
    BlobWriter W;
    Spec::Value V = encodeValue(T, Blob ? &W : nullptr);
    auto R = BlobReader::create(W.bytes(), "w.bin");
    REQUIRE_OK(R);
    auto D = decodeValue(V, &*R, "v");
    REQUIRE_OK(D);
    CHECK(D->DType == T.DType);
    CHECK(std::vector<int64_t>(D->Shape.begin(), D->Shape.end()) ==
          std::vector<int64_t>(T.Shape.begin(), T.Shape.end()));
    CHECK(D->Bytes == T.Bytes);
    CHECK(D->Strings == T.Strings);
    return V;
  };
  Spec::Value F = roundTrip(MilTensor::floats({2, 2}, {1, -2, 3.5f, 0}), false);
  CHECK(F.immediatevalue().tensor().has_floats());
  CHECK(F.type().tensortype().rank() == 2);
  Spec::Value I = roundTrip(MilTensor::int32s({1, -1, 7}), false);
  CHECK(I.immediatevalue().tensor().has_ints());
  Spec::Value B = roundTrip(MilTensor::bools({true, false}), false);
  CHECK(B.immediatevalue().tensor().has_bools());
  Spec::Value S = roundTrip(MilTensor::scalarString("custom"), false);
  CHECK(S.immediatevalue().tensor().strings().values(0) == "custom");
  CHECK(S.type().tensortype().rank() == 0);
  CHECK(S.type().tensortype().dimensions_size() == 0);
  Spec::Value Q = roundTrip(MilTensor::integers(Spec::INT8, {3}, {-128, 0, 127}), false);
  CHECK(Q.immediatevalue().tensor().bytes().values().size() == 3);
  Spec::Value Q4 = roundTrip(MilTensor::integers(Spec::INT4, {3}, {-8, 0, 7}), false);
  CHECK(Q4.immediatevalue().tensor().bytes().values().size() == 2);
  Spec::Value Blob = roundTrip(MilTensor::integers(Spec::UINT4, {11}, std::vector<int64_t>(11, 9)),
                               true);
  CHECK(Blob.blobfilevalue().filename() == "@model_path/weights/weight.bin");
  CHECK(Blob.blobfilevalue().offset() == 64);
  roundTrip(MilTensor::floats({10}, std::vector<float>(10, 0.25f)), true);

  CHECK(belongsInBlob(MilTensor::floats({10}, std::vector<float>(10)), 10));
  CHECK_FALSE(belongsInBlob(MilTensor::floats({9}, std::vector<float>(9)), 10));
  CHECK_FALSE(belongsInBlob(MilTensor::int32s(std::vector<int64_t>(20)), 10));

  Spec::Value Wrong = F;
  Wrong.mutable_immediatevalue()->mutable_tensor()->mutable_floats()->add_values(1);
  CHECK(qatc::testing::errorText(decodeValue(Wrong, nullptr, "w").takeError()) ==
        "w: the fp32 value holds 5 elements but its type fp32 needs 4");
  CHECK(qatc::testing::errorText(decodeValue(Blob, nullptr, "b").takeError()) ==
        "b: refers to weights/weight.bin, which the package lacks");
}

TEST_CASE("unknown dimensions are written and read as unknown", "[mil][format]") {
  Spec::ValueType T = tensorValueType(Spec::FLOAT32, {-1, 3});
  CHECK(T.tensortype().dimensions(0).has_unknown());
  CHECK(T.tensortype().dimensions(1).constant().size() == 3);
  auto Info = tensorTypeInfo(T, "t");
  REQUIRE_OK(Info);
  CHECK(std::vector<int64_t>(Info->Dims.begin(), Info->Dims.end()) ==
        std::vector<int64_t>{-1, 3});
  T.mutable_tensortype()->set_rank(3);
  CHECK(qatc::testing::errorText(tensorTypeInfo(T, "t").takeError()) ==
        "t: the tensor type declares rank 3 but lists 2 dimensions");
}

TEST_CASE("the manifest is written and parsed like Core ML's", "[mil][format]") {
  std::string J = manifestJson("AAAA", "BBBB");
  CHECK(J.find("\"fileFormatVersion\": \"1.0.0\"") != std::string::npos);
  CHECK(J.find("\n    \"itemInfoEntries\": {") != std::string::npos); // 4-space indent
  auto M = parseManifest(J, "Manifest.json");
  REQUIRE_OK(M);
  REQUIRE(M->Items.size() == 2);
  CHECK(M->rootItem().Path == "com.apple.CoreML/model.mlmodel");
  CHECK(M->rootItem().Name == "model.mlmodel");
  CHECK(M->rootItem().Author == "com.apple.CoreML");
  CHECK(M->rootItem().Description == "CoreML Model Specification");
  CHECK(M->Items[1].Path == "com.apple.CoreML/weights");

  std::string Id = identifierFromSeed("x");
  CHECK(Id.size() == 36);
  CHECK(Id[14] == '4');
  CHECK(Id == identifierFromSeed("x"));
  CHECK(Id != identifierFromSeed("y"));

  auto err = [](llvm::StringRef Json) {
    return qatc::testing::errorText(parseManifest(Json, "M.json").takeError());
  };
  CHECK(err("[]") == "M.json: the manifest must be a JSON object");
  CHECK(err(R"({"fileFormatVersion": "1.1.0", "itemInfoEntries": {}, "rootModelIdentifier": "a"})") ==
        "M.json: fileFormatVersion \"1.1.0\" is not supported (expected 1.0.0)");
  CHECK(err(R"({"fileFormatVersion": "1.0.0", "itemInfoEntries": {"a": {"path": "p"}}, "rootModelIdentifier": "a"})") ==
        "M.json: item 'a' lacks the string key 'name'");
  CHECK(err(R"({"fileFormatVersion": "1.0.0", "itemInfoEntries": {}, "rootModelIdentifier": "a"})") ==
        "M.json: rootModelIdentifier 'a' names no item of itemInfoEntries");
  CHECK(err(R"({"fileFormatVersion": "1.0.0", "itemInfoEntries": {"a": {"path": "../x", "name": "n", "author": "a", "description": "d"}}, "rootModelIdentifier": "a"})") ==
        "M.json: item 'a' has path '../x' outside the package");
  CHECK(err("{").find("M.json: not valid JSON") == 0);
}
