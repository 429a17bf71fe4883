//===- BinaryFormat.cpp - The .qirb binary form of QIR graphs -------------===//
//
// The file is the magic followed by the wire form of qir.GraphProto, written
// and read one parameter or node at a time: the writer reuses one message
// object per field and streams parameter bytes straight from the graph, and
// the reader builds each node as soon as its message is decoded. Extra memory
// is therefore constant in the graph size, and the bytes are exactly what
// serializing a whole GraphProto would produce, up to field order.
//
//===----------------------------------------------------------------------===//
#include "ir/binary/BinaryFormat.h"

#include "proto/qir.pb.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstring>

namespace qatc {

namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using WireFormat = google::protobuf::internal::WireFormatLite;

constexpr char kMagic[8] = {'Q', 'I', 'R', 'B', 0, 0, 0, 1};

// Field numbers of qir.GraphProto and qir.ParameterProto.
constexpr int kGraphName = 1, kGraphParams = 2, kGraphNodes = 3, kGraphFiles = 4;
constexpr int kParamData = 3;

void typeToProto(const Type &T, qir::TypeProto &P) {
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

void attrToProto(const NamedAttribute &A, qir::AttributeProto &P) {
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

/// Writes a length-delimited field holding Msg.
void writeMessageField(CodedOutputStream &Out, int Field, const google::protobuf::MessageLite &Msg) {
  Out.WriteTag(WireFormat::MakeTag(Field, WireFormat::WIRETYPE_LENGTH_DELIMITED));
  Out.WriteVarint32(uint32_t(Msg.ByteSizeLong()));
  Msg.SerializeWithCachedSizes(&Out);
}

} // namespace

bool hasBinaryGraphMagic(llvm::StringRef Buffer) {
  return Buffer.size() >= 8 && std::memcmp(Buffer.data(), kMagic, 8) == 0;
}

llvm::Error writeBinaryGraph(const Graph &G, llvm::raw_ostream &OS) {
  std::string Bytes;
  {
    google::protobuf::io::StringOutputStream Raw(&Bytes);
    CodedOutputStream Out(&Raw);
    Out.WriteRaw(kMagic, sizeof kMagic);
    WireFormat::WriteString(kGraphName, G.name().str(), &Out);

    // Location file names first, so a reader can resolve them as it goes.
    llvm::StringMap<uint32_t> Files;
    for (const Node &N : G.nodes())
      if (N.loc().isKnown() && Files.try_emplace(N.loc().file(), Files.size() + 1).second)
        WireFormat::WriteString(kGraphFiles, N.loc().file().str(), &Out);

    qir::ParameterProto PP;
    for (const Parameter &Param : G.params()) {
      PP.Clear();
      PP.set_name(Param.name().str());
      typeToProto(Param.type(), *PP.mutable_type());
      PP.set_elided(Param.isElided());
      // The data field is streamed from the graph rather than copied in.
      llvm::ArrayRef<uint8_t> Data = Param.bytes();
      size_t DataField = Data.empty() ? 0
                                      : CodedOutputStream::VarintSize32(
                                            WireFormat::MakeTag(kParamData, WireFormat::WIRETYPE_LENGTH_DELIMITED)) +
                                            CodedOutputStream::VarintSize64(Data.size()) + Data.size();
      size_t Total = PP.ByteSizeLong() + DataField;
      if (Total > size_t(INT32_MAX))
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "parameter '" + Param.name() +
                                           "' is too large for the binary form (over 2 GiB)");
      Out.WriteTag(WireFormat::MakeTag(kGraphParams, WireFormat::WIRETYPE_LENGTH_DELIMITED));
      Out.WriteVarint32(uint32_t(Total));
      PP.SerializeWithCachedSizes(&Out);
      if (!Data.empty()) {
        Out.WriteTag(WireFormat::MakeTag(kParamData, WireFormat::WIRETYPE_LENGTH_DELIMITED));
        Out.WriteVarint64(Data.size());
        Out.WriteRaw(Data.data(), int(Data.size()));
      }
    }

    // Operands are written as positions in the node list.
    G.ensureDenseOrder();
    qir::NodeProto NP;
    for (const Node &N : G.nodes()) {
      NP.Clear();
      NP.set_kind(uint32_t(N.kind()));
      NP.set_name(N.name().str());
      if (N.op())
        NP.set_op(N.op()->name().str());
      for (const Use &U : N.operandUses())
        NP.add_operands(U.get()->order());
      typeToProto(N.type(), *NP.mutable_type());
      for (const NamedAttribute &A : N.attrs())
        attrToProto(A, *NP.add_attrs());
      if (N.param())
        NP.set_param(N.param()->name().str());
      if (N.loc().isKnown()) {
        NP.set_loc_file(Files.lookup(N.loc().file()));
        NP.set_loc_line(N.loc().line());
        NP.set_loc_col(N.loc().col());
      }
      writeMessageField(Out, kGraphNodes, NP);
    }
    if (Out.HadError())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "graph '" + G.name() + "' could not be encoded");
  }
  OS << Bytes;
  return llvm::Error::success();
}

namespace {

/// Decodes the stream field by field, checking everything a hostile file
/// could get wrong.
class BinaryReader {
public:
  BinaryReader(llvm::StringRef Body, llvm::StringRef BufferName)
      : In(reinterpret_cast<const uint8_t *>(Body.data()), int(Body.size())), Body(Body),
        BodySize(int(Body.size())), BufferName(BufferName) {
    In.SetRecursionLimit(16);
  }

  llvm::Expected<std::unique_ptr<Graph>> read() {
    if (llvm::Error E = checkNodeCount())
      return std::move(E);
    G = std::make_unique<Graph>();
    while (uint32_t Tag = In.ReadTag()) {
      int Field = WireFormat::GetTagFieldNumber(Tag);
      bool Delimited =
          WireFormat::GetTagWireType(Tag) == WireFormat::WIRETYPE_LENGTH_DELIMITED;
      if (!Delimited || Field < kGraphName || Field > kGraphFiles) {
        if (!WireFormat::SkipField(&In, Tag))
          return corrupt();
        continue;
      }
      if (Field == kGraphName || Field == kGraphFiles) {
        std::string S;
        if (!WireFormat::ReadString(&In, &S))
          return corrupt();
        if (Field == kGraphName)
          G->setName(std::move(S));
        else
          Files.push_back(std::move(S));
        continue;
      }
      uint32_t Length;
      if (!In.ReadVarint32(&Length) || Length > uint32_t(BodySize - In.CurrentPosition()))
        return corrupt();
      auto Limit = In.PushLimit(int(Length));
      bool Parsed = Field == kGraphParams ? PP.ParseFromCodedStream(&In)
                                          : NP.ParseFromCodedStream(&In);
      if (!Parsed || !In.ConsumedEntireMessage() || In.BytesUntilLimit() != 0)
        return corrupt();
      In.PopLimit(Limit);
      if (llvm::Error E = Field == kGraphParams ? addParameter() : addNode())
        return E;
    }
    if (!In.ConsumedEntireMessage() || In.CurrentPosition() != BodySize)
      return corrupt();
    for (const auto &[N, FileIndex] : Located) {
      if (FileIndex > Files.size())
        return fail("node '" + N->name().str() + "' has an invalid location file index");
      N->setLoc(Location(Files[FileIndex - 1], N->loc().line(), N->loc().col()));
    }
    return std::move(G);
  }

private:
  /// Counts the node fields in a first pass over the top-level fields and
  /// refuses a file with more than a graph file may hold, before any node is
  /// built.
  llvm::Error checkNodeCount() const {
    CodedInputStream Scan(reinterpret_cast<const uint8_t *>(Body.data()), BodySize);
    size_t Count = 0;
    while (uint32_t Tag = Scan.ReadTag()) {
      if (WireFormat::GetTagFieldNumber(Tag) == kGraphNodes)
        ++Count;
      if (!WireFormat::SkipField(&Scan, Tag))
        break; // read() reports the corruption.
    }
    if (Count <= kMaxGraphFileNodes)
      return llvm::Error::success();
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   BufferName.str() + ": the file holds " + std::to_string(Count) +
                                       " nodes but a graph file may hold at most " +
                                       std::to_string(kMaxGraphFileNodes));
  }

  llvm::Error fail(const std::string &Msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), BufferName.str() + ": " + Msg);
  }
  llvm::Error corrupt() { return fail("the QIR binary data is truncated or corrupt"); }

  llvm::Error addParameter() {
    Type Ty;
    if (auto E = readType(PP.type(), Ty, "parameter '" + PP.name() + "'"))
      return E;
    if (!Ty.hasStaticShape() || !Ty.numElements())
      return fail("parameter '" + PP.name() + "' does not have a static tensor type");
    if (G->lookupParameter(PP.name()))
      return fail("parameter '" + PP.name() + "' is defined twice");
    Parameter *Param = G->addParameter(PP.name(), Ty);
    if (PP.elided())
      return llvm::Error::success();
    if (PP.data().size() != Param->byteSize())
      return fail(llvm::formatv("parameter '{0}' has {1} bytes of data but its type {2} needs {3}",
                                PP.name(), PP.data().size(), Ty.str(), Param->byteSize())
                      .str());
    Param->setData(std::vector<uint8_t>(PP.data().begin(), PP.data().end()));
    return llvm::Error::success();
  }

  llvm::Error addNode() {
    size_t Idx = Nodes.size();
    if (NP.kind() > uint32_t(NodeKind::Output))
      return fail(llvm::formatv("node {0} has an invalid kind {1}", Idx, NP.kind()).str());
    NodeKind K = NodeKind(NP.kind());
    if (G->output())
      return fail(llvm::formatv("node {0} comes after the output node", Idx).str());
    if (K != NodeKind::Output && (NP.name().empty() || G->lookupNode(NP.name())))
      return fail(llvm::formatv("node {0} has an empty or duplicate name '{1}'", Idx, NP.name()).str());
    const OpInfo *Op = nullptr;
    if (K == NodeKind::Call) {
      Op = (LastOp && LastOp->name() == NP.op()) ? LastOp : OpRegistry::get().lookup(NP.op());
      if (!Op)
        return fail("node '" + NP.name() + "' calls unknown op '" + NP.op() + "'");
      LastOp = Op;
    }
    Operands.clear();
    for (uint32_t O : NP.operands()) {
      if (O >= Idx)
        return fail("node '" + NP.name() + "' uses a node that is not defined before it");
      Operands.push_back(Nodes[O]);
    }
    Type Ty;
    if (auto E = readType(NP.type(), Ty, "node '" + NP.name() + "'"))
      return E;
    Parameter *Param = nullptr;
    if (K == NodeKind::GetAttr && !(Param = G->lookupParameter(NP.param())))
      return fail("node '" + NP.name() + "' reads unknown parameter '" + NP.param() + "'");
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
    Node *N = G->createNode(K, Op, K == NodeKind::Output ? "" : NP.name(), Operands, std::move(Ty),
                            G->nodes().end());
    Nodes.push_back(N);
    N->setParam(Param);
    N->setAttrs(std::move(Attrs));
    if (NP.loc_file()) {
      // The file is resolved at the end; keep line and column meanwhile.
      N->setLoc(Location("", NP.loc_line(), NP.loc_col()));
      Located.push_back({N, NP.loc_file()});
    }
    return llvm::Error::success();
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

  CodedInputStream In;
  llvm::StringRef Body;
  int BodySize;
  llvm::StringRef BufferName;
  std::unique_ptr<Graph> G;
  qir::ParameterProto PP;
  qir::NodeProto NP;
  std::vector<Node *> Nodes;
  std::vector<std::string> Files;
  std::vector<std::pair<Node *, uint32_t>> Located;
  llvm::SmallVector<Node *, 4> Operands;
  const OpInfo *LastOp = nullptr;
};

} // namespace

llvm::Expected<std::unique_ptr<Graph>> readBinaryGraph(llvm::StringRef Buffer,
                                                       llvm::StringRef BufferName) {
  if (!hasBinaryGraphMagic(Buffer))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   BufferName.str() +
                                       ": not a QIR binary file (missing the QIRB header)");
  llvm::StringRef Body = Buffer.drop_front(8);
  if (Body.size() > size_t(INT32_MAX))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   BufferName.str() + ": the QIR binary file is over 2 GiB");
  return BinaryReader(Body, BufferName).read();
}

} // namespace qatc
