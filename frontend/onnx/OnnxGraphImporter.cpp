//===- OnnxGraphImporter.cpp - Building QIR from a parsed ONNX model ------===//
#include "frontend/onnx/OnnxGraphImporter.h"

#include "frontend/ImportSupport.h"
#include "frontend/onnx/OnnxOpMapping.h"

#include "llvm/Support/Path.h"

namespace qatc {

static llvm::Error plainError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

/// How messages refer to an ONNX node.
static std::string describeNode(const onnx::NodeProto &N, unsigned Index) {
  std::string Who = N.name().empty() ? "node #" + std::to_string(Index + 1)
                                     : "node '" + N.name() + "'";
  return Who + " (" + N.op_type() + ")";
}

/// The graph's name: the model file's name up to its first dot, so that
/// resnet18.onnx, resnet18.bn.onnx and resnet18.pt all give @resnet18.
static std::string graphNameFor(llvm::StringRef File) {
  llvm::StringRef Base = llvm::sys::path::filename(File);
  Base = Base.take_until([](char C) { return C == '.'; });
  return Base.empty() ? "main" : Base.str();
}

//===----------------------------------------------------------------------===//
// OnnxNodeContext
//===----------------------------------------------------------------------===//

llvm::Expected<int64_t> normalizeAxis(int64_t Axis, int64_t Rank, llvm::StringRef What) {
  if (Axis < -Rank || Axis >= Rank)
    return plainError(What + " " + llvm::Twine(Axis) + " is out of range for rank " +
                      llvm::Twine(Rank));
  return Axis < 0 ? Axis + Rank : Axis;
}

llvm::Expected<int64_t> normalizeSplitPoint(int64_t Axis, int64_t Rank) {
  if (Axis < -Rank || Axis > Rank)
    return plainError("axis " + llvm::Twine(Axis) + " is out of range for rank " +
                      llvm::Twine(Rank));
  return Axis < 0 ? Axis + Rank : Axis;
}

int64_t OnnxNodeContext::opset() const { return Importer.Opset; }

bool OnnxNodeContext::allInputsConstant() const {
  bool Any = false;
  for (const OnnxValue &V : Inputs) {
    if (V.N)
      return false;
    Any |= bool(V.C);
  }
  return Any;
}

const ConstTensorRef &OnnxNodeContext::constInput(unsigned I) const {
  static const ConstTensorRef None;
  return I < Inputs.size() ? Inputs[I].C : None;
}

llvm::Expected<ConstTensorRef> OnnxNodeContext::requireConstant(unsigned I,
                                                                llvm::StringRef What) const {
  if (!hasInput(I))
    return plainError("the '" + What + "' input is missing");
  if (!Inputs[I].C)
    return plainError("the '" + What +
                      "' input must be a constant, but it is computed at run time; if it "
                      "derives from input shapes, give them with --input-shape NAME=DIMS");
  return Inputs[I].C;
}

Type OnnxNodeContext::inputType(unsigned I) const {
  return Inputs[I].N ? Inputs[I].N->type() : Inputs[I].C->type();
}

Node *OnnxNodeContext::input(unsigned I) {
  if (Inputs[I].N)
    return Inputs[I].N;
  return Importer.materialize(Inputs[I].C, Proto.input(I));
}

Node *OnnxNodeContext::constant(ConstTensorRef C) { return Importer.materialize(C, ""); }

llvm::Expected<std::optional<std::vector<int64_t>>>
OnnxNodeContext::intsFromAttrOrInput(llvm::StringRef Attr, unsigned Input, int64_t SinceOpset) {
  if (opset() < SinceOpset) {
    if (!Attrs.has(Attr))
      return std::nullopt;
    return Attrs.getInts(Attr);
  }
  if (!hasInput(Input))
    return std::nullopt;
  return constantInts(Input, Attr);
}

llvm::Expected<std::vector<int64_t>> OnnxNodeContext::constantInts(unsigned I,
                                                                    llvm::StringRef What) const {
  auto C = requireConstant(I, What);
  if (!C)
    return C.takeError();
  DType T = (*C)->dtype();
  if (T != DType::I64 && T != DType::I32)
    return plainError("the '" + What + "' input must hold integers, not " + dtypeName(T));
  return (*C)->toInts();
}

llvm::Expected<ConstTensorRef> OnnxNodeContext::tensorAttr(llvm::StringRef Name) {
  const onnx::TensorProto *T = Attrs.getTensor(Name);
  if (!T)
    return nullptr;
  auto R = readTensor(*T, "attribute '" + Name + "'", Importer.External);
  if (!R)
    return R.takeError();
  return ConstTensorRef(std::move(*R));
}

llvm::Expected<Node *> OnnxNodeContext::call(llvm::StringRef OpName,
                                             llvm::ArrayRef<Node *> Operands,
                                             llvm::SmallVector<NamedAttribute, 0> Attrs) {
  // A provisional name; nameNodes() gives the final one.
  auto N = Importer.B.call(OpName, Operands, std::move(Attrs), "\x01");
  if (!N)
    return N.takeError();
  if (llvm::Error E = Importer.recordCall(*N))
    return E;
  return *N;
}

bool OnnxNodeContext::isOutputUsed(unsigned I) const {
  return I < (unsigned)Proto.output_size() && !Proto.output(I).empty() &&
         Importer.UsedValues.count(Proto.output(I));
}

void OnnxNodeContext::setOutput(unsigned I, OnnxValue V) {
  if (I < (unsigned)Proto.output_size() && !Proto.output(I).empty())
    Importer.Values[Proto.output(I)] = std::move(V);
}

//===----------------------------------------------------------------------===//
// OnnxGraphImporter
//===----------------------------------------------------------------------===//

OnnxGraphImporter::OnnxGraphImporter(const ParsedOnnxModel &Model, llvm::StringRef File,
                                     llvm::StringRef BaseDir, int64_t Opset,
                                     const ImportOptions &Opts)
    : Model(Model), Proto(Model.Model.graph()), File(File.str()), Opset(Opset), Opts(Opts), External(BaseDir),
      G(std::make_unique<Graph>(graphNameFor(File))), B(*G) {}

llvm::Error OnnxGraphImporter::error(const llvm::Twine &Msg) const {
  return plainError(File + ": " + Msg);
}

llvm::Error OnnxGraphImporter::checkOps() const {
  UnsupportedOpReport Report;
  for (int I = 0; I < Proto.node_size(); ++I) {
    const onnx::NodeProto &N = Proto.node(I);
    std::string Name = N.name().empty() ? "#" + std::to_string(I + 1) : N.name();
    if (!N.domain().empty() && N.domain() != "ai.onnx")
      Report.add(N.domain() + "." + N.op_type(), Name);
    else if (!lookupOnnxOp(N.op_type()))
      Report.add(N.op_type(), Name);
  }
  if (Report.empty())
    return llvm::Error::success();
  return Report.toError(File, "docs/frontends.md lists the ops qatc imports");
}

llvm::Error OnnxGraphImporter::checkTypeBounds(const Type &T) const {
  if (T.isTuple()) {
    for (const Type &E : T.elements())
      if (llvm::Error Err = checkTypeBounds(E))
        return Err;
    return llvm::Error::success();
  }
  if (!T.hasRank())
    return llvm::Error::success();
  llvm::SmallVector<int64_t, 4> Known;
  for (int64_t D : T.dims())
    if (D != kDynamicDim)
      Known.push_back(D);
  return checkDims(Known, T.dtype(), "the result " + T.str());
}

llvm::Error OnnxGraphImporter::importInputs() {
  std::vector<std::string> Names;
  for (const onnx::ValueInfoProto &In : Proto.input()) {
    if (Initializers.count(In.name()))
      continue; // an initializer with a default value: a constant
    if (In.name().empty())
      return error("a graph input has no name");
    Names.push_back(In.name());
    if (!In.type().has_tensor_type())
      return error("graph input '" + In.name() + "' is not a tensor");
    const onnx::TypeProto::Tensor &TT = In.type().tensor_type();
    std::optional<DType> Elem = dtypeFromOnnx(TT.elem_type());
    if (!Elem)
      return error("graph input '" + In.name() + "' has element type " +
                   onnxTypeName(TT.elem_type()) + ", which qatc does not support");
    std::optional<llvm::SmallVector<int64_t, 4>> Dims;
    if (TT.has_shape()) {
      Dims.emplace();
      for (const onnx::TensorShapeProto::Dimension &D : TT.shape().dim())
        Dims->push_back(D.has_dim_value() ? D.dim_value() : kDynamicDim);
    }
    Type Declared = Dims ? Type::tensor(*Elem, *Dims) : Type::unranked(*Elem);
    auto Given = Opts.InputShapes.find(In.name());
    if (Given != Opts.InputShapes.end()) {
      llvm::ArrayRef<int64_t> Shape = Given->second;
      if (Dims && Dims->size() != Shape.size())
        return error("--input-shape for '" + In.name() + "' has " + llvm::Twine(Shape.size()) +
                     " dims but the model declares " + Declared.str());
      for (size_t I = 0; Dims && I < Shape.size(); ++I)
        if ((*Dims)[I] >= 0 && Shape[I] >= 0 && (*Dims)[I] != Shape[I])
          return error("--input-shape for '" + In.name() + "' gives " +
                       llvm::Twine(Shape[I]) + " for dim " + llvm::Twine(I) +
                       " but the model declares " + Declared.str());
      Dims.emplace(Shape.begin(), Shape.end());
    }
    if (Dims)
      for (int64_t D : *Dims)
        if (D < kDynamicDim)
          return error("graph input '" + In.name() + "' has a negative dimension " +
                       llvm::Twine(D));
    Type Ty = Dims ? Type::tensor(*Elem, *Dims) : Type::unranked(*Elem);
    if (llvm::Error E = checkTypeBounds(Ty))
      return error("graph input '" + In.name() + "': " + llvm::toString(std::move(E)));
    Values[In.name()] = OnnxValue{B.placeholder(In.name(), Ty), nullptr};
  }
  for (const auto &Entry : Opts.InputShapes) {
    if (llvm::is_contained(Names, Entry.getKey()))
      continue;
    std::string List;
    for (const std::string &N : Names)
      List += (List.empty() ? "'" : ", '") + N + "'";
    return error("--input-shape names '" + Entry.getKey() +
                 "', which is not an input of the model; its inputs are " +
                 (List.empty() ? std::string("none") : List));
  }
  return llvm::Error::success();
}

llvm::Expected<std::optional<OnnxValue>> OnnxGraphImporter::lookup(llvm::StringRef Name) {
  auto It = Values.find(Name);
  if (It != Values.end())
    return It->second;
  auto Init = Initializers.find(Name);
  if (Init == Initializers.end())
    return std::nullopt;
  auto T = readTensor(Proto.initializer(Init->second), "initializer '" + Name + "'", External,
                      Model.InitializerData[Init->second]);
  if (!T)
    return error(llvm::toString(T.takeError()));
  (*T)->Anonymous = isAnonymousOnnxName(Name);
  OnnxValue V{nullptr, ConstTensorRef(std::move(*T))};
  Values[Name] = V;
  return V;
}

Node *OnnxGraphImporter::materialize(const ConstTensorRef &C, llvm::StringRef ValueName) {
  auto It = ParamOfConstant.find(C.get());
  if (It != ParamOfConstant.end())
    return Params[It->second].GetAttr;
  // A provisional name; createParameters() names it after its parameter.
  Node *N = G->createNode(NodeKind::GetAttr, nullptr, G->uniqueName("\x02"), {}, C->type(),
                          G->nodes().end());
  N->setLoc(CurrentLoc);
  ParamOfConstant[C.get()] = Params.size();
  ParamOfGetAttr[N] = Params.size();
  Params.push_back({N, C, nullptr, 0, ValueName.str()});
  return N;
}

llvm::Error OnnxGraphImporter::recordCall(Node *N) {
  if (llvm::Error E = checkTypeBounds(N->type()))
    return E;
  Calls.push_back({N, CurrentPath, Current->name()});
  for (unsigned I = 0; I < N->numOperands(); ++I) {
    auto It = ParamOfGetAttr.find(N->operand(I));
    if (It != ParamOfGetAttr.end() && !Params[It->second].Consumer) {
      Params[It->second].Consumer = N;
      Params[It->second].Operand = I;
    }
  }
  return llvm::Error::success();
}

llvm::Error OnnxGraphImporter::importNode(const onnx::NodeProto &NodeProto, unsigned Index) {
  Current = &NodeProto;
  CurrentPath = modulePathFromOnnxName(NodeProto.name());
  CurrentLoc = Location(File, Index + 1, 1);
  B.setLoc(CurrentLoc);
  auto NodeError = [&](llvm::Error E) {
    return error(describeNode(NodeProto, Index) + ": " + llvm::toString(std::move(E)));
  };
  llvm::SmallVector<OnnxValue, 4> Inputs;
  for (const std::string &Name : NodeProto.input()) {
    if (Name.empty()) {
      Inputs.emplace_back();
      continue;
    }
    auto V = lookup(Name);
    if (!V)
      return V.takeError();
    if (!*V)
      return NodeError(plainError("its input '" + Name +
                                  "' is not a graph input, an initializer or the output of an "
                                  "earlier node"));
    Inputs.push_back(**V);
  }
  OnnxNodeContext Ctx(*this, NodeProto, std::move(Inputs));
  const OnnxOpMapping *Mapping = lookupOnnxOp(NodeProto.op_type());
  if (NodeProto.output_size() == 0)
    return NodeError(plainError("it has no outputs"));
  for (unsigned I = 0; I < Mapping->MinInputs; ++I)
    if (!Ctx.hasInput(I))
      return NodeError(plainError("it needs at least " + llvm::Twine(Mapping->MinInputs) +
                                  " input" + (Mapping->MinInputs == 1 ? "" : "s") +
                                  ", but input " + llvm::Twine(I) + " is missing"));
  llvm::Error E = llvm::Error::success();
  bool Folded = false;
  if (Mapping->Fold && Ctx.allInputsConstant()) {
    auto F = Mapping->Fold(Ctx);
    if (F)
      Folded = *F;
    else
      E = F.takeError();
  }
  if (!E && !Folded)
    E = Mapping->Map(Ctx);
  if (llvm::Error AttrError = Ctx.attrs().takeError()) {
    llvm::consumeError(std::move(E));
    return NodeError(std::move(AttrError));
  }
  if (E)
    return NodeError(std::move(E));
  for (unsigned I = 0; I < Ctx.numOutputs(); ++I)
    if (Ctx.isOutputUsed(I) && !Values.count(NodeProto.output(I)))
      return NodeError(plainError("its output " + llvm::Twine(I) + " ('" + NodeProto.output(I) +
                                  "') is used, but qatc does not support it"));
  return llvm::Error::success();
}

llvm::Error OnnxGraphImporter::importOutputs() {
  if (Proto.output_size() == 0)
    return error("the graph has no outputs");
  llvm::SmallVector<Node *, 2> Results;
  CurrentLoc = Location();
  for (const onnx::ValueInfoProto &Out : Proto.output()) {
    auto V = lookup(Out.name());
    if (!V)
      return V.takeError();
    if (!*V)
      return error("graph output '" + Out.name() + "' is not computed by any node");
    Results.push_back((*V)->N ? (*V)->N : materialize((*V)->C, Out.name()));
  }
  B.setLoc(Location());
  B.output(Results);
  return llvm::Error::success();
}

/// Renames N to Name, or to a free variant of it when another node has it.
static void renameNode(Graph &G, Node *N, llvm::StringRef Name) {
  if (N->name() == Name)
    return;
  G.rename(N, G.lookupNode(Name) ? llvm::StringRef(G.uniqueName(Name)) : Name);
}

void OnnxGraphImporter::nameNodes() {
  ModuleNamer Namer;
  std::vector<std::optional<unsigned>> Tickets;
  for (const CallName &C : Calls) {
    if (C.ModulePath)
      Tickets.push_back(Namer.add(*C.ModulePath, C.N->opName()));
    else if (C.OnnxName.empty())
      Tickets.push_back(Namer.add("", C.N->opName()));
    else
      Tickets.push_back(std::nullopt);
  }
  for (size_t I = 0; I < Calls.size(); ++I)
    renameNode(*G, Calls[I].N, Tickets[I] ? Namer.name(*Tickets[I]) : Calls[I].OnnxName);
}

void OnnxGraphImporter::createParameters() {
  // Named constants keep their names; anonymous ones take their consumer's
  // name and operand (`layer1.0.conv1.weight`), suffixed when taken.
  llvm::StringSet<> Taken;
  std::vector<std::string> Names(Params.size());
  for (size_t I = 0; I < Params.size(); ++I)
    if (!Params[I].Value->Anonymous && Taken.insert(Params[I].Value->Name).second)
      Names[I] = Params[I].Value->Name;
  for (size_t I = 0; I < Params.size(); ++I) {
    if (!Names[I].empty())
      continue;
    const PendingParam &P = Params[I];
    std::string Base;
    if (P.Consumer) {
      llvm::ArrayRef<OperandSpec> Specs = P.Consumer->op()->operands();
      Base = P.Consumer->name().str() + "." +
             Specs[std::min<size_t>(P.Operand, Specs.size() - 1)].Name;
    } else {
      Base = !P.Value->Name.empty() ? P.Value->Name
             : !P.ValueName.empty() ? P.ValueName
                                    : "constant";
    }
    std::string Name = Base;
    for (unsigned Suffix = 1; !Taken.insert(Name).second; ++Suffix)
      Name = Base + "_" + std::to_string(Suffix);
    Names[I] = Name;
  }
  for (size_t I = 0; I < Params.size(); ++I) {
    const PendingParam &P = Params[I];
    Parameter *Param = G->addParameter(Names[I], P.Value->type());
    llvm::ArrayRef<uint8_t> Bytes = P.Value->bytes();
    Param->setData(std::vector<uint8_t>(Bytes.begin(), Bytes.end()));
    P.GetAttr->setParam(Param);
    renameNode(*G, P.GetAttr, Names[I]);
  }
}

llvm::Expected<std::unique_ptr<Graph>> OnnxGraphImporter::run() {
  if (llvm::Error E = checkOps())
    return E;
  if (Proto.sparse_initializer_size())
    return error("the model has sparse initializers, which qatc does not import");
  for (int I = 0; I < Proto.initializer_size(); ++I)
    Initializers[Proto.initializer(I).name()] = I;
  for (const onnx::NodeProto &N : Proto.node())
    for (const std::string &In : N.input())
      UsedValues.insert(In);
  for (const onnx::ValueInfoProto &Out : Proto.output())
    UsedValues.insert(Out.name());
  if (llvm::Error E = importInputs())
    return E;
  for (int I = 0; I < Proto.node_size(); ++I)
    if (llvm::Error E = importNode(Proto.node(I), I))
      return E;
  if (llvm::Error E = importOutputs())
    return E;
  nameNodes();
  createParameters();
  return std::move(G);
}

} // namespace qatc
