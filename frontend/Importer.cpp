//===- Importer.cpp - Importing model files into QIR ----------------------===//
#include "frontend/Importer.h"

#include "frontend/onnx/OnnxImporter.h"
#include "ir/GraphFile.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

namespace qatc {

static llvm::Error importError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

llvm::Expected<ModelFormat> modelFormatForPath(llvm::StringRef Path) {
  std::string Ext = llvm::sys::path::extension(Path).lower();
  if (Ext == ".onnx")
    return ModelFormat::Onnx;
  if (Ext == ".pt" || Ext == ".pth" || Ext == ".torchscript")
    return ModelFormat::TorchScript;
  return importError("'" + Path +
                     "' is not a model file qatc imports; use .onnx or a TorchScript archive "
                     "(.pt, .pth, .torchscript)");
}

/// Runs the qatc-torchscript helper next to this executable and reads the
/// graph it writes.
static llvm::Expected<std::unique_ptr<Graph>> importTorchScriptViaHelper(llvm::StringRef Path,
                                                                        const ImportOptions &Opts) {
  std::string Self = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  llvm::SmallString<256> Tool(llvm::sys::path::parent_path(Self));
  llvm::sys::path::append(Tool, "qatc-torchscript");
  if (!llvm::sys::fs::can_execute(Tool))
    return importError("cannot import '" + Path + "': the TorchScript helper '" + Tool +
                       "' is missing; build it with 'bazel build //tools:qatc-torchscript'");
  llvm::SmallString<128> Out, Err;
  if (std::error_code EC = llvm::sys::fs::createTemporaryFile("qatc-import", "qirb", Out))
    return importError("cannot create a temporary file: " + EC.message());
  if (std::error_code EC = llvm::sys::fs::createTemporaryFile("qatc-import", "err", Err)) {
    llvm::sys::fs::remove(Out);
    return importError("cannot create a temporary file: " + EC.message());
  }
  std::vector<std::string> Args = {Tool.str().str(), Path.str(), "-o", Out.str().str()};
  for (const auto &Entry : Opts.InputShapes) {
    std::string Spec = Entry.getKey().str() + "=";
    for (size_t I = 0; I < Entry.getValue().size(); ++I)
      Spec += (I ? "x" : "") + (Entry.getValue()[I] == kDynamicDim
                                    ? std::string("?")
                                    : std::to_string(Entry.getValue()[I]));
    Args.push_back("--input-shape=" + Spec);
  }
  std::vector<llvm::StringRef> ArgRefs(Args.begin(), Args.end());
  std::optional<llvm::StringRef> Redirects[] = {std::nullopt, std::nullopt, llvm::StringRef(Err)};
  std::string ExecError;
  int Status = llvm::sys::ExecuteAndWait(Tool, ArgRefs, std::nullopt, Redirects, 0, 0, &ExecError);
  auto Cleanup = [&] {
    llvm::sys::fs::remove(Out);
    llvm::sys::fs::remove(Err);
  };
  if (Status != 0) {
    std::string Message;
    if (auto Buf = llvm::MemoryBuffer::getFile(Err))
      Message = llvm::StringRef((*Buf)->getBuffer()).trim().str();
    Cleanup();
    llvm::StringRef M(Message);
    M.consume_front("qatc-torchscript: error: ");
    if (Status > 0 && !M.empty())
      return importError(M);
    return importError("the TorchScript loader failed on '" + Path + "'" +
                       (ExecError.empty() ? std::string(" (it crashed)") : ": " + ExecError) +
                       "; the file is probably not a valid TorchScript archive");
  }
  auto G = readGraphFile(Out);
  Cleanup();
  return G;
}

llvm::Expected<std::unique_ptr<Graph>> importModel(llvm::StringRef Path,
                                                   const ImportOptions &Opts) {
  auto Format = modelFormatForPath(Path);
  if (!Format)
    return Format.takeError();
  if (!llvm::sys::fs::exists(Path))
    return importError("cannot read '" + Path + "': No such file or directory");
  auto G = *Format == ModelFormat::Onnx ? importOnnxModel(Path, Opts)
                                         : importTorchScriptViaHelper(Path, Opts);
  if (!G)
    return G.takeError();
  // Both formats name the graph after the model file (`resnet18.bn.onnx` and
  // `resnet18.pt` give `resnet18`), so their imports print alike.
  (*G)->setName(llvm::sys::path::filename(Path).split('.').first.str());
  PassManager PM;
  PM.VerifyEach = false;
  if (llvm::Error E = PM.addPipeline("canonicalize,dce"))
    return E;
  if (llvm::Error E = PM.run(**G))
    return importError(Path + ": " + llvm::toString(std::move(E)));
  if (llvm::Error E = verify(**G))
    return importError(Path + ": the imported graph is invalid: " + llvm::toString(std::move(E)));
  return G;
}

} // namespace qatc
