/* acpi.h: the ACPI tables the monitor generates for its x86 PC.
 *
 * A VmmAcpiTables is a set of named blobs (RSDP, XSDT, FADT, FACS, DSDT,
 * MADT, MCFG) plus the fix-ups between them: pointer fields that must hold
 * another blob's address and checksum bytes over ranges. That is the shape
 * of QEMU's fw_cfg "etc/table-loader" interface (ALLOCATE, ADD_POINTER,
 * ADD_CHECKSUM), so firmware boot can be fed the same set; Linux direct
 * boot uses vmm_acpi_place(), which applies the fix-ups itself.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct {
  unsigned n_cpus;            /* 1..255 */
  const uint32_t *apic_ids;   /* n_cpus entries, unique, each < 255 (x2APIC not needed) */
  uint64_t pci_mmio64_base;   /* start of the 64-bit PCI window (above high RAM); size VMM_PCI_MMIO64_SIZE */
  gboolean has_ecam;          /* MCFG + the ECAM region reserved in the DSDT (PNP0C02) */
} VmmAcpiConfig;

typedef struct _VmmAcpiTables VmmAcpiTables;

/* Builds the tables for @cfg; errors (G_IO_ERROR_INVALID_ARGUMENT) for a
 * configuration the tables cannot describe. */
VmmAcpiTables *vmm_acpi_build (const VmmAcpiConfig *cfg, GError **error);
void vmm_acpi_free (VmmAcpiTables *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmAcpiTables, vmm_acpi_free)

/* Direct boot: lays all tables out from @base_gpa in @buf (@buf_len bytes,
 * all of it rewritten: unused bytes become 0), RSDP first (16-byte
 * aligned, so the BIOS-area scan finds it at VMM_ACPI_TABLES_START),
 * applies the pointers and the checksums. Errors (G_IO_ERROR_NO_SPACE)
 * when the tables do not fit. @t itself is left as it was. */
gboolean vmm_acpi_place (VmmAcpiTables *t, uint64_t base_gpa, uint8_t *buf, size_t buf_len,
                         uint64_t *rsdp_gpa, GError **error);

/* The IOAPIC ID the MADT gives for @cfg: one no CPU uses (n_cpus when
 * free). The machine programs its IOAPIC with it. */
uint8_t vmm_acpi_ioapic_id (const VmmAcpiConfig *cfg);

/* The IOAPIC GSI that the DSDT's _PRT routes PCI @slot's INTx @pin
 * (0 = INTA .. 3 = INTD) to: GSIs 16..23, swizzled by slot. */
unsigned vmm_acpi_pci_gsi (unsigned slot, unsigned pin);

/* The fw_cfg table-loader view of the set. Blob data is as built: pointer
 * fields hold an offset into their target blob, checksum bytes are 0. */
typedef enum {
  VMM_ACPI_ZONE_HIGH = 1,     /* anywhere below 4 GiB */
  VMM_ACPI_ZONE_FSEG = 2,     /* the BIOS F-segment (the RSDP) */
} VmmAcpiZone;

typedef struct {
  const char *name;           /* fw_cfg file name, e.g. "etc/acpi/rsdp" (< 56 bytes) */
  const uint8_t *data;
  size_t len;
  uint32_t align;             /* power of two */
  VmmAcpiZone zone;
} VmmAcpiBlob;

/* ADD_POINTER: add the guest address of blob @target to the @size-byte
 * little-endian field at @offset in blob @blob. */
typedef struct {
  guint blob;
  uint32_t offset;
  uint8_t size;               /* 1, 2, 4 or 8 */
  guint target;
} VmmAcpiPointer;

/* ADD_CHECKSUM: make the bytes [start, start + length) of blob @blob sum
 * to 0 by adjusting the byte at @offset (inside the range). Applied in
 * order, after all pointers. */
typedef struct {
  guint blob;
  uint32_t offset;
  uint32_t start;
  uint32_t length;
} VmmAcpiChecksum;

guint vmm_acpi_n_blobs (const VmmAcpiTables *t);
void vmm_acpi_get_blob (const VmmAcpiTables *t, guint index, VmmAcpiBlob *out);
/* The index of the blob holding the table with @signature ("RSD PTR " for
 * the RSDP, else 4 characters: "FACP", "APIC", ...), or -1. */
int vmm_acpi_find_blob (const VmmAcpiTables *t, const char *signature);
guint vmm_acpi_n_pointers (const VmmAcpiTables *t);
const VmmAcpiPointer *vmm_acpi_get_pointer (const VmmAcpiTables *t, guint index);
guint vmm_acpi_n_checksums (const VmmAcpiTables *t);
const VmmAcpiChecksum *vmm_acpi_get_checksum (const VmmAcpiTables *t, guint index);
