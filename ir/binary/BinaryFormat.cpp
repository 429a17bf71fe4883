//===- BinaryFormat.cpp - The .qirb binary form of QIR graphs -------------===//
#include "ir/binary/BinaryFormat.h"

#include "proto/qir.pb.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace qatc {

static constexpr char kMagic[8] = {'Q', 'I', 'R', 'B', 0, 0, 0, 1};

bool hasBinaryGraphMagic(llvm::StringRef Buffer) {
  return Buffer.size() >= 8 && std::memcmp(Buffer.data(), kMagic, 8) == 0;
}

static void typeToProto(const Type &T, qir::TypeProto &P) {
  switch (T.kind()) {
  case Type::Kind::None:
    P.set_kind(qir::TypeProto::NONE);
    return;
  case Type::Kind::Tuple:
    P.set_kind(qir::TypeProto::TUPLE);
    for (const Type &E : T.elements())
      typeToProto(E, *P.add_elements());
    return;
  case Type::Kind::Tensor:
    P.set_kind(qir::TypeProto::TENSOR);
    P.set_dtype(uint32_t(T.dtype()));
    P.set_ranked(T.hasRank());
    for (int64_t D : T.dims())
      P.add_dims(D);
    return;
  }
}

static void attrToProto(const NamedAttribute &A, qir::AttributeProto &P) {
  P.set_name(A.Name);
  P.set_kind(uint32_t(A.Value.kind()));
  const Attribute &V = A.Value;
  switch (V.kind()) {
  case AttrKind::Int: P.set_i(V.getInt()); break;
  case AttrKind::Float: P.set_f(V.getFloat()); break;
  case AttrKind::Bool: P.set_b(V.getBool()); break;
  case AttrKind::String: P.set_s(V.getString()); break;
  case AttrKind::DType: P.set_i(int64_t(V.getDType())); break;
  case AttrKind::Ints:
    for (int64_t I : V.getInts())
      P.add_ints(I);
    break;
  case AttrKind::Floats:
    for (double F : V.getFloats())
      P.add_floats(F);
    break;
  case AttrKind::Strings:
    for (const std::string &S : V.getStrings())
      P.add_strings(S);
    break;
  }
}

llvm::Error writeBinaryGraph(const Graph &G, llvm::raw_ostream &OS) {
  qir::GraphProto P;
  P.set_name(G.name().str());
  for (const Parameter &Param : G.params()) {
    qir::ParameterProto *PP = P.add_params();
    PP->set_name(Param.name().str());
    typeToProto(Param.type(), *PP->mutable_type());
    PP->set_elided(Param.isElided());
    PP->set_data(Param.bytes().data(), Param.bytes().size());
  }
  llvm::DenseMap<const Node *, uint32_t> Index;
  llvm::StringMap<uint32_t> Files;
  P.mutable_nodes()->Reserve(G.numNodes());
  uint32_t I = 0;
  for (const Node &N : G.nodes()) {
    qir::NodeProto *NP = P.add_nodes();
    NP->set_kind(uint32_t(N.kind()));
    NP->set_name(N.name().str());
    if (N.op())
      NP->set_op(N.op()->name().str());
    for (const Use &U : N.operandUses())
      NP->add_operands(Index.lookup(U.get()));
    typeToProto(N.type(), *NP->mutable_type());
    for (const NamedAttribute &A : N.attrs())
      attrToProto(A, *NP->add_attrs());
    if (N.param())
      NP->set_param(N.param()->name().str());
    if (N.loc().isKnown()) {
      auto Ins = Files.try_emplace(N.loc().file(), Files.size() + 1);
      if (Ins.second)
        P.add_files(N.loc().file().str());
      NP->set_loc_file(Ins.first->second);
      NP->set_loc_line(N.loc().line());
      NP->set_loc_col(N.loc().col());
    }
    Index[&N] = I++;
  }
  std::string Bytes;
  if (!P.SerializeToString(&Bytes))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "graph '" + G.name() +
                                       "' is too large for the binary form (over 2 GiB)");
  OS.write(kMagic, sizeof kMagic);
  OS << Bytes;
  return llvm::Error::success();
}

namespace {

/// Turns a GraphProto into a Graph, checking everything a hostile file could
/// get wrong.
class BinaryReader {
public:
  explicit BinaryReader(llvm::StringRef BufferName) : BufferName(BufferName) {}

  llvm::Expected<std::unique_ptr<Graph>> read(const qir::GraphProto &P) {
    auto G = std::make_unique<Graph>(P.name());
    for (const qir::ParameterProto &PP : P.params()) {
      Type Ty;
      if (auto E = readType(PP.type(), Ty, "parameter '" + PP.name() + "'"))
        return E;
      if (!Ty.hasStaticShape() || !Ty.numElements())
        return fail("parameter '" + PP.name() + "' does not have a static tensor type");
      if (G->lookupParameter(PP.name()))
        return fail("parameter '" + PP.name() + "' is defined twice");
      Parameter *Param = G->addParameter(PP.name(), Ty);
      if (PP.elided())
        continue;
      if (PP.data().size() != Param->byteSize())
        return fail(llvm::formatv("parameter '{0}' has {1} bytes of data but its type {2} needs "
                                  "{3}",
                                  PP.name(), PP.data().size(), Ty.str(), Param->byteSize())
                        .str());
      Param->setData(std::vector<uint8_t>(PP.data().begin(), PP.data().end()));
    }
    std::vector<Node *> Nodes;
    Nodes.reserve(P.nodes_size());
    llvm::SmallVector<Node *, 4> Ops;
    const OpInfo *LastOp = nullptr;
    for (const qir::NodeProto &NP : P.nodes()) {
      size_t Idx = Nodes.size();
      if (NP.kind() > uint32_t(NodeKind::Output))
        return fail(llvm::formatv("node {0} has an invalid kind {1}", Idx, NP.kind()).str());
      NodeKind K = NodeKind(NP.kind());
      if (G->output())
        return fail(llvm::formatv("node {0} comes after the output node", Idx).str());
      if (K != NodeKind::Output && (NP.name().empty() || G->lookupNode(NP.name())))
        return fail(llvm::formatv("node {0} has an empty or duplicate name '{1}'", Idx,
                                  NP.name())
                        .str());
      const OpInfo *Op = nullptr;
      if (K == NodeKind::Call) {
        Op = (LastOp && LastOp->name() == NP.op()) ? LastOp : OpRegistry::get().lookup(NP.op());
        if (!Op)
          return fail("node '" + NP.name() + "' calls unknown op '" + NP.op() + "'");
        LastOp = Op;
      }
      Ops.clear();
      for (uint32_t O : NP.operands()) {
        if (O >= Idx)
          return fail("node '" + NP.name() + "' uses a node that is not defined before it");
        Ops.push_back(Nodes[O]);
      }
      Type Ty;
      if (auto E = readType(NP.type(), Ty, "node '" + NP.name() + "'"))
        return E;
      Node *N = G->createNode(K, Op, K == NodeKind::Output ? "" : NP.name(), Ops, std::move(Ty),
                              G->nodes().end());
      Nodes.push_back(N);
      if (K == NodeKind::GetAttr) {
        Parameter *Param = G->lookupParameter(NP.param());
        if (!Param)
          return fail("node '" + NP.name() + "' reads unknown parameter '" + NP.param() + "'");
        N->setParam(Param);
      }
      llvm::SmallVector<NamedAttribute, 0> Attrs;
      for (const qir::AttributeProto &AP : NP.attrs()) {
        auto A = readAttr(AP, NP.name());
        if (!A)
          return A.takeError();
        for (const NamedAttribute &Prev : Attrs)
          if (Prev.Name == AP.name())
            return fail("node '" + NP.name() + "' has attribute '" + AP.name() + "' twice");
        Attrs.push_back({AP.name(), std::move(*A)});
      }
      N->setAttrs(std::move(Attrs));
      if (NP.loc_file()) {
        if (NP.loc_file() > uint32_t(P.files_size()))
          return fail("node '" + NP.name() + "' has an invalid location file index");
        N->setLoc(Location(P.files(NP.loc_file() - 1), NP.loc_line(), NP.loc_col()));
      }
    }
    return G;
  }

private:
  llvm::Error fail(const std::string &Msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   BufferName.str() + ": " + Msg);
  }

  llvm::Error readType(const qir::TypeProto &P, Type &Out, const std::string &Where,
                       unsigned Depth = 0) {
    switch (P.kind()) {
    case qir::TypeProto::NONE:
      Out = Type();
      return llvm::Error::success();
    case qir::TypeProto::TUPLE: {
      if (Depth > 0 || P.elements_size() == 0)
        return fail(Where + " has an invalid tuple type");
      std::vector<Type> Elements;
      for (const qir::TypeProto &E : P.elements()) {
        Type T;
        if (auto Err = readType(E, T, Where, Depth + 1))
          return Err;
        if (!T.isTensor())
          return fail(Where + " has a tuple element that is not a tensor");
        Elements.push_back(std::move(T));
      }
      Out = Type::tuple(std::move(Elements));
      return llvm::Error::success();
    }
    case qir::TypeProto::TENSOR: {
      if (P.dtype() >= kNumDTypes)
        return fail(Where + " has an invalid element type");
      if (!P.ranked()) {
        Out = Type::unranked(DType(P.dtype()));
        return llvm::Error::success();
      }
      llvm::SmallVector<int64_t, 4> Dims(P.dims().begin(), P.dims().end());
      for (int64_t D : Dims)
        if (D < kDynamicDim)
          return fail(Where + " has an invalid dimension");
      Out = Type::tensor(DType(P.dtype()), Dims);
      return llvm::Error::success();
    }
    default:
      return fail(Where + " has an invalid type kind");
    }
  }

  llvm::Expected<Attribute> readAttr(const qir::AttributeProto &P, const std::string &NodeName) {
    switch (P.kind()) {
    case uint32_t(AttrKind::Int): return Attribute(int64_t(P.i()));
    case uint32_t(AttrKind::Float): return Attribute(P.f());
    case uint32_t(AttrKind::Bool): return Attribute(P.b());
    case uint32_t(AttrKind::String): return Attribute(P.s());
    case uint32_t(AttrKind::Ints):
      return Attribute(std::vector<int64_t>(P.ints().begin(), P.ints().end()));
    case uint32_t(AttrKind::Floats):
      return Attribute(std::vector<double>(P.floats().begin(), P.floats().end()));
    case uint32_t(AttrKind::Strings):
      return Attribute(std::vector<std::string>(P.strings().begin(), P.strings().end()));
    case uint32_t(AttrKind::DType):
      if (P.i() < 0 || P.i() >= int64_t(kNumDTypes))
        break;
      return Attribute(DType(P.i()));
    default:
      break;
    }
    return fail("node '" + NodeName + "' has attribute '" + P.name() + "' of an invalid kind");
  }

  llvm::StringRef BufferName;
};

} // namespace

llvm::Expected<std::unique_ptr<Graph>> readBinaryGraph(llvm::StringRef Buffer,
                                                       llvm::StringRef BufferName) {
  if (!hasBinaryGraphMagic(Buffer))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   BufferName.str() +
                                       ": not a QIR binary file (missing the QIRB header)");
  llvm::StringRef Body = Buffer.drop_front(8);
  qir::GraphProto P;
  google::protobuf::io::ArrayInputStream Raw(Body.data(), int(Body.size()));
  google::protobuf::io::CodedInputStream In(&Raw);
  In.SetRecursionLimit(16);
  if (Body.size() > size_t(INT32_MAX) || !P.ParseFromCodedStream(&In) ||
      !In.ConsumedEntireMessage())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   BufferName.str() +
                                       ": the QIR binary data is truncated or corrupt");
  return BinaryReader(BufferName).read(P);
}

} // namespace qatc
