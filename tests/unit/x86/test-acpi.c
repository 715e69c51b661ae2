/* test-acpi.c: the ACPI tables, read back the way an OS finds them
 * (RSDP -> XSDT -> FADT -> DSDT/FACS), and checked by ACPICA's own
 * disassembler.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "acpi.h"
#include "layout.h"

#define MMIO64_BASE 0x800000000ull

typedef struct {
  uint8_t buf[VMM_ACPI_TABLES_SIZE];
  uint64_t base;
  uint64_t rsdp;
} Placed;

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t
get32 (const uint8_t *p)
{
  return get16 (p) | (uint32_t) get16 (p + 2) << 16;
}

static uint64_t
get64 (const uint8_t *p)
{
  return get32 (p) | (uint64_t) get32 (p + 4) << 32;
}

static uint8_t
sum (const uint8_t *p, size_t len)
{
  uint8_t s = 0;

  for (size_t i = 0; i < len; i++)
    s = (uint8_t) (s + p[i]);
  return s;
}

/* The table at guest address @gpa, checked to lie inside the placed
 * buffer, with its length. */
static const uint8_t *
table_at (const Placed *pl, uint64_t gpa, const char *signature, uint32_t *len)
{
  const uint8_t *t;

  g_assert_cmphex (gpa, >=, pl->base);
  g_assert_cmphex (gpa + 36, <=, pl->base + sizeof pl->buf);
  t = pl->buf + (gpa - pl->base);
  g_assert_cmpmem (t, 4, signature, 4);
  *len = get32 (t + 4);
  g_assert_cmphex (gpa + *len, <=, pl->base + sizeof pl->buf);
  if (strcmp (signature, "FACS") != 0)
    g_assert_cmpuint (sum (t, *len), ==, 0);
  return t;
}

static VmmAcpiTables *
build (unsigned n_cpus, const uint32_t *ids, gboolean ecam)
{
  g_autoptr(GError) error = NULL;
  VmmAcpiConfig cfg = {
    .n_cpus = n_cpus,
    .apic_ids = ids,
    .pci_mmio64_base = MMIO64_BASE,
    .has_ecam = ecam,
  };
  VmmAcpiTables *t = vmm_acpi_build (&cfg, &error);

  g_assert_no_error (error);
  g_assert_nonnull (t);
  return t;
}

static void
place (VmmAcpiTables *t, Placed *pl)
{
  g_autoptr(GError) error = NULL;

  pl->base = VMM_ACPI_TABLES_START;
  memset (pl->buf, 0xa5, sizeof pl->buf);
  g_assert_true (vmm_acpi_place (t, pl->base, pl->buf, sizeof pl->buf, &pl->rsdp, &error));
  g_assert_no_error (error);
}

/* Finds a table by signature through the XSDT, as an OS does. */
static const uint8_t *
find_table (const Placed *pl, const char *signature, uint32_t *len)
{
  const uint8_t *rsdp = pl->buf + (pl->rsdp - pl->base);
  uint32_t xsdt_len;
  const uint8_t *xsdt = table_at (pl, get64 (rsdp + 24), "XSDT", &xsdt_len);

  for (uint32_t off = 36; off + 8 <= xsdt_len; off += 8)
    {
      uint64_t gpa = get64 (xsdt + off);

      g_assert_cmphex (gpa, >=, pl->base);
      g_assert_cmphex (gpa, <, pl->base + sizeof pl->buf);
      if (memcmp (pl->buf + (gpa - pl->base), signature, 4) == 0)
        return table_at (pl, gpa, signature, len);
    }
  return NULL;
}

static uint32_t *
sequential_ids (unsigned n)
{
  uint32_t *ids = g_new (uint32_t, n);

  for (unsigned i = 0; i < n; i++)
    ids[i] = i;
  return ids;
}

static void
test_rsdp_xsdt (void)
{
  g_autofree uint32_t *ids = sequential_ids (2);
  g_autoptr(VmmAcpiTables) t = build (2, ids, TRUE);
  g_autofree Placed *pl = g_new0 (Placed, 1);
  const uint8_t *rsdp;
  uint32_t len;
  const uint8_t *xsdt;

  place (t, pl);
  /* The RSDP first, where the legacy scan of the BIOS area looks. */
  g_assert_cmphex (pl->rsdp, ==, VMM_ACPI_TABLES_START);
  rsdp = pl->buf;
  g_assert_cmpmem (rsdp, 8, "RSD PTR ", 8);
  g_assert_cmpuint (rsdp[15], ==, 2);
  g_assert_cmpuint (get32 (rsdp + 20), ==, 36);
  g_assert_cmpuint (sum (rsdp, 20), ==, 0);
  g_assert_cmpuint (sum (rsdp, 36), ==, 0);

  xsdt = table_at (pl, get64 (rsdp + 24), "XSDT", &len);
  g_assert_cmpuint (len, ==, 36 + 3 * 8);
  g_assert_nonnull (find_table (pl, "FACP", &len));
  g_assert_nonnull (find_table (pl, "APIC", &len));
  g_assert_nonnull (find_table (pl, "MCFG", &len));
  g_assert_cmpmem (xsdt + 10, 6, "VIREO ", 6);

  /* Bytes after the last table are cleared. */
  g_assert_cmpuint (pl->buf[sizeof pl->buf - 1], ==, 0);
}

static void
test_fadt (void)
{
  g_autofree uint32_t *ids = sequential_ids (1);
  g_autoptr(VmmAcpiTables) t = build (1, ids, TRUE);
  g_autofree Placed *pl = g_new0 (Placed, 1);
  const uint8_t *f, *facs, *dsdt;
  uint32_t len, flags, facs_len, dsdt_len;

  place (t, pl);
  f = find_table (pl, "FACP", &len);
  g_assert_nonnull (f);
  g_assert_cmpuint (len, ==, 276);
  g_assert_cmpuint (f[8], ==, 6);

  /* FACS: 32-bit pointer only, 64-byte aligned. */
  g_assert_cmphex (get64 (f + 132), ==, 0);
  g_assert_cmphex (get32 (f + 36) % 64, ==, 0);
  facs = table_at (pl, get32 (f + 36), "FACS", &facs_len);
  g_assert_cmpuint (facs_len, ==, 64);
  g_assert_cmpuint (facs[32], ==, 2);

  /* DSDT through both pointers. */
  g_assert_cmphex (get32 (f + 40), ==, get64 (f + 140));
  dsdt = table_at (pl, get64 (f + 140), "DSDT", &dsdt_len);
  g_assert_cmpuint (dsdt[8], ==, 2);
  g_assert_cmpuint (dsdt_len, >, 36);

  g_assert_cmpuint (get16 (f + 46), ==, VMM_IRQ_SCI);
  g_assert_cmphex (get32 (f + 48), ==, 0);          /* SMI_CMD: always in ACPI mode */
  g_assert_cmphex (get32 (f + 56), ==, VMM_PORT_PM1A_EVT);
  g_assert_cmphex (get32 (f + 60), ==, 0);
  g_assert_cmphex (get32 (f + 64), ==, VMM_PORT_PM1A_CNT);
  g_assert_cmphex (get32 (f + 76), ==, VMM_PORT_PM_TMR);
  g_assert_cmphex (get32 (f + 80), ==, VMM_PORT_GPE0);
  g_assert_cmpuint (f[88], ==, 4);
  g_assert_cmpuint (f[89], ==, 2);
  g_assert_cmpuint (f[91], ==, 4);
  g_assert_cmpuint (f[92], ==, VMM_PORT_GPE0_LEN);
  g_assert_cmphex (get16 (f + 109), ==, 0x3);        /* LEGACY_DEVICES | 8042 */

  flags = get32 (f + 112);
  g_assert_cmphex (flags & (1u << 4), ==, 0);       /* fixed-feature power button */
  g_assert_cmphex (flags & (1u << 5), !=, 0);       /* no sleep button */
  g_assert_cmphex (flags & (1u << 10), !=, 0);      /* RESET_REG_SUP */
  g_assert_cmphex (flags & (1u << 20), ==, 0);      /* not hardware-reduced */

  /* Reset register: I/O 0xCF9, 8 bits, value 6. */
  g_assert_cmpuint (f[116], ==, 1);
  g_assert_cmpuint (f[117], ==, 8);
  g_assert_cmphex (get64 (f + 120), ==, VMM_PORT_RESET_CONTROL);
  g_assert_cmphex (f[128], ==, 0x06);

  /* The X_ blocks agree with the 32-bit ones. */
  {
    static const struct { unsigned x, legacy, len_off; } blocks[] = {
      { 148, 56, 88 }, { 172, 64, 89 }, { 208, 76, 91 }, { 220, 80, 92 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
      {
        const uint8_t *gas = f + blocks[i].x;

        g_assert_cmpuint (gas[0], ==, 1);
        g_assert_cmpuint (gas[1], ==, f[blocks[i].len_off] * 8);
        g_assert_cmphex (get64 (gas + 4), ==, get32 (f + blocks[i].legacy));
      }
  }
}

static void
check_madt (unsigned n_cpus, const uint32_t *ids)
{
  g_autoptr(VmmAcpiTables) t = build (n_cpus, ids, FALSE);
  g_autofree Placed *pl = g_new0 (Placed, 1);
  VmmAcpiConfig cfg = { .n_cpus = n_cpus, .apic_ids = ids };
  const uint8_t *m;
  uint32_t len, off;
  unsigned n_lapic = 0, n_ioapic = 0, n_nmi = 0;
  gboolean iso_pit = FALSE, iso_sci = FALSE;

  place (t, pl);
  m = find_table (pl, "APIC", &len);
  g_assert_nonnull (m);
  g_assert_cmphex (get32 (m + 36), ==, VMM_LAPIC_BASE);
  g_assert_cmphex (get32 (m + 40) & 1, ==, 1);      /* PCAT_COMPAT */

  for (off = 44; off < len; off += m[off + 1])
    {
      const uint8_t *e = m + off;

      g_assert_cmpuint (e[1], >=, 2);
      g_assert_cmpuint (off + e[1], <=, len);
      switch (e[0])
        {
        case 0:
          g_assert_cmpuint (e[1], ==, 8);
          g_assert_cmpuint (n_lapic, <, n_cpus);
          g_assert_cmpuint (e[2], ==, n_lapic);                /* UID */
          g_assert_cmpuint (e[3], ==, ids[n_lapic]);           /* APIC ID */
          g_assert_cmphex (get32 (e + 4), ==, 1);              /* enabled */
          n_lapic++;
          break;
        case 1:
          g_assert_cmpuint (e[1], ==, 12);
          g_assert_cmpuint (e[2], ==, vmm_acpi_ioapic_id (&cfg));
          for (unsigned i = 0; i < n_cpus; i++)
            g_assert_cmpuint (e[2], !=, ids[i]);
          g_assert_cmphex (get32 (e + 4), ==, VMM_IOAPIC_BASE);
          g_assert_cmpuint (get32 (e + 8), ==, 0);
          n_ioapic++;
          break;
        case 2:
          g_assert_cmpuint (e[1], ==, 10);
          g_assert_cmpuint (e[2], ==, 0);
          if (e[3] == 0)
            {
              g_assert_cmpuint (get32 (e + 4), ==, 2);
              g_assert_cmphex (get16 (e + 8), ==, 0);
              iso_pit = TRUE;
            }
          else
            {
              g_assert_cmpuint (e[3], ==, VMM_IRQ_SCI);
              g_assert_cmpuint (get32 (e + 4), ==, VMM_IRQ_SCI);
              g_assert_cmphex (get16 (e + 8), ==, 0xd);        /* level, active high */
              iso_sci = TRUE;
            }
          break;
        case 4:
          g_assert_cmpuint (e[1], ==, 6);
          g_assert_cmphex (e[2], ==, 0xff);
          g_assert_cmpuint (e[5], ==, 1);                      /* LINT1 */
          n_nmi++;
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_assert_cmpuint (off, ==, len);
  g_assert_cmpuint (n_lapic, ==, n_cpus);
  g_assert_cmpuint (n_ioapic, ==, 1);
  g_assert_cmpuint (n_nmi, ==, 1);
  g_assert_true (iso_pit && iso_sci);
  /* Without ECAM, no MCFG. */
  g_assert_null (find_table (pl, "MCFG", &len));
}

static void
test_madt (void)
{
  static const unsigned counts[] = { 1, 2, 8, 255 };
  static const uint32_t sparse[] = { 0, 2, 4, 6, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autofree uint32_t *ids = sequential_ids (counts[i]);

      check_madt (counts[i], ids);
    }
  /* APIC IDs with gaps (SMT-style topologies): the IOAPIC gets one no CPU
   * has. */
  check_madt (G_N_ELEMENTS (sparse), sparse);
  g_assert_cmpuint (vmm_acpi_ioapic_id (&(VmmAcpiConfig) { .n_cpus = 4, .apic_ids = sparse }), ==, 5);
}

static void
test_mcfg (void)
{
  g_autofree uint32_t *ids = sequential_ids (1);
  g_autoptr(VmmAcpiTables) t = build (1, ids, TRUE);
  g_autofree Placed *pl = g_new0 (Placed, 1);
  const uint8_t *m;
  uint32_t len;

  place (t, pl);
  m = find_table (pl, "MCFG", &len);
  g_assert_nonnull (m);
  g_assert_cmpuint (len, ==, 36 + 8 + 16);
  g_assert_cmphex (get64 (m + 44), ==, VMM_PCI_ECAM_BASE);
  g_assert_cmpuint (get16 (m + 52), ==, 0);
  g_assert_cmpuint (m[54], ==, 0);
  /* Only the root bus: Linux probes every bus the MCFG names. */
  g_assert_cmpuint (m[55], ==, 0);
}

static void
test_loader_view (void)
{
  g_autofree uint32_t *ids = sequential_ids (4);
  g_autoptr(VmmAcpiTables) t = build (4, ids, TRUE);
  static const char *const sigs[] = { "RSD PTR ", "XSDT", "FACP", "FACS", "DSDT", "APIC", "MCFG" };
  guint n = vmm_acpi_n_blobs (t);
  VmmAcpiBlob b;

  g_assert_cmpuint (n, ==, G_N_ELEMENTS (sigs));
  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    {
      int index = vmm_acpi_find_blob (t, sigs[i]);

      g_assert_cmpint (index, >=, 0);
      vmm_acpi_get_blob (t, (guint) index, &b);
      g_assert_cmpmem (b.data, strlen (sigs[i]), sigs[i], strlen (sigs[i]));
      g_assert_cmpuint (strlen (b.name), <, 56);
      g_assert_true (g_str_has_prefix (b.name, "etc/acpi/"));
      g_assert_cmpuint (b.align & (b.align - 1), ==, 0);
      g_assert_cmpint (b.zone, ==, i == 0 ? VMM_ACPI_ZONE_FSEG : VMM_ACPI_ZONE_HIGH);
    }
  g_assert_cmpint (vmm_acpi_find_blob (t, "SSDT"), ==, -1);

  /* Every fix-up stays inside its blob; pointer fields start as offsets
   * into their target. */
  for (guint i = 0; i < vmm_acpi_n_pointers (t); i++)
    {
      const VmmAcpiPointer *p = vmm_acpi_get_pointer (t, i);
      VmmAcpiBlob target;

      vmm_acpi_get_blob (t, p->blob, &b);
      vmm_acpi_get_blob (t, p->target, &target);
      g_assert_cmpuint (p->offset + p->size, <=, b.len);
      g_assert_cmpuint (p->target, !=, p->blob);
      g_assert_cmpuint (b.data[p->offset], ==, 0);
    }
  /* RSDP (2) + one per table except FACS. */
  g_assert_cmpuint (vmm_acpi_n_checksums (t), ==, 2 + 5);
  /* RSDP->XSDT, XSDT->3, FADT->FACS, DSDT x2. */
  g_assert_cmpuint (vmm_acpi_n_pointers (t), ==, 1 + 3 + 3);
  for (guint i = 0; i < vmm_acpi_n_checksums (t); i++)
    {
      const VmmAcpiChecksum *c = vmm_acpi_get_checksum (t, i);

      vmm_acpi_get_blob (t, c->blob, &b);
      g_assert_cmpuint (c->start + c->length, <=, b.len);
      g_assert_cmpuint (c->offset, >=, c->start);
      g_assert_cmpuint (c->offset, <, c->start + c->length);
      g_assert_cmpuint (b.data[c->offset], ==, 0);
    }
}

static void
test_place_errors (void)
{
  g_autofree uint32_t *ids = sequential_ids (255);
  g_autoptr(VmmAcpiTables) t = build (255, ids, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree Placed *pl = g_new0 (Placed, 1);
  uint64_t rsdp = 0x1234;

  g_assert_false (vmm_acpi_place (t, VMM_ACPI_TABLES_START, pl->buf, 2048, &rsdp, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmphex (rsdp, ==, 0x1234);
  g_clear_error (&error);

  /* The FADT's 32-bit pointers cannot reach above 4 GiB. */
  g_assert_false (vmm_acpi_place (t, 0x100000000ull, pl->buf, sizeof pl->buf, &rsdp, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  /* An unaligned base: the RSDP moves up to the next 16 bytes. */
  g_assert_true (vmm_acpi_place (t, VMM_ACPI_TABLES_START + 4, pl->buf, sizeof pl->buf, &rsdp, &error));
  g_assert_cmphex (rsdp, ==, VMM_ACPI_TABLES_START + 16);
  g_assert_cmpmem (pl->buf + 12, 8, "RSD PTR ", 8);

  /* Placing twice gives the same bytes: the set itself is not changed. */
  {
    g_autofree Placed *again = g_new0 (Placed, 1);

    place (t, pl);
    place (t, again);
    g_assert_cmpmem (pl->buf, sizeof pl->buf, again->buf, sizeof again->buf);
  }
}

static void
test_build_errors (void)
{
  static const uint32_t dup[] = { 0, 1, 1 };
  static const uint32_t broadcast[] = { 0, 255 };
  g_autofree uint32_t *ids = sequential_ids (256);
  struct {
    VmmAcpiConfig cfg;
    const char *message_part;
  } cases[] = {
    { { .n_cpus = 0, .apic_ids = ids, .pci_mmio64_base = MMIO64_BASE }, "not 0" },
    { { .n_cpus = 256, .apic_ids = ids, .pci_mmio64_base = MMIO64_BASE }, "not 256" },
    { { .n_cpus = 3, .apic_ids = dup, .pci_mmio64_base = MMIO64_BASE }, "already taken" },
    { { .n_cpus = 2, .apic_ids = broadcast, .pci_mmio64_base = MMIO64_BASE }, "xAPIC" },
    { { .n_cpus = 1, .apic_ids = ids, .pci_mmio64_base = 0 }, "64-bit PCI window" },
    { { .n_cpus = 1, .apic_ids = ids, .pci_mmio64_base = MMIO64_BASE + 4096 }, "64-bit PCI window" },
    { { .n_cpus = 1, .apic_ids = ids, .pci_mmio64_base = 1ull << 52 }, "64-bit PCI window" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      VmmAcpiTables *t = vmm_acpi_build (&cases[i].cfg, &error);

      g_assert_null (t);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].message_part));
    }
}

static void
test_pci_gsi (void)
{
  for (unsigned slot = 0; slot < 32; slot++)
    for (unsigned pin = 0; pin < 4; pin++)
      {
        unsigned gsi = vmm_acpi_pci_gsi (slot, pin);

        g_assert_cmpuint (gsi, >=, VMM_GSI_PCI_FIRST);
        g_assert_cmpuint (gsi, <, VMM_IOAPIC_PINS);
        g_assert_cmpuint (gsi, ==, VMM_GSI_PCI_FIRST + (slot + pin) % 8);
      }
}

/* Runs iasl with @args in @dir, which must exit with status 0; returns
 * what it printed (standard output, then standard error) in @out. */
static void
run_iasl (const char *dir, const char *const *args, char **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL, *err = NULL;
  g_autofree char *cmdline = g_strjoinv (" ", (char **) args);
  int status;

  g_assert_true (g_spawn_sync (dir, (char **) args, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &stdout_text, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("%s:\n%s%s", cmdline, stdout_text, err);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  *out = g_strconcat (stdout_text, err, NULL);
}

/* Runs `iasl -d` on @table in @dir, then compiles the result back, which
 * must give no errors, warnings or remarks. Returns the .dsl text. */
static char *
disassemble (const char *dir, const char *name, const uint8_t *table, size_t len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dat = g_strdup_printf ("%s/%s.dat", dir, name);
  g_autofree char *dsl_path = g_strdup_printf ("%s/%s.dsl", dir, name);
  g_autofree char *aml_path = g_strdup_printf ("%s/%s.aml", dir, name);
  g_autofree char *out = NULL, *compile_out = NULL;
  char *dsl = NULL;

  g_assert_true (g_file_set_contents (dat, (const char *) table, (gssize) len, &error));
  g_assert_no_error (error);
  run_iasl (dir, (const char *const[]) { "iasl", "-d", dat, NULL }, &out);
  g_assert_null (strstr (out, "Error"));
  g_assert_true (g_file_get_contents (dsl_path, &dsl, NULL, &error));
  g_assert_no_error (error);
  /* The data-table disassembler flags what it finds wrong in comments. */
  g_assert_null (strstr (dsl, "Incorrect checksum"));
  g_assert_null (strstr (dsl, "Invalid"));
  g_assert_null (strstr (dsl, "**** "));

  run_iasl (dir, (const char *const[]) { "iasl", dsl_path, NULL }, &compile_out);
  g_assert_nonnull (strstr (compile_out, "Compilation successful. 0 Errors, 0 Warnings, 0 Remarks"));
  g_assert_null (strstr (compile_out, "Error "));

  g_unlink (dat);
  g_unlink (dsl_path);
  g_unlink (aml_path);
  return dsl;
}

static void
check_iasl (unsigned n_cpus, gboolean ecam)
{
  g_autofree uint32_t *ids = sequential_ids (n_cpus);
  g_autoptr(VmmAcpiTables) t = build (n_cpus, ids, ecam);
  g_autofree Placed *pl = g_new0 (Placed, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *xsdt_dsl = NULL, *fadt_dsl = NULL, *facs_dsl = NULL;
  g_autofree char *dsdt_dsl = NULL, *madt_dsl = NULL, *mcfg_dsl = NULL;
  g_autofree char *iasl = g_find_program_in_path ("iasl");
  const uint8_t *fadt, *xsdt, *tbl;
  uint32_t len, xsdt_len;

  /* acpica-tools is a build dependency: its absence is a failure, not a
   * reason to skip the only independent check of the tables. */
  if (iasl == NULL)
    {
      g_test_fail_printf ("iasl (Debian package acpica-tools) is not installed");
      return;
    }

  place (t, pl);
  dir = g_dir_make_tmp ("vireo-acpi-XXXXXX", &error);
  g_assert_no_error (error);

  /* iasl does not take a lone RSDP (it has no standard header); the RSDP
   * is checked field by field in /x86/acpi/rsdp-xsdt. */
  xsdt = table_at (pl, get64 (pl->buf + (pl->rsdp - pl->base) + 24), "XSDT", &xsdt_len);
  xsdt_dsl = disassemble (dir, "xsdt", xsdt, xsdt_len);
  fadt = find_table (pl, "FACP", &len);
  fadt_dsl = disassemble (dir, "facp", fadt, len);
  tbl = table_at (pl, get32 (fadt + 36), "FACS", &len);
  facs_dsl = disassemble (dir, "facs", tbl, len);
  tbl = table_at (pl, get64 (fadt + 140), "DSDT", &len);
  dsdt_dsl = disassemble (dir, "dsdt", tbl, len);
  tbl = find_table (pl, "APIC", &len);
  madt_dsl = disassemble (dir, "apic", tbl, len);
  if (ecam)
    {
      tbl = find_table (pl, "MCFG", &len);
      mcfg_dsl = disassemble (dir, "mcfg", tbl, len);
      g_assert_nonnull (strstr (mcfg_dsl, "00000000B0000000"));
    }
  g_rmdir (dir);

  /* What the OS relies on, in ACPICA's own words. */
  g_assert_nonnull (strstr (fadt_dsl, "Control Method Power Button (V1) : 0"));
  g_assert_nonnull (strstr (fadt_dsl, "Reset Register Supported (V2) : 1"));
  g_assert_nonnull (strstr (fadt_dsl, "Control Method Sleep Button (V1) : 1"));
  g_assert_nonnull (strstr (dsdt_dsl, "PNP0A08"));
  g_assert_nonnull (strstr (dsdt_dsl, "PNP0A03"));
  g_assert_nonnull (strstr (dsdt_dsl, "PNP0501"));
  g_assert_nonnull (strstr (dsdt_dsl, "PNP0303"));
  g_assert_nonnull (strstr (dsdt_dsl, "PNP0F13"));
  g_assert_nonnull (strstr (dsdt_dsl, "PNP0B00"));
  g_assert_nonnull (strstr (dsdt_dsl, "PNP0C02"));
  g_assert_nonnull (strstr (dsdt_dsl, "_S5_"));
  g_assert_nonnull (strstr (dsdt_dsl, "_PRT"));
  g_assert_nonnull (strstr (dsdt_dsl, "WordBusNumber"));
  g_assert_nonnull (strstr (dsdt_dsl, "QWordMemory"));
  g_assert_true ((strstr (dsdt_dsl, "0x00000000B0000000") != NULL
                  || strstr (dsdt_dsl, "0xB0000000") != NULL) == ecam);
  /* The namespace nests as built: the disassembler indents by depth. */
  g_assert_nonnull (strstr (dsdt_dsl, "\n    Scope (\\_SB)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n        Device (C000)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n        Device (PCI0)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n            Name (_PRT, Package (0x80)"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n            Device (COM1)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n            Device (PS2K)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n            Device (PS2M)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n            Device (RTC)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n            Device (MRES)\n"));
  g_assert_nonnull (strstr (dsdt_dsl, "\n    Name (\\_S5, Package (0x04)"));
  /* One processor device per CPU. */
  {
    g_auto(GStrv) parts = g_strsplit (dsdt_dsl, "\"ACPI0007\"", -1);

    g_assert_cmpuint (g_strv_length (parts) - 1, ==, n_cpus);
  }
  {
    g_auto(GStrv) parts = g_strsplit (madt_dsl, "Processor Local APIC", -1);

    g_assert_cmpuint (g_strv_length (parts) - 1, ==, n_cpus);
  }
}

static void
test_iasl_small (void)
{
  check_iasl (2, TRUE);
}

static void
test_iasl_large (void)
{
  check_iasl (255, FALSE);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/x86/acpi/rsdp-xsdt", test_rsdp_xsdt);
  g_test_add_func ("/x86/acpi/fadt", test_fadt);
  g_test_add_func ("/x86/acpi/madt", test_madt);
  g_test_add_func ("/x86/acpi/mcfg", test_mcfg);
  g_test_add_func ("/x86/acpi/loader-view", test_loader_view);
  g_test_add_func ("/x86/acpi/place-errors", test_place_errors);
  g_test_add_func ("/x86/acpi/build-errors", test_build_errors);
  g_test_add_func ("/x86/acpi/pci-gsi", test_pci_gsi);
  g_test_add_func ("/x86/acpi/iasl/2-cpus-ecam", test_iasl_small);
  g_test_add_func ("/x86/acpi/iasl/255-cpus", test_iasl_large);
  return g_test_run ();
}
