//===- MilTensor.cpp - Constant tensors in MIL element types --------------===//
#include "passes/mil/MilTensor.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace qatc {
namespace mil {

namespace Spec = CoreML::Specification::MILSpec;

unsigned dtypeBits(MilDType T) {
  switch (T) {
  case Spec::BOOL:
  case Spec::INT8:
  case Spec::UINT8:
  case Spec::FLOAT8E4M3FN:
  case Spec::FLOAT8E5M2:
    return 8;
  case Spec::FLOAT16:
  case Spec::BFLOAT16:
  case Spec::INT16:
  case Spec::UINT16:
    return 16;
  case Spec::FLOAT32:
  case Spec::INT32:
  case Spec::UINT32:
    return 32;
  case Spec::FLOAT64:
  case Spec::INT64:
  case Spec::UINT64:
    return 64;
  case Spec::INT4:
  case Spec::UINT4:
    return 4;
  case Spec::UINT1:
    return 1;
  case Spec::UINT2:
    return 2;
  case Spec::UINT3:
    return 3;
  case Spec::UINT6:
    return 6;
  default:
    return 0;
  }
}

bool isSubByte(MilDType T) {
  unsigned B = dtypeBits(T);
  return B > 0 && B < 8;
}

bool isIntegerDType(MilDType T) {
  switch (T) {
  case Spec::INT4:
  case Spec::INT8:
  case Spec::INT16:
  case Spec::INT32:
  case Spec::INT64:
  case Spec::UINT1:
  case Spec::UINT2:
  case Spec::UINT3:
  case Spec::UINT4:
  case Spec::UINT6:
  case Spec::UINT8:
  case Spec::UINT16:
  case Spec::UINT32:
  case Spec::UINT64:
    return true;
  default:
    return false;
  }
}

bool isSignedDType(MilDType T) {
  return T == Spec::INT4 || T == Spec::INT8 || T == Spec::INT16 || T == Spec::INT32 ||
         T == Spec::INT64;
}

std::pair<int64_t, int64_t> integerRange(MilDType T) {
  unsigned Bits = dtypeBits(T);
  if (isSignedDType(T)) {
    if (Bits == 64)
      return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
    return {-(int64_t(1) << (Bits - 1)), (int64_t(1) << (Bits - 1)) - 1};
  }
  if (Bits >= 64)
    return {0, std::numeric_limits<int64_t>::max()};
  return {0, (int64_t(1) << Bits) - 1};
}

llvm::StringRef dtypeSpelling(MilDType T) {
  switch (T) {
  case Spec::BOOL:
    return "bool";
  case Spec::STRING:
    return "string";
  case Spec::FLOAT16:
    return "fp16";
  case Spec::FLOAT32:
    return "fp32";
  case Spec::FLOAT64:
    return "fp64";
  case Spec::BFLOAT16:
    return "bf16";
  case Spec::INT4:
    return "int4";
  case Spec::INT8:
    return "int8";
  case Spec::INT16:
    return "int16";
  case Spec::INT32:
    return "int32";
  case Spec::INT64:
    return "int64";
  case Spec::UINT1:
    return "uint1";
  case Spec::UINT2:
    return "uint2";
  case Spec::UINT3:
    return "uint3";
  case Spec::UINT4:
    return "uint4";
  case Spec::UINT6:
    return "uint6";
  case Spec::UINT8:
    return "uint8";
  case Spec::UINT16:
    return "uint16";
  case Spec::UINT32:
    return "uint32";
  case Spec::UINT64:
    return "uint64";
  case Spec::FLOAT8E4M3FN:
    return "fp8e4m3fn";
  case Spec::FLOAT8E5M2:
    return "fp8e5m2";
  default:
    return "unknown";
  }
}

int64_t MilTensor::numel() const {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return N;
}

size_t MilTensor::byteSize() const {
  return size_t((uint64_t(numel()) * dtypeBits(DType) + 7) / 8);
}

MilTensor MilTensor::scalarString(llvm::StringRef S) {
  MilTensor T;
  T.DType = Spec::STRING;
  T.Strings.push_back(S.str());
  return T;
}

MilTensor MilTensor::scalarInt32(int32_t V) { return integers(Spec::INT32, {}, {V}); }

MilTensor MilTensor::scalarFloat(float V) { return floats({}, {V}); }

MilTensor MilTensor::scalarBool(bool B) {
  MilTensor T;
  T.DType = Spec::BOOL;
  T.Bytes.push_back(B ? 1 : 0);
  return T;
}

MilTensor MilTensor::int32s(llvm::ArrayRef<int64_t> Values) {
  return integers(Spec::INT32, {int64_t(Values.size())}, Values);
}

MilTensor MilTensor::bools(const std::vector<bool> &Values) {
  MilTensor T;
  T.DType = Spec::BOOL;
  T.Shape = {int64_t(Values.size())};
  for (bool B : Values)
    T.Bytes.push_back(B ? 1 : 0);
  return T;
}

MilTensor MilTensor::floats(llvm::ArrayRef<int64_t> Shape, llvm::ArrayRef<float> Values) {
  MilTensor T;
  T.DType = Spec::FLOAT32;
  T.Shape.assign(Shape.begin(), Shape.end());
  T.Bytes.resize(Values.size() * 4);
  if (!Values.empty())
    std::memcpy(T.Bytes.data(), Values.data(), T.Bytes.size());
  return T;
}

MilTensor MilTensor::integers(MilDType Ty, llvm::ArrayRef<int64_t> Shape,
                              llvm::ArrayRef<int64_t> Values) {
  MilTensor T;
  T.DType = Ty;
  T.Shape.assign(Shape.begin(), Shape.end());
  unsigned Bits = dtypeBits(Ty);
  T.Bytes.assign(T.byteSize(), 0);
  if (Bits < 8) {
    uint64_t Mask = (uint64_t(1) << Bits) - 1;
    for (size_t I = 0; I < Values.size(); ++I) {
      uint64_t V = uint64_t(Values[I]) & Mask;
      uint64_t Bit = uint64_t(I) * Bits;
      // Elements never straddle bytes for 1, 2 and 4 bits; 3- and 6-bit ones may.
      for (unsigned B = 0; B < Bits; ++B)
        if (V >> B & 1)
          T.Bytes[(Bit + B) / 8] |= uint8_t(1u << ((Bit + B) % 8));
    }
    return T;
  }
  unsigned Width = Bits / 8;
  for (size_t I = 0; I < Values.size(); ++I) {
    uint64_t V = uint64_t(Values[I]);
    for (unsigned B = 0; B < Width; ++B)
      T.Bytes[I * Width + B] = uint8_t(V >> (8 * B));
  }
  return T;
}

std::vector<int64_t> MilTensor::intValues() const {
  int64_t N = numel();
  std::vector<int64_t> Out(size_t(std::max<int64_t>(N, 0)));
  unsigned Bits = dtypeBits(DType);
  bool Signed = isSignedDType(DType);
  if (DType == Spec::BOOL) {
    for (int64_t I = 0; I < N && size_t(I) < Bytes.size(); ++I)
      Out[I] = Bytes[I] != 0;
    return Out;
  }
  if (Bits == 0 || Bytes.size() < byteSize())
    return Out;
  if (Bits < 8) {
    for (int64_t I = 0; I < N; ++I) {
      uint64_t Bit = uint64_t(I) * Bits, V = 0;
      for (unsigned B = 0; B < Bits; ++B)
        V |= uint64_t(Bytes[(Bit + B) / 8] >> ((Bit + B) % 8) & 1) << B;
      int64_t S = int64_t(V);
      if (Signed && (V >> (Bits - 1) & 1))
        S -= int64_t(1) << Bits;
      Out[I] = S;
    }
    return Out;
  }
  unsigned Width = Bits / 8;
  for (int64_t I = 0; I < N; ++I) {
    uint64_t V = 0;
    for (unsigned B = 0; B < Width; ++B)
      V |= uint64_t(Bytes[I * Width + B]) << (8 * B);
    int64_t S = int64_t(V);
    if (Signed && Bits < 64 && (V >> (Bits - 1) & 1))
      S -= int64_t(1) << Bits;
    Out[I] = S;
  }
  return Out;
}

std::vector<float> MilTensor::floatValues() const {
  int64_t N = numel();
  std::vector<float> Out(size_t(std::max<int64_t>(N, 0)));
  if (Bytes.size() < byteSize())
    return Out;
  for (int64_t I = 0; I < N; ++I) {
    if (DType == Spec::FLOAT32) {
      std::memcpy(&Out[I], &Bytes[I * 4], 4);
    } else if (DType == Spec::FLOAT16) {
      uint16_t H = uint16_t(Bytes[I * 2] | Bytes[I * 2 + 1] << 8);
      Out[I] = halfToFloat(H);
    } else if (DType == Spec::FLOAT64) {
      double D;
      std::memcpy(&D, &Bytes[I * 8], 8);
      Out[I] = float(D);
    }
  }
  return Out;
}

std::optional<std::string> MilTensor::stringValue() const {
  if (DType != Spec::STRING || Strings.size() != 1)
    return std::nullopt;
  return Strings.front();
}

float halfToFloat(uint16_t H) {
  uint32_t Sign = uint32_t(H & 0x8000) << 16;
  uint32_t Exp = (H >> 10) & 0x1F, Mant = H & 0x3FF;
  float F;
  if (Exp == 0) {
    F = std::ldexp(float(Mant), -24);
    uint32_t Bits;
    std::memcpy(&Bits, &F, 4);
    Bits |= Sign;
    std::memcpy(&F, &Bits, 4);
    return F;
  }
  uint32_t Bits = Exp == 31 ? (Sign | 0x7F800000u | (Mant << 13))
                            : (Sign | ((Exp + 112) << 23) | (Mant << 13));
  std::memcpy(&F, &Bits, 4);
  return F;
}

uint16_t floatToHalf(float F) {
  uint32_t Bits;
  std::memcpy(&Bits, &F, 4);
  uint16_t Sign = uint16_t((Bits >> 16) & 0x8000);
  uint32_t Exp = (Bits >> 23) & 0xFF, Mant = Bits & 0x7FFFFF;
  if (Exp == 0xFF)
    return uint16_t(Sign | 0x7C00 | (Mant ? 0x200 : 0));
  int E = int(Exp) - 127 + 15;
  if (E >= 31)
    return uint16_t(Sign | 0x7C00);
  if (E <= 0) {
    if (E < -10)
      return Sign;
    Mant |= 0x800000;
    unsigned Shift = unsigned(14 - E);
    uint32_t Half = Mant >> Shift, Rem = Mant & ((1u << Shift) - 1), Mid = 1u << (Shift - 1);
    if (Rem > Mid || (Rem == Mid && (Half & 1)))
      ++Half;
    return uint16_t(Sign | Half);
  }
  uint32_t Half = (uint32_t(E) << 10) | (Mant >> 13), Rem = Mant & 0x1FFF;
  if (Rem > 0x1000 || (Rem == 0x1000 && (Half & 1)))
    ++Half;
  return uint16_t(Sign | Half);
}

} // namespace mil
} // namespace qatc
