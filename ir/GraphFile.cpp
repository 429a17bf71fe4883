//===- GraphFile.cpp - Reading and writing graph files by extension -------===//
#include "ir/GraphFile.h"

#include "ir/AtomicFile.h"

#include "ir/binary/BinaryFormat.h"
#include "ir/text/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace qatc {

llvm::Expected<GraphFormat> graphFormatForPath(llvm::StringRef Path) {
  if (Path == "-" || Path.endswith(".qir"))
    return GraphFormat::Text;
  if (Path.endswith(".qirb"))
    return GraphFormat::Binary;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "'" + Path +
                                     "' has an unknown extension; use .qir (text) or .qirb (binary)");
}

llvm::Expected<std::unique_ptr<Graph>> readGraphFile(llvm::StringRef Path) {
  auto Format = graphFormatForPath(Path);
  if (!Format)
    return Format.takeError();
  auto Buf = llvm::MemoryBuffer::getFileOrSTDIN(Path, /*IsText=*/false,
                                                /*RequiresNullTerminator=*/false);
  if (!Buf)
    return llvm::createStringError(Buf.getError(), "cannot read '" + Path +
                                                       "': " + Buf.getError().message());
  llvm::StringRef Data = (*Buf)->getBuffer();
  llvm::StringRef Name = Path == "-" ? llvm::StringRef("<stdin>") : Path;
  if (*Format == GraphFormat::Binary)
    return readBinaryGraph(Data, Name);
  if (hasBinaryGraphMagic(Data))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'" + Path + "' holds a binary graph; name it .qirb");
  return parseGraph(Data, Name);
}

llvm::Error writeGraphFile(const Graph &G, llvm::StringRef Path, const PrintOptions &Opts) {
  auto Format = graphFormatForPath(Path);
  if (!Format)
    return Format.takeError();
  return writeFileAtomically(Path, [&](llvm::raw_ostream &OS) -> llvm::Error {
    if (*Format == GraphFormat::Binary)
      return writeBinaryGraph(G, OS);
    printGraph(G, OS, Opts);
    return llvm::Error::success();
  });
}

} // namespace qatc
