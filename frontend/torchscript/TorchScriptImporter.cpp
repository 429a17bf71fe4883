//===- TorchScriptImporter.cpp - Importing TorchScript archives into QIR --===//
//
// Loads the archive with libtorch and walks `forward` once, following method
// and function calls into their graphs (an inliner that copies nothing): the
// module path of an op is the chain of submodule attributes its call went
// through. Scripted modules are put in eval mode; their attributes
// (`self.training`) are read from the module, prim::If on a static condition
// runs its taken branch and prim::Loop with a static trip count runs its body
// that many times. Every other node goes through the aten op table
// (AtenOps.h). Only this file includes libtorch headers.
//
//===----------------------------------------------------------------------===//
#include "frontend/torchscript/TorchScriptImporter.h"

#include "frontend/ImportSupport.h"
#include "frontend/torchscript/AtenOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <c10/core/CPUAllocator.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/serialization/import.h>

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>

namespace qatc {

namespace tj = torch::jit;

namespace {

llvm::Error importError(const llvm::Twine &Msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
}

/// The first line of a libtorch error message, without c10's plea for a
/// better message.
std::string firstLine(llvm::StringRef Message) {
  return Message.split('\n').first.split("(Could this error message be improved?").first.trim()
      .str();
}

/// Fails unless Path is a readable zip file, which every TorchScript archive is.
llvm::Error checkZipFile(llvm::StringRef Path) {
  std::ifstream In(Path.str(), std::ios::binary);
  if (!In)
    return importError("cannot read '" + Path + "': " + std::strerror(errno));
  char Magic[4] = {};
  In.read(Magic, sizeof(Magic));
  if (In.gcount() != sizeof(Magic) || std::memcmp(Magic, "PK\x03\x04", sizeof(Magic)) != 0)
    return importError("'" + Path +
                       "' is not a TorchScript archive (not a zip file); save the model with "
                       "torch.jit.save(torch.jit.trace(model, example_input), path)");
  return llvm::Error::success();
}

/// Explains why libtorch could not load the archive.
llvm::Error loadError(llvm::StringRef Path, llvm::StringRef Message) {
  if (Message.contains("central directory"))
    return importError("'" + Path +
                       "' is truncated or corrupted (its zip directory is missing); copy or "
                       "export the file again");
  if (Message.contains("hasRecord(\"version\")"))
    return importError("'" + Path +
                       "' is a zip file but not a TorchScript archive (it has no version "
                       "record); save the model with torch.jit.save");
  if (Message.contains("failed locating file constants.pkl"))
    return importError("'" + Path +
                       "' is a PyTorch archive without TorchScript code (torch.save writes such "
                       "files); save a traced or scripted module with torch.jit.save");
  return importError("'" + Path +
                     "' could not be loaded as a TorchScript archive: " + firstLine(Message));
}

/// The QIR element type of a libtorch scalar type.
std::optional<DType> qirDType(c10::ScalarType T) {
  switch (T) {
  case c10::ScalarType::Float:
    return DType::F32;
  case c10::ScalarType::Half:
    return DType::F16;
  case c10::ScalarType::Char:
    return DType::I8;
  case c10::ScalarType::Byte:
    return DType::U8;
  case c10::ScalarType::Int:
    return DType::I32;
  case c10::ScalarType::Long:
    return DType::I64;
  case c10::ScalarType::Bool:
    return DType::Bool;
  default:
    return std::nullopt;
  }
}

/// libtorch's CPU allocator while it reads an archive: tensor storage comes
/// from std::vectors that QIR parameters adopt when a tensor spans its whole
/// storage, so weights are copied once (from the file), not twice. Large
/// buffers ask for transparent huge pages, which makes their first touch much
/// cheaper. Together these keep an import as fast as Python's torch.jit.load
/// of the same file.
class AdoptableAllocator final : public c10::Allocator {
public:
  c10::DataPtr allocate(size_t Size) const override {
    auto *Buffer = new std::vector<uint8_t>();
    Buffer->reserve(Size);
    if (Size >= HugePageSize)
      adviseHugePages(Buffer->data(), Size);
    Buffer->resize(Size);
    return {Buffer->data(), Buffer, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }

  /// The buffer behind T's storage when this allocator made it and T spans
  /// all of it, else null.
  static std::vector<uint8_t> *adoptable(const at::Tensor &T) {
    auto *Buffer = T.storage().data_ptr().cast_context<std::vector<uint8_t>>(&release);
    if (!Buffer || T.storage_offset() != 0 || !T.is_contiguous() || Buffer->size() != T.nbytes() ||
        Buffer->data() != T.data_ptr())
      return nullptr;
    return Buffer;
  }

  /// The bytes S's buffer holds: its declared size, or less when this
  /// allocator made the buffer for a shorter archive record.
  static size_t heldBytes(const c10::Storage &S) {
    const auto *Buffer = S.data_ptr().cast_context<std::vector<uint8_t>>(&release);
    return Buffer ? std::min(S.nbytes(), Buffer->size()) : S.nbytes();
  }

private:
  static constexpr size_t HugePageSize = 2 << 20;

  static void release(void *Buffer) { delete static_cast<std::vector<uint8_t> *>(Buffer); }

  static void adviseHugePages(void *Begin, size_t Size) {
    constexpr uintptr_t Page = 4096;
    uintptr_t B = (reinterpret_cast<uintptr_t>(Begin) + Page - 1) & ~(Page - 1);
    uintptr_t E = (reinterpret_cast<uintptr_t>(Begin) + Size) & ~(Page - 1);
    if (E > B)
      madvise(reinterpret_cast<void *>(B), E - B, MADV_HUGEPAGE);
  }
};

/// True when every element T addresses lies inside the bytes its storage
/// really holds. libtorch checks neither the sizes, strides and offset a
/// (corrupt) archive gives a tensor against its storage nor the storage's
/// declared size against the record it loads.
bool fitsStorage(const at::Tensor &T) {
  if (T.numel() == 0)
    return true;
  int64_t Last = T.storage_offset();
  if (Last < 0)
    return false;
  for (int64_t D = 0; D < T.dim(); ++D) {
    int64_t Step;
    if (T.stride(D) < 0 || __builtin_mul_overflow(T.size(D) - 1, T.stride(D), &Step) ||
        __builtin_add_overflow(Last, Step, &Last))
      return false;
  }
  uint64_t End;
  return !__builtin_mul_overflow(uint64_t(Last) + 1, uint64_t(T.element_size()), &End) &&
         End <= AdoptableAllocator::heldBytes(T.storage());
}

/// Makes an allocator libtorch's CPU allocator for the guard's lifetime.
class CPUAllocatorGuard {
public:
  explicit CPUAllocatorGuard(c10::Allocator *A) : Previous(c10::GetCPUAllocator()) {
    c10::SetCPUAllocator(A);
  }
  ~CPUAllocatorGuard() { c10::SetCPUAllocator(Previous); }
  CPUAllocatorGuard(const CPUAllocatorGuard &) = delete;
  CPUAllocatorGuard &operator=(const CPUAllocatorGuard &) = delete;

private:
  c10::Allocator *Previous;
};

/// Walks the forward graph, and the graphs it calls, and emits their QIR.
class ForwardImporter {
public:
  ForwardImporter(llvm::StringRef File, GraphEmitter &E) : File(File), E(E) {}

  /// Imports the forward method of M.
  llvm::Error run(const tj::Module &M, const ImportOptions &Opts);

private:
  struct ModuleRef {
    std::string Path;
    c10::intrusive_ptr<c10::ivalue::Object> Object;
  };
  struct UnsupportedNode {
    std::string Kind, Path;
  };

  llvm::Error importInputs(const tj::Module &M, const tj::Graph &TG, const ImportOptions &Opts);
  /// Imports Callee as called by Call (prim::CallMethod on module Self, or
  /// prim::CallFunction when Self is null), binding its inputs to the
  /// call's arguments from FirstArg on.
  llvm::Error importCall(const tj::Node *Call, tj::GraphFunction &Callee, const ModuleRef *Self,
                         size_t FirstArg);
  llvm::Error importBlock(const tj::Block *B);
  llvm::Error importNode(const tj::Node *N);
  llvm::Error importGetAttr(const tj::Node *N);
  llvm::Error importIf(const tj::Node *N);
  llvm::Error importLoop(const tj::Node *N);
  llvm::Error importOutputs(const tj::Graph &TG);
  /// Folds what libtorch can fold in G (once per graph; they are shared).
  void propagateConstants(tj::GraphFunction &F);
  /// The value of a libtorch constant or attribute; Name names tensors.
  llvm::Expected<ScriptValue> fromIValue(const c10::IValue &V, const std::string &Name);
  /// The tensor constant for T (one per tensor, so shared weights stay shared).
  llvm::Expected<ScriptValue> fromTensor(const at::Tensor &T, const std::string &Name);
  /// Records an unsupported node; its results are skipped.
  void unsupported(const tj::Node *N, llvm::StringRef What);
  /// "in module 'layer1.0'" or "in forward", for messages.
  std::string where() const;
  /// The error for node N failing with A.
  llvm::Error nodeError(const tj::Node *N, const AtenError &A) const;

  std::string File;
  GraphEmitter &E;
  /// The module path of the method being imported.
  std::string ModulePath;
  llvm::DenseSet<const tj::Graph *> Propagated;
  /// `--input-shape NAME=DIMS` for each model input, for messages.
  std::string InputShapeHint;
  llvm::DenseMap<const tj::Value *, ScriptValue> Values;
  llvm::DenseMap<const tj::Value *, ModuleRef> Modules;
  llvm::DenseMap<const c10::TensorImpl *, std::shared_ptr<TensorConstant>> Tensors;
  std::vector<UnsupportedNode> Unsupported;
};

llvm::Error ForwardImporter::run(const tj::Module &M, const ImportOptions &Opts) {
  tj::GraphFunction &Forward = tj::toGraphFunction(M.get_method("forward").function());
  propagateConstants(Forward);
  const tj::Graph &TG = *Forward.graph();
  if (llvm::Error Err = importInputs(M, TG, Opts))
    return Err;
  if (llvm::Error Err = importBlock(TG.block()))
    return Err;
  if (!Unsupported.empty()) {
    ModuleNamer Namer;
    std::vector<unsigned> Tickets;
    for (const UnsupportedNode &U : Unsupported) {
      // Named like QIR ops: `aten::abs` in module `sub` is `sub`, at the top `abs`.
      llvm::StringRef Op = llvm::StringRef(U.Kind).split(' ').first.rsplit(':').second;
      Tickets.push_back(Namer.add(U.Path, Op));
    }
    UnsupportedOpReport Report;
    for (size_t I = 0; I < Unsupported.size(); ++I)
      Report.add(Unsupported[I].Kind, Namer.name(Tickets[I]));
    return Report.toError(File, "qatc imports the ops listed in docs/frontends.md; rewrite these "
                                "parts of the model with supported ops");
  }
  if (llvm::Error Err = importOutputs(TG))
    return Err;
  E.finish();
  return llvm::Error::success();
}

llvm::Error ForwardImporter::importInputs(const tj::Module &M, const tj::Graph &TG,
                                          const ImportOptions &Opts) {
  const c10::FunctionSchema &Schema = M.get_method("forward").function().getSchema();
  auto Inputs = TG.inputs();
  Modules[Inputs[0]] = {"", M._ivalue()};
  llvm::SmallVector<std::string, 4> Names;
  for (size_t I = 1; I < Inputs.size(); ++I) {
    std::string Name = Schema.arguments()[I].name();
    Names.push_back(Name);
    InputShapeHint +=
        (InputShapeHint.empty() ? "--input-shape " : " --input-shape ") + Name + "=DIMS";
    if (!Inputs[I]->type()->isSubtypeOf(*c10::TensorType::get()))
      return importError(File + ": forward argument '" + Name + "' has type " +
                         Inputs[I]->type()->str() +
                         "; qatc imports models whose inputs are all tensors");
    auto Shape = Opts.InputShapes.find(Name);
    Type Ty = Shape == Opts.InputShapes.end() ? Type::unranked(DType::F32)
                                              : Type::tensor(DType::F32, Shape->getValue());
    Values[Inputs[I]] = ScriptValue::tensor(E.input(Name, Ty));
  }
  for (const auto &Shape : Opts.InputShapes)
    if (!llvm::is_contained(Names, Shape.getKey()))
      return importError(File + ": --input-shape names '" + Shape.getKey() +
                         "', but the model's inputs are: " + llvm::join(Names, ", "));
  return llvm::Error::success();
}

llvm::Error ForwardImporter::importBlock(const tj::Block *B) {
  for (const tj::Node *N : B->nodes())
    if (llvm::Error Err = importNode(N))
      return Err;
  return llvm::Error::success();
}

void ForwardImporter::propagateConstants(tj::GraphFunction &F) {
  std::shared_ptr<tj::Graph> G = F.graph();
  if (Propagated.insert(G.get()).second)
    tj::ConstantPropagation(G);
}

llvm::Error ForwardImporter::importCall(const tj::Node *Call, tj::GraphFunction &Callee,
                                        const ModuleRef *Self, size_t FirstArg) {
  propagateConstants(Callee);
  const tj::Graph &G = *Callee.graph();
  size_t FirstParam = Self ? 1 : 0;
  assert(G.inputs().size() - FirstParam == Call->inputs().size() - FirstArg &&
         "TorchScript checks the arity of calls");
  if (Self)
    Modules[G.inputs()[0]] = *Self;
  for (size_t I = FirstParam; I < G.inputs().size(); ++I) {
    const tj::Value *Arg = Call->inputs()[FirstArg + I - FirstParam];
    if (auto It = Modules.find(Arg); It != Modules.end())
      Modules[G.inputs()[I]] = It->second;
    else
      Values[G.inputs()[I]] = Values.lookup(Arg);
  }
  std::string CallerPath = ModulePath;
  if (Self)
    ModulePath = Self->Path;
  llvm::Error Err = importBlock(G.block());
  ModulePath = std::move(CallerPath);
  if (Err)
    return Err;
  for (size_t I = 0; I < Call->outputs().size(); ++I)
    Values[Call->outputs()[I]] = Values.lookup(G.outputs()[I]);
  return llvm::Error::success();
}

std::string ForwardImporter::where() const {
  return ModulePath.empty() ? "in forward" : "in module '" + ModulePath + "'";
}

llvm::Error ForwardImporter::nodeError(const tj::Node *N, const AtenError &A) const {
  std::string Kind = N->kind().toQualString();
  if (A.reason() == AtenError::Reason::NeedsStaticShapes)
    return importError(File + ": " + Kind + " " + where() + " needs static input shapes (" +
                       A.message() + "); pass them with " + InputShapeHint);
  return importError(File + ": " + Kind + " " + where() + ": " + A.message());
}

void ForwardImporter::unsupported(const tj::Node *N, llvm::StringRef What) {
  Unsupported.push_back({What.str(), ModulePath});
  for (const tj::Value *Out : N->outputs())
    Values[Out] = ScriptValue::skipped();
}

llvm::Error ForwardImporter::importNode(const tj::Node *N) {
  const c10::Symbol Kind = N->kind();
  if (Kind == tj::prim::Constant) {
    // Function constants have no IValue; prim::CallFunction reads their type.
    std::optional<c10::IValue> Constant = tj::toIValue(N->output());
    if (!Constant) {
      Values[N->output()] = ScriptValue::opaque(N->output()->type()->str());
      return llvm::Error::success();
    }
    auto V = fromIValue(*Constant, "");
    if (!V)
      return V.takeError();
    Values[N->output()] = std::move(*V);
    return llvm::Error::success();
  }
  if (Kind == tj::prim::GetAttr)
    return importGetAttr(N);
  if (Kind == tj::prim::If)
    return importIf(N);
  if (Kind == tj::prim::Loop)
    return importLoop(N);
  if (Kind == tj::prim::CallMethod) {
    auto Self = Modules.find(N->input(0));
    if (Self == Modules.end()) {
      unsupported(N, "prim::CallMethod on a non-module object");
      return llvm::Error::success();
    }
    ModuleRef Callee = Self->second;
    tj::Function &Method = Callee.Object->type()->getMethod(N->s(tj::attr::name));
    return importCall(N, tj::toGraphFunction(Method), &Callee, 1);
  }
  if (Kind == tj::prim::CallFunction) {
    tj::Function *Fn = N->input(0)->type()->expectRef<c10::FunctionType>().function();
    return importCall(N, tj::toGraphFunction(*Fn), nullptr, 1);
  }

  if (Kind == tj::prim::RaiseException) {
    ScriptValue Message = Values.lookup(N->input(0));
    return importError(
        File + ": the model raises an exception " + where() + " for the given input shapes" +
        (Message.kind() == ScriptValue::Kind::String ? ": " + firstLine(Message.getString())
                                                     : std::string()));
  }
  std::optional<AtenOpMapping> Mapping = lookupAtenOp(Kind.toQualString());
  if (!Mapping) {
    unsupported(N, Kind.toQualString());
    return llvm::Error::success();
  }
  std::vector<ScriptValue> Args;
  for (const tj::Value *In : N->inputs()) {
    auto It = Values.find(In);
    if (It == Values.end()) {
      unsupported(N, std::string(Kind.toQualString()) + " on a module object");
      return llvm::Error::success();
    }
    if (It->second.kind() == ScriptValue::Kind::Skipped) {
      for (const tj::Value *Out : N->outputs())
        Values[Out] = ScriptValue::skipped();
      return llvm::Error::success();
    }
    Args.push_back(It->second);
  }
  E.setModulePath(ModulePath);
  AtenCall Call(E, Mapping->QirOp, Args, N->outputs().size());
  std::vector<ScriptValue> Results = Mapping->Handler(Call);
  if (llvm::Error Err = Call.takeError())
    return llvm::handleErrors(std::move(Err), [&](const AtenError &A) -> llvm::Error {
      if (A.reason() != AtenError::Reason::Unsupported)
        return nodeError(N, A);
      unsupported(N, std::string(Kind.toQualString()) + " " + A.message());
      return llvm::Error::success();
    });
  assert(Results.size() == N->outputs().size() && "a handler returned the wrong result count");
  for (size_t I = 0; I < Results.size(); ++I)
    Values[N->outputs()[I]] = Results[I];
  // An in-place op (`relu_`) also updates the tensor its first input names.
  llvm::StringRef Name = Kind.toUnqualString();
  if (Name.endswith("_") && !Name.endswith("__") && !Results.empty())
    Values[N->inputs()[0]] = Results[0];
  return llvm::Error::success();
}

llvm::Error ForwardImporter::importGetAttr(const tj::Node *N) {
  auto It = Modules.find(N->input());
  if (It == Modules.end()) {
    unsupported(N, "prim::GetAttr on a non-module object");
    return llvm::Error::success();
  }
  const std::string &Attr = N->s(tj::attr::name);
  std::string Path = It->second.Path.empty() ? Attr : It->second.Path + "." + Attr;
  c10::IValue A = It->second.Object->getAttr(Attr);
  if (A.isObject() && A.toObjectRef().type()->is_module()) {
    Modules[N->output()] = {Path, A.toObject()};
    return llvm::Error::success();
  }
  auto V = fromIValue(A, Path);
  if (!V)
    return V.takeError();
  Values[N->output()] = std::move(*V);
  return llvm::Error::success();
}

llvm::Error ForwardImporter::importIf(const tj::Node *N) {
  const ScriptValue &Cond = Values.lookup(N->input());
  switch (Cond.kind()) {
  case ScriptValue::Kind::Skipped:
    for (const tj::Value *Out : N->outputs())
      Values[Out] = ScriptValue::skipped();
    return llvm::Error::success();
  case ScriptValue::Kind::Unknown:
    return nodeError(N, AtenError(AtenError::Reason::NeedsStaticShapes, Cond.getString()));
  case ScriptValue::Kind::Bool:
    break;
  default:
    unsupported(N, "prim::If on a value computed at run time");
    return llvm::Error::success();
  }
  const tj::Block *Taken = N->blocks()[Cond.getBool() ? 0 : 1];
  if (llvm::Error Err = importBlock(Taken))
    return Err;
  for (size_t I = 0; I < N->outputs().size(); ++I)
    Values[N->outputs()[I]] = Values.lookup(Taken->outputs()[I]);
  return llvm::Error::success();
}

llvm::Error ForwardImporter::importLoop(const tj::Node *N) {
  // Loops run at import time, like the shape arithmetic they usually do; a
  // bound keeps a loop on a runaway condition from running forever.
  constexpr int64_t MaxIterations = 100000;
  ScriptValue Trips = Values.lookup(N->input(0)), Cond = Values.lookup(N->input(1));
  std::vector<ScriptValue> Carried;
  for (size_t I = 2; I < N->inputs().size(); ++I)
    Carried.push_back(Values.lookup(N->inputs()[I]));
  const tj::Block *Body = N->blocks()[0];
  for (int64_t Iteration = 0;; ++Iteration) {
    for (const ScriptValue *V : {&Trips, &Cond}) {
      if (V->kind() == ScriptValue::Kind::Unknown)
        return nodeError(N, AtenError(AtenError::Reason::NeedsStaticShapes, V->getString()));
      if (V->kind() == ScriptValue::Kind::Skipped) {
        for (const tj::Value *Out : N->outputs())
          Values[Out] = ScriptValue::skipped();
        return llvm::Error::success();
      }
    }
    if (Trips.kind() != ScriptValue::Kind::Int || Cond.kind() != ScriptValue::Kind::Bool) {
      unsupported(N, "prim::Loop on a value computed at run time");
      return llvm::Error::success();
    }
    if (Iteration >= Trips.getInt() || !Cond.getBool())
      break;
    if (Iteration == MaxIterations)
      return importError(File + ": a loop " + where() + " runs more than " +
                         llvm::Twine(MaxIterations) +
                         " times at import time; trace the model with torch.jit.trace instead");
    Values[Body->inputs()[0]] = ScriptValue::integer(Iteration);
    for (size_t I = 0; I < Carried.size(); ++I)
      Values[Body->inputs()[I + 1]] = Carried[I];
    if (llvm::Error Err = importBlock(Body))
      return Err;
    Cond = Values.lookup(Body->outputs()[0]);
    for (size_t I = 0; I < Carried.size(); ++I)
      Carried[I] = Values.lookup(Body->outputs()[I + 1]);
  }
  for (size_t I = 0; I < Carried.size(); ++I)
    Values[N->outputs()[I]] = Carried[I];
  return llvm::Error::success();
}

llvm::Error ForwardImporter::importOutputs(const tj::Graph &TG) {
  std::vector<Node *> Results;
  std::function<llvm::Error(const ScriptValue &)> Add = [&](const ScriptValue &V) -> llvm::Error {
    if (V.kind() == ScriptValue::Kind::Tensor) {
      Results.push_back(V.getTensor());
    } else if (V.kind() == ScriptValue::Kind::Constant) {
      Results.push_back(E.read(V.getConstant()));
    } else if (V.kind() == ScriptValue::Kind::List) {
      for (const ScriptValue &Element : V.getList())
        if (llvm::Error Err = Add(Element))
          return Err;
    } else {
      return importError(File + ": forward returns " + V.describe() +
                         "; qatc imports models that return tensors (or tuples of tensors)");
    }
    return llvm::Error::success();
  };
  for (const tj::Value *Out : TG.outputs())
    if (llvm::Error Err = Add(Values.lookup(Out)))
      return Err;
  E.output(Results);
  return llvm::Error::success();
}

llvm::Expected<ScriptValue> ForwardImporter::fromIValue(const c10::IValue &V,
                                                        const std::string &Name) {
  if (V.isNone())
    return ScriptValue();
  if (V.isBool())
    return ScriptValue::boolean(V.toBool());
  if (V.isInt())
    return ScriptValue::integer(V.toInt());
  if (V.isDouble())
    return ScriptValue::real(V.toDouble());
  if (V.isString())
    return ScriptValue::string(V.toStringRef());
  if (V.isTensor() && Name.empty() && V.toTensor().dim() == 0) {
    // Traced Python scalars (`x * 0.5`) are 0-d constants; as numbers they
    // take the element type of the tensor they meet, as in PyTorch.
    const at::Tensor &T = V.toTensor();
    if (T.is_floating_point())
      return ScriptValue::real(T.item<double>());
    if (T.scalar_type() == c10::ScalarType::Bool)
      return ScriptValue::boolean(T.item<bool>());
    return ScriptValue::integer(T.item<int64_t>());
  }
  if (V.isTensor())
    return fromTensor(V.toTensor(), Name);
  if (V.isList() || V.isTuple()) {
    std::vector<c10::IValue> Elements =
        V.isList() ? V.toListRef().vec() : V.toTupleRef().elements().vec();
    std::vector<ScriptValue> R;
    for (size_t I = 0; I < Elements.size(); ++I) {
      auto E = fromIValue(Elements[I], Name.empty() ? "" : Name + "." + std::to_string(I));
      if (!E)
        return E.takeError();
      R.push_back(std::move(*E));
    }
    return ScriptValue::list(std::move(R));
  }
  return ScriptValue::opaque(V.tagKind());
}

llvm::Expected<ScriptValue> ForwardImporter::fromTensor(const at::Tensor &T,
                                                        const std::string &Name) {
  if (auto It = Tensors.find(T.unsafeGetTensorImpl()); It != Tensors.end())
    return ScriptValue::constant(It->second);
  std::string What = Name.empty() ? "a constant tensor" : "tensor '" + Name + "'";
  if (T.is_quantized() || T.layout() != c10::kStrided || !T.device().is_cpu())
    return importError(File + ": " + What +
                       " is quantized, sparse or not on the CPU; qatc imports dense float models");
  if (!fitsStorage(T))
    return importError(File + ": " + What +
                       " reaches past the end of its storage; the archive is corrupt, export "
                       "the model again");
  at::Tensor Data = T.contiguous();
  std::optional<DType> Elem = qirDType(Data.scalar_type());
  if (!Elem)
    return importError(File + ": " + What + " has element type " +
                       c10::toString(Data.scalar_type()) +
                       ", which QIR does not have; convert the model (e.g. model.float()) "
                       "before saving it");
  auto C = std::make_shared<TensorConstant>();
  C->Name = Name;
  C->Ty = Type::tensor(*Elem, llvm::ArrayRef<int64_t>(Data.sizes().data(), Data.sizes().size()));
  if (std::vector<uint8_t> *Buffer = AdoptableAllocator::adoptable(Data)) {
    // libtorch's storage keeps pointing into the buffer, now owned by the
    // parameter; nothing reads it again and the graph outlives the module.
    C->Bytes = std::move(*Buffer);
  } else {
    const auto *Bytes = static_cast<const uint8_t *>(Data.data_ptr());
    C->Bytes.assign(Bytes, Bytes + Data.nbytes());
  }
  Tensors[T.unsafeGetTensorImpl()] = C;
  return ScriptValue::constant(std::move(C));
}

} // namespace

llvm::Expected<std::unique_ptr<Graph>> importTorchScriptModel(llvm::StringRef Path,
                                                              const ImportOptions &Opts) {
  if (llvm::Error Err = checkZipFile(Path))
    return Err;
  tj::Module M;
  AdoptableAllocator Allocator;
  try {
    CPUAllocatorGuard Guard(&Allocator);
    M = tj::load(Path.str());
  } catch (const c10::Error &Err) {
    return loadError(Path, Err.what_without_backtrace());
  } catch (const std::exception &Err) {
    return loadError(Path, Err.what());
  }
  if (!M.find_method("forward")) {
    std::vector<std::string> Names;
    for (const tj::Method &Method : M.get_methods())
      Names.push_back(Method.name());
    return importError("'" + Path + "' has no forward method (" +
                       (Names.empty() ? std::string("it has no methods")
                                      : "its methods: " + llvm::join(Names, ", ")) +
                       "); save a module whose forward is the model");
  }
  auto G = std::make_unique<Graph>(llvm::sys::path::stem(Path).str());
  GraphEmitter E(*G, Location(Path, 0, 0));
  ForwardImporter Importer(Path, E);
  llvm::Error Err = llvm::Error::success();
  try {
    M.eval();
    Err = Importer.run(M, Opts);
  } catch (const c10::Error &Exception) {
    return importError(Path + ": libtorch failed while importing the graph: " +
                       firstLine(Exception.what_without_backtrace()));
  } catch (const std::exception &Exception) {
    return importError(
        Path + ": libtorch failed while importing the graph: " + firstLine(Exception.what()));
  }
  if (Err)
    return Err;
  return G;
}

} // namespace qatc
