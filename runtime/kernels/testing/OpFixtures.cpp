//===- OpFixtures.cpp - PyTorch reference cases of single ops (JSON) ------===//

#include "runtime/kernels/testing/OpFixtures.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstring>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

llvm::Error fixtureError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message.str());
}

template <typename T> void putElement(const Tensor &Dst, int64_t I, T V) {
  std::memcpy(static_cast<char *>(Dst.raw()) + I * sizeof(T), &V, sizeof(T));
}

/// {"dtype": "f32", "shape": [...], "data": [...]}.
llvm::Expected<Tensor> readTensor(const llvm::json::Value *V) {
  const llvm::json::Object *O = V ? V->getAsObject() : nullptr;
  const llvm::json::Array *Dims = O ? O->getArray("shape") : nullptr;
  const llvm::json::Array *Data = O ? O->getArray("data") : nullptr;
  auto Name = O ? O->getString("dtype") : std::nullopt;
  std::optional<DType> T = Name ? parseDType(*Name) : std::nullopt;
  if (!Dims || !Data || !T)
    return fixtureError("a tensor needs a dtype, a shape and data");
  Shape S;
  for (const llvm::json::Value &D : *Dims)
    S.push_back(D.getAsInteger().value_or(-1));
  Tensor R = Tensor::empty(S, *T);
  if ((int64_t)Data->size() != R.numel())
    return fixtureError(llvm::formatv("a {0} tensor has {1} values", R.describe(), Data->size()));
  for (int64_t I = 0; I < R.numel(); ++I) {
    const llvm::json::Value &E = (*Data)[I];
    switch (*T) {
    case DType::F32:
      putElement(R, I, float(E.getAsNumber().value_or(NAN)));
      break;
    case DType::I32:
      putElement(R, I, int32_t(E.getAsInteger().value_or(0)));
      break;
    case DType::I64:
      putElement(R, I, int64_t(E.getAsInteger().value_or(0)));
      break;
    case DType::U8:
      putElement(R, I, uint8_t(E.getAsInteger().value_or(0)));
      break;
    default:
      return fixtureError("fixtures hold f32, i32, i64 or u8 tensors");
    }
  }
  return R;
}

/// [name, kind, value].
llvm::Expected<NamedAttribute> readAttr(const llvm::json::Value &V) {
  const llvm::json::Array *A = V.getAsArray();
  if (!A || A->size() != 3 || !(*A)[0].getAsString() || !(*A)[1].getAsString())
    return fixtureError("an attribute is [name, kind, value]");
  NamedAttribute R;
  R.Name = (*A)[0].getAsString()->str();
  llvm::StringRef Kind = *(*A)[1].getAsString();
  const llvm::json::Value &Value = (*A)[2];
  if (Kind == "int" && Value.getAsInteger()) {
    R.Value = Attribute(*Value.getAsInteger());
  } else if (Kind == "float" && Value.getAsNumber()) {
    R.Value = Attribute(*Value.getAsNumber());
  } else if (Kind == "bool" && Value.getAsBoolean()) {
    R.Value = Attribute(*Value.getAsBoolean());
  } else if (Kind == "string" && Value.getAsString()) {
    R.Value = Attribute(Value.getAsString()->str());
  } else if (Kind == "ints" && Value.getAsArray()) {
    std::vector<int64_t> Ints;
    for (const llvm::json::Value &I : *Value.getAsArray())
      Ints.push_back(I.getAsInteger().value_or(0));
    R.Value = Attribute(std::move(Ints));
  } else {
    return fixtureError(llvm::formatv("attribute '{0}' has a bad {1} value", R.Name, Kind));
  }
  return R;
}

llvm::Error readTensors(const llvm::json::Object &O, llvm::StringRef Key,
                        std::vector<Tensor> &Out) {
  const llvm::json::Array *A = O.getArray(Key);
  if (!A)
    return fixtureError(llvm::formatv("'{0}' is missing", Key));
  for (const llvm::json::Value &V : *A) {
    auto T = readTensor(&V);
    if (!T)
      return T.takeError();
    Out.push_back(*T);
  }
  return llvm::Error::success();
}

llvm::Expected<OpFixture> readCase(const llvm::json::Value &V) {
  const llvm::json::Object *O = V.getAsObject();
  if (!O || !O->getString("name") || !O->getString("op"))
    return fixtureError("a case needs a name and an op");
  OpFixture C;
  C.Name = O->getString("name")->str();
  C.Op.Op = O->getString("op")->str();
  C.Training = O->getBoolean("training").value_or(false);
  C.Exact = O->getBoolean("exact").value_or(false);
  if (const llvm::json::Array *Attrs = O->getArray("attrs"))
    for (const llvm::json::Value &A : *Attrs) {
      auto Attr = readAttr(A);
      if (!Attr)
        return Attr.takeError();
      C.Op.Attrs.push_back(std::move(*Attr));
    }
  if (llvm::Error E = readTensors(*O, "operands", C.Op.Operands))
    return E;
  if (llvm::Error E = readTensors(*O, "outputs", C.Outputs))
    return E;
  if (llvm::Error E = readTensors(*O, "grad_outputs", C.GradOutputs))
    return E;
  if (const llvm::json::Object *Grads = O->getObject("grads"))
    for (const auto &KV : *Grads) {
      unsigned Index;
      if (llvm::StringRef(KV.first).getAsInteger(10, Index))
        return fixtureError("'grads' keys are operand indices");
      auto T = readTensor(&KV.second);
      if (!T)
        return T.takeError();
      C.Grads[Index] = *T;
    }
  return C;
}

/// The first element where Got and Want differ, or "".
std::string compare(llvm::StringRef What, const Tensor &Got, const Tensor &Want, bool Exact,
                    double Rel, double Abs) {
  if (Got.dtype() != Want.dtype() || Got.shape() != Want.shape())
    return llvm::formatv("{0} is {1}, expected {2}", What, Got.describe(), Want.describe());
  if (Want.dtype() != DType::F32) {
    if (std::memcmp(Got.raw(), Want.raw(), Want.byteSize()) != 0)
      return llvm::formatv("{0} differs from PyTorch's", What);
    return "";
  }
  for (int64_t I = 0; I < Want.numel(); ++I) {
    float G = Got.f32()[I], W = Want.f32()[I];
    bool Same = Exact ? (G == W && std::signbit(G) == std::signbit(W)) ||
                            (std::isnan(G) && std::isnan(W))
                      : std::fabs(double(G) - W) <= Abs + Rel * std::fabs(W);
    if (!Same)
      return llvm::formatv("{0}: element {1} is {2:e9}, expected {3:e9}", What, I, G, W);
  }
  return "";
}

/// The JSON object at the top of the file at Path.
llvm::Expected<llvm::json::Value> readJson(llvm::StringRef Path) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path);
  if (!Buffer)
    return llvm::createStringError(Buffer.getError(), "cannot read %s", Path.str().c_str());
  auto Root = llvm::json::parse((*Buffer)->getBuffer());
  if (!Root)
    return Root.takeError();
  if (!Root->getAsObject())
    return fixtureError(llvm::formatv("{0} does not hold a JSON object", Path));
  return Root;
}

} // namespace

llvm::Expected<std::vector<OpFixture>> testing::readOpFixtures(llvm::StringRef Path) {
  auto Root = readJson(Path);
  if (!Root)
    return Root.takeError();
  const llvm::json::Array *Cases = Root->getAsObject()->getArray("cases");
  if (!Cases)
    return fixtureError(llvm::formatv("{0} has no 'cases' array", Path));
  std::vector<OpFixture> Result;
  for (const llvm::json::Value &V : *Cases) {
    auto C = readCase(V);
    if (!C)
      return fixtureError(llvm::formatv("{0}, case {1}: {2}", Path, Result.size(),
                                        llvm::toString(C.takeError())));
    Result.push_back(std::move(*C));
  }
  return Result;
}

llvm::Expected<std::map<std::string, Tensor>>
testing::readNamedTensors(llvm::StringRef Path) {
  auto Root = readJson(Path);
  if (!Root)
    return Root.takeError();
  std::map<std::string, Tensor> Result;
  for (const auto &KV : *Root->getAsObject()) {
    auto T = readTensor(&KV.second);
    if (!T)
      return fixtureError(llvm::formatv("{0}, '{1}': {2}", Path, KV.first.str(),
                                        llvm::toString(T.takeError())));
    Result[KV.first.str()] = *T;
  }
  return Result;
}

std::string testing::checkOpFixture(const OpFixture &C, double Rel, double Abs) {
  auto Built = buildOp(C.Op);
  if (!Built)
    return "build: " + llvm::toString(Built.takeError());
  Executor &E = *Built->Exec;
  RunOptions Opts;
  Opts.Training = C.Training;
  Opts.RecordGradients = true;
  auto Outs = E.forward({}, Opts);
  if (!Outs)
    return "forward: " + llvm::toString(Outs.takeError());
  if (Outs->size() != C.Outputs.size())
    return llvm::formatv("{0} outputs, expected {1}", Outs->size(), C.Outputs.size());
  for (size_t I = 0; I < C.Outputs.size(); ++I)
    if (std::string Msg = compare(llvm::formatv("output {0}", I).str(), (*Outs)[I],
                                  C.Outputs[I], C.Exact, Rel, Abs);
        !Msg.empty())
      return Msg;
  if (C.Grads.empty())
    return "";
  if (llvm::Error Err = E.backward(C.GradOutputs))
    return "backward: " + llvm::toString(std::move(Err));
  for (const auto &[Index, Want] : C.Grads) {
    Tensor Got = E.gradient(Built->OperandParams[Index]);
    if (!Got.defined())
      Got = Tensor::zeros(Want.shape());
    if (Got.numel() != Want.numel())
      return llvm::formatv("gradient of operand {0} is {1}, expected {2}", Index,
                           Got.describe(), Want.describe());
    Got = Got.view(Want.shape());
    if (std::string Msg = compare(llvm::formatv("gradient of operand {0}", Index).str(), Got,
                                  Want, /*Exact=*/false, Rel, Abs);
        !Msg.empty())
      return Msg;
  }
  return "";
}

std::string testing::checkOpFixtureFile(llvm::StringRef Path,
                                        const std::set<std::string> &Ops) {
  auto Cases = readOpFixtures(Path);
  if (!Cases)
    return llvm::toString(Cases.takeError());
  std::string Problems;
  std::set<std::string> Covered;
  for (const OpFixture &C : *Cases) {
    Covered.insert(C.Op.Op);
    if (std::string Msg = checkOpFixture(C); !Msg.empty())
      Problems += C.Name + ": " + Msg + "\n";
  }
  if (Covered != Ops)
    Problems += llvm::formatv("{0} covers ops {1}, expected {2}\n", Path,
                              llvm::join(Covered, ","), llvm::join(Ops, ","))
                    .str();
  return Problems;
}
