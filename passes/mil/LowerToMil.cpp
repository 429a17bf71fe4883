//===- LowerToMil.cpp - Quantized QIR to a Core ML ML Program -------------===//
//
// The driver: model and program skeleton, function inputs and the interface
// description, the walk over the graph's nodes, block outputs, and the
// LoweringContext / OpBuilder machinery the op rules use.
//
//===----------------------------------------------------------------------===//
#include "passes/mil/LowerToMil.h"

#include "passes/mil/LoweringContext.h"
#include "passes/mil/MilNames.h"
#include "passes/mil/MilValue.h"

#include "ir/Verifier.h"

#include "llvm/Support/FormatVariadic.h"

namespace qatc {
namespace mil {

namespace CML = CoreML::Specification;

char UnsupportedError::ID = 0;

llvm::Error nodeError(const Node &N, const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "node '" + N.name() + "' (" + N.opName() + "): " + Message);
}

llvm::Error unsupported(const llvm::Twine &Reason) {
  return llvm::make_error<UnsupportedError>(Reason.str());
}

MilDType milDType(DType T) {
  switch (T) {
  case DType::F32:
    return Spec::FLOAT32;
  case DType::F16:
    return Spec::FLOAT16;
  case DType::I8:
    return Spec::INT8;
  case DType::U8:
    return Spec::UINT8;
  case DType::I32:
    return Spec::INT32;
  case DType::I64:
    return Spec::INT64;
  case DType::Bool:
    return Spec::BOOL;
  }
  return Spec::FLOAT32;
}

//===----------------------------------------------------------------------===//
// OpBuilder
//===----------------------------------------------------------------------===//

OpBuilder::OpBuilder(LoweringContext &L, llvm::StringRef OpType, std::string Name)
    : L(L), Name(std::move(Name)) {
  Op.set_type(OpType.str());
}

OpBuilder &OpBuilder::in(llvm::StringRef Param, llvm::StringRef Value) {
  (*Op.mutable_inputs())[Param.str()].add_arguments()->set_name(Value.str());
  return *this;
}

OpBuilder &OpBuilder::inTuple(llvm::StringRef Param, llvm::ArrayRef<std::string> Values) {
  Spec::Argument &A = (*Op.mutable_inputs())[Param.str()];
  for (const std::string &V : Values)
    A.add_arguments()->set_name(V);
  return *this;
}

OpBuilder &OpBuilder::constIn(llvm::StringRef Param, const MilTensor &T) {
  std::string C = L.freshName(Name + "_" + Param.str() + "_0");
  L.constant(C, T);
  return in(Param, C);
}

OpBuilder &OpBuilder::literalIn(llvm::StringRef Param, const MilTensor &T) {
  *(*Op.mutable_inputs())[Param.str()].add_arguments()->mutable_value() = L.encode(T);
  return *this;
}

OpBuilder &OpBuilder::attr(llvm::StringRef Key, const MilTensor &T) {
  (*Op.mutable_attributes())[Key.str()] = L.encode(T);
  return *this;
}

OpBuilder &OpBuilder::out(llvm::StringRef OutName, MilDType T, llvm::ArrayRef<int64_t> Dims) {
  Spec::NamedValueType *O = Op.add_outputs();
  O->set_name(OutName.str());
  *O->mutable_type() = tensorValueType(T, Dims);
  return *this;
}

OpBuilder &OpBuilder::out(const Type &Ty) { return out(Name, milDType(Ty.dtype()), Ty.dims()); }

void OpBuilder::emit() {
  (*Op.mutable_attributes())["name"] = encodeValue(MilTensor::scalarString(Name), nullptr);
  *L.block().add_operations() = std::move(Op);
}

//===----------------------------------------------------------------------===//
// LoweringContext
//===----------------------------------------------------------------------===//

LoweringContext::LoweringContext(const Graph &G, const MilOptions &Opts, Spec::Block &Block)
    : G(G), Opts(Opts), Block(Block) {}

std::string LoweringContext::freshName(llvm::StringRef Base) {
  std::string Clean = sanitizeName(Base);
  if (Used.insert(Clean).second)
    return Clean;
  unsigned &Next = NextSuffix[Clean];
  while (true) {
    std::string Candidate = Clean + "_" + std::to_string(++Next);
    if (Used.insert(Candidate).second)
      return Candidate;
  }
}

Spec::Value LoweringContext::encode(const MilTensor &T) {
  return encodeValue(T, belongsInBlob(T, Opts.BlobThreshold) ? &Blobs : nullptr);
}

void LoweringContext::constant(const std::string &Name, const MilTensor &T) {
  Spec::Operation *Op = Block.add_operations();
  Op->set_type("const");
  Spec::NamedValueType *O = Op->add_outputs();
  O->set_name(Name);
  *O->mutable_type() = tensorValueType(T.DType, T.Shape);
  (*Op->mutable_attributes())["name"] = encodeValue(MilTensor::scalarString(Name), nullptr);
  (*Op->mutable_attributes())["val"] = encode(T);
}

llvm::Expected<MilTensor> parameterTensor(const Node &GetAttr,
                                          std::optional<llvm::ArrayRef<int64_t>> Shape) {
  const Parameter *P = GetAttr.param();
  if (P->isElided())
    return nodeError(GetAttr, "parameter '" + P->name() +
                                  "' has no data (elided); write the graph with its parameters "
                                  "(.qirb, or .qir printed without --elide-params)");
  MilTensor T;
  T.DType = milDType(P->type().dtype());
  llvm::ArrayRef<int64_t> Dims = Shape ? *Shape : P->type().dims();
  T.Shape.assign(Dims.begin(), Dims.end());
  T.Bytes.assign(P->bytes().begin(), P->bytes().end());
  if (P->type().dtype() == DType::I64) {
    // MIL programs carry int32 where QIR has i64 (range checked).
    std::vector<int64_t> Vals(P->values<int64_t>().begin(), P->values<int64_t>().end());
    for (int64_t V : Vals)
      if (V < INT32_MIN || V > INT32_MAX)
        return nodeError(GetAttr, "i64 parameter value " + llvm::Twine(V) +
                                      " does not fit int32, the widest integer of Core ML "
                                      "programs");
    return MilTensor::integers(Spec::INT32, T.Shape, Vals);
  }
  return T;
}

llvm::Expected<std::string> LoweringContext::value(const Node *N) {
  auto It = Values.find(N);
  if (It != Values.end())
    return It->second;
  if (!N->isGetAttr())
    return nodeError(*N, "its value is used before it is defined; the graph is not in "
                         "topological order");
  auto T = parameterTensor(*N);
  if (!T)
    return T.takeError();
  std::string Name = freshName(N->name());
  constant(Name, *T);
  Values[N] = Name;
  return Name;
}

llvm::Expected<std::string> LoweringContext::scalarValue(const Node *N) {
  if (!N->isGetAttr() || N->type().numElements().value_or(0) != 1 || N->type().rank() == 0)
    return value(N);
  auto It = ScalarConsts.find(N);
  if (It != ScalarConsts.end())
    return It->second;
  auto T = parameterTensor(*N, llvm::ArrayRef<int64_t>());
  if (!T)
    return T.takeError();
  std::string Name = freshName(N->name());
  constant(Name, *T);
  ScalarConsts[N] = Name;
  return Name;
}

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

namespace {

llvm::Error makeError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// True for a dequantize of three parameters (a weight: a constexpr op).
bool isConstantDequantize(const Node &N) {
  return N.isCallTo("dequantize") && N.operand(0)->isGetAttr() && N.operand(1)->isGetAttr() &&
         N.operand(2)->isGetAttr();
}

/// Target checks that come before any lowering, each naming the first node.
llvm::Error checkTarget(const Graph &G, MilTarget T) {
  for (const Node &N : G.nodes()) {
    if (!hasActivationQuantization(T) && (N.isCallTo("quantize") ||
                                          (N.isCallTo("dequantize") && !isConstantDequantize(N))))
      return nodeError(N, llvm::formatv("activation quantize/dequantize need the iOS17 opset "
                                        "(CoreML7) but the target is {0}; use --target ios17",
                                        targetName(T)));
    if (!hasBlockwiseShiftScale(T) && isConstantDequantize(N) && N.getInt("bits") < 8)
      return nodeError(N, llvm::formatv("{0}-bit weights need constexpr_blockwise_shift_scale "
                                        "(iOS18) but the target is {1}; use --target ios18",
                                        N.getInt("bits"), targetName(T)));
  }
  return llvm::Error::success();
}

/// MIL types need known ranks: a call's result (or each tuple element).
llvm::Error checkResultType(const Node &N) {
  const Type &T = N.type();
  bool Ranked = T.isTensor() ? T.hasRank() : T.isTuple();
  for (const Type &E : T.isTuple() ? T.elements() : llvm::ArrayRef<Type>())
    Ranked &= E.isTensor() && E.hasRank();
  if (!Ranked)
    return nodeError(N, "the result type " + T.str() +
                            " has no known rank; run shape inference (qatc opt) first");
  return llvm::Error::success();
}

CML::ArrayFeatureType::ArrayDataType arrayDataType(DType T) {
  switch (T) {
  case DType::F16:
    return CML::ArrayFeatureType::FLOAT16;
  case DType::I32:
    return CML::ArrayFeatureType::INT32;
  default:
    return CML::ArrayFeatureType::FLOAT32;
  }
}

/// Checks that a model input or output has a type Core ML features allow.
llvm::Error checkFeatureType(const Node &N, const Type &Ty, llvm::StringRef Role) {
  if (!Ty.isTensor() || !Ty.hasRank())
    return nodeError(N, "model " + Role + "s must be tensors of known rank, not " + Ty.str());
  if (Ty.dtype() != DType::F32 && Ty.dtype() != DType::F16 && Ty.dtype() != DType::I32)
    return nodeError(N, "model " + Role + "s must be f32, f16 or i32 (Core ML MultiArray "
                                          "types), not " +
                            dtypeName(Ty.dtype()));
  return llvm::Error::success();
}

/// The description of a model input: a symbolic dim is 1 in `shape` plus a
/// shapeRange entry [1, unbounded] (coremltools' convention).
CML::FeatureDescription inputFeature(const std::string &Name, const Type &Ty) {
  CML::FeatureDescription F;
  F.set_name(Name);
  CML::ArrayFeatureType *A = F.mutable_type()->mutable_multiarraytype();
  A->set_datatype(arrayDataType(Ty.dtype()));
  bool Dynamic = false;
  for (int64_t D : Ty.dims()) {
    A->add_shape(D < 0 ? 1 : D);
    Dynamic |= D < 0;
  }
  if (Ty.rank() == 0)
    A->add_shape(1);
  if (Dynamic) {
    for (int64_t D : Ty.dims()) {
      CML::SizeRange *R = A->mutable_shaperange()->add_sizeranges();
      R->set_lowerbound(D < 0 ? 1 : uint64_t(D));
      R->set_upperbound(D < 0 ? -1 : D);
    }
  }
  return F;
}

/// The description of a model output: its static shape, or none when any
/// dim is symbolic (coremltools leaves the shape empty then).
CML::FeatureDescription outputFeature(const std::string &Name, const Type &Ty) {
  CML::FeatureDescription F;
  F.set_name(Name);
  CML::ArrayFeatureType *A = F.mutable_type()->mutable_multiarraytype();
  A->set_datatype(arrayDataType(Ty.dtype()));
  if (Ty.hasStaticShape())
    for (int64_t D : Ty.dims())
      A->add_shape(D);
  return F;
}

} // namespace

llvm::Expected<LoweredModel> lowerToMil(const Graph &G, const MilOptions &Opts) {
  if (llvm::Error E = verify(G))
    return makeError("graph '" + G.name() + "' is not valid: " + llvm::toString(std::move(E)));
  if (!G.output())
    return makeError("graph '" + G.name() + "' has no output node");
  if (llvm::Error E = checkTarget(G, Opts.Target))
    return E;

  LoweredModel Result;
  CML::Model &M = Result.Model;
  M.set_specificationversion(specificationVersion(Opts.Target));
  Spec::Program *Program = M.mutable_mlprogram();
  Program->set_version(1);
  Spec::Function &Main = (*Program->mutable_functions())["main"];
  std::string Opset = opsetName(Opts.Target).str();
  Main.set_opset(Opset);
  Spec::Block &Block = (*Main.mutable_block_specializations())[Opset];
  CML::ModelDescription *Desc = M.mutable_description();
  auto &UserDefined = *Desc->mutable_metadata()->mutable_userdefined();
  UserDefined["com.github.qatc.version"] = kQatcVersion;
  UserDefined["com.github.qatc.source_graph"] = G.name().str();
  UserDefined["com.github.qatc.target"] = targetName(Opts.Target).str();

  LoweringContext L(G, Opts, Block);
  std::vector<std::string> Unsupported;
  for (const Node &N : G.nodes()) {
    if (N.isPlaceholder()) {
      if (llvm::Error E = checkFeatureType(N, N.type(), "input"))
        return E;
      std::string Name = L.freshName(N.name());
      Spec::NamedValueType *In = Main.add_inputs();
      In->set_name(Name);
      *In->mutable_type() = tensorValueType(milDType(N.type().dtype()), N.type().dims());
      *Desc->add_input() = inputFeature(Name, N.type());
      L.define(&N, Name);
      continue;
    }
    if (N.isGetAttr() || N.isOutput())
      continue; // parameters become const ops where they are used
    if (llvm::Error E = checkResultType(N))
      return E;
    LowerRule Rule = lookupLowerRule(N.opName());
    llvm::Error E = Rule ? Rule(L, N)
                         : unsupported(N.isCallTo("fake_quantize") ||
                                               N.isCallTo("batch_norm_scale")
                                           ? "a training-time op; run qatc finalize first"
                                           : "no MIL mapping");
    if (!E)
      continue;
    llvm::Error Rest = llvm::handleErrors(std::move(E), [&](const UnsupportedError &U) {
      Unsupported.push_back(llvm::formatv("'{0}' ({1}: {2})", N.name(), N.opName(), U.reason()));
    });
    if (Rest)
      return Rest;
    // Keep going so that every unsupported node is listed; later uses bind
    // to a placeholder name that is never written.
    L.define(&N, "unsupported_" + sanitizeName(N.name()));
  }
  if (!Unsupported.empty()) {
    std::string List;
    for (const std::string &U : Unsupported)
      List += (List.empty() ? "" : ", ") + U;
    return makeError(llvm::formatv("graph '{0}' has {1} node(s) without a Core ML (MIL) "
                                   "mapping: {2}",
                                   G.name(), Unsupported.size(), List));
  }

  // Block outputs: each a distinct op output (an identity where the output
  // is an input, a parameter or repeated).
  llvm::StringSet<> Seen;
  for (const Node *O : G.output()->operands()) {
    if (llvm::Error E = checkFeatureType(*O, O->type(), "output"))
      return E;
    auto V = L.value(O);
    if (!V)
      return V.takeError();
    std::string Name = *V;
    if (O->isPlaceholder() || O->isGetAttr() || !Seen.insert(Name).second) {
      OpBuilder B(L, "identity", L.freshName(O->name().str() + "_out"));
      B.in("x", Name).out(O->type());
      B.emit();
      Name = B.name();
      Seen.insert(Name);
    }
    Block.add_outputs(Name);
    *Desc->add_output() = outputFeature(Name, O->type());
  }
  Result.Weights = L.blobs().bytes();
  return Result;
}

} // namespace mil
} // namespace qatc
