//===- NpzFile.cpp - NumPy .npy and .npz files as tensors -----------------===//

#include "runtime/NpzFile.h"

#include "runtime/ZipArchive.h"

#include "ir/AtomicFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <optional>
#include <limits>

using namespace qatc;
using namespace qatc::runtime;

namespace {

llvm::Error fail(llvm::StringRef Origin, const llvm::Twine &What) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Origin + ": " + What);
}

/// A header value of the .npy dict: the text after 'key': up to the
/// matching end (a quoted string, a parenthesized tuple or a bare word).
std::optional<llvm::StringRef> headerValue(llvm::StringRef Header, llvm::StringRef Key) {
  for (char Quote : {'\'', '"'}) {
    std::string Needle = std::string(1, Quote) + Key.str() + std::string(1, Quote);
    size_t At = Header.find(Needle);
    if (At == llvm::StringRef::npos)
      continue;
    llvm::StringRef Rest = Header.drop_front(At + Needle.size()).ltrim();
    if (!Rest.consume_front(":"))
      return std::nullopt;
    Rest = Rest.ltrim();
    if (Rest.empty())
      return std::nullopt;
    if (Rest.front() == '\'' || Rest.front() == '"') {
      size_t End = Rest.find(Rest.front(), 1);
      if (End == llvm::StringRef::npos)
        return std::nullopt;
      return Rest.slice(1, End);
    }
    if (Rest.front() == '(') {
      size_t End = Rest.find(')');
      if (End == llvm::StringRef::npos)
        return std::nullopt;
      return Rest.slice(1, End);
    }
    return Rest.take_until([](char C) { return C == ',' || C == '}' || C == ' '; });
  }
  return std::nullopt;
}

enum class Kind { Float, Signed, Unsigned, Bool };

struct Descr {
  Kind K;
  unsigned Size;
};

std::optional<Descr> parseDescr(llvm::StringRef D) {
  if (D.size() < 3)
    return std::nullopt;
  char Order = D[0];
  if (Order != '<' && Order != '|' && Order != '=')
    return std::nullopt;
  unsigned Size;
  if (D.drop_front(2).getAsInteger(10, Size))
    return std::nullopt;
  switch (D[1]) {
  case 'f':
    if (Size == 2 || Size == 4 || Size == 8)
      return Descr{Kind::Float, Size};
    return std::nullopt;
  case 'i':
    if (Size == 1 || Size == 2 || Size == 4 || Size == 8)
      return Descr{Kind::Signed, Size};
    return std::nullopt;
  case 'u':
    if (Size == 1 || Size == 2 || Size == 4 || Size == 8)
      return Descr{Kind::Unsigned, Size};
    return std::nullopt;
  case 'b':
    if (Size == 1)
      return Descr{Kind::Bool, 1};
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

float halfToFloat(uint16_t H) {
  uint32_t Sign = uint32_t(H >> 15) << 31, Exp = (H >> 10) & 0x1f, Mant = H & 0x3ff;
  uint32_t Bits;
  if (Exp == 0) {
    if (Mant == 0) {
      Bits = Sign;
    } else { // subnormal
      Exp = 127 - 15 + 1;
      while (!(Mant & 0x400)) {
        Mant <<= 1;
        --Exp;
      }
      Bits = Sign | (Exp << 23) | ((Mant & 0x3ff) << 13);
    }
  } else if (Exp == 31) {
    Bits = Sign | 0x7f800000 | (Mant << 13);
  } else {
    Bits = Sign | ((Exp + 127 - 15) << 23) | (Mant << 13);
  }
  float F;
  std::memcpy(&F, &Bits, 4);
  return F;
}

template <typename T> T load(const char *P) {
  T V;
  std::memcpy(&V, P, sizeof(T));
  return V;
}

int64_t loadInteger(const char *P, const Descr &D) {
  switch (D.Size) {
  case 1:
    return D.K == Kind::Signed ? int64_t(load<int8_t>(P)) : int64_t(load<uint8_t>(P));
  case 2:
    return D.K == Kind::Signed ? int64_t(load<int16_t>(P)) : int64_t(load<uint16_t>(P));
  case 4:
    return D.K == Kind::Signed ? int64_t(load<int32_t>(P)) : int64_t(load<uint32_t>(P));
  default:
    return load<int64_t>(P);
  }
}

} // namespace

llvm::Expected<Tensor> runtime::parseNpy(llvm::StringRef Bytes, llvm::StringRef Origin) {
  if (!Bytes.startswith("\x93NUMPY") || Bytes.size() < 10)
    return fail(Origin, "not a NumPy .npy array (bad magic); save arrays with numpy.save or "
                        "numpy.savez");
  unsigned Major = uint8_t(Bytes[6]);
  size_t HeaderLen, HeaderStart;
  if (Major == 1) {
    HeaderLen = uint8_t(Bytes[8]) | (size_t(uint8_t(Bytes[9])) << 8);
    HeaderStart = 10;
  } else if (Major == 2 || Major == 3) {
    if (Bytes.size() < 12)
      return fail(Origin, "the .npy header is truncated");
    HeaderLen = load<uint32_t>(Bytes.data() + 8);
    HeaderStart = 12;
  } else {
    return fail(Origin, llvm::formatv(".npy format version {0} is not supported (1, 2 and 3 are)",
                                      Major));
  }
  if (HeaderLen > Bytes.size() - HeaderStart)
    return fail(Origin, "the .npy header is truncated");
  llvm::StringRef Header = Bytes.substr(HeaderStart, HeaderLen);
  llvm::StringRef Payload = Bytes.drop_front(HeaderStart + HeaderLen);

  auto DescrText = headerValue(Header, "descr");
  auto Fortran = headerValue(Header, "fortran_order");
  auto ShapeText = headerValue(Header, "shape");
  if (!DescrText || !Fortran || !ShapeText)
    return fail(Origin, "the .npy header lacks descr, fortran_order or shape");
  auto D = parseDescr(*DescrText);
  if (!D)
    return fail(Origin, llvm::formatv("dtype '{0}' is not supported; use little-endian float, "
                                      "integer or bool arrays",
                                      *DescrText));
  if (*Fortran != "False")
    return fail(Origin, "the array is in Fortran order; save numpy.ascontiguousarray(a) instead");

  Shape Dims;
  uint64_t Count = 1;
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  ShapeText->split(Parts, ',');
  for (llvm::StringRef P : Parts) {
    P = P.trim();
    if (P.empty())
      continue;
    uint64_t Dim;
    if (P.getAsInteger(10, Dim))
      return fail(Origin, llvm::formatv("the shape '({0})' is malformed", *ShapeText));
    if (Dim != 0 && Count > std::numeric_limits<uint64_t>::max() / 8 / Dim)
      return fail(Origin, "the declared shape is too large");
    Count *= Dim;
    Dims.push_back(int64_t(Dim));
  }
  if (Count * D->Size != Payload.size())
    return fail(Origin, llvm::formatv("the shape ({0}) of {1}-byte elements needs {2} bytes but "
                                      "the file holds {3}",
                                      *ShapeText, D->Size, Count * D->Size, Payload.size()));
  const char *Src = Payload.data();
  if (D->K == Kind::Float) {
    Tensor T = Tensor::empty(Dims, DType::F32);
    float *Out = T.f32();
    for (uint64_t I = 0; I < Count; ++I, Src += D->Size)
      Out[I] = D->Size == 4   ? load<float>(Src)
               : D->Size == 8 ? float(load<double>(Src))
                              : halfToFloat(load<uint16_t>(Src));
    return T;
  }
  Tensor T = Tensor::empty(Dims, DType::I64);
  int64_t *Out = T.data<int64_t>();
  for (uint64_t I = 0; I < Count; ++I, Src += D->Size)
    Out[I] = D->K == Kind::Bool ? int64_t(Src[0] != 0) : loadInteger(Src, *D);
  return T;
}

llvm::Expected<NamedTensors> runtime::parseNpz(llvm::StringRef Bytes, llvm::StringRef Origin) {
  auto Members = decodeZip(Bytes, Origin);
  if (!Members)
    return Members.takeError();
  NamedTensors Arrays;
  for (const ZipMember &M : *Members) {
    auto T = parseNpy(M.Data, (Origin + ":" + M.Name).str());
    if (!T)
      return T.takeError();
    llvm::StringRef Key(M.Name);
    Key.consume_back(".npy");
    Arrays.emplace_back(Key.str(), std::move(*T));
  }
  return Arrays;
}

llvm::Expected<Tensor> runtime::readNpy(llvm::StringRef Path) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!Buffer)
    return fail(Path, "cannot read the file (" + Buffer.getError().message() + ")");
  return parseNpy((*Buffer)->getBuffer(), Path);
}

llvm::Expected<NamedTensors> runtime::readNpz(llvm::StringRef Path) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!Buffer)
    return fail(Path, "cannot read the file (" + Buffer.getError().message() + ")");
  return parseNpz((*Buffer)->getBuffer(), Path);
}

std::string runtime::encodeNpy(const Tensor &T) {
  const char *Descr = "<f4";
  switch (T.dtype()) {
  case DType::I64:
    Descr = "<i8";
    break;
  case DType::I32:
    Descr = "<i4";
    break;
  case DType::U8:
    Descr = "|u1";
    break;
  case DType::I8:
    Descr = "|i1";
    break;
  default:
    break;
  }
  std::string ShapeText;
  for (int64_t D : T.shape())
    ShapeText += std::to_string(D) + ",";
  if (T.rank() > 1)
    ShapeText.pop_back();
  std::string Header = llvm::formatv("{{'descr': '{0}', 'fortran_order': False, 'shape': ({1}), }",
                                     Descr, ShapeText);
  // Pad with spaces so that magic + lengths + header is a multiple of 64.
  size_t Total = 10 + Header.size() + 1;
  Header.append((64 - Total % 64) % 64, ' ');
  Header += '\n';
  std::string Out = "\x93NUMPY";
  Out += char(1);
  Out += char(0);
  Out += char(Header.size() & 0xff);
  Out += char(Header.size() >> 8);
  Out += Header;
  Out.append(reinterpret_cast<const char *>(T.raw()), T.byteSize());
  return Out;
}


llvm::Error runtime::writeNpz(llvm::StringRef Path, const NamedTensors &Arrays) {
  std::vector<ZipMember> Members;
  for (const auto &[Name, T] : Arrays)
    Members.push_back({Name + ".npy", encodeNpy(T)});
  return writeZipFile(Path, Members);
}

llvm::Error runtime::writeNpy(llvm::StringRef Path, const Tensor &T) {
  std::string Bytes = encodeNpy(T);
  return writeFileAtomically(Path, [&](llvm::raw_ostream &OS) {
    OS << Bytes;
    return llvm::Error::success();
  });
}
