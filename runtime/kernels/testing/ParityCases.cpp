//===- ParityCases.cpp - PyTorch reference cases for kernel tests ---------===//

#include "runtime/kernels/testing/ParityCases.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <sstream>

using namespace qatc;
using namespace qatc::runtime;
using namespace qatc::runtime::testing;

namespace {

llvm::Error parseError(llvm::StringRef Path, const std::string &Line) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "%s: cannot parse fixture line '%s'", Path.str().c_str(),
                                 Line.substr(0, 80).c_str());
}

/// "RANK DIMS... VALUES..." from the rest of a line.
bool readTensor(std::istringstream &In, Tensor &T) {
  int Rank;
  if (!(In >> Rank))
    return false;
  Shape Dims(Rank);
  for (int64_t &D : Dims)
    if (!(In >> D))
      return false;
  T = Tensor::empty(Dims);
  for (int64_t I = 0; I < T.numel(); ++I)
    if (!(In >> T.f32()[I]))
      return false;
  return true;
}

bool readAttr(std::istringstream &In, NamedAttribute &A) {
  std::string Kind;
  if (!(In >> A.Name >> Kind))
    return false;
  if (Kind == "int" || Kind == "bool") {
    int64_t V;
    if (!(In >> V))
      return false;
    A.Value = Kind == "int" ? Attribute(V) : Attribute(V != 0);
  } else if (Kind == "float") {
    double V;
    if (!(In >> V))
      return false;
    A.Value = Attribute(V);
  } else if (Kind == "ints") {
    size_t Count;
    if (!(In >> Count))
      return false;
    std::vector<int64_t> Values(Count);
    for (int64_t &V : Values)
      if (!(In >> V))
        return false;
    A.Value = Attribute(std::move(Values));
  } else {
    return false;
  }
  return true;
}

/// The first element where Got and Want differ beyond tolerance, or "".
std::string compare(llvm::StringRef What, const Tensor &Got, const Tensor &Want, double Rel,
                    double Abs) {
  if (!Got.defined())
    return (What + ": missing").str();
  if (Got.shape() != Want.shape())
    return llvm::formatv("{0}: shape {1}, expected {2}", What, Got.describe(), Want.describe());
  for (int64_t I = 0; I < Want.numel(); ++I) {
    double G = Got.f32()[I], W = Want.f32()[I];
    if (!(std::fabs(G - W) <= Abs + Rel * std::fabs(W)))
      return llvm::formatv("{0}: element {1} is {2:e8}, expected {3:e8}", What, I, G, W);
  }
  return "";
}

} // namespace

llvm::Expected<std::vector<ParityCase>> testing::readParityCases(llvm::StringRef Path) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path);
  if (!Buffer)
    return llvm::createStringError(Buffer.getError(), "cannot read %s", Path.str().c_str());
  std::vector<ParityCase> Cases;
  std::istringstream Lines((*Buffer)->getBuffer().str());
  std::string Line;
  ParityCase Current;
  while (std::getline(Lines, Line)) {
    std::istringstream In(Line);
    std::string Key;
    In >> Key;
    bool Ok = true;
    if (Key == "case") {
      Current = ParityCase();
      Ok = bool(In >> Current.Name);
    } else if (Key == "op") {
      Ok = bool(In >> Current.Op.Op);
    } else if (Key == "mode") {
      int Training, Update;
      Ok = bool(In >> Training >> Update);
      Current.Training = Training;
      Current.UpdateState = Update;
    } else if (Key == "attr") {
      NamedAttribute A;
      Ok = readAttr(In, A);
      Current.Op.Attrs.push_back(std::move(A));
    } else if (Key == "operand") {
      Current.Op.Operands.emplace_back();
      Ok = readTensor(In, Current.Op.Operands.back());
    } else if (Key == "output") {
      Ok = readTensor(In, Current.Output);
    } else if (Key == "gradout") {
      Ok = readTensor(In, Current.GradOutput);
    } else if (Key == "grad" || Key == "state") {
      unsigned Index;
      Ok = bool(In >> Index) &&
           readTensor(In, (Key == "grad" ? Current.Grads : Current.States)[Index]);
    } else if (Key == "end") {
      Cases.push_back(std::move(Current));
      Current = ParityCase();
    } else {
      Ok = Key.empty();
    }
    if (!Ok)
      return parseError(Path, Line);
  }
  return Cases;
}

std::string testing::checkParity(const ParityCase &C, double Rel, double Abs) {
  auto Built = buildOp(C.Op);
  if (!Built)
    return "build: " + llvm::toString(Built.takeError());
  Executor &E = *Built->Exec;
  RunOptions Opts;
  Opts.Training = C.Training;
  Opts.UpdateState = C.UpdateState;
  Opts.RecordGradients = true;
  auto Outs = E.forward({}, Opts);
  if (!Outs)
    return "forward: " + llvm::toString(Outs.takeError());
  if (Outs->size() != 1)
    return "expected one output";
  if (std::string Msg = compare("output", Outs->front(), C.Output, Rel, Abs); !Msg.empty())
    return Msg;
  for (const auto &[Index, Want] : C.States) {
    const Tensor &Got = E.parameter(Built->OperandParams[Index]);
    if (std::string Msg = compare(llvm::formatv("state of operand {0}", Index).str(), Got, Want,
                                  Rel, Abs);
        !Msg.empty())
      return Msg;
  }
  if (llvm::Error Err = E.backward({C.GradOutput}))
    return "backward: " + llvm::toString(std::move(Err));
  for (const auto &[Index, Want] : C.Grads) {
    const Tensor &Got = E.gradient(Built->OperandParams[Index]);
    if (std::string Msg = compare(llvm::formatv("gradient of operand {0}", Index).str(),
                                  Got.defined() ? Got.view(Want.shape()) : Got, Want, Rel, Abs);
        !Msg.empty())
      return Msg;
  }
  return "";
}

std::string testing::checkParityFile(llvm::StringRef Path, size_t MinCases) {
  auto Cases = readParityCases(Path);
  if (!Cases)
    return llvm::toString(Cases.takeError());
  std::string Problems;
  if (Cases->size() < MinCases)
    Problems = llvm::formatv("{0} holds {1} cases, expected at least {2}\n", Path,
                             Cases->size(), MinCases);
  for (const ParityCase &C : *Cases)
    if (std::string Msg = checkParity(C); !Msg.empty())
      Problems += C.Name + ": " + Msg + "\n";
  return Problems;
}

std::string testing::checkFiniteDifferences(const OpCase &C, bool Training, double Tolerance) {
  auto Result = checkGradients(C, 1e-3, Training);
  if (!Result)
    return llvm::toString(Result.takeError());
  if (Result->MaxError < Tolerance)
    return "";
  return llvm::formatv("error {0} at {1}", Result->MaxError, Result->Worst);
}
