//===- MilImporter.cpp - An ML Program as an executable QIR graph ---------===//
//
// The walk over `main` and the ImportContext helpers the op rules use.
//
//===----------------------------------------------------------------------===//
#include "runtime/mil/MilImporter.h"

#include "runtime/mil/ImportContext.h"

#include "passes/mil/MilValue.h"

#include "ir/Verifier.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <set>

namespace qatc {
namespace mil {

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// The QIR dtype of a MIL tensor type the executor handles.
std::optional<DType> qirDType(MilDType T) {
  switch (T) {
  case Spec::FLOAT32:
    return DType::F32;
  case Spec::INT8:
    return DType::I8;
  case Spec::UINT8:
    return DType::U8;
  case Spec::INT32:
    return DType::I32;
  case Spec::INT64:
    return DType::I64;
  case Spec::BOOL:
    return DType::Bool;
  default:
    return std::nullopt;
  }
}

} // namespace

std::string operationName(const Spec::Operation &Op) {
  auto It = Op.attributes().find("name");
  if (It != Op.attributes().end() && It->second.has_immediatevalue() &&
      It->second.immediatevalue().tensor().strings().values_size() == 1)
    return It->second.immediatevalue().tensor().strings().values(0);
  return Op.outputs_size() ? Op.outputs(0).name() : std::string("<unnamed>");
}

llvm::Error opError(const Spec::Operation &Op, const llvm::Twine &Message) {
  return makeError("operation '" + operationName(Op) + "' (" + Op.type() + "): " + Message);
}

//===----------------------------------------------------------------------===//
// ImportContext
//===----------------------------------------------------------------------===//

bool ImportContext::has(const Spec::Operation &Op, llvm::StringRef Param) {
  auto It = Op.inputs().find(Param.str());
  return It != Op.inputs().end() && It->second.arguments_size() > 0;
}

std::string ImportContext::boundName(const Spec::Operation &Op, llvm::StringRef Param) {
  auto It = Op.inputs().find(Param.str());
  if (It == Op.inputs().end() || It->second.arguments_size() != 1 ||
      !It->second.arguments(0).has_name())
    return "";
  return It->second.arguments(0).name();
}

void ImportContext::indexBlock(const Spec::Block &Block) {
  for (const Spec::Operation &Op : Block.operations()) {
    for (const Spec::NamedValueType &O : Op.outputs())
      Producers[O.name()] = &Op;
    for (const auto &KV : Op.inputs())
      for (const Spec::Argument::Binding &Bd : KV.second.arguments())
        if (Bd.has_name()) {
          ++Uses[Bd.name()];
          auto &List = Consumers[Bd.name()];
          if (List.empty() || List.back() != &Op)
            List.push_back(&Op);
        }
  }
  for (const std::string &O : Block.outputs())
    ++Uses[O];
}

llvm::Expected<Node *> ImportContext::parameter(llvm::StringRef Name, const MilTensor &T) {
  MilTensor V = T;
  DType QT;
  if (T.DType == Spec::FLOAT16) {
    V = MilTensor::floats(T.Shape, T.floatValues());
    QT = DType::F32;
  } else if (T.DType == Spec::INT4 || T.DType == Spec::UINT4) {
    MilDType Wide = T.DType == Spec::INT4 ? Spec::INT8 : Spec::UINT8;
    V = MilTensor::integers(Wide, T.Shape, T.intValues());
    QT = T.DType == Spec::INT4 ? DType::I8 : DType::U8;
  } else if (auto D = qirDType(T.DType)) {
    QT = *D;
  } else {
    return makeError(llvm::formatv("constant '{0}' has type {1}, which the reference executor "
                                   "does not handle",
                                   Name, dtypeSpelling(T.DType)));
  }
  std::string PName = G.lookupParameter(Name) ? G.uniqueParameterName(Name) : Name.str();
  Parameter *Par = G.addParameter(PName, Type::tensor(QT, V.Shape));
  if (V.Bytes.size() != Par->byteSize())
    return makeError(llvm::formatv("constant '{0}' holds {1} bytes but its type needs {2}",
                                   Name, V.Bytes.size(), Par->byteSize()));
  Par->setData(std::move(V.Bytes));
  return B.getAttr(Par);
}

llvm::Expected<Node *> ImportContext::bindingNode(const Spec::Operation &Op,
                                                  llvm::StringRef Param,
                                                  const Spec::Argument::Binding &Bd,
                                                  unsigned Index) {
  if (Bd.has_name()) {
    if (Node *N = Values.lookup(Bd.name()))
      return N;
    auto C = Constants.find(Bd.name());
    if (C == Constants.end())
      return opError(Op, "parameter '" + Param + "' reads '" + Bd.name() +
                             "', which is not defined before it");
    auto N = parameter(Bd.name(), C->second);
    if (!N)
      return opError(Op, llvm::toString(N.takeError()));
    Values[Bd.name()] = *N;
    return *N;
  }
  if (!Bd.has_value())
    return opError(Op, "parameter '" + Param + "' has an empty binding");
  auto T = decodeValue(Bd.value(), P.blobs(), Param);
  if (!T)
    return opError(Op, llvm::toString(T.takeError()));
  auto N = parameter(operationName(Op) + "." + Param.str() +
                         (Index ? "." + std::to_string(Index) : std::string()),
                     *T);
  if (!N)
    return opError(Op, llvm::toString(N.takeError()));
  return *N;
}

llvm::Expected<Node *> ImportContext::tensor(const Spec::Operation &Op, llvm::StringRef Param) {
  auto It = Op.inputs().find(Param.str());
  if (It == Op.inputs().end() || It->second.arguments_size() == 0)
    return opError(Op, "required parameter '" + Param + "' is missing");
  if (It->second.arguments_size() != 1)
    return opError(Op, "parameter '" + Param + "' must have one binding");
  return bindingNode(Op, Param, It->second.arguments(0), 0);
}

llvm::Expected<std::vector<Node *>> ImportContext::tuple(const Spec::Operation &Op,
                                                         llvm::StringRef Param) {
  auto It = Op.inputs().find(Param.str());
  if (It == Op.inputs().end() || It->second.arguments_size() == 0)
    return opError(Op, "required parameter '" + Param + "' is missing");
  std::vector<Node *> Out;
  for (int I = 0; I < It->second.arguments_size(); ++I) {
    auto N = bindingNode(Op, Param, It->second.arguments(I), unsigned(I));
    if (!N)
      return N.takeError();
    Out.push_back(*N);
  }
  return Out;
}

llvm::Expected<MilTensor> ImportContext::constant(const Spec::Operation &Op,
                                                  llvm::StringRef Param) {
  auto It = Op.inputs().find(Param.str());
  if (It == Op.inputs().end() || It->second.arguments_size() != 1)
    return opError(Op, "parameter '" + Param + "' must have exactly one binding");
  const Spec::Argument::Binding &Bd = It->second.arguments(0);
  if (Bd.has_name()) {
    auto C = Constants.find(Bd.name());
    if (C == Constants.end())
      return opError(Op, "parameter '" + Param + "' must be a constant, but '" + Bd.name() +
                             "' is computed at run time");
    return C->second;
  }
  auto T = decodeValue(Bd.value(), P.blobs(), Param);
  if (!T)
    return opError(Op, llvm::toString(T.takeError()));
  return T;
}

llvm::Expected<int64_t> ImportContext::intParam(const Spec::Operation &Op, llvm::StringRef Param,
                                                std::optional<int64_t> Default) {
  if (!has(Op, Param) && Default)
    return *Default;
  auto T = constant(Op, Param);
  if (!T)
    return T.takeError();
  if (!isIntegerDType(T->DType) || T->numel() != 1)
    return opError(Op, "parameter '" + Param + "' must be one integer, not " +
                           dtypeSpelling(T->DType) + " with " + llvm::Twine(T->numel()) +
                           " elements");
  return T->intValues()[0];
}

llvm::Expected<std::vector<int64_t>>
ImportContext::intsParam(const Spec::Operation &Op, llvm::StringRef Param,
                         std::optional<std::vector<int64_t>> Default) {
  if (!has(Op, Param) && Default)
    return *Default;
  auto T = constant(Op, Param);
  if (!T)
    return T.takeError();
  if (!isIntegerDType(T->DType) || T->Shape.size() > 1)
    return opError(Op, "parameter '" + Param + "' must be an integer vector, not " +
                           dtypeSpelling(T->DType));
  return T->intValues();
}

llvm::Expected<std::vector<bool>>
ImportContext::boolsParam(const Spec::Operation &Op, llvm::StringRef Param,
                          std::optional<std::vector<bool>> Default) {
  if (!has(Op, Param) && Default)
    return *Default;
  auto T = constant(Op, Param);
  if (!T)
    return T.takeError();
  if (T->DType != Spec::BOOL || T->Shape.size() > 1)
    return opError(Op, "parameter '" + Param + "' must be a bool vector, not " +
                           dtypeSpelling(T->DType));
  std::vector<bool> Out;
  for (int64_t V : T->intValues())
    Out.push_back(V != 0);
  return Out;
}

llvm::Expected<bool> ImportContext::boolParam(const Spec::Operation &Op, llvm::StringRef Param,
                                              std::optional<bool> Default) {
  auto V = boolsParam(Op, Param,
                      Default ? std::optional<std::vector<bool>>(std::vector<bool>{*Default})
                              : std::nullopt);
  if (!V)
    return V.takeError();
  if (V->size() != 1)
    return opError(Op, "parameter '" + Param + "' must be one bool");
  return (*V)[0];
}

llvm::Expected<float> ImportContext::floatParam(const Spec::Operation &Op, llvm::StringRef Param,
                                                std::optional<float> Default) {
  if (!has(Op, Param) && Default)
    return *Default;
  auto T = constant(Op, Param);
  if (!T)
    return T.takeError();
  if ((T->DType != Spec::FLOAT32 && T->DType != Spec::FLOAT16) || T->numel() != 1)
    return opError(Op, "parameter '" + Param + "' must be one float, not " +
                           dtypeSpelling(T->DType));
  return T->floatValues()[0];
}

llvm::Expected<std::string> ImportContext::stringParam(const Spec::Operation &Op,
                                                       llvm::StringRef Param,
                                                       std::optional<std::string> Default) {
  if (!has(Op, Param) && Default)
    return *Default;
  auto T = constant(Op, Param);
  if (!T)
    return T.takeError();
  auto S = T->stringValue();
  if (!S)
    return opError(Op, "parameter '" + Param + "' must be one string");
  return *S;
}

llvm::Expected<Node *> ImportContext::call(const Spec::Operation *Op, llvm::StringRef QirOp,
                                           llvm::ArrayRef<Node *> Operands,
                                           llvm::SmallVector<NamedAttribute, 0> Attrs,
                                           llvm::StringRef Name, unsigned OutIndex) {
  auto N = B.call(QirOp, Operands, std::move(Attrs), Name);
  if (!N) {
    if (Op)
      return opError(*Op, llvm::toString(N.takeError()));
    return N.takeError();
  }
  if (!Op || (*N)->type().isTuple() || int(OutIndex) >= Op->outputs_size())
    return *N;
  const Spec::NamedValueType &Out = Op->outputs(int(OutIndex));
  auto Info = tensorTypeInfo(Out.type(), Out.name());
  if (!Info)
    return opError(*Op, llvm::toString(Info.takeError()));
  const Type &Got = (*N)->type();
  auto Want = qirDType(Info->DType);
  bool Match = Want && *Want == Got.dtype() && Got.hasRank() && Got.rank() == Info->Dims.size();
  for (size_t I = 0; Match && I < Info->Dims.size(); ++I)
    Match = Info->Dims[I] < 0 || Got.dim(int(I)) < 0 || Info->Dims[I] == Got.dim(int(I));
  if (!Match) {
    std::string Declared = std::string(dtypeSpelling(Info->DType)) + "[";
    for (size_t I = 0; I < Info->Dims.size(); ++I)
      Declared += (I ? ", " : "") + (Info->Dims[I] < 0 ? std::string("?")
                                                        : std::to_string(Info->Dims[I]));
    Declared += "]";
    return opError(*Op, "output '" + Out.name() + "' is declared " + Declared +
                            " but the operation computes " + Got.str());
  }
  return *N;
}

llvm::Expected<Node *> ImportContext::result(const Spec::Operation &Op, llvm::StringRef QirOp,
                                             llvm::ArrayRef<Node *> Operands,
                                             llvm::SmallVector<NamedAttribute, 0> Attrs) {
  if (Op.outputs_size() != 1)
    return opError(Op, llvm::formatv("expected one output, not {0}", Op.outputs_size()));
  auto N = call(&Op, QirOp, Operands, std::move(Attrs), Op.outputs(0).name());
  if (!N)
    return N.takeError();
  define(Op.outputs(0).name(), *N);
  return N;
}

//===----------------------------------------------------------------------===//
// The walk
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<Graph>> importMilProgram(const MLPackage &P) {
  const CoreML::Specification::Model &M = P.Model;
  std::string GraphName = "main";
  auto Meta = M.description().metadata().userdefined().find("com.github.qatc.source_graph");
  if (Meta != M.description().metadata().userdefined().end() && !Meta->second.empty())
    GraphName = Meta->second;
  auto G = std::make_unique<Graph>(GraphName);
  ImportContext C(P, *G);
  C.indexBlock(*P.Block);

  std::set<std::string> FunctionInputs;
  for (const Spec::NamedValueType &In : P.Main->inputs()) {
    auto Info = tensorTypeInfo(In.type(), "input '" + In.name() + "'");
    if (!Info)
      return Info.takeError();
    if (Info->DType != Spec::FLOAT32 && Info->DType != Spec::INT32)
      return makeError(llvm::formatv("input '{0}' is {1}; the reference executor runs fp32 (or "
                                     "int32) inputs only",
                                     In.name(), dtypeSpelling(Info->DType)));
    if (G->lookupNode(In.name()))
      return makeError("input '" + In.name() + "' is declared twice");
    Node *N = C.builder().placeholder(
        In.name(), Type::tensor(Info->DType == Spec::FLOAT32 ? DType::F32 : DType::I32,
                                Info->Dims));
    C.define(In.name(), N);
    FunctionInputs.insert(In.name());
  }
  for (const CoreML::Specification::FeatureDescription &F : M.description().input())
    if (!FunctionInputs.count(F.name()))
      return makeError("the model description lists input '" + F.name() +
                       "' but function 'main' has no such input");

  // Every op type the executor does not know, listed at once.
  std::set<std::string> Unknown;
  for (const Spec::Operation &Op : P.Block->operations())
    if (Op.type() != "const" && !lookupImportRule(Op.type()))
      Unknown.insert(Op.type());
  if (!Unknown.empty()) {
    std::string List;
    for (const std::string &U : Unknown)
      List += (List.empty() ? "" : ", ") + U;
    return makeError(llvm::formatv("the program uses {0} op type(s) the reference executor "
                                   "does not implement: {1}",
                                   Unknown.size(), List));
  }

  // Const values first: rules that recognise patterns read the parameters
  // of ops later in the block.
  for (const Spec::Operation &Op : P.Block->operations()) {
    if (Op.type() != "const")
      continue;
    auto V = Op.attributes().find("val");
    if (V == Op.attributes().end() || Op.outputs_size() != 1)
      return opError(Op, "a const op needs a 'val' attribute and one output");
    auto T = decodeValue(V->second, P.blobs(), Op.outputs(0).name());
    if (!T)
      return opError(Op, llvm::toString(T.takeError()));
    C.defineConstant(Op.outputs(0).name(), std::move(*T));
  }
  for (const Spec::Operation &Op : P.Block->operations()) {
    if (!Op.blocks().empty())
      return opError(Op, "nested blocks (control flow) are not supported");
    if (Op.type() == "const")
      continue;
    if (llvm::Error E = lookupImportRule(Op.type())(C, Op))
      return E;
  }

  std::vector<Node *> Results;
  for (const std::string &Name : P.Block->outputs()) {
    Node *N = C.lookup(Name);
    if (!N)
      return makeError("block output '" + Name + "' is not a value computed by the program");
    Results.push_back(N);
  }
  if (Results.empty())
    return makeError("function 'main' returns nothing; a model needs at least one output");
  C.builder().output(Results);
  if (llvm::Error E = verify(*G))
    return makeError("the converted program is not a valid graph: " +
                     llvm::toString(std::move(E)));
  return G;
}

llvm::Expected<std::unique_ptr<Graph>> loadMLPackageGraph(llvm::StringRef Path) {
  auto P = readMLPackage(Path);
  if (!P)
    return P.takeError();
  auto G = importMilProgram(**P);
  if (!G)
    return makeError(Path + ": " + llvm::toString(G.takeError()));
  return G;
}

} // namespace mil
} // namespace qatc
