/* spice-module.h: the SPICE server as a module loaded on first use.
 *
 * libspice-server pulls in about twenty libraries (GStreamer, OpenSSL,
 * Opus, libstdc++, ...). Linked into the monitor they cost every machine
 * about 5 MiB of resident memory and their relocation time at start-up,
 * display or not. So the server (spice.c and its helpers) is built as a
 * shared module, vireo-vmm-spice.so, that the monitor loads the first time
 * a machine with a display creates its server; a headless machine never
 * maps it.
 *
 * The module exports one table; everything else in it stays private. It
 * calls back into the monitor's VmmDisplay (display.c, linked into every
 * executable), which is why those executables export vmm_display_*.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "spice.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Bumped whenever the table changes; the loader refuses a module built
 * from other sources (a stale install next to a new monitor). */
#define VMM_SPICE_MODULE_ABI 1
#define VMM_SPICE_MODULE_SYMBOL "vmm_spice_module"

typedef struct {
  uint32_t abi;             /* VMM_SPICE_MODULE_ABI */
  uint32_t size;            /* sizeof (VmmSpiceModule) */
  const char *version;      /* PACKAGE_VERSION of the build */
  VmmSpice *(*server_new)     (VmmDisplay *display, GError **error);
  void      (*server_free)    (VmmSpice *spice);
  bool      (*parse_address)  (const char *spec, VmmSpiceAddress *address, GError **error);
  bool      (*listen)         (VmmSpice *spice, const VmmSpiceAddress *address, GError **error);
  int       (*open_client_fd) (VmmSpice *spice, GError **error);
} VmmSpiceModule;

/* Loads the module once per process (it is never unloaded) and returns
 * its table, or NULL with an error saying which file could not be used.
 * Thread-safe. */
const VmmSpiceModule *vmm_spice_module_load (GError **error);
