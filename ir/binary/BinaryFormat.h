//===- BinaryFormat.h - The .qirb binary form of QIR graphs -----*- C++ -*-===//
//
// Reads and writes graphs as the protobuf message in proto/qir.proto behind
// an 8-byte magic. Parameters travel bit-exactly.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_BINARY_BINARYFORMAT_H
#define QATC_IR_BINARY_BINARYFORMAT_H

#include "ir/Graph.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace qatc {

/// Writes G in the binary form.
llvm::Error writeBinaryGraph(const Graph &G, llvm::raw_ostream &OS);

/// Reads a graph from the binary form. BufferName is used in messages. The
/// result is structurally sound (operands defined earlier, known ops, unique
/// names); run verify() for types.
llvm::Expected<std::unique_ptr<Graph>> readBinaryGraph(llvm::StringRef Buffer,
                                                       llvm::StringRef BufferName);

/// True when Buffer starts with the binary form's magic.
bool hasBinaryGraphMagic(llvm::StringRef Buffer);

} // namespace qatc

#endif // QATC_IR_BINARY_BINARYFORMAT_H
