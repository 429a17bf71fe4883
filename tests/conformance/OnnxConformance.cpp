//===- OnnxConformance.cpp - ONNX's backend tests run on the qatc runtime -===//
//
// Walks ONNX's backend test data (Debian's libonnx-testdata: the node/,
// pytorch-converted/ and pytorch-operator/ trees of case directories, each a
// model.onnx with test_data_set_N/{input,output}_K.pb TensorProtos), imports
// every model with the qatc importer, runs it forward on the runtime in
// inference mode and compares every output element with the expected one:
// |got - expected| <= 1e-5 + 1e-4 * |expected|.
//
// A case is in scope when the importer accepts the model, the runtime has a
// kernel for every op of the imported graph, and its run-time inputs and its
// outputs are f32. Integer and bool inputs (shapes, axes, indices) are baked
// into the model as initializers holding the data set's values before import,
// so they reach the importer as constants; other dtypes are out of scope. An
// in-scope case that fails to execute or mismatches is a failure, and any
// failure fails the test. One JUnit <testcase> per in-scope case.
//
// Usage: onnx_conformance_test DATA_DIR [--verbose] [--filter SUBSTRING]
//   --verbose  prints every case with its verdict or out-of-scope reason
//   --filter   runs only the cases whose "tree/name" contains SUBSTRING
//
//===----------------------------------------------------------------------===//
#include "frontend/Importer.h"
#include "frontend/onnx/OnnxExternalData.h"
#include "frontend/onnx/OnnxTensor.h"
#include "runtime/Executor.h"
#include "tests/support/JUnit.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using namespace qatc;
using llvm::StringRef;

namespace {

constexpr double kAbsTolerance = 1e-5;
constexpr double kRelTolerance = 1e-4;

/// The trees of the backend test data this test covers.
const char *const kTrees[] = {"node", "pytorch-converted", "pytorch-operator"};

enum class Verdict { OutOfScope, Passed, Failed };

/// What became of one case: out of scope (with the reason), passed, or
/// failed (with the error or first mismatch).
struct Outcome {
  Verdict V;
  std::string Detail;
};

Outcome outOfScope(const llvm::Twine &Reason) { return {Verdict::OutOfScope, Reason.str()}; }
Outcome failure(const llvm::Twine &Message) { return {Verdict::Failed, Message.str()}; }

/// The sorted names of the sub-directories of Dir whose names start with
/// Prefix.
std::vector<std::string> subdirectories(StringRef Dir, StringRef Prefix = "") {
  std::vector<std::string> Names;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Dir, EC), End; It != End && !EC; It.increment(EC)) {
    StringRef Name = llvm::sys::path::filename(It->path());
    if (Name.startswith(Prefix) && llvm::sys::fs::is_directory(It->path()))
      Names.push_back(Name.str());
  }
  std::sort(Names.begin(), Names.end());
  return Names;
}

std::string joinPath(StringRef A, StringRef B) {
  llvm::SmallString<256> P(A);
  llvm::sys::path::append(P, B);
  return P.str().str();
}

/// Parses the protobuf message in file Path into M.
bool readProto(StringRef Path, google::protobuf::MessageLite &M) {
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  return Buf && M.ParseFromArray((*Buf)->getBufferStart(), (int)(*Buf)->getBufferSize());
}

/// One test_data_set_N: the inputs fed and the outputs expected.
struct DataSet {
  std::string Name;
  std::vector<onnx::TensorProto> Inputs, Outputs;
};

/// Reads Prefix_0.pb, Prefix_1.pb, ... from Dir until one is missing.
llvm::Error readNumberedTensors(StringRef Dir, StringRef Prefix,
                                std::vector<onnx::TensorProto> &Out) {
  for (unsigned K = 0;; ++K) {
    std::string Path = joinPath(Dir, (Prefix + "_" + llvm::Twine(K) + ".pb").str());
    if (!llvm::sys::fs::exists(Path))
      return llvm::Error::success();
    Out.emplace_back();
    if (!readProto(Path, Out.back()))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     Path + " is not a TensorProto");
  }
}

llvm::Expected<std::vector<DataSet>> readDataSets(StringRef CaseDir) {
  std::vector<DataSet> Sets;
  for (const std::string &Name : subdirectories(CaseDir, "test_data_set_")) {
    DataSet S;
    S.Name = Name;
    std::string Dir = joinPath(CaseDir, Name);
    if (llvm::Error E = readNumberedTensors(Dir, "input", S.Inputs))
      return E;
    if (llvm::Error E = readNumberedTensors(Dir, "output", S.Outputs))
      return E;
    Sets.push_back(std::move(S));
  }
  return Sets;
}

/// The ONNX name of an element type, e.g. "INT64".
std::string elemTypeName(int32_t T) {
  return onnx::TensorProto_DataType_IsValid(T)
             ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(T))
             : "type " + std::to_string(T);
}

bool isBakeableType(int32_t T) {
  switch (T) {
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
  case onnx::TensorProto::BOOL:
    return true;
  default:
    return false;
  }
}

/// The short out-of-scope reason for an importer error: the model path left
/// out, node names and the importer's hint dropped, so that cases failing
/// for one reason group together.
std::string importReason(std::string Message, StringRef ModelPath) {
  StringRef M(Message);
  M.consume_front(ModelPath);
  M.consume_front(": ");
  // "2 unsupported op types: Abs (1 node: #1), Neg (...); docs/..."
  static const llvm::Regex Unsupported("^[0-9]+ unsupported op types?: (.*)$");
  llvm::SmallVector<StringRef, 2> Groups;
  if (Unsupported.match(M, &Groups)) {
    static const llvm::Regex OpType("([A-Za-z0-9_.]+) \\([0-9]+ nodes?: [^)]*\\)");
    std::string Ops;
    StringRef Rest = Groups[1];
    llvm::SmallVector<StringRef, 2> Op;
    while (OpType.match(Rest, &Op)) {
      Ops += (Ops.empty() ? "" : ", ") + Op[1].str();
      Rest = Rest.substr(Rest.find(Op[0]) + Op[0].size());
    }
    return "unsupported op " + Ops;
  }
  // "node #1 (Conv): ..." or "node 'conv1' (Conv): ..." -> "Conv: ...".
  static const llvm::Regex NodePrefix("^node (#[0-9]+|'[^']*') \\(([A-Za-z0-9_.]+)\\): ");
  std::string Reason = NodePrefix.sub("\\2: ", M);
  // What follows "; " is advice to the user, the same for every case.
  return Reason.substr(0, Reason.find("; "));
}

/// An f32 runtime tensor holding the TensorProto's values.
llvm::Expected<runtime::Tensor> toTensor(const onnx::TensorProto &T, StringRef What,
                                         StringRef CaseDir) {
  OnnxExternalData External(CaseDir);
  auto C = readTensor(T, What, External);
  if (!C)
    return C.takeError();
  if ((*C)->dtype() != DType::F32)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   What + " is " + elemTypeName(T.data_type()) + ", not FLOAT");
  return runtime::Tensor::fromBytes((*C)->dims(), DType::F32, (*C)->bytes());
}

/// Compares one output; returns the first mismatch (and how many there
/// are), or nullopt when every element is within tolerance.
std::optional<std::string> compare(const runtime::Tensor &Got, const runtime::Tensor &Want,
                                   StringRef What) {
  if (Got.dtype() != DType::F32)
    return (What + " is " + Got.describe() + ", not f32").str();
  if (Got.shape() != Want.shape())
    return (What + " has shape " + runtime::shapeString(Got.shape()) + " but " +
            runtime::shapeString(Want.shape()) + " is expected")
        .str();
  const float *G = Got.f32(), *W = Want.f32();
  int64_t First = -1, Count = 0;
  for (int64_t I = 0; I < Want.numel(); ++I) {
    double Gv = G[I], Wv = W[I];
    bool Ok = std::isnan(Wv)   ? std::isnan(Gv)
              : std::isinf(Wv) ? Gv == Wv
                               : std::fabs(Gv - Wv) <= kAbsTolerance + kRelTolerance * std::fabs(Wv);
    if (!Ok && Count++ == 0)
      First = I;
  }
  if (!Count)
    return std::nullopt;
  std::string Message;
  llvm::raw_string_ostream(Message)
      << What << " mismatches at " << Count << " of " << Want.numel()
      << " elements; first at index " << First << ": got " << llvm::format("%.9g", G[First])
      << ", expected " << llvm::format("%.9g", W[First]);
  return Message;
}

/// Runs one data set of the case in CaseDir, whose data sets feed the
/// graph inputs Fed (indices into graph.input: those that are not
/// initializers). Integer and bool inputs are baked into a copy of Model
/// written under TmpDir.
Outcome runDataSet(const onnx::ModelProto &Model, llvm::ArrayRef<int> Fed, StringRef CaseDir,
                   StringRef CaseName, const DataSet &Set, StringRef TmpDir) {
  const onnx::GraphProto &G = Model.graph();
  if (Set.Inputs.size() != Fed.size() || (int)Set.Outputs.size() != G.output_size())
    return outOfScope("the data set does not match the graph's inputs and outputs (optional "
                      "inputs or outputs left out)");

  // Integer and bool inputs become initializers holding this data set's
  // values; the f32 ones are fed at run time, by name.
  onnx::ModelProto Baked;
  bool Bake = false;
  llvm::StringMap<const onnx::TensorProto *> RunTimeInputs;
  for (size_t K = 0; K < Fed.size(); ++K) {
    const onnx::ValueInfoProto &In = G.input(Fed[K]);
    if (In.type().tensor_type().elem_type() == onnx::TensorProto::FLOAT) {
      RunTimeInputs[In.name()] = &Set.Inputs[K];
      continue;
    }
    if (!Bake)
      Baked = Model;
    Bake = true;
    onnx::TensorProto *Init = Baked.mutable_graph()->add_initializer();
    *Init = Set.Inputs[K];
    Init->set_name(In.name());
  }
  std::string ModelPath = joinPath(CaseDir, "model.onnx");
  if (Bake) {
    auto *Inputs = Baked.mutable_graph()->mutable_input();
    for (int K = (int)Fed.size() - 1; K >= 0; --K)
      if (!RunTimeInputs.count(G.input(Fed[K]).name()))
        Inputs->DeleteSubrange(Fed[K], 1);
    ModelPath = joinPath(TmpDir, (CaseName + ".onnx").str());
    std::error_code EC;
    llvm::raw_fd_ostream OS(ModelPath, EC);
    if (EC)
      return failure("cannot write " + ModelPath + ": " + EC.message());
    OS << Baked.SerializeAsString();
  }

  auto Imported = importModel(ModelPath);
  if (!Imported)
    return outOfScope(importReason(llvm::toString(Imported.takeError()), ModelPath));
  Graph &QG = **Imported;

  // Scope: every op has a kernel, the run-time inputs and outputs are f32.
  std::vector<std::string> Missing;
  for (const Node &N : QG.nodes())
    if (N.isCall() && !N.isCallTo("getitem") && !runtime::lookupKernel(N.opName()) &&
        !llvm::is_contained(Missing, N.opName().str()))
      Missing.push_back(N.opName().str());
  if (!Missing.empty()) {
    std::sort(Missing.begin(), Missing.end());
    std::string List;
    for (const std::string &Op : Missing)
      List += (List.empty() ? "" : ", ") + Op;
    return outOfScope("no runtime kernel for " + List);
  }
  for (Node *P : QG.placeholders())
    if (!P->type().isTensor() || P->type().dtype() != DType::F32)
      return outOfScope("run-time input of type " + P->type().str());
  for (Node *O : QG.output()->operands())
    if (!O->type().isTensor() || O->type().dtype() != DType::F32)
      return outOfScope("output of type " + O->type().str());

  // In scope from here on: anything that goes wrong is a failure.
  auto Exec = runtime::Executor::create(QG);
  if (!Exec)
    return failure("the executor rejects the graph: " + llvm::toString(Exec.takeError()));
  std::vector<runtime::Tensor> Inputs;
  for (Node *P : (*Exec)->inputs()) {
    auto It = RunTimeInputs.find(P->name());
    if (It == RunTimeInputs.end())
      return failure("the imported graph's input '" + P->name() +
                     "' is not an f32 input of the model");
    auto T = toTensor(*It->second, ("input '" + P->name() + "'").str(), CaseDir);
    if (!T)
      return failure(llvm::toString(T.takeError()));
    Inputs.push_back(*T);
  }
  auto Results = (*Exec)->forward(Inputs, runtime::RunOptions());
  if (!Results)
    return failure("forward failed: " + llvm::toString(Results.takeError()));
  if (Results->size() != Set.Outputs.size())
    return failure(llvm::formatv("the graph returns {0} outputs but the model has {1}",
                                 Results->size(), Set.Outputs.size())
                       .str());
  for (size_t K = 0; K < Set.Outputs.size(); ++K) {
    std::string What = ("output '" + G.output(K).name() + "'");
    auto Want = toTensor(Set.Outputs[K], What, CaseDir);
    if (!Want)
      return failure(llvm::toString(Want.takeError()));
    if (auto Mismatch = compare((*Results)[K], *Want, What))
      return failure(*Mismatch);
  }
  return {Verdict::Passed, ""};
}

/// Runs every data set of the case in CaseDir.
Outcome runCase(StringRef CaseDir, StringRef CaseName, StringRef TmpDir) {
  onnx::ModelProto Model;
  if (!readProto(joinPath(CaseDir, "model.onnx"), Model))
    return outOfScope("model.onnx is not a ModelProto");
  const onnx::GraphProto &G = Model.graph();
  llvm::StringSet<> Initializers;
  for (const onnx::TensorProto &T : G.initializer())
    Initializers.insert(T.name());
  std::vector<int> Fed;
  for (int I = 0; I < G.input_size(); ++I)
    if (!Initializers.count(G.input(I).name()))
      Fed.push_back(I);
  // Dtypes first: sequence or optional values and non-f32 data are out of
  // scope whatever the importer says.
  for (int I : Fed) {
    const onnx::ValueInfoProto &In = G.input(I);
    if (!In.type().has_tensor_type())
      return outOfScope("non-tensor input (sequence, optional or map)");
    int32_t T = In.type().tensor_type().elem_type();
    if (T != onnx::TensorProto::FLOAT && !isBakeableType(T))
      return outOfScope("input dtype " + elemTypeName(T));
  }
  for (const onnx::ValueInfoProto &Out : G.output()) {
    if (!Out.type().has_tensor_type())
      return outOfScope("non-tensor output (sequence, optional or map)");
    int32_t T = Out.type().tensor_type().elem_type();
    if (T != onnx::TensorProto::FLOAT)
      return outOfScope("output dtype " + elemTypeName(T));
  }
  auto Sets = readDataSets(CaseDir);
  if (!Sets)
    return failure(llvm::toString(Sets.takeError()));
  if (Sets->empty())
    return outOfScope("no test data set");
  for (const DataSet &Set : *Sets) {
    Outcome O = runDataSet(Model, Fed, CaseDir, CaseName, Set, TmpDir);
    if (O.V != Verdict::Passed) {
      if (O.V == Verdict::Failed && Sets->size() > 1)
        O.Detail = Set.Name + ": " + O.Detail;
      return O;
    }
  }
  return {Verdict::Passed, ""};
}

/// Counts of one tree.
struct TreeCounts {
  unsigned Total = 0, InScope = 0, Passed = 0;
};

} // namespace

int main(int argc, char **argv) {
  std::string DataDir;
  std::string Filter;
  bool Verbose = false;
  for (int I = 1; I < argc; ++I) {
    StringRef Arg = argv[I];
    if (Arg == "--verbose")
      Verbose = true;
    else if (Arg == "--filter" && I + 1 < argc)
      Filter = argv[++I];
    else
      DataDir = Arg.str();
  }
  llvm::raw_ostream &OS = llvm::outs();
  if (DataDir.empty() || !llvm::sys::fs::is_directory(joinPath(DataDir, "node"))) {
    llvm::errs() << "onnx_conformance_test: no ONNX backend test data at '" << DataDir
                 << "'; install Debian's libonnx-testdata (tools/bootstrap.sh does)\n";
    return 1;
  }
  const char *TestTmp = std::getenv("TEST_TMPDIR");
  llvm::SmallString<128> TmpDir;
  if (TestTmp)
    TmpDir = TestTmp;
  else
    llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, TmpDir);

  auto Start = std::chrono::steady_clock::now();
  std::vector<testing::JUnitCase> Cases;
  std::vector<std::pair<std::string, std::string>> Failures;
  llvm::StringMap<unsigned> Reasons;
  std::vector<std::pair<std::string, TreeCounts>> Trees;
  TreeCounts All;
  for (const char *Tree : kTrees) {
    TreeCounts Counts;
    std::string TreeDir = joinPath(DataDir, Tree);
    for (const std::string &Name : subdirectories(TreeDir)) {
      std::string CaseDir = joinPath(TreeDir, Name);
      std::string CaseName = std::string(Tree) + "/" + Name;
      if (!llvm::sys::fs::exists(joinPath(CaseDir, "model.onnx")) ||
          StringRef(CaseName).find(Filter) == StringRef::npos)
        continue;
      ++Counts.Total;
      Outcome O = runCase(CaseDir, Name, TmpDir);
      if (Verbose)
        OS << (O.V == Verdict::OutOfScope ? "SKIP " : O.V == Verdict::Passed ? "PASS " : "FAIL ")
           << CaseName << (O.Detail.empty() ? "" : ": ") << O.Detail << "\n";
      if (O.V == Verdict::OutOfScope) {
        ++Reasons[O.Detail];
        continue;
      }
      ++Counts.InScope;
      Counts.Passed += O.V == Verdict::Passed;
      if (O.V == Verdict::Failed)
        Failures.emplace_back(CaseName, O.Detail);
      Cases.push_back({CaseName, O.V == Verdict::Passed, O.Detail});
    }
    All.Total += Counts.Total;
    All.InScope += Counts.InScope;
    All.Passed += Counts.Passed;
    Trees.emplace_back(Tree, Counts);
  }
  double Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start).count();

  OS << "ONNX backend conformance on the qatc runtime (" << DataDir << ")\n";
  for (const auto &[Tree, C] : Trees)
    OS << llvm::formatv("  {0,-18} {1,5} cases, {2,4} in scope, {3,4} passed\n", Tree, C.Total,
                        C.InScope, C.Passed);
  OS << llvm::formatv("  {0,-18} {1,5} cases, {2,4} in scope, {3,4} passed, {4} failed "
                      "({5:F1} s)\n",
                      "total", All.Total, All.InScope, All.Passed, Failures.size(), Seconds);

  std::vector<std::pair<unsigned, std::string>> Sorted;
  for (const auto &R : Reasons)
    Sorted.emplace_back(R.getValue(), R.getKey().str());
  std::sort(Sorted.begin(), Sorted.end(),
            [](const auto &A, const auto &B) { return A.first != B.first ? A.first > B.first : A.second < B.second; });
  const size_t kShownReasons = 25;
  OS << "out of scope: " << All.Total - All.InScope << " cases, " << Sorted.size()
     << " distinct reasons; the most common:\n";
  unsigned Rest = 0;
  for (size_t I = 0; I < Sorted.size(); ++I) {
    if (I < kShownReasons)
      OS << llvm::formatv("  {0,5}  {1}\n", Sorted[I].first, Sorted[I].second);
    else
      Rest += Sorted[I].first;
  }
  if (Sorted.size() > kShownReasons)
    OS << llvm::formatv("  {0,5}  ({1} other reasons; --verbose lists every case)\n", Rest,
                        Sorted.size() - kShownReasons);
  if (!Failures.empty()) {
    OS << "failures:\n";
    for (const auto &[Name, Message] : Failures)
      OS << "  " << Name << ": " << Message << "\n";
  }
  OS.flush();

  if (const char *Xml = std::getenv("XML_OUTPUT_FILE"))
    testing::writeJUnit(Xml, "onnx_conformance", Cases);
  if (All.InScope == 0) {
    llvm::errs() << "onnx_conformance_test: no case is in scope\n";
    return 1;
  }
  return Failures.empty() ? 0 : 1;
}
