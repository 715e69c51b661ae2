/* acpi-loader.h: ACPI tables for firmware, the way QEMU hands them over:
 * the fw_cfg files "etc/acpi/tables" (every table but the RSDP),
 * "etc/acpi/rsdp" and "etc/table-loader", a list of commands that tells
 * the firmware where to put each file (ALLOCATE), which fields to patch
 * with another file's address (ADD_POINTER) and which checksums to fix
 * (ADD_CHECKSUM). SeaBIOS and OVMF both run that list, so the tables are
 * the monitor's own whichever firmware boots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "firmware/fw-cfg.h"
#include "x86/acpi.h"

#include <glib.h>

/* The table-loader's fixed-size command records. */
#define VMM_LOADER_ENTRY_SIZE        128
#define VMM_LOADER_FILE_SIZE         56

#define VMM_LOADER_CMD_ALLOCATE      1
#define VMM_LOADER_CMD_ADD_POINTER   2
#define VMM_LOADER_CMD_ADD_CHECKSUM  3

/* Field offsets within a record, after the 4-byte little-endian command. */
#define VMM_LOADER_ALLOC_FILE        4
#define VMM_LOADER_ALLOC_ALIGN       60
#define VMM_LOADER_ALLOC_ZONE        64
#define VMM_LOADER_PTR_DEST          4
#define VMM_LOADER_PTR_SRC           60
#define VMM_LOADER_PTR_OFFSET        116
#define VMM_LOADER_PTR_SIZE          120
#define VMM_LOADER_CSUM_FILE         4
#define VMM_LOADER_CSUM_OFFSET       60
#define VMM_LOADER_CSUM_START        64
#define VMM_LOADER_CSUM_LENGTH       68

#define VMM_LOADER_TABLES_FILE       "etc/acpi/tables"
#define VMM_LOADER_COMMANDS_FILE     "etc/table-loader"

/* Adds the files for @tables to @fw: every high-zone blob packed into
 * "etc/acpi/tables" (each at its alignment), every F-segment blob (the
 * RSDP) as a file of its own name, and the commands. Errors
 * (G_IO_ERROR_INVALID_DATA) when a pointer cannot be expressed or the
 * files exist already. */
gboolean vmm_fw_cfg_add_acpi (VmmFwCfg *fw, const VmmAcpiTables *tables, GError **error);
