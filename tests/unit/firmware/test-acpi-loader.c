/* test-acpi-loader.c: the ACPI tables as fw_cfg files plus table-loader
 * commands, run by a small interpreter that plays the firmware (allocate,
 * load by DMA, patch pointers, fix checksums) and then walks the result
 * the way an OS does: RSDP -> XSDT -> FADT -> DSDT/FACS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fw-cfg-guest.h"

#include <gio/gio.h>

#include "firmware/acpi-loader.h"
#include "x86/layout.h"

#define SCRATCH_GPA  0x40000ull
#define HIGH_GPA     0x80000ull    /* where the "firmware" allocates HIGH */
#define FSEG_GPA     0xf0000ull    /* and FSEG */
#define MAX_ALLOCS   8

typedef struct {
  char name[VMM_LOADER_FILE_SIZE];
  uint64_t gpa;
  uint32_t size;
  uint32_t align;
  uint8_t zone;
} Alloc;

typedef struct {
  Guest g;
  Alloc allocs[MAX_ALLOCS];
  unsigned n_allocs, n_pointers, n_checksums;
  uint64_t next_high, next_fseg;
} Firmware;

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t) vmm_le_get (p, 4);
}

static uint64_t
le64 (const uint8_t *p)
{
  return vmm_le_get (p, 8);
}

static uint8_t
sum (const uint8_t *p, size_t len)
{
  uint8_t s = 0;

  for (size_t i = 0; i < len; i++)
    s = (uint8_t) (s + p[i]);
  return s;
}

static Alloc *
find_alloc (Firmware *fw, const uint8_t *name_field)
{
  char name[VMM_LOADER_FILE_SIZE + 1] = { 0 };

  memcpy (name, name_field, VMM_LOADER_FILE_SIZE);
  /* Names are NUL-terminated inside their 56 bytes. */
  g_assert_cmpuint (strlen (name), <, VMM_LOADER_FILE_SIZE);
  for (unsigned i = 0; i < fw->n_allocs; i++)
    if (strcmp (fw->allocs[i].name, name) == 0)
      return &fw->allocs[i];
  g_assert_not_reached ();
}

static void
run_allocate (Firmware *fw, const uint8_t *e)
{
  Alloc *a = &fw->allocs[fw->n_allocs++];
  uint64_t *next;
  g_autofree uint8_t *data = NULL;

  g_assert_cmpuint (fw->n_allocs, <=, MAX_ALLOCS);
  memcpy (a->name, e + VMM_LOADER_ALLOC_FILE, VMM_LOADER_FILE_SIZE);
  g_assert_cmpuint (a->name[VMM_LOADER_FILE_SIZE - 1], ==, 0);
  a->align = le32 (e + VMM_LOADER_ALLOC_ALIGN);
  a->zone = e[VMM_LOADER_ALLOC_ZONE];
  g_assert_cmpuint (a->align, !=, 0);
  g_assert_cmpuint (a->align & (a->align - 1), ==, 0);
  g_assert_true (a->zone == VMM_ACPI_ZONE_HIGH || a->zone == VMM_ACPI_ZONE_FSEG);

  next = a->zone == VMM_ACPI_ZONE_HIGH ? &fw->next_high : &fw->next_fseg;
  a->gpa = (*next + a->align - 1) & ~(uint64_t) (a->align - 1);
  data = guest_read_file (&fw->g, a->name, &a->size, SCRATCH_GPA);
  g_assert_nonnull (data);
  memcpy (guest_ptr (&fw->g, a->gpa), data, a->size);
  *next = a->gpa + a->size;
  if (a->zone == VMM_ACPI_ZONE_FSEG)
    g_assert_cmphex (*next, <=, 0x100000);
  else
    g_assert_cmphex (*next, <=, FSEG_GPA);
}

static void
run_add_pointer (Firmware *fw, const uint8_t *e)
{
  const Alloc *dst = find_alloc (fw, e + VMM_LOADER_PTR_DEST);
  const Alloc *src = find_alloc (fw, e + VMM_LOADER_PTR_SRC);
  uint32_t offset = le32 (e + VMM_LOADER_PTR_OFFSET);
  uint8_t size = e[VMM_LOADER_PTR_SIZE];
  uint8_t *field;
  uint64_t v;

  g_assert_true (size == 1 || size == 2 || size == 4 || size == 8);
  g_assert_cmpuint ((uint64_t) offset + size, <=, dst->size);
  field = guest_ptr (&fw->g, dst->gpa + offset);
  v = vmm_le_get (field, size);
  /* The field holds an offset into the source file. */
  g_assert_cmpuint (v, <, src->size);
  v += src->gpa;
  if (size < 8)
    g_assert_cmpuint (v >> (8 * size), ==, 0);
  vmm_le_put (field, size, v);
  fw->n_pointers++;
}

static void
run_add_checksum (Firmware *fw, const uint8_t *e)
{
  const Alloc *a = find_alloc (fw, e + VMM_LOADER_CSUM_FILE);
  uint32_t offset = le32 (e + VMM_LOADER_CSUM_OFFSET);
  uint32_t start = le32 (e + VMM_LOADER_CSUM_START);
  uint32_t length = le32 (e + VMM_LOADER_CSUM_LENGTH);
  uint8_t *base = guest_ptr (&fw->g, a->gpa);

  g_assert_cmpuint (offset, <, a->size);
  g_assert_cmpuint ((uint64_t) start + length, <=, a->size);
  g_assert_cmpuint (offset, >=, start);
  g_assert_cmpuint (offset, <, start + length);
  base[offset] = (uint8_t) (base[offset] - sum (base + start, length));
  fw->n_checksums++;
}

static void
run_loader (Firmware *fw)
{
  g_autofree uint8_t *cmds = NULL;
  uint32_t size;

  fw->next_high = HIGH_GPA;
  fw->next_fseg = FSEG_GPA;
  cmds = guest_read_file (&fw->g, VMM_LOADER_COMMANDS_FILE, &size, SCRATCH_GPA);
  g_assert_nonnull (cmds);
  g_assert_cmpuint (size % VMM_LOADER_ENTRY_SIZE, ==, 0);
  for (uint32_t at = 0; at < size; at += VMM_LOADER_ENTRY_SIZE)
    {
      const uint8_t *e = cmds + at;

      switch (le32 (e))
        {
        case VMM_LOADER_CMD_ALLOCATE:
          /* Every allocation comes before the commands using it. */
          g_assert_cmpuint (fw->n_pointers + fw->n_checksums, ==, 0);
          run_allocate (fw, e);
          break;
        case VMM_LOADER_CMD_ADD_POINTER:
          g_assert_cmpuint (fw->n_checksums, ==, 0);
          run_add_pointer (fw, e);
          break;
        case VMM_LOADER_CMD_ADD_CHECKSUM:
          run_add_checksum (fw, e);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

static VmmAcpiTables *
build_tables (void)
{
  static const uint32_t ids[] = { 0, 1, 2 };
  g_autoptr(GError) error = NULL;
  VmmAcpiConfig cfg = {
    .n_cpus = 3,
    .apic_ids = ids,
    .pci_mmio64_base = 0x800000000ull,
    .has_ecam = TRUE,
  };
  VmmAcpiTables *t = vmm_acpi_build (&cfg, &error);

  g_assert_no_error (error);
  return t;
}

/* A table at @gpa inside the HIGH allocation, its checksum checked. */
static const uint8_t *
table_at (Firmware *fw, const Alloc *tables, uint64_t gpa, const char *sig)
{
  const uint8_t *t;
  uint32_t len;

  g_assert_cmphex (gpa, >=, tables->gpa);
  g_assert_cmphex (gpa + 36, <=, tables->gpa + tables->size);
  t = guest_ptr (&fw->g, gpa);
  g_assert_cmpmem (t, 4, sig, 4);
  len = le32 (t + 4);
  g_assert_cmphex (gpa + len, <=, tables->gpa + tables->size);
  if (strcmp (sig, "FACS") != 0)
    g_assert_cmpuint (sum (t, len), ==, 0);
  return t;
}

/* The table as the generator built it: the same bytes but for the
 * checksum, which the loader fixed. */
static void
assert_same_as_built (VmmAcpiTables *t, const uint8_t *table, const char *sig)
{
  VmmAcpiBlob blob;
  int index = vmm_acpi_find_blob (t, sig);

  g_assert_cmpint (index, >=, 0);
  vmm_acpi_get_blob (t, (guint) index, &blob);
  g_assert_cmpuint (le32 (table + 4), ==, blob.len);
  g_assert_cmpmem (table, 9, blob.data, 9);
  g_assert_cmpmem (table + 10, blob.len - 10, blob.data + 10, blob.len - 10);
}

static void
test_loader_walk (void)
{
  g_autoptr(VmmAcpiTables) t = build_tables ();
  g_autoptr(GError) error = NULL;
  Firmware fw = { 0 };
  const Alloc *rsdp_alloc = NULL, *tables = NULL;
  const uint8_t *rsdp, *xsdt, *fadt, *facs, *dsdt;
  uint32_t n_entries;
  gboolean seen_madt = FALSE, seen_mcfg = FALSE;

  guest_init (&fw.g);
  g_assert_true (vmm_fw_cfg_add_acpi (fw.g.fw, t, &error));
  g_assert_no_error (error);
  run_loader (&fw);

  g_assert_cmpuint (fw.n_allocs, ==, 2);
  g_assert_cmpuint (fw.n_pointers, ==, vmm_acpi_n_pointers (t));
  g_assert_cmpuint (fw.n_checksums, ==, vmm_acpi_n_checksums (t));
  for (unsigned i = 0; i < fw.n_allocs; i++)
    {
      if (strcmp (fw.allocs[i].name, "etc/acpi/rsdp") == 0)
        rsdp_alloc = &fw.allocs[i];
      if (strcmp (fw.allocs[i].name, VMM_LOADER_TABLES_FILE) == 0)
        tables = &fw.allocs[i];
    }
  g_assert_nonnull (rsdp_alloc);
  g_assert_nonnull (tables);
  g_assert_cmpuint (rsdp_alloc->zone, ==, VMM_ACPI_ZONE_FSEG);
  g_assert_cmpuint (rsdp_alloc->align, ==, 16);
  g_assert_cmpuint (tables->zone, ==, VMM_ACPI_ZONE_HIGH);
  g_assert_cmpuint (tables->align, >=, 64);

  rsdp = guest_ptr (&fw.g, rsdp_alloc->gpa);
  g_assert_cmpmem (rsdp, 8, "RSD PTR ", 8);
  g_assert_cmpuint (sum (rsdp, 20), ==, 0);
  g_assert_cmpuint (sum (rsdp, 36), ==, 0);

  xsdt = table_at (&fw, tables, le64 (rsdp + 24), "XSDT");
  n_entries = (le32 (xsdt + 4) - 36) / 8;
  g_assert_cmpuint (n_entries, ==, 3);
  fadt = table_at (&fw, tables, le64 (xsdt + 36), "FACP");
  for (uint32_t i = 1; i < n_entries; i++)
    {
      uint64_t gpa = le64 (xsdt + 36 + 8 * i);
      const uint8_t *h = guest_ptr (&fw.g, gpa);

      if (memcmp (h, "APIC", 4) == 0)
        {
          assert_same_as_built (t, table_at (&fw, tables, gpa, "APIC"), "APIC");
          seen_madt = TRUE;
        }
      else
        {
          table_at (&fw, tables, gpa, "MCFG");
          seen_mcfg = TRUE;
        }
    }
  g_assert_true (seen_madt && seen_mcfg);

  /* FACS through the 32-bit field, 64-byte aligned; DSDT through both. */
  g_assert_cmphex (le32 (fadt + 36) % 64, ==, 0);
  facs = table_at (&fw, tables, le32 (fadt + 36), "FACS");
  g_assert_cmpuint (le32 (facs + 4), ==, 64);
  g_assert_cmphex (le64 (fadt + 140), ==, le32 (fadt + 40));
  dsdt = table_at (&fw, tables, le32 (fadt + 40), "DSDT");
  assert_same_as_built (t, dsdt, "DSDT");
  guest_clear (&fw.g);
}

static void
test_loader_twice (void)
{
  g_autoptr(VmmAcpiTables) t = build_tables ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) taken = g_bytes_new_static ("x", 1);
  Guest g;
  uint8_t count[4];

  guest_init (&g);
  /* One name taken: an error, and nothing added. */
  g_assert_cmpint (vmm_fw_cfg_add_file (g.fw, VMM_LOADER_COMMANDS_FILE, taken, FALSE), >, 0);
  g_assert_false (vmm_fw_cfg_add_acpi (g.fw, t, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  guest_select (&g, FW_CFG_FILE_DIR);
  guest_read_data (&g, count, 4);
  g_assert_cmpuint (be32_get (count), ==, 1);
  guest_clear (&g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/acpi-loader/walk", test_loader_walk);
  g_test_add_func ("/acpi-loader/twice", test_loader_twice);
  return g_test_run ();
}
