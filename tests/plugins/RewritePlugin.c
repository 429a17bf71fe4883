/*===- RewritePlugin.c - Test plugin: passes that change or reject graphs ---===*
 *
 * Passes written in plain C against the host function table:
 *   relu6-to-clamp     rewrites every f32 relu6 into clamp{min=0, max=6}
 *                      (reads op, type; creates a node; replaces uses; erases);
 *   forbid-sigmoid     fails, naming the node, when the graph holds a sigmoid
 *                      (a plugin pass reporting an error);
 *   keep-binary-float  asks a later prepare in the same pipeline to keep every
 *                      binary op (add, sub, mul, matmul) in float.
 *
 *===----------------------------------------------------------------------===*/
#include "qatc_plugin.h"

#include <stdio.h>
#include <string.h>

static const qatc_host_api *api;

/* Copies the host's last error into the callback's error. */
static qatc_status hostFailed(qatc_graph *g, qatc_error *error) {
  api->set_error(error, api->last_error(g));
  return QATC_ERROR;
}

static qatc_status relu6ToClamp(void *user_data, qatc_graph *g, qatc_error *error) {
  (void)user_data;
  qatc_node *n = api->first_node(g);
  while (n) {
    qatc_node *next = api->next_node(g, n);
    qatc_type t;
    api->node_type(g, n, &t);
    if (qatc_str_eq(api->node_op(g, n), "relu6") && t.kind == QATC_TYPE_TENSOR &&
        t.dtype == QATC_DTYPE_F32) {
      qatc_attr attrs[2];
      memset(attrs, 0, sizeof(attrs));
      attrs[0].name = qatc_str("min");
      attrs[0].kind = QATC_ATTR_FLOAT;
      attrs[0].float_value = 0.0;
      attrs[1].name = qatc_str("max");
      attrs[1].kind = QATC_ATTR_FLOAT;
      attrs[1].float_value = 6.0;
      qatc_node *input = api->operand(g, n, 0);
      qatc_node *clamp = NULL;
      if (api->create_call(g, qatc_str("clamp"), qatc_str(""), &input, 1, attrs, 2, n, &clamp) !=
              QATC_OK ||
          api->replace_all_uses(g, n, clamp) != QATC_OK || api->erase_node(g, n) != QATC_OK)
        return hostFailed(g, error);
    }
    n = next;
  }
  return QATC_OK;
}

static qatc_status forbidSigmoid(void *user_data, qatc_graph *g, qatc_error *error) {
  (void)user_data;
  for (qatc_node *n = api->first_node(g); n; n = api->next_node(g, n)) {
    if (!qatc_str_eq(api->node_op(g, n), "sigmoid"))
      continue;
    char message[256];
    qatc_string name = api->node_name(g, n);
    snprintf(message, sizeof(message), "node '%.*s' is a sigmoid, which this target cannot run",
             (int)name.size, name.data);
    api->set_error(error, qatc_str(message));
    return QATC_ERROR;
  }
  return QATC_OK;
}

static qatc_status keepBinaryFloat(void *user_data, qatc_graph *g, qatc_error *error) {
  (void)user_data;
  for (qatc_node *n = api->first_node(g); n; n = api->next_node(g, n))
    if (api->node_quant_role(g, n) == QATC_ROLE_BINARY &&
        api->set_quantization(g, n, QATC_QUANT_FLOAT) != QATC_OK)
      return hostFailed(g, error);
  return QATC_OK;
}

static qatc_status registerPasses(const qatc_host_api *host, qatc_registrar *r,
                                  qatc_error *error) {
  (void)error;
  api = host;
  if (api->register_pass(r, qatc_str("relu6-to-clamp"),
                         qatc_str("Rewrite f32 relu6 into clamp{min=0, max=6}"), relu6ToClamp,
                         NULL) != QATC_OK ||
      api->register_pass(r, qatc_str("forbid-sigmoid"),
                         qatc_str("Fail when the graph holds a sigmoid"), forbidSigmoid,
                         NULL) != QATC_OK ||
      api->register_pass(r, qatc_str("keep-binary-float"),
                         qatc_str("Keep binary ops in float in a later prepare"), keepBinaryFloat,
                         NULL) != QATC_OK)
    return QATC_ERROR;
  return QATC_OK;
}

QATC_DEFINE_C_PLUGIN("rewrite", "1.0", registerPasses)
