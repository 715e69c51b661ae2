/* smbios.h: SMBIOS tables for the firmware to publish, handed over the
 * way QEMU does: "etc/smbios/smbios-anchor" (a 2.8 entry point whose table
 * address the firmware fills in) and "etc/smbios/smbios-tables" (the
 * structures). The firmware adds its own BIOS information (type 0).
 *
 * The OS sees what system it runs on (type 1, with the machine's UUID,
 * which Windows activation and cloud-init key on), its processor (type 4)
 * and its memory (types 16, 17, 19).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "firmware/fw-cfg.h"

#include <glib.h>
#include <stdint.h>

#define VMM_SMBIOS_ANCHOR_FILE "etc/smbios/smbios-anchor"
#define VMM_SMBIOS_TABLES_FILE "etc/smbios/smbios-tables"

typedef struct {
  const uint8_t *uuid;        /* 16 bytes in RFC 4122 (big-endian) order; NULL: none */
  unsigned n_cpus;            /* cores of the one socket, 1..255 */
  uint64_t ram_size;          /* all RAM */
  uint64_t lowmem_size;       /* of which at 0; the rest from 4 GiB */
} VmmSmbiosConfig;

/* Adds both files, and the UUID as FW_CFG_UUID. Errors
 * (G_IO_ERROR_INVALID_ARGUMENT) for a configuration the tables cannot
 * describe or when the files exist. */
gboolean vmm_fw_cfg_add_smbios (VmmFwCfg *fw, const VmmSmbiosConfig *cfg, GError **error);
