//===- OnnxImporter.cpp - Importing ONNX models into QIR ------------------===//
//
// Parses the model straight from the (memory-mapped) file bytes, checks the
// opset and hands the graph to OnnxGraphImporter.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxImporter.h"

#include "frontend/onnx/OnnxGraphImporter.h"
#include "frontend/onnx/OnnxModelParser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <climits>

namespace qatc {

/// The ONNX opsets (default domain) qatc imports.
static constexpr int64_t kMinOpset = 11, kMaxOpset = 17;

static llvm::Error fileError(llvm::StringRef File, const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), File + ": " + Msg);
}

llvm::Expected<std::unique_ptr<Graph>> importOnnxModel(llvm::StringRef Path,
                                                       const ImportOptions &Opts) {
  llvm::sys::fs::file_status Status;
  if (std::error_code EC = llvm::sys::fs::status(Path, Status))
    return fileError(Path, "cannot read the file: " + EC.message());
  if (!llvm::sys::fs::is_regular_file(Status))
    return fileError(Path, "cannot read the file: it is not a regular file");
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf)
    return fileError(Path, "cannot read the file: " + Buf.getError().message());
  llvm::StringRef Dir = llvm::sys::path::parent_path(Path);
  return importOnnxBuffer((*Buf)->getBuffer(), Path, Dir.empty() ? "." : Dir, Opts);
}

llvm::Expected<std::unique_ptr<Graph>> importOnnxBuffer(llvm::StringRef Bytes,
                                                        llvm::StringRef Name,
                                                        llvm::StringRef BaseDir,
                                                        const ImportOptions &Opts) {
  if (Bytes.size() > size_t(INT_MAX))
    return fileError(Name, "the file is larger than 2 GB, more than protobuf parses; save the "
                           "model with its tensors as external data");
  ParsedOnnxModel Parsed;
  if (!parseOnnxModel(Bytes, Parsed)) {
    if (Parsed.GraphNodes > kMaxGraphFileNodes)
      return fileError(Name, "the graph holds " + llvm::Twine(Parsed.GraphNodes) +
                                 " nodes but qatc imports at most " +
                                 llvm::Twine(kMaxGraphFileNodes));
    return fileError(Name, "not a valid ONNX model: the protobuf data is truncated, corrupted or "
                           "nested deeper than 100 levels");
  }
  const onnx::ModelProto &Model = Parsed.Model;
  if (!Model.has_graph())
    return fileError(Name, "not an ONNX model: the file holds no graph");
  std::optional<int64_t> Opset;
  for (const onnx::OperatorSetIdProto &Op : Model.opset_import())
    if (Op.domain().empty() || Op.domain() == "ai.onnx")
      Opset = Op.version();
  if (!Opset)
    return fileError(Name, "the model declares no opset for the default ONNX domain; qatc "
                           "imports opsets " +
                               llvm::Twine(kMinOpset) + " to " + llvm::Twine(kMaxOpset));
  if (*Opset < kMinOpset || *Opset > kMaxOpset)
    return fileError(Name, "opset " + llvm::Twine(*Opset) + " is not supported; qatc imports "
                           "ONNX opsets " + llvm::Twine(kMinOpset) + " to " +
                               llvm::Twine(kMaxOpset) +
                               " (re-export the model with an opset in that range)");
  return OnnxGraphImporter(Parsed, Name, BaseDir, *Opset, Opts).run();
}

} // namespace qatc
