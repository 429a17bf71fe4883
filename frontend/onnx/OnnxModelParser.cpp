//===- OnnxModelParser.cpp - Parsing a ModelProto without copying weights -===//
#include "frontend/onnx/OnnxModelParser.h"

#include "ir/Graph.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <climits>

namespace qatc {

namespace {

using google::protobuf::internal::WireFormatLite;

/// The messages on the path to the weights, with the field numbers of
/// ModelProto.graph, GraphProto.initializer and TensorProto.raw_data.
enum class Level { Model, Graph, Tensor };
constexpr int kGraphField = 7, kInitializerField = 5, kRawDataField = 9, kNodeField = 1;

void appendVarint(std::string &Out, uint32_t V) {
  while (V >= 0x80) {
    Out.push_back(char(V | 0x80));
    V >>= 7;
  }
  Out.push_back(char(V));
}

/// Copies the message in Data to Out, leaving out the raw_data of tensors
/// reached through graph.initializer, whose views are appended to Parsed.
/// Fields are otherwise copied byte for byte, so protobuf parses the
/// skeleton exactly as it would parse the original. False on malformed data.
bool strip(const uint8_t *Data, int Size, Level L, std::string &Out, ParsedOnnxModel &Parsed) {
  google::protobuf::io::CodedInputStream In(Data, Size);
  In.SetTotalBytesLimit(INT_MAX);
  std::optional<llvm::ArrayRef<uint8_t>> RawData;
  while (true) {
    int Start = In.CurrentPosition();
    uint32_t Tag = In.ReadTag();
    if (Tag == 0) {
      if (!In.ConsumedEntireMessage())
        return false;
      break;
    }
    int Field = WireFormatLite::GetTagFieldNumber(Tag);
    if (L == Level::Graph && Field == kNodeField)
      ++Parsed.GraphNodes;
    bool Delimited =
        WireFormatLite::GetTagWireType(Tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    bool Descend = Delimited && ((L == Level::Model && Field == kGraphField) ||
                                 (L == Level::Graph && Field == kInitializerField));
    bool Payload = Delimited && L == Level::Tensor && Field == kRawDataField;
    if (!Descend && !Payload) {
      if (!WireFormatLite::SkipField(&In, Tag))
        return false;
      Out.append(reinterpret_cast<const char *>(Data + Start), In.CurrentPosition() - Start);
      continue;
    }
    int TagEnd = In.CurrentPosition();
    uint32_t Length;
    if (!In.ReadVarint32(&Length) || Length > uint32_t(Size - In.CurrentPosition()))
      return false;
    const uint8_t *Body = Data + In.CurrentPosition();
    In.Skip(int(Length));
    if (Payload) {
      RawData = llvm::ArrayRef<uint8_t>(Body, Length);
      continue;
    }
    std::string Child;
    if (L == Level::Graph)
      Parsed.InitializerData.emplace_back();
    if (!strip(Body, int(Length), L == Level::Model ? Level::Graph : Level::Tensor, Child, Parsed))
      return false;
    Out.append(reinterpret_cast<const char *>(Data + Start), TagEnd - Start);
    appendVarint(Out, Child.size());
    Out += Child;
  }
  if (L == Level::Tensor)
    Parsed.InitializerData.back() = RawData;
  return true;
}

} // namespace

bool parseOnnxModel(llvm::StringRef Bytes, ParsedOnnxModel &Out) {
  if (Bytes.size() > size_t(INT_MAX))
    return false;
  std::string Skeleton;
  if (!strip(reinterpret_cast<const uint8_t *>(Bytes.data()), int(Bytes.size()), Level::Model,
             Skeleton, Out))
    return false;
  if (Out.GraphNodes > kMaxGraphFileNodes)
    return false;
  google::protobuf::io::CodedInputStream In(reinterpret_cast<const uint8_t *>(Skeleton.data()),
                                            int(Skeleton.size()));
  In.SetTotalBytesLimit(INT_MAX);
  return Out.Model.ParseFromCodedStream(&In) &&
         Out.Model.graph().initializer_size() == int(Out.InitializerData.size());
}

} // namespace qatc
