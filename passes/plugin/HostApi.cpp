//===- HostApi.cpp - The C function table qatc hands to plugins -----------===//
//
// Every entry checks its handles and arguments and answers with a status and,
// on failure, a sentence in the graph's (or registrar's) last error, so a
// plugin's mistake never trips an assertion inside qatc.
//
//===----------------------------------------------------------------------===//
#include "passes/plugin/PluginHost.h"

#include "ir/Builder.h"
#include "passes/quant/BackendPatterns.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {

// The C constants are the C++ enumerators' values.
static_assert(QATC_NODE_OUTPUT == int(NodeKind::Output), "node kinds");
static_assert(QATC_DTYPE_BOOL == int(DType::Bool) && QATC_DTYPE_F32 == int(DType::F32), "dtypes");
static_assert(QATC_ATTR_DTYPE == int(AttrKind::DType) && QATC_ATTR_INTS == int(AttrKind::Ints),
              "attribute kinds");
static_assert(QATC_ROLE_QUANTIZATION == int(QuantRole::Quantization) &&
                  QATC_ROLE_NORM == int(QuantRole::Norm),
              "quantization roles");
static_assert(QATC_PATTERN_SCALE_ONLY == int(PatternKind::ScaleOnly) &&
                  QATC_PATTERN_ACTIVATION == int(PatternKind::Activation),
              "pattern kinds");

namespace {

Node *unwrap(qatc_node *N) { return reinterpret_cast<Node *>(N); }
qatc_node *wrap(Node *N) { return reinterpret_cast<qatc_node *>(N); }

qatc_status fail(qatc_graph *G, qatc_status Status, const llvm::Twine &Message) {
  G->LastError = Message.str();
  return Status;
}

/// True when N is a node of G; otherwise records why not.
bool checkNode(qatc_graph *G, qatc_node *N, llvm::StringRef Function) {
  if (N && unwrap(N)->graph() == &G->G)
    return true;
  G->LastError = (Function + ": the node handle is null or belongs to another graph").str();
  return false;
}

qatc_status refuseMutation(qatc_graph *G, llvm::StringRef Function) {
  return fail(G, QATC_NOT_ALLOWED,
              Function + " cannot change the graph in a prepare hook; register a pass instead");
}

// --- Registration --------------------------------------------------------

qatc_status refuse(qatc_registrar *R, qatc_status Status, const llvm::Twine &Message) {
  if (R->Refused.empty())
    R->Refused = Message.str();
  return Status;
}

qatc_status addCallback(qatc_registrar *R, std::vector<PluginCallback> &To, llvm::StringRef What,
                        qatc_string Name, qatc_string Description, qatc_graph_fn Run,
                        void *UserData) {
  if (!Run)
    return refuse(R, QATC_INVALID_ARGUMENT,
                  What + " '" + fromQatcString(Name) + "' has no run function");
  llvm::StringRef N = fromQatcString(Name);
  for (const PluginCallback &C : To)
    if (C.Name == N)
      return refuse(R, QATC_INVALID_ARGUMENT, What + " '" + N + "' is registered twice");
  To.push_back({N.str(), fromQatcString(Description).str(), Run, UserData});
  return QATC_OK;
}

qatc_status registerPass(qatc_registrar *R, qatc_string Name, qatc_string Description,
                         qatc_graph_fn Run, void *UserData) {
  if (!R)
    return QATC_INVALID_ARGUMENT;
  return addCallback(R, R->Passes, "pass", Name, Description, Run, UserData);
}

qatc_status registerPrepareHook(qatc_registrar *R, qatc_string Name, qatc_graph_fn Run,
                                void *UserData) {
  if (!R)
    return QATC_INVALID_ARGUMENT;
  return addCallback(R, R->Hooks, "prepare hook", Name, {nullptr, 0}, Run, UserData);
}

qatc_status addBackendOpRow(qatc_registrar *R, const qatc_backend_op *Row) {
  if (!R || !Row)
    return QATC_INVALID_ARGUMENT;
  if (Row->kind < QATC_PATTERN_FLOAT || Row->kind > QATC_PATTERN_SCALE_ONLY)
    return refuse(R, QATC_INVALID_ARGUMENT,
                  "the backend row of op '" + fromQatcString(Row->op) + "' has unknown kind " +
                      llvm::Twine(Row->kind));
  R->OpNames.push_back(fromQatcString(Row->op).str());
  R->Rows.push_back(*Row);
  R->Rows.back().op = toQatcString(R->OpNames.back());
  return QATC_OK;
}

qatc_status addFusionRule(qatc_registrar *R, qatc_string RootOp, qatc_string ActivationOp) {
  if (!R)
    return QATC_INVALID_ARGUMENT;
  R->Fusions.emplace_back(fromQatcString(RootOp).str(), fromQatcString(ActivationOp).str());
  return QATC_OK;
}

void setError(qatc_error *E, qatc_string Message) {
  if (E)
    E->Message = fromQatcString(Message).str();
}

// --- Reading -------------------------------------------------------------

qatc_string lastError(qatc_graph *G) { return toQatcString(G->LastError); }

qatc_node *firstNode(qatc_graph *G) {
  return G->G.nodes().empty() ? nullptr : wrap(&G->G.nodes().front());
}

qatc_node *nextNode(qatc_graph *G, qatc_node *N) {
  if (!checkNode(G, N, "next_node"))
    return nullptr;
  Node *Cur = unwrap(N);
  auto It = std::next(Cur->getIterator());
  return It == G->G.nodes().end() ? nullptr : wrap(&*It);
}

qatc_node *lookupNode(qatc_graph *G, qatc_string Name) {
  return wrap(G->G.lookupNode(fromQatcString(Name)));
}

int32_t nodeKind(qatc_graph *G, qatc_node *N) {
  return checkNode(G, N, "node_kind") ? int32_t(unwrap(N)->kind()) : -1;
}

qatc_string nodeOp(qatc_graph *G, qatc_node *N) {
  if (!checkNode(G, N, "node_op") || !unwrap(N)->isCall())
    return {"", 0};
  return toQatcString(unwrap(N)->op()->name());
}

qatc_string nodeName(qatc_graph *G, qatc_node *N) {
  return checkNode(G, N, "node_name") ? toQatcString(unwrap(N)->name()) : qatc_string{"", 0};
}

int32_t nodeQuantRole(qatc_graph *G, qatc_node *N) {
  if (!checkNode(G, N, "node_quant_role") || !unwrap(N)->isCall())
    return QATC_ROLE_NONE;
  return int32_t(unwrap(N)->op()->quantRole());
}

void nodeType(qatc_graph *G, qatc_node *N, qatc_type *Out) {
  if (!Out)
    return;
  *Out = qatc_type{QATC_TYPE_NONE, 0, 0, 0, 0, nullptr};
  if (!checkNode(G, N, "node_type"))
    return;
  const Type &T = unwrap(N)->type();
  Out->kind = T.isTensor() ? QATC_TYPE_TENSOR : T.isTuple() ? QATC_TYPE_TUPLE : QATC_TYPE_NONE;
  if (!T.isTensor())
    return;
  Out->dtype = int32_t(T.dtype());
  Out->ranked = T.hasRank();
  Out->rank = T.hasRank() ? T.rank() : 0;
  Out->dims = T.hasRank() ? T.dims().data() : nullptr;
}

size_t numOperands(qatc_graph *G, qatc_node *N) {
  return checkNode(G, N, "num_operands") ? unwrap(N)->numOperands() : 0;
}

qatc_node *operandAt(qatc_graph *G, qatc_node *N, size_t I) {
  if (!checkNode(G, N, "operand"))
    return nullptr;
  return I < unwrap(N)->numOperands() ? wrap(unwrap(N)->operand(I)) : nullptr;
}

size_t numUses(qatc_graph *G, qatc_node *N) {
  return checkNode(G, N, "num_uses") ? unwrap(N)->numUses() : 0;
}

size_t numAttrs(qatc_graph *G, qatc_node *N) {
  return checkNode(G, N, "num_attrs") ? unwrap(N)->attrs().size() : 0;
}

void describeAttr(llvm::StringRef Name, const Attribute &A, qatc_attr *Out) {
  *Out = qatc_attr{};
  Out->name = toQatcString(Name);
  Out->kind = int32_t(A.kind());
  switch (A.kind()) {
  case AttrKind::Int: Out->int_value = A.getInt(); break;
  case AttrKind::Bool: Out->int_value = A.getBool(); break;
  case AttrKind::DType: Out->int_value = int64_t(A.getDType()); break;
  case AttrKind::Float: Out->float_value = A.getFloat(); break;
  case AttrKind::String: Out->string_value = toQatcString(A.getString()); break;
  case AttrKind::Ints:
    Out->ints = A.getInts().data();
    Out->count = A.getInts().size();
    break;
  case AttrKind::Floats:
    Out->floats = A.getFloats().data();
    Out->count = A.getFloats().size();
    break;
  case AttrKind::Strings: Out->count = A.getStrings().size(); break;
  }
}

qatc_status attrAt(qatc_graph *G, qatc_node *N, size_t I, qatc_attr *Out) {
  if (!checkNode(G, N, "attr_at") || !Out)
    return QATC_INVALID_ARGUMENT;
  llvm::ArrayRef<NamedAttribute> As = unwrap(N)->attrs();
  if (I >= As.size())
    return fail(G, QATC_INVALID_ARGUMENT,
                llvm::formatv("attr_at: node '{0}' has {1} attributes, so there is no #{2}",
                              unwrap(N)->name(), As.size(), I));
  describeAttr(As[I].Name, As[I].Value, Out);
  return QATC_OK;
}

qatc_status findAttr(qatc_graph *G, qatc_node *N, qatc_string Name, qatc_attr *Out) {
  if (!checkNode(G, N, "find_attr") || !Out)
    return QATC_INVALID_ARGUMENT;
  llvm::StringRef Key = fromQatcString(Name);
  const Attribute *A = unwrap(N)->attr(Key);
  if (!A)
    return fail(G, QATC_INVALID_ARGUMENT,
                "find_attr: node '" + unwrap(N)->name() + "' has no attribute '" + Key + "'");
  const OpInfo *Op = unwrap(N)->op();
  // Point the name at storage that outlives this call.
  const AttrSpec *Spec = Op ? Op->attrSpec(Key) : nullptr;
  describeAttr(Spec ? llvm::StringRef(Spec->Name) : Key, *A, Out);
  return QATC_OK;
}

// --- Changing ------------------------------------------------------------

/// The attribute a plugin describes, checked against Op's schema.
llvm::Expected<NamedAttribute> toAttribute(const OpInfo &Op, const qatc_attr &A) {
  llvm::StringRef Name = fromQatcString(A.name);
  const AttrSpec *Spec = Op.attrSpec(Name);
  auto Error = [&](const llvm::Twine &Why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "create_call: attribute '" + Name + "' of op '" + Op.name() +
                                       "' " + Why);
  };
  if (!Spec)
    return Error("does not exist");
  if (A.kind != int32_t(Spec->Kind))
    return Error("must be " + attrKindName(Spec->Kind));
  switch (Spec->Kind) {
  case AttrKind::Int: return NamedAttribute{Name.str(), Attribute(A.int_value)};
  case AttrKind::Bool: return NamedAttribute{Name.str(), Attribute(A.int_value != 0)};
  case AttrKind::Float: return NamedAttribute{Name.str(), Attribute(A.float_value)};
  case AttrKind::String:
    return NamedAttribute{Name.str(), Attribute(fromQatcString(A.string_value).str())};
  case AttrKind::Ints:
    if (A.count && !A.ints)
      return Error("has a null list");
    return NamedAttribute{Name.str(),
                          Attribute(std::vector<int64_t>(A.ints, A.ints + A.count))};
  case AttrKind::Floats:
    if (A.count && !A.floats)
      return Error("has a null list");
    return NamedAttribute{Name.str(),
                          Attribute(std::vector<double>(A.floats, A.floats + A.count))};
  case AttrKind::DType:
    if (A.int_value < 0 || A.int_value >= int64_t(kNumDTypes))
      return Error("has an unknown dtype");
    return NamedAttribute{Name.str(), Attribute(DType(A.int_value))};
  case AttrKind::Strings: return Error("is a string list, which ABI 1 cannot set");
  }
  return Error("has an unknown kind");
}

qatc_status createCall(qatc_graph *G, qatc_string OpName, qatc_string Name,
                       qatc_node *const *Operands, size_t NumOperands, const qatc_attr *Attrs,
                       size_t NumAttrs, qatc_node *InsertBefore, qatc_node **Out) {
  if (!G->AllowMutation)
    return refuseMutation(G, "create_call");
  if (!Out || (NumOperands && !Operands) || (NumAttrs && !Attrs))
    return fail(G, QATC_INVALID_ARGUMENT, "create_call: a null array or result pointer");
  *Out = nullptr;
  const OpInfo *Op = OpRegistry::get().lookup(fromQatcString(OpName));
  if (!Op)
    return fail(G, QATC_INVALID_ARGUMENT,
                "create_call: unknown op '" + fromQatcString(OpName) + "'");
  llvm::SmallVector<Node *, 4> Ops;
  for (size_t I = 0; I < NumOperands; ++I) {
    if (!checkNode(G, Operands[I], "create_call"))
      return QATC_INVALID_ARGUMENT;
    Ops.push_back(unwrap(Operands[I]));
  }
  llvm::SmallVector<NamedAttribute, 0> As;
  for (size_t I = 0; I < NumAttrs; ++I) {
    auto A = toAttribute(*Op, Attrs[I]);
    if (!A)
      return fail(G, QATC_INVALID_ARGUMENT, llvm::toString(A.takeError()));
    As.push_back(std::move(*A));
  }
  Builder B(G->G);
  if (InsertBefore) {
    if (!checkNode(G, InsertBefore, "create_call"))
      return QATC_INVALID_ARGUMENT;
    B.setInsertionPointBefore(unwrap(InsertBefore));
  }
  auto N = B.call(Op->name(), Ops, std::move(As), fromQatcString(Name));
  if (!N)
    return fail(G, QATC_INVALID_ARGUMENT, "create_call: " + llvm::toString(N.takeError()));
  *Out = wrap(*N);
  return QATC_OK;
}

qatc_status setOperand(qatc_graph *G, qatc_node *N, size_t I, qatc_node *Value) {
  if (!G->AllowMutation)
    return refuseMutation(G, "set_operand");
  if (!checkNode(G, N, "set_operand") || !checkNode(G, Value, "set_operand"))
    return QATC_INVALID_ARGUMENT;
  if (I >= unwrap(N)->numOperands())
    return fail(G, QATC_INVALID_ARGUMENT,
                llvm::formatv("set_operand: node '{0}' has {1} operands, so there is no #{2}",
                              unwrap(N)->name(), unwrap(N)->numOperands(), I));
  unwrap(N)->setOperand(I, unwrap(Value));
  return QATC_OK;
}

qatc_status replaceAllUses(qatc_graph *G, qatc_node *From, qatc_node *To) {
  if (!G->AllowMutation)
    return refuseMutation(G, "replace_all_uses");
  if (!checkNode(G, From, "replace_all_uses") || !checkNode(G, To, "replace_all_uses"))
    return QATC_INVALID_ARGUMENT;
  if (From == To)
    return QATC_OK;
  unwrap(From)->replaceAllUsesWith(unwrap(To));
  return QATC_OK;
}

qatc_status eraseNode(qatc_graph *G, qatc_node *N) {
  if (!G->AllowMutation)
    return refuseMutation(G, "erase_node");
  if (!checkNode(G, N, "erase_node"))
    return QATC_INVALID_ARGUMENT;
  Node *X = unwrap(N);
  if (X->hasUses())
    return fail(G, QATC_INVALID_ARGUMENT,
                llvm::formatv("erase_node: node '{0}' still has {1} uses; replace them first",
                              X->name(), X->numUses()));
  if (X->isOutput())
    return fail(G, QATC_INVALID_ARGUMENT, "erase_node: the output node cannot be erased");
  G->G.erase(X);
  return QATC_OK;
}

// --- Quantization decisions ----------------------------------------------

qatc_status setQuantization(qatc_graph *G, qatc_node *N, int32_t Decision) {
  if (!checkNode(G, N, "set_quantization"))
    return QATC_INVALID_ARGUMENT;
  if (!G->Decisions)
    return fail(G, QATC_NOT_ALLOWED,
                "set_quantization: this graph is not headed for prepare (no decision table)");
  llvm::StringRef Name = unwrap(N)->name();
  switch (Decision) {
  case QATC_QUANT_DEFAULT: G->Decisions->clear(Name); return QATC_OK;
  case QATC_QUANT_FLOAT: G->Decisions->keepFloat(Name, G->DecidedBy); return QATC_OK;
  }
  return fail(G, QATC_INVALID_ARGUMENT,
              "set_quantization: unknown decision " + llvm::Twine(Decision));
}

int32_t getQuantization(qatc_graph *G, qatc_node *N) {
  if (!checkNode(G, N, "get_quantization") || !G->Decisions)
    return QATC_QUANT_DEFAULT;
  return G->Decisions->floatDecision(unwrap(N)->name()) ? QATC_QUANT_FLOAT : QATC_QUANT_DEFAULT;
}

qatc_host_api buildTable() {
  qatc_host_api A{};
  A.abi_version = QATC_PLUGIN_ABI_VERSION;
  A.struct_size = sizeof(qatc_host_api);
  A.register_pass = registerPass;
  A.register_prepare_hook = registerPrepareHook;
  A.add_backend_op = addBackendOpRow;
  A.add_fusion = addFusionRule;
  A.set_error = setError;
  A.last_error = lastError;
  A.first_node = firstNode;
  A.next_node = nextNode;
  A.lookup_node = lookupNode;
  A.node_kind = nodeKind;
  A.node_op = nodeOp;
  A.node_name = nodeName;
  A.node_quant_role = nodeQuantRole;
  A.node_type = nodeType;
  A.num_operands = numOperands;
  A.operand = operandAt;
  A.num_uses = numUses;
  A.num_attrs = numAttrs;
  A.attr_at = attrAt;
  A.find_attr = findAttr;
  A.create_call = createCall;
  A.set_operand = setOperand;
  A.replace_all_uses = replaceAllUses;
  A.erase_node = eraseNode;
  A.set_quantization = setQuantization;
  A.get_quantization = getQuantization;
  return A;
}

} // namespace

const qatc_host_api &pluginHostApi() {
  static const qatc_host_api Table = buildTable();
  return Table;
}

} // namespace qatc
