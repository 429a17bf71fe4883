//===- OnnxModelParser.h - Parsing a ModelProto without copying weights -*- C++ -*-===//
//
// Protobuf copies every `bytes` field it parses, so parsing a model would
// copy all weights once before the importer copies them into parameters.
// parseOnnxModel first scans the wire format and parses a skeleton of the
// model without the raw_data of the graph's initializers, leaving views of
// those bytes in the input instead: the weights are then copied exactly once.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_FRONTEND_ONNX_ONNXMODELPARSER_H
#define QATC_FRONTEND_ONNX_ONNXMODELPARSER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <vector>

namespace qatc {

/// A parsed model whose initializers' raw_data stay in the input bytes.
struct ParsedOnnxModel {
  /// The model, with raw_data cleared in graph.initializer.
  onnx::ModelProto Model;
  /// For each graph initializer, in order: its raw_data (a view into the
  /// parsed bytes), or nullopt when it had none.
  std::vector<std::optional<llvm::ArrayRef<uint8_t>>> InitializerData;
  /// How many nodes the main graph holds, counted in the first scan.
  size_t GraphNodes = 0;
};

/// Parses Bytes (at most 2 GB) into Out; false when they are not a valid
/// serialized ModelProto, or when the graph holds more nodes than a graph
/// file may (kMaxGraphFileNodes; then Out.GraphNodes says how many and the
/// model is not parsed). The views in Out point into Bytes.
bool parseOnnxModel(llvm::StringRef Bytes, ParsedOnnxModel &Out);

} // namespace qatc

#endif // QATC_FRONTEND_ONNX_ONNXMODELPARSER_H
