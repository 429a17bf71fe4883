/*===- BrokenPlugin.c - Test plugins qatc must refuse ------------------------===*
 *
 * One source, built once per defect (tests/plugins/BUILD.bazel):
 *   BROKEN_ABI        claims qatc plugin ABI 3
 *   BROKEN_SIZE       declares an 8-byte qatc_plugin_info
 *   BROKEN_NO_ENTRY   exports no qatcGetPluginInfo
 *   BROKEN_DUPLICATE  registers pass 'dce', a built-in
 *   BROKEN_NAME       registers a pass whose name is not kebab-case
 *   BROKEN_REGISTER   fails in register_plugin with a message
 *   BROKEN_HOOK       a prepare hook that tries to change the graph
 *
 *===----------------------------------------------------------------------===*/
#include "qatc_plugin.h"

static const qatc_host_api *api;

static qatc_status doNothing(void *user_data, qatc_graph *g, qatc_error *error) {
  (void)user_data;
  (void)g;
  (void)error;
  return QATC_OK;
}

/* Erasing the output node is refused anyway; in a hook any change is. */
static qatc_status changeInHook(void *user_data, qatc_graph *g, qatc_error *error) {
  (void)user_data;
  if (api->erase_node(g, api->first_node(g)) != QATC_OK) {
    api->set_error(error, api->last_error(g));
    return QATC_ERROR;
  }
  return QATC_OK;
}

static qatc_status registerBroken(const qatc_host_api *host, qatc_registrar *r,
                                  qatc_error *error) {
  api = host;
#if defined(BROKEN_DUPLICATE)
  api->register_pass(r, qatc_str("dce"), qatc_str("a second dce"), doNothing, 0);
#elif defined(BROKEN_NAME)
  api->register_pass(r, qatc_str("Broken_Pass"), qatc_str(""), doNothing, 0);
#elif defined(BROKEN_REGISTER)
  api->set_error(error, qatc_str("its table of supported models is missing"));
  return QATC_ERROR;
#elif defined(BROKEN_HOOK)
  api->register_prepare_hook(r, qatc_str("change-in-hook"), changeInHook, 0);
#else
  api->register_pass(r, qatc_str("broken-pass"), qatc_str(""), doNothing, 0);
#endif
  (void)error;
  (void)doNothing;
  (void)changeInHook;
  return QATC_OK;
}

static const qatc_plugin_info *info(void) {
  static qatc_plugin_info i;
  i.abi_version = QATC_PLUGIN_ABI_VERSION;
  i.struct_size = sizeof(qatc_plugin_info);
#if defined(BROKEN_ABI)
  i.abi_version = 3;
#elif defined(BROKEN_SIZE)
  i.struct_size = 8;
#endif
  i.name = qatc_str("broken");
  i.version = qatc_str("0");
  i.register_plugin = registerBroken;
  return &i;
}

#if defined(BROKEN_NO_ENTRY)
QATC_PLUGIN_EXPORT const qatc_plugin_info *qatcGetPluginInformation(void) { return info(); }
#else
QATC_PLUGIN_EXPORT const qatc_plugin_info *qatcGetPluginInfo(void) { return info(); }
#endif
