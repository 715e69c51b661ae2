/* acpi-private.h: building a VmmAcpiTables set, shared by the table
 * generators.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "acpi.h"

#define VMM_ACPI_HEADER_SIZE 36
#define VMM_ACPI_CHECKSUM_OFFSET 9

VmmAcpiTables *vmm_acpi_tables_new (void);

/* Adds a blob (taking @data) and returns its index. */
guint vmm_acpi_tables_add_blob (VmmAcpiTables *t, const char *name, GByteArray *data,
                                uint32_t align, VmmAcpiZone zone);
void vmm_acpi_tables_add_pointer (VmmAcpiTables *t, guint blob, uint32_t offset, uint8_t size,
                                  guint target);
void vmm_acpi_tables_add_checksum (VmmAcpiTables *t, guint blob, uint32_t offset,
                                   uint32_t start, uint32_t length);

/* A new table with its standard 36-byte header (length and checksum still
 * 0). */
GByteArray *vmm_acpi_table_new (const char signature[4], uint8_t revision);
/* Sets the header's length, adds the table as blob "etc/acpi/<sig>" with
 * a checksum over all of it, and returns the blob's index. */
guint vmm_acpi_tables_add_table (VmmAcpiTables *t, GByteArray *table);

/* The DSDT for @cfg (validated by the caller), header included. */
GByteArray *vmm_acpi_build_dsdt (const VmmAcpiConfig *cfg);
