//===- qatc_plugin.hpp - A header-only C++ wrapper over qatc_plugin.h -*- C++ -*-===//
//
// For plugin authors who write C++17: graph and node handles with methods,
// host failures as exceptions (qatc_plugin::Error), callbacks as lambdas,
// and QATC_DEFINE_PLUGIN for the entry point. Everything here is inline and
// only calls the C function table, so the plugin still exchanges nothing but
// C types with qatc and may use any C++ standard library. Exceptions never
// cross into qatc: the trampolines turn them into an error status + message.
//
//   QATC_DEFINE_PLUGIN("my-plugin", "1.0", [](qatc_plugin::Registrar &R) {
//     R.addPass("count-relus", "Fails when the graph has no relu",
//               [](qatc_plugin::Graph &G) { ... });
//   })
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PLUGIN_HPP
#define QATC_PLUGIN_HPP

#include "qatc_plugin.h"

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qatc_plugin {

/// A failed host call, or a failure a callback reports by throwing.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

inline qatc_string str(std::string_view S) { return {S.data(), S.size()}; }
inline std::string_view view(qatc_string S) {
  return S.data ? std::string_view(S.data, S.size) : std::string_view();
}

/// An attribute to set on a new node.
struct Attr {
  qatc_attr Raw{};
  std::vector<int64_t> IntsStorage;
  std::vector<double> FloatsStorage;

  static Attr i(std::string_view Name, int64_t V) { return make(Name, QATC_ATTR_INT, [&](qatc_attr &A) { A.int_value = V; }); }
  static Attr b(std::string_view Name, bool V) { return make(Name, QATC_ATTR_BOOL, [&](qatc_attr &A) { A.int_value = V; }); }
  static Attr f(std::string_view Name, double V) { return make(Name, QATC_ATTR_FLOAT, [&](qatc_attr &A) { A.float_value = V; }); }
  /// The string must outlive the createCall that uses it.
  static Attr s(std::string_view Name, std::string_view V) { return make(Name, QATC_ATTR_STRING, [&](qatc_attr &A) { A.string_value = str(V); }); }
  static Attr ints(std::string_view Name, std::vector<int64_t> V) {
    Attr A = make(Name, QATC_ATTR_INTS, [](qatc_attr &) {});
    A.IntsStorage = std::move(V);
    return A;
  }
  static Attr floats(std::string_view Name, std::vector<double> V) {
    Attr A = make(Name, QATC_ATTR_FLOATS, [](qatc_attr &) {});
    A.FloatsStorage = std::move(V);
    return A;
  }

  /// The C form; valid while this Attr lives and is not moved.
  const qatc_attr &raw() {
    Raw.ints = IntsStorage.data();
    Raw.floats = FloatsStorage.data();
    Raw.count = Raw.kind == QATC_ATTR_INTS ? IntsStorage.size()
                : Raw.kind == QATC_ATTR_FLOATS ? FloatsStorage.size() : 0;
    return Raw;
  }

private:
  template <typename Fn> static Attr make(std::string_view Name, int32_t Kind, Fn Set) {
    Attr A;
    A.Raw.name = str(Name);
    A.Raw.kind = Kind;
    Set(A.Raw);
    return A;
  }
};

/// A node's result type.
struct Type {
  int32_t Kind = QATC_TYPE_NONE;
  int32_t DType = 0;
  bool Ranked = false;
  std::vector<int64_t> Dims;

  bool isTensor() const { return Kind == QATC_TYPE_TENSOR; }
  bool isFloat() const { return isTensor() && (DType == QATC_DTYPE_F32 || DType == QATC_DTYPE_F16); }
};

class Graph;

/// A node handle; cheap to copy, valid until the node is erased.
class Node {
public:
  Node() = default;
  Node(const qatc_host_api *A, qatc_graph *G, qatc_node *N) : A(A), G(G), N(N) {}

  explicit operator bool() const { return N != nullptr; }
  bool operator==(const Node &O) const { return N == O.N; }
  bool operator!=(const Node &O) const { return N != O.N; }
  qatc_node *handle() const { return N; }

  int32_t kind() const { return A->node_kind(G, N); }
  bool isCall() const { return kind() == QATC_NODE_CALL; }
  /// The op name of a call, else empty.
  std::string_view op() const { return view(A->node_op(G, N)); }
  std::string_view name() const { return view(A->node_name(G, N)); }
  /// The op's QuantRole (QATC_ROLE_*).
  int32_t quantRole() const { return A->node_quant_role(G, N); }
  Type type() const {
    qatc_type T;
    A->node_type(G, N, &T);
    Type R;
    R.Kind = T.kind;
    R.DType = T.dtype;
    R.Ranked = T.ranked != 0;
    if (T.dims)
      R.Dims.assign(T.dims, T.dims + T.rank);
    return R;
  }
  size_t numOperands() const { return A->num_operands(G, N); }
  Node operand(size_t I) const { return Node(A, G, A->operand(G, N, I)); }
  size_t numUses() const { return A->num_uses(G, N); }

  /// The attribute set on the node or its op's default; nullopt if neither.
  std::optional<qatc_attr> attr(std::string_view Name) const {
    qatc_attr R;
    if (A->find_attr(G, N, str(Name), &R) != QATC_OK)
      return std::nullopt;
    return R;
  }
  std::optional<int64_t> intAttr(std::string_view Name) const {
    auto R = attr(Name);
    return R && R->kind == QATC_ATTR_INT ? std::optional<int64_t>(R->int_value) : std::nullopt;
  }
  std::optional<double> floatAttr(std::string_view Name) const {
    auto R = attr(Name);
    return R && R->kind == QATC_ATTR_FLOAT ? std::optional<double>(R->float_value) : std::nullopt;
  }

  void setOperand(size_t I, Node V) const { check(A->set_operand(G, N, I, V.N)); }
  void replaceAllUsesWith(Node To) const { check(A->replace_all_uses(G, N, To.N)); }
  void erase() const { check(A->erase_node(G, N)); }
  /// Keeps this node's pattern in float when prepare runs.
  void keepFloat() const { check(A->set_quantization(G, N, QATC_QUANT_FLOAT)); }
  bool keptFloat() const { return A->get_quantization(G, N) == QATC_QUANT_FLOAT; }

private:
  friend class Graph;
  void check(qatc_status S) const {
    if (S != QATC_OK)
      throw Error(std::string(view(A->last_error(G))));
  }

  const qatc_host_api *A = nullptr;
  qatc_graph *G = nullptr;
  qatc_node *N = nullptr;
};

/// The graph a pass or prepare hook works on.
class Graph {
public:
  Graph(const qatc_host_api *A, qatc_graph *G) : A(A), G(G) {}

  /// Iterates in program order; take the next node before erasing one.
  class iterator {
  public:
    iterator(const qatc_host_api *A, qatc_graph *G, qatc_node *N) : A(A), G(G), N(N) {}
    Node operator*() const { return Node(A, G, N); }
    iterator &operator++() {
      N = A->next_node(G, N);
      return *this;
    }
    bool operator!=(const iterator &O) const { return N != O.N; }

  private:
    const qatc_host_api *A;
    qatc_graph *G;
    qatc_node *N;
  };
  iterator begin() const { return iterator(A, G, A->first_node(G)); }
  iterator end() const { return iterator(A, G, nullptr); }

  /// Every node, in program order (a snapshot: safe to change the graph).
  std::vector<Node> nodes() const {
    std::vector<Node> R;
    for (Node N : *this)
      R.push_back(N);
    return R;
  }
  Node lookup(std::string_view Name) const { return Node(A, G, A->lookup_node(G, str(Name))); }

  /// A call of Op with its type inferred, before Before (or at the end);
  /// Name is a base made unique (empty: from the op).
  Node createCall(std::string_view Op, const std::vector<Node> &Operands,
                  std::vector<Attr> Attrs = {}, std::string_view Name = {},
                  Node Before = Node()) const {
    std::vector<qatc_node *> Ops;
    for (const Node &O : Operands)
      Ops.push_back(O.handle());
    std::vector<qatc_attr> Raw;
    for (Attr &At : Attrs)
      Raw.push_back(At.raw());
    qatc_node *Out = nullptr;
    qatc_status S = A->create_call(G, str(Op), str(Name), Ops.data(), Ops.size(), Raw.data(),
                                   Raw.size(), Before.handle(), &Out);
    if (S != QATC_OK)
      throw Error(std::string(view(A->last_error(G))));
    return Node(A, G, Out);
  }

private:
  const qatc_host_api *A;
  qatc_graph *G;
};

/// A pass or prepare hook body; throw to fail.
using GraphFn = std::function<void(Graph &)>;

namespace detail {
struct Callback {
  const qatc_host_api *A;
  GraphFn Fn;
};

inline qatc_status trampoline(void *UserData, qatc_graph *G, qatc_error *E) {
  auto *C = static_cast<Callback *>(UserData);
  try {
    Graph Gr(C->A, G);
    C->Fn(Gr);
    return QATC_OK;
  } catch (const std::exception &Ex) {
    C->A->set_error(E, str(Ex.what()));
  } catch (...) {
    C->A->set_error(E, str("unknown C++ exception"));
  }
  return QATC_ERROR;
}
} // namespace detail

/// What a plugin's register function receives.
class Registrar {
public:
  Registrar(const qatc_host_api *A, qatc_registrar *R) : A(A), R(R) {}

  const qatc_host_api &api() const { return *A; }

  void addPass(std::string_view Name, std::string_view Description, GraphFn Fn) {
    check(A->register_pass(R, str(Name), str(Description), detail::trampoline,
                           new detail::Callback{A, std::move(Fn)}),
          "register_pass");
  }
  void addPrepareHook(std::string_view Name, GraphFn Fn) {
    check(A->register_prepare_hook(R, str(Name), detail::trampoline,
                                   new detail::Callback{A, std::move(Fn)}),
          "register_prepare_hook");
  }
  void addFusion(std::string_view RootOp, std::string_view ActivationOp) {
    check(A->add_fusion(R, str(RootOp), str(ActivationOp)), "add_fusion");
  }
  void addBackendOp(const qatc_backend_op &Row) { check(A->add_backend_op(R, &Row), "add_backend_op"); }

private:
  static void check(qatc_status S, const char *What) {
    if (S != QATC_OK)
      throw Error(std::string(What) + " was refused");
  }
  const qatc_host_api *A;
  qatc_registrar *R;
};

namespace detail {
inline qatc_status registerWith(void (*Fn)(Registrar &), const qatc_host_api *A,
                                qatc_registrar *R, qatc_error *E) {
  try {
    Registrar Reg(A, R);
    Fn(Reg);
    return QATC_OK;
  } catch (const std::exception &Ex) {
    A->set_error(E, str(Ex.what()));
  } catch (...) {
    A->set_error(E, str("unknown C++ exception"));
  }
  return QATC_ERROR;
}
} // namespace detail

} // namespace qatc_plugin

/// Defines qatcGetPluginInfo for a plugin named NAME (a string literal) of
/// version VERSION whose registration is REGISTER, a captureless lambda or
/// function taking qatc_plugin::Registrar &.
#define QATC_DEFINE_PLUGIN(NAME, VERSION, REGISTER)                                            \
  static qatc_status qatcPluginRegister(const qatc_host_api *A, qatc_registrar *R,               \
                                        qatc_error *E) {                                       \
    void (*Fn)(qatc_plugin::Registrar &) = REGISTER;                                           \
    return qatc_plugin::detail::registerWith(Fn, A, R, E);                                     \
  }                                                                                            \
  QATC_DEFINE_C_PLUGIN(NAME, VERSION, qatcPluginRegister)

#endif // QATC_PLUGIN_HPP
