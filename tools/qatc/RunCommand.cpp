//===- RunCommand.cpp - `qatc run`: one forward pass on NumPy inputs ------===//
//
// qatc run MODEL --input name=x.npy [...] -o y.npz
// MODEL is a QIR graph (run by the runtime) or an .mlpackage (run by the
// reference executor of Core ML programs). Each --input binds a graph input
// by name (a QIR name such as `input.1` also finds its MIL form `input_1`);
// a model with one input accepts a bare path. The .npz gets one array per
// model output, named after the output.
//
//===----------------------------------------------------------------------===//
#include "tools/qatc/CommandSupport.h"
#include "tools/qatc/ThreadsFlag.h"

#include "passes/mil/MilNames.h"
#include "runtime/Executor.h"
#include "runtime/NpzFile.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>

namespace qatc {

namespace cl = llvm::cl;
using namespace runtime;

cl::SubCommand &runSubCommand() {
  static cl::SubCommand Cmd("run", "Run a model (.qir, .qirb or .mlpackage) on .npy inputs");
  return Cmd;
}
static cl::SubCommand &RunCmd = runSubCommand();

static cl::opt<std::string> Model(cl::Positional, cl::desc("<model .qir/.qirb/.mlpackage>"),
                                  cl::Required, cl::sub(RunCmd), cl::cat(qatcCategory()));
static cl::list<std::string> Inputs("input",
                                    cl::desc("An input: name=file.npy (or file.npy when the "
                                             "model has one input); repeat per input"),
                                    cl::value_desc("name=path"), cl::sub(RunCmd),
                                    cl::cat(qatcCategory()));
static cl::opt<std::string> Output("o", cl::desc("Write the outputs here (.npz)"),
                                   cl::value_desc("path"), cl::Required, cl::sub(RunCmd),
                                   cl::cat(qatcCategory()));

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// The placeholder an --input name refers to: exact, else by its MIL spelling.
Node *findInput(llvm::ArrayRef<Node *> Placeholders, llvm::StringRef Name) {
  for (Node *P : Placeholders)
    if (P->name() == Name)
      return P;
  std::string Sanitized = mil::sanitizeName(Name);
  for (Node *P : Placeholders)
    if (P->name() == Sanitized)
      return P;
  return nullptr;
}

std::string inputList(llvm::ArrayRef<Node *> Placeholders) {
  std::string List;
  for (Node *P : Placeholders)
    List += (List.empty() ? "'" : ", '") + P->name().str() + "'";
  return List;
}

/// T converted to the placeholder's dtype (NumPy integers load as i64).
llvm::Expected<Tensor> convertInput(const Tensor &T, const Node &P, llvm::StringRef Path) {
  DType Want = P.type().dtype();
  if (T.dtype() == Want)
    return T;
  if (T.dtype() == DType::I64 && Want == DType::F32) {
    Tensor Out = Tensor::empty(T.shape(), DType::F32);
    for (int64_t I = 0; I < T.numel(); ++I)
      Out.f32()[I] = float(T.data<int64_t>()[I]);
    return Out;
  }
  if (T.dtype() == DType::I64 && Want == DType::I32) {
    Tensor Out = Tensor::empty(T.shape(), DType::I32);
    for (int64_t I = 0; I < T.numel(); ++I) {
      int64_t V = T.data<int64_t>()[I];
      if (V < std::numeric_limits<int32_t>::min() || V > std::numeric_limits<int32_t>::max())
        return makeError(llvm::formatv("{0}: value {1} does not fit input '{2}' (i32)", Path, V,
                                       P.name()));
      Out.data<int32_t>()[I] = int32_t(V);
    }
    return Out;
  }
  return makeError(llvm::formatv("{0}: holds {1} but input '{2}' is {3}", Path,
                                 dtypeName(T.dtype()), P.name(), P.type().str()));
}

/// One tensor per placeholder, from the --input options.
llvm::Expected<std::vector<Tensor>> bindInputs(llvm::ArrayRef<Node *> Placeholders) {
  std::vector<Tensor> Bound(Placeholders.size());
  for (const std::string &Spec : Inputs) {
    llvm::StringRef Name, Path;
    std::tie(Name, Path) = llvm::StringRef(Spec).split('=');
    if (Path.empty()) {
      if (Placeholders.size() != 1)
        return makeError(llvm::formatv("--input {0} gives no name but the model has {1} "
                                       "inputs ({2}); use --input name=path",
                                       Spec, Placeholders.size(), inputList(Placeholders)));
      Path = Name;
      Name = Placeholders[0]->name();
    }
    Node *P = findInput(Placeholders, Name);
    if (!P)
      return makeError(llvm::formatv("--input names '{0}', which is not an input of the model; "
                                     "its inputs are {1}",
                                     Name, inputList(Placeholders)));
    size_t Index = llvm::find(Placeholders, P) - Placeholders.begin();
    if (Bound[Index].defined())
      return makeError("input '" + P->name() + "' is given twice");
    auto T = readNpy(Path);
    if (!T)
      return T.takeError();
    auto Converted = convertInput(*T, *P, Path);
    if (!Converted)
      return Converted.takeError();
    Bound[Index] = *Converted;
  }
  for (size_t I = 0; I < Placeholders.size(); ++I)
    if (!Bound[I].defined())
      return makeError(llvm::formatv("input '{0}' ({1}) is not given; pass --input {0}=file.npy",
                                     Placeholders[I]->name(), Placeholders[I]->type().str()));
  return Bound;
}

} // namespace

int runRunCommand() {
  if (llvm::Error E = applyThreadsFlag())
    return reportError(std::move(E), ExitBadInput);
  if (!llvm::StringRef(Output).endswith(".npz"))
    return reportError("-o must name an .npz file, not '" + Output + "'", ExitBadInput);
  auto G = loadModelGraph(Model);
  if (!G)
    return reportError(G.takeError(), ExitBadInput);
  auto E = Executor::create(**G);
  if (!E)
    return reportError(Model + ": " + llvm::toString(E.takeError()), ExitBadInput);
  auto Bound = bindInputs((*E)->inputs());
  if (!Bound)
    return reportError(Bound.takeError(), ExitBadInput);
  auto Results = (*E)->forward(*Bound, RunOptions());
  if (!Results)
    return reportError(Model + ": " + llvm::toString(Results.takeError()), ExitBadInput);
  NamedTensors Arrays;
  llvm::StringSet<> Names;
  llvm::ArrayRef<Node *> Outs = (*E)->outputs();
  for (size_t I = 0; I < Outs.size(); ++I) {
    std::string Name = Outs[I]->name().str();
    for (unsigned K = 1; !Names.insert(Name).second; ++K)
      Name = Outs[I]->name().str() + "_" + std::to_string(K);
    Arrays.emplace_back(Name, (*Results)[I]);
  }
  if (llvm::Error Err = writeNpz(Output, Arrays))
    return reportError(std::move(Err), ExitBadInput);
  for (const auto &[Name, T] : Arrays)
    llvm::outs() << Name << ": " << T.describe() << "\n";
  return ExitSuccess;
}

} // namespace qatc
