/*===- SubReluFusion.c - Example plugin: fuse sub + relu in prepare ---------===*
 *
 * prepare fuses an activation after add, mul and matmul but not after sub
 * (coremltools' backend config has no sub + relu pattern), so `relu(x - y)`
 * gets a fake quant after the sub and another after the relu. This plugin
 * adds the fusion to prepare's backend table: one pattern, one output fake
 * quant after the relu. Plain C against qatc_plugin.h; the tests build it
 * with clang-16.
 *
 *===----------------------------------------------------------------------===*/
#include "qatc_plugin.h"

static qatc_status registerFusion(const qatc_host_api *api, qatc_registrar *r, qatc_error *error) {
  if (api->add_fusion(r, qatc_str("sub"), qatc_str("relu")) != QATC_OK) {
    api->set_error(error, qatc_str("the host refused the sub + relu fusion"));
    return QATC_ERROR;
  }
  return QATC_OK;
}

QATC_DEFINE_C_PLUGIN("sub-relu-fusion", "1.0", registerFusion)
