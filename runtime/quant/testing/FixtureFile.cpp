//===- FixtureFile.cpp - Reads the PyTorch quantization fixtures ----------===//

#include "runtime/quant/testing/FixtureFile.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

/// Parses "tensor KEY DTYPE RANK DIMS... VALUES..." (Words[0] is "tensor").
llvm::Expected<Tensor> parseTensor(llvm::ArrayRef<llvm::StringRef> Words) {
  auto Fail = [](const llvm::Twine &Message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
  };
  if (Words.size() < 4)
    return Fail("a tensor line needs a key, a dtype and a rank");
  std::optional<DType> T = parseDType(Words[2]);
  unsigned Rank;
  if (!T || Words[3].getAsInteger(10, Rank) || Words.size() < 4 + Rank)
    return Fail("bad dtype or rank");
  Shape Dims;
  for (unsigned I = 0; I < Rank; ++I) {
    int64_t D;
    if (Words[4 + I].getAsInteger(10, D))
      return Fail("bad dimension '" + Words[4 + I] + "'");
    Dims.push_back(D);
  }
  llvm::ArrayRef<llvm::StringRef> Values = Words.drop_front(4 + Rank);
  if ((int64_t)Values.size() != shapeNumel(Dims))
    return Fail(llvm::formatv("{0} values for shape {1}", Values.size(), shapeString(Dims)));
  Tensor Result = Tensor::empty(Dims, *T);
  for (size_t I = 0; I < Values.size(); ++I) {
    if (*T == DType::F32) {
      uint32_t Bits;
      if (Values[I].getAsInteger(16, Bits))
        return Fail("bad f32 bits '" + Values[I] + "'");
      std::memcpy(&Result.f32()[I], &Bits, 4);
      continue;
    }
    int64_t V;
    if (Values[I].getAsInteger(10, V))
      return Fail("bad integer '" + Values[I] + "'");
    switch (*T) {
    case DType::I8:
      Result.data<int8_t>()[I] = int8_t(V);
      break;
    case DType::U8:
      Result.data<uint8_t>()[I] = uint8_t(V);
      break;
    case DType::I32:
      Result.data<int32_t>()[I] = int32_t(V);
      break;
    case DType::I64:
      Result.data<int64_t>()[I] = V;
      break;
    default:
      return Fail("unsupported dtype " + Words[2]);
    }
  }
  return Result;
}

/// Element I of T, for messages.
std::string elementText(const Tensor &T, int64_t I) {
  switch (T.dtype()) {
  case DType::F32: {
    uint32_t Bits;
    std::memcpy(&Bits, &T.f32()[I], 4);
    return llvm::formatv("{0} (0x{1})", T.f32()[I], llvm::format_hex_no_prefix(Bits, 8));
  }
  case DType::I8:
    return std::to_string(T.data<int8_t>()[I]);
  case DType::U8:
    return std::to_string(T.data<uint8_t>()[I]);
  case DType::I32:
    return std::to_string(T.data<int32_t>()[I]);
  case DType::I64:
    return std::to_string(T.data<int64_t>()[I]);
  default:
    return "?";
  }
}

} // namespace

const Tensor &FixtureCase::tensor(llvm::StringRef Key) const {
  auto It = Tensors.find(Key);
  if (It == Tensors.end()) {
    std::fprintf(stderr, "fixture case '%s' has no tensor '%s'\n", Name.c_str(), Key.str().c_str());
    std::abort();
  }
  return It->second;
}

int64_t FixtureCase::getInt(llvm::StringRef Key, int64_t Default) const {
  auto It = Ints.find(Key);
  return It == Ints.end() ? Default : It->second;
}

llvm::Expected<std::vector<FixtureCase>> testing::readFixtureFile(llvm::StringRef Path) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path);
  if (!Buffer)
    return llvm::createStringError(Buffer.getError(), "cannot read '%s': %s", Path.str().c_str(),
                                   Buffer.getError().message().c_str());
  std::vector<FixtureCase> Cases;
  FixtureCase *Open = nullptr;
  llvm::SmallVector<llvm::StringRef, 0> Lines, Words;
  (*Buffer)->getBuffer().split(Lines, '\n', -1, false);
  for (size_t L = 0; L < Lines.size(); ++L) {
    auto Fail = [&](const llvm::Twine &Message) {
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     llvm::formatv("{0}:{1}: {2}", Path, L + 1, Message.str()));
    };
    Words.clear();
    llvm::SplitString(Lines[L], Words);
    if (Words.empty())
      continue;
    llvm::StringRef Kind = Words[0];
    if (Kind == "case") {
      if (Open || Words.size() != 2)
        return Fail("'case NAME' outside a case expected");
      Cases.emplace_back();
      Open = &Cases.back();
      Open->Name = Words[1].str();
      continue;
    }
    if (!Open)
      return Fail("'" + Kind + "' outside a case");
    if (Kind == "end") {
      Open = nullptr;
      continue;
    }
    if (Words.size() < 3)
      return Fail("'" + Kind + "' needs a key and a value");
    llvm::StringRef Key = Words[1];
    if (Kind == "int") {
      int64_t V;
      if (Words[2].getAsInteger(10, V))
        return Fail("bad int");
      Open->Ints[Key] = V;
    } else if (Kind == "f64") {
      double V;
      if (Words[2].getAsDouble(V))
        return Fail("bad f64");
      Open->Floats[Key] = V;
    } else if (Kind == "str") {
      Open->Strings[Key] = Words[2].str();
    } else if (Kind == "tensor") {
      auto T = parseTensor(Words);
      if (!T)
        return Fail(llvm::toString(T.takeError()));
      Open->Tensors[Key] = *T;
    } else {
      return Fail("unknown line kind '" + Kind + "'");
    }
  }
  if (Open)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s: case '%s' has no end",
                                   Path.str().c_str(), Open->Name.c_str());
  return Cases;
}

bool testing::bitEqual(const Tensor &A, const Tensor &B, std::string &Why) {
  if (A.dtype() != B.dtype() || A.shape() != B.shape()) {
    Why = A.describe() + " vs " + B.describe();
    return false;
  }
  size_t Size = dtypeSize(A.dtype());
  for (int64_t I = 0; I < A.numel(); ++I) {
    const uint8_t *PA = A.bytes().data() + I * Size, *PB = B.bytes().data() + I * Size;
    if (std::memcmp(PA, PB, Size) != 0) {
      Why = llvm::formatv("element {0}: {1} vs {2}", I, elementText(A, I), elementText(B, I));
      return false;
    }
  }
  return true;
}

double testing::relativeError(const Tensor &A, const Tensor &B) {
  assert(A.numel() == B.numel() && "comparing tensors of different sizes");
  double MaxDiff = 0, MaxRef = 0;
  for (int64_t I = 0; I < A.numel(); ++I) {
    MaxDiff = std::max(MaxDiff, std::fabs(double(A.f32()[I]) - double(B.f32()[I])));
    MaxRef = std::max(MaxRef, std::fabs(double(B.f32()[I])));
  }
  return MaxDiff / (MaxRef > 0 ? MaxRef : 1.0);
}
