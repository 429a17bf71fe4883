//===- Checkpoint.cpp - Training checkpoints ------------------------------===//

#include "runtime/Checkpoint.h"

#include "runtime/ZipArchive.h"

#include "ir/Verifier.h"
#include "ir/binary/BinaryFormat.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace qatc;
using namespace qatc::runtime;

static llvm::Error checkpointError(llvm::StringRef Path, const llvm::Twine &What) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 Path + ": " + What +
                                     "; the checkpoint is damaged or not a qatc checkpoint");
}

llvm::Error runtime::writeCheckpoint(llvm::StringRef Path, const Graph &G,
                                     const NamedTensors &OptimizerState,
                                     const llvm::json::Object &Trainer) {
  std::vector<ZipMember> Members;
  std::string GraphBytes;
  {
    llvm::raw_string_ostream OS(GraphBytes);
    if (llvm::Error E = writeBinaryGraph(G, OS))
      return E;
  }
  Members.push_back({"graph.qirb", std::move(GraphBytes)});
  for (const auto &[Name, T] : OptimizerState)
    Members.push_back({"optimizer/" + Name + ".npy", encodeNpy(T)});
  std::string Json;
  llvm::raw_string_ostream(Json) << llvm::formatv("{0:2}",
                                                  llvm::json::Value(llvm::json::Object(Trainer)));
  Members.push_back({"trainer.json", std::move(Json)});
  return writeZipFile(Path, Members);
}

llvm::Expected<Checkpoint> runtime::readCheckpoint(llvm::StringRef Path) {
  auto Buffer = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!Buffer)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   Path + ": cannot read the checkpoint (" +
                                       Buffer.getError().message() + ")");
  auto Members = decodeZip((*Buffer)->getBuffer(), Path);
  if (!Members)
    return Members.takeError();
  Checkpoint C;
  bool HaveTrainer = false;
  for (ZipMember &M : *Members) {
    llvm::StringRef Name(M.Name);
    if (Name == "graph.qirb") {
      auto G = readBinaryGraph(M.Data, (Path + ":graph.qirb").str());
      if (!G)
        return G.takeError();
      if (llvm::Error E = verify(**G))
        return checkpointError(Path, "its graph does not verify (" +
                                         llvm::toString(std::move(E)) + ")");
      C.G = std::move(*G);
    } else if (Name == "trainer.json") {
      auto V = llvm::json::parse(M.Data);
      if (!V)
        return checkpointError(Path, "trainer.json is not JSON (" +
                                         llvm::toString(V.takeError()) + ")");
      if (!V->getAsObject())
        return checkpointError(Path, "trainer.json is not an object");
      C.Trainer = std::move(*V->getAsObject());
      HaveTrainer = true;
    } else if (Name.consume_front("optimizer/") && Name.consume_back(".npy")) {
      auto T = parseNpy(M.Data, (Path + ":" + M.Name).str());
      if (!T)
        return T.takeError();
      C.OptimizerState.emplace_back(Name.str(), std::move(*T));
    }
  }
  if (!C.G || !HaveTrainer)
    return checkpointError(Path, "graph.qirb or trainer.json is missing");
  return C;
}
