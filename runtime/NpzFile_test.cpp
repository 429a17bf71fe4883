//===- NpzFile_test.cpp - Tests of .npy/.npz reading and writing ----------===//
#include "runtime/Dataset.h"
#include "runtime/NpzFile.h"
#include "runtime/ZipArchive.h"

#include "tests/support/TestHelpers.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <catch2/catch.hpp>

using namespace qatc;
using namespace qatc::runtime;

namespace {

const char *kFixtures = "runtime/training_fixtures/";

const Tensor &find(const NamedTensors &Arrays, llvm::StringRef Name) {
  for (const auto &[Key, T] : Arrays)
    if (Key == Name)
      return T;
  FAIL("no array named " << Name.str());
  static Tensor None;
  return None;
}

std::string tempPath(llvm::StringRef Name) {
  llvm::SmallString<128> Dir;
  REQUIRE(!llvm::sys::fs::createUniqueDirectory("qatc-npz", Dir));
  llvm::sys::path::append(Dir, Name);
  return std::string(Dir);
}

} // namespace

TEST_CASE("NumPy dtypes load as f32 or i64 with their values", "[runtime][npz]") {
  auto Arrays = readNpz(std::string(kFixtures) + "numpy_kinds.npz");
  REQUIRE_OK(Arrays);
  const Tensor &F8 = find(*Arrays, "f8");
  CHECK(F8.dtype() == DType::F32);
  CHECK(F8.shape() == llvm::ArrayRef<int64_t>({2, 2}));
  CHECK(F8.f32()[1] == -1.25f);
  CHECK(F8.f32()[3] == 1e-3f);
  const Tensor &F2 = find(*Arrays, "f2");
  CHECK(F2.f32()[0] == 1.5f);
  CHECK(F2.f32()[1] == -2.0f);
  CHECK(F2.f32()[2] == 65504.0f);
  const Tensor &I4 = find(*Arrays, "i4");
  CHECK(I4.dtype() == DType::I64);
  CHECK(I4.data<int64_t>()[1] == -7);
  CHECK(I4.data<int64_t>()[2] == 2147483647);
  CHECK(find(*Arrays, "u1").data<int64_t>()[1] == 255);
  CHECK(find(*Arrays, "b1").data<int64_t>()[1] == 0);
  CHECK(find(*Arrays, "scalar").rank() == 0);
  CHECK(find(*Arrays, "scalar").f32()[0] == 4.0f);
  CHECK(find(*Arrays, "empty").numel() == 0);
}

TEST_CASE("compressed archives (savez_compressed) read", "[runtime][npz]") {
  auto D = Dataset::load(std::string(kFixtures) + "numpy_compressed.npz");
  REQUIRE_OK(D);
  CHECK(D->size() == 2);
  CHECK(D->inputs().f32()[23] == 23.0f);
  CHECK(D->targets().data<int64_t>()[0] == 1);
}

TEST_CASE("written .npz archives read back bit-exactly", "[runtime][npz]") {
  Tensor A = Tensor::fromFloats({2, 3}, {1.5f, -0.0f, 3e-38f, 7, 8, 9});
  Tensor B = Tensor::empty({4}, DType::I64);
  for (int I = 0; I < 4; ++I)
    B.data<int64_t>()[I] = int64_t(1) << (I * 20);
  Tensor C = Tensor::empty({}, DType::F32);
  C.f32()[0] = 2.5f;
  std::string Path = tempPath("out.npz");
  REQUIRE_OK(writeNpz(Path, {{"a", A}, {"b", B}, {"c", C}}));
  auto Back = readNpz(Path);
  REQUIRE_OK(Back);
  REQUIRE(Back->size() == 3);
  CHECK((*Back)[0].first == "a");
  CHECK((*Back)[0].second.shape() == A.shape());
  CHECK((*Back)[0].second.bytes() == A.bytes());
  CHECK((*Back)[1].second.bytes() == B.bytes());
  CHECK((*Back)[2].second.rank() == 0);
  CHECK((*Back)[2].second.f32()[0] == 2.5f);
}

TEST_CASE("bad .npy and .npz inputs are errors naming the problem", "[runtime][npz]") {
  auto Expect = [](llvm::Expected<Tensor> T, llvm::StringRef Fragment) {
    REQUIRE(!T);
    std::string Message = llvm::toString(T.takeError());
    INFO(Message);
    CHECK(llvm::StringRef(Message).contains(Fragment));
  };
  Expect(parseNpy("hello", "a.npy"), "bad magic");
  std::string Good = encodeNpy(Tensor::full({2, 2}, 1.0f));
  Expect(parseNpy(Good.substr(0, Good.size() - 1), "a.npy"), "needs 16 bytes but the file holds 15");
  // A tiny file declaring 10^12 elements fails before allocating.
  std::string Header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }";
  std::string Bomb = std::string("\x93NUMPY\x01\x00", 8);
  Bomb += char(Header.size());
  Bomb += char(0);
  Bomb += Header + "abcd";
  Expect(parseNpy(Bomb, "bomb.npy"), "needs 4000000000000 bytes but the file holds 4");
  std::string BigEndian = Good;
  BigEndian.replace(BigEndian.find("<f4"), 3, ">f4");
  Expect(parseNpy(BigEndian, "a.npy"), "dtype '>f4' is not supported");
  std::string Fortran = Good;
  Fortran.replace(Fortran.find("False"), 5, "True ");
  Expect(parseNpy(Fortran, "a.npy"), "Fortran order");

  auto NotZip = parseNpz("PK\x03\x04garbage", "d.npz");
  REQUIRE(!NotZip);
  CHECK(llvm::StringRef(llvm::toString(NotZip.takeError())).contains("d.npz: not a readable zip"));
}

// Found by the .npz fuzzer: a small archive whose central directory declared
// 1.6 GB in both sizes made the reader allocate them.
TEST_CASE("zip members whose sizes exceed the archive are refused before allocating",
          "[runtime][npz]") {
  auto Zip = encodeStoredZip({{"x.npy", encodeNpy(Tensor::full({2}, 1.0f))}});
  REQUIRE_OK(Zip);
  size_t Directory = Zip->find("PK\x01\x02");
  REQUIRE(Directory != std::string::npos);
  for (size_t Field : {Directory + 20, Directory + 24})
    Zip->replace(Field, 4, std::string("\x00\x00\x00\x60", 4));
  auto Members = decodeZip(*Zip, "bomb.npz");
  REQUIRE(!Members);
  CHECK(llvm::StringRef(llvm::toString(Members.takeError()))
            .contains("bomb.npz: archive member 'x.npy' declares an implausible size"));
}

TEST_CASE("datasets check their arrays and shuffle deterministically", "[runtime][npz]") {
  auto Bad = Dataset::fromArrays(Tensor::zeros({4, 2}), Tensor::zeros({3}, DType::I64), "d.npz");
  REQUIRE(!Bad);
  CHECK(llvm::toString(Bad.takeError()) ==
        "d.npz: 'x' has 4 samples but 'y' is [3] i64; both need the same first axis");
  auto D = Dataset::fromArrays(Tensor::fromFloats({5, 1}, {0, 1, 2, 3, 4}),
                               Tensor::zeros({5}, DType::I64), "d.npz");
  REQUIRE_OK(D);
  auto A = D->shuffled(3, 0), B = D->shuffled(3, 0), C = D->shuffled(3, 1);
  CHECK(A == B);
  CHECK(A != C);
  std::vector<int64_t> Sorted = A;
  std::sort(Sorted.begin(), Sorted.end());
  CHECK(Sorted == std::vector<int64_t>({0, 1, 2, 3, 4}));
  auto [X, Y] = D->gather({4, 1});
  CHECK(X.f32()[0] == 4.0f);
  CHECK(X.f32()[1] == 1.0f);
  CHECK(Y.numel() == 2);
}

TEST_CASE("zip members round trip through the stored writer", "[runtime][npz]") {
  auto Image = encodeStoredZip({{"graph.qirb", std::string("\0\1\2", 3)}, {"t.json", "{}"}});
  REQUIRE_OK(Image);
  auto Members = decodeZip(*Image, "c.ckpt");
  REQUIRE_OK(Members);
  REQUIRE(Members->size() == 2);
  CHECK((*Members)[0].Data == std::string("\0\1\2", 3));
  CHECK((*Members)[1].Name == "t.json");
}
