/*===- qatc_plugin.h - The C ABI of qatc pass plugins -------------*- C -*-===*
 *
 * A qatc plugin is a shared library that exports one function,
 * qatcGetPluginInfo, returning a qatc_plugin_info. qatc checks its ABI
 * version and size, then calls its register_plugin callback with a
 * qatc_host_api: a table of C functions through which the plugin registers
 * passes, prepare hooks and backend patterns, and later reads and changes
 * graphs. Only C types cross this boundary (strings are pointer + length),
 * so a plugin built by any C or C++ compiler works with any qatc that speaks
 * the same ABI version. docs/plugins.md is the guide.
 *
 * ABI rules: QATC_PLUGIN_ABI_VERSION changes whenever a struct below
 * changes layout or a function changes meaning; qatc refuses plugins built
 * for another version. New functions are only ever appended to
 * qatc_host_api, so its struct_size tells a plugin what the host offers.
 *
 *===----------------------------------------------------------------------===*/
#ifndef QATC_PLUGIN_H
#define QATC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. */
#define QATC_PLUGIN_ABI_VERSION 1

/** The name of the one symbol a plugin exports. */
#define QATC_PLUGIN_ENTRY_SYMBOL "qatcGetPluginInfo"

/** Marks the entry point as exported, also under -fvisibility=hidden. */
#if defined(_WIN32)
#define QATC_PLUGIN_EXPORT __declspec(dllexport)
#else
#define QATC_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/** A string: pointer + length, not necessarily NUL-terminated. Strings the
 *  host returns stay valid until the thing they describe changes (a node's
 *  name until the node is renamed or erased). */
typedef struct qatc_string {
  const char *data;
  size_t size;
} qatc_string;

/** Status codes returned by host functions and plugin callbacks. */
typedef int32_t qatc_status;
#define QATC_OK 0
/** Generic failure; the message says more. */
#define QATC_ERROR 1
/** An argument is wrong (unknown op, operand out of range, bad kind). */
#define QATC_INVALID_ARGUMENT 2
/** The call is not allowed here (mutation in a prepare hook, decisions on a
 *  graph no prepare will see). */
#define QATC_NOT_ALLOWED 3

/* Opaque handles. A qatc_node pointer stays valid until the node is erased,
 * a qatc_graph only during the callback it is passed to, a qatc_registrar
 * only during register_plugin. */
typedef struct qatc_graph qatc_graph;
typedef struct qatc_node qatc_node;
typedef struct qatc_registrar qatc_registrar;
typedef struct qatc_error qatc_error;

/** Node kinds (torch.fx's four). */
#define QATC_NODE_PLACEHOLDER 0
#define QATC_NODE_GET_ATTR 1
#define QATC_NODE_CALL 2
#define QATC_NODE_OUTPUT 3

/** Element types. */
#define QATC_DTYPE_F32 0
#define QATC_DTYPE_F16 1
#define QATC_DTYPE_I8 2
#define QATC_DTYPE_U8 3
#define QATC_DTYPE_I32 4
#define QATC_DTYPE_I64 5
#define QATC_DTYPE_BOOL 6

/** Type kinds. */
#define QATC_TYPE_NONE 0
#define QATC_TYPE_TENSOR 1
#define QATC_TYPE_TUPLE 2

/** A node's result type. dims points into the host and stays valid until the
 *  node's type changes; a dimension of -1 is dynamic. */
typedef struct qatc_type {
  int32_t kind;   /* QATC_TYPE_* */
  int32_t dtype;  /* QATC_DTYPE_*, tensors only */
  int32_t ranked; /* 0 for f32[*] */
  int32_t reserved;
  size_t rank;
  const int64_t *dims;
} qatc_type;

/** Attribute kinds. */
#define QATC_ATTR_INT 0
#define QATC_ATTR_FLOAT 1
#define QATC_ATTR_BOOL 2
#define QATC_ATTR_STRING 3
#define QATC_ATTR_INTS 4
#define QATC_ATTR_FLOATS 5
#define QATC_ATTR_STRINGS 6
#define QATC_ATTR_DTYPE 7

/** One attribute. Which value field is meaningful depends on kind:
 *  INT/BOOL/DTYPE: int_value; FLOAT: float_value; STRING: string_value;
 *  INTS: ints + count; FLOATS: floats + count; STRINGS: count only (ABI 1
 *  neither reads nor writes their elements). */
typedef struct qatc_attr {
  qatc_string name;
  int32_t kind;
  int32_t reserved;
  int64_t int_value;
  double float_value;
  qatc_string string_value;
  const int64_t *ints;
  const double *floats;
  size_t count;
} qatc_attr;

/** Quantization roles of ops (the op registry's QuantRole). */
#define QATC_ROLE_NONE 0
#define QATC_ROLE_WEIGHTED 1
#define QATC_ROLE_BINARY 2
#define QATC_ROLE_ACTIVATION 3
#define QATC_ROLE_NORM 4
#define QATC_ROLE_SHARED_QPARAMS 5
#define QATC_ROLE_FIXED_QPARAMS 6
#define QATC_ROLE_QUANTIZATION 7

/** A node's quantization decision, read by prepare. DEFAULT lets the config
 *  decide; FLOAT keeps the node's pattern in float, like a null
 *  module_name_configs entry naming it. */
#define QATC_QUANT_DEFAULT 0
#define QATC_QUANT_FLOAT 1

/** Backend pattern kinds (docs/prepare.md, "The backend pattern table"). */
#define QATC_PATTERN_FLOAT 0
#define QATC_PATTERN_WEIGHTED 1
#define QATC_PATTERN_BINARY 2
#define QATC_PATTERN_NORM 3
#define QATC_PATTERN_ACTIVATION 4
#define QATC_PATTERN_FIXED_QPARAMS 5
#define QATC_PATTERN_SHARED_QPARAMS 6
#define QATC_PATTERN_SCALE_ONLY 7

/** A row of prepare's backend pattern table for an op that has none. Fields
 *  not used by the kind are ignored. */
typedef struct qatc_backend_op {
  qatc_string op;
  int32_t kind;                /* QATC_PATTERN_* */
  int32_t fuses_batch_norm;    /* weighted */
  int32_t act_after_batch_norm;/* weighted */
  int32_t fuses_activation;    /* weighted, binary */
  int32_t combination;         /* binary: add/mul-like for affine schemes */
  int32_t non_negative;        /* activation */
  int64_t weight_axis;         /* weighted */
  double fixed_scale;          /* fixed qparams */
  int64_t fixed_zero_point;    /* fixed qparams */
} qatc_backend_op;

/** A plugin pass or prepare hook. Returns QATC_OK, or another status after
 *  describing the failure with api->set_error(error, ...). */
typedef qatc_status (*qatc_graph_fn)(void *user_data, qatc_graph *graph, qatc_error *error);

/** The functions the host hands a plugin. Every function taking a graph
 *  returns a status; after a failure, last_error(graph) says why. */
typedef struct qatc_host_api {
  uint32_t abi_version; /* QATC_PLUGIN_ABI_VERSION of the host */
  uint32_t struct_size; /* sizeof(qatc_host_api) of the host */

  /* --- Registration: only inside register_plugin. -------------------- */
  /** Registers a pass usable in pipelines (`name` is kebab-case). */
  qatc_status (*register_pass)(qatc_registrar *r, qatc_string name, qatc_string description,
                               qatc_graph_fn run, void *user_data);
  /** Registers a hook every prepare runs before it matches patterns; the
   *  hook reads the graph and sets quantization decisions (no mutation). */
  qatc_status (*register_prepare_hook)(qatc_registrar *r, qatc_string name, qatc_graph_fn run,
                                       void *user_data);
  /** Adds a backend table row for an op that has none. */
  qatc_status (*add_backend_op)(qatc_registrar *r, const qatc_backend_op *row);
  /** Lets a pattern rooted on root_op (weighted, binary or norm) end with a
   *  following activation_op (an activation or fixed-qparams op). */
  qatc_status (*add_fusion)(qatc_registrar *r, qatc_string root_op, qatc_string activation_op);
  /** Describes why a plugin callback fails (the last call wins). */
  void (*set_error)(qatc_error *error, qatc_string message);

  /* --- Reading a graph. ---------------------------------------------- */
  /** Why the most recent failed host call on this graph failed. */
  qatc_string (*last_error)(qatc_graph *g);
  /** The first node in program order, or NULL. */
  qatc_node *(*first_node)(qatc_graph *g);
  /** The node after n, or NULL at the end. */
  qatc_node *(*next_node)(qatc_graph *g, qatc_node *n);
  /** The node named name, or NULL. */
  qatc_node *(*lookup_node)(qatc_graph *g, qatc_string name);
  int32_t (*node_kind)(qatc_graph *g, qatc_node *n);
  /** The op name of a call node (empty for other kinds). */
  qatc_string (*node_op)(qatc_graph *g, qatc_node *n);
  qatc_string (*node_name)(qatc_graph *g, qatc_node *n);
  /** The registry QuantRole of a call's op (QATC_ROLE_NONE otherwise). */
  int32_t (*node_quant_role)(qatc_graph *g, qatc_node *n);
  void (*node_type)(qatc_graph *g, qatc_node *n, qatc_type *out);
  size_t (*num_operands)(qatc_graph *g, qatc_node *n);
  /** Operand i, or NULL when out of range. */
  qatc_node *(*operand)(qatc_graph *g, qatc_node *n, size_t i);
  /** How many operands read n (x + x counts twice). */
  size_t (*num_uses)(qatc_graph *g, qatc_node *n);
  /** Attributes set on n, sorted by name. */
  size_t (*num_attrs)(qatc_graph *g, qatc_node *n);
  qatc_status (*attr_at)(qatc_graph *g, qatc_node *n, size_t i, qatc_attr *out);
  /** The attribute set on n, else its op's default; QATC_INVALID_ARGUMENT
   *  when neither exists. */
  qatc_status (*find_attr)(qatc_graph *g, qatc_node *n, qatc_string name, qatc_attr *out);

  /* --- Changing a graph: passes only. -------------------------------- */
  /** Creates a call of op before insert_before (NULL: at the end) with the
   *  result type inferred; name is a base made unique (empty: from the op). */
  qatc_status (*create_call)(qatc_graph *g, qatc_string op, qatc_string name,
                             qatc_node *const *operands, size_t num_operands,
                             const qatc_attr *attrs, size_t num_attrs, qatc_node *insert_before,
                             qatc_node **out);
  qatc_status (*set_operand)(qatc_graph *g, qatc_node *n, size_t i, qatc_node *value);
  /** Makes every use of from read to instead. */
  qatc_status (*replace_all_uses)(qatc_graph *g, qatc_node *from, qatc_node *to);
  /** Erases a node that nothing reads any more. */
  qatc_status (*erase_node)(qatc_graph *g, qatc_node *n);

  /* --- Quantization decisions: passes and prepare hooks. ------------- */
  qatc_status (*set_quantization)(qatc_graph *g, qatc_node *n, int32_t decision);
  int32_t (*get_quantization)(qatc_graph *g, qatc_node *n);
} qatc_host_api;

/** What qatcGetPluginInfo returns; a plugin keeps it in static storage. */
typedef struct qatc_plugin_info {
  uint32_t abi_version; /* QATC_PLUGIN_ABI_VERSION the plugin was built with */
  uint32_t struct_size; /* sizeof(qatc_plugin_info) the plugin was built with */
  qatc_string name;     /* short plugin name, shown in messages */
  qatc_string version;  /* the plugin's own version, free form */
  /** Called once per load; registers through api with r. */
  qatc_status (*register_plugin)(const qatc_host_api *api, qatc_registrar *r, qatc_error *error);
} qatc_plugin_info;

/** The entry point's type. */
typedef const qatc_plugin_info *(*qatc_get_plugin_info_fn)(void);

/** The entry point every plugin defines (with QATC_PLUGIN_EXPORT). */
QATC_PLUGIN_EXPORT const qatc_plugin_info *qatcGetPluginInfo(void);

/** Defines the entry point of a C plugin named NAME, of version VERSION (both
 *  string literals), whose registration is the function REGISTER. */
#define QATC_DEFINE_C_PLUGIN(NAME, VERSION, REGISTER)                                          \
  QATC_PLUGIN_EXPORT const qatc_plugin_info *qatcGetPluginInfo(void) {                         \
    static const qatc_plugin_info info = {QATC_PLUGIN_ABI_VERSION, sizeof(qatc_plugin_info),     \
                                          {NAME, sizeof(NAME) - 1},                            \
                                          {VERSION, sizeof(VERSION) - 1}, REGISTER};           \
    return &info;                                                                              \
  }

/** Makes a qatc_string from a NUL-terminated literal or C string. */
static inline qatc_string qatc_str(const char *s) {
  qatc_string r;
  size_t n = 0;
  if (s)
    while (s[n])
      ++n;
  r.data = s;
  r.size = n;
  return r;
}

/** True when s equals the NUL-terminated c. */
static inline int qatc_str_eq(qatc_string s, const char *c) {
  size_t i = 0;
  for (; i < s.size; ++i)
    if (c[i] != s.data[i] || c[i] == 0)
      return 0;
  return c[i] == 0;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QATC_PLUGIN_H */
