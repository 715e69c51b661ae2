/* spice-module.c: the one symbol the SPICE server module exports.
 *
 * Built only into vireo-vmm-spice.so (see spice-module.h); the loader in
 * the monitor looks the table up by name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include "spice-module.h"

/* Declared here because nothing but the loader's dlsym() uses it. */
extern const VmmSpiceModule vmm_spice_module;

__attribute__ ((visibility ("default")))
const VmmSpiceModule vmm_spice_module = {
  .abi = VMM_SPICE_MODULE_ABI,
  .size = sizeof (VmmSpiceModule),
  .version = PACKAGE_VERSION,
  .server_new = vmm_spice_new,
  .server_free = vmm_spice_free,
  .parse_address = vmm_spice_parse_address,
  .listen = vmm_spice_listen,
  .open_client_fd = vmm_spice_open_client_fd,
};
