/* test-e820.c: the guest memory map for several RAM sizes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>

#include "e820.h"
#include "layout.h"

#define MiB ((uint64_t) 1024 * 1024)
#define GiB (1024ull * MiB)

/* Bytes of [start, end) that lie in [0, limit). */
static uint64_t
overlap_below (uint64_t start, uint64_t end, uint64_t limit)
{
  if (end > limit)
    end = limit;
  return end > start ? end - start : 0;
}

static gboolean
overlaps (const VmmE820Entry *e, uint64_t start, uint64_t end)
{
  return e->addr < end && start < e->addr + e->size;
}

static void
check_map (uint64_t ram_size)
{
  VmmE820Entry map[VMM_E820_MAX];
  size_t n = vmm_e820_build (ram_size, map, G_N_ELEMENTS (map));
  uint64_t lowmem = ram_size < VMM_LOWMEM_LIMIT ? ram_size : VMM_LOWMEM_LIMIT;
  uint64_t ram = 0, high_ram = 0;
  gboolean ecam_reserved = FALSE;

  g_test_message ("RAM %" G_GUINT64_FORMAT " MiB: %zu entries", ram_size / MiB, n);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <=, VMM_E820_MAX);
  g_assert_cmpuint (vmm_e820_lowmem_end (ram_size), ==, lowmem);

  for (size_t i = 0; i < n; i++)
    {
      const VmmE820Entry *e = &map[i];

      g_test_message ("  %#014" G_GINT64_MODIFIER "x-%#014" G_GINT64_MODIFIER "x type %u",
                      e->addr, e->addr + e->size - 1, e->type);
      g_assert_cmpuint (e->size, >, 0);
      g_assert_cmpuint (e->addr + e->size, >, e->addr);
      g_assert_true (e->type == VMM_E820_RAM || e->type == VMM_E820_RESERVED || e->type == VMM_E820_ACPI);
      if (i > 0)
        g_assert_cmpuint (map[i - 1].addr + map[i - 1].size, <=, e->addr);

      if (e->type == VMM_E820_RAM)
        {
          ram += e->size;
          /* RAM never shows through the legacy area or the PCI hole. */
          g_assert_false (overlaps (e, VMM_EBDA_START, VMM_HIMEM_START));
          g_assert_false (overlaps (e, VMM_LOWMEM_LIMIT, VMM_HIGHMEM_BASE));
          if (e->addr >= VMM_HIGHMEM_BASE)
            {
              g_assert_cmpuint (e->addr, ==, VMM_HIGHMEM_BASE);
              high_ram += e->size;
            }
          else
            g_assert_cmpuint (e->addr + e->size, <=, lowmem);
        }
      if (e->type == VMM_E820_RESERVED && e->addr <= VMM_PCI_ECAM_BASE
          && e->addr + e->size >= VMM_PCI_ECAM_BASE + VMM_PCI_ECAM_SIZE)
        ecam_reserved = TRUE;
      if (e->type == VMM_E820_ACPI)
        {
          g_assert_cmpuint (e->addr, <=, VMM_ACPI_TABLES_START);
          g_assert_cmpuint (e->addr + e->size, ==,
                            MIN (lowmem, VMM_ACPI_TABLES_START + VMM_ACPI_TABLES_SIZE));
        }
    }

  /* All of the guest's RAM is described: what the legacy area below 1 MiB
   * takes out of low RAM is the only difference. */
  g_assert_cmpuint (ram + overlap_below (VMM_EBDA_START, VMM_HIMEM_START, lowmem), ==, ram_size);
  g_assert_cmpuint (high_ram, ==, ram_size - lowmem);
  g_assert_true (ecam_reserved);
}

static void
test_e820_tiny (void)
{
  check_map (512 * 1024);
  check_map (VMM_EBDA_START);
  check_map (VMM_EBDA_START + 0x100);
  check_map (VMM_ACPI_TABLES_START + 0x1000);
  check_map (1 * MiB);
  check_map (16 * MiB);
}

static void
test_e820_2g (void)
{
  check_map (2 * GiB);
  check_map (2 * GiB - 4096);
  check_map (2 * GiB + 4096);
}

static void
test_e820_3g (void)
{
  check_map (3 * GiB);
}

static void
test_e820_8g (void)
{
  check_map (8 * GiB);
}

static void
test_e820_layout_3g (void)
{
  VmmE820Entry map[VMM_E820_MAX];
  size_t n = vmm_e820_build (3 * GiB, map, G_N_ELEMENTS (map));

  /* The exact shape the guest sees with 3 GiB. */
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpuint (map[0].addr, ==, 0);
  g_assert_cmpuint (map[0].size, ==, VMM_EBDA_START);
  g_assert_cmpuint (map[0].type, ==, VMM_E820_RAM);
  g_assert_cmpuint (map[1].addr, ==, VMM_EBDA_START);
  g_assert_cmpuint (map[1].type, ==, VMM_E820_RESERVED);
  g_assert_cmpuint (map[2].addr, ==, VMM_ACPI_TABLES_START);
  g_assert_cmpuint (map[2].type, ==, VMM_E820_ACPI);
  g_assert_cmpuint (map[3].addr, ==, VMM_HIMEM_START);
  g_assert_cmpuint (map[3].size, ==, VMM_LOWMEM_LIMIT - VMM_HIMEM_START);
  g_assert_cmpuint (map[4].addr, ==, VMM_PCI_ECAM_BASE);
  g_assert_cmpuint (map[4].size, ==, VMM_PCI_ECAM_SIZE);
  g_assert_cmpuint (map[4].type, ==, VMM_E820_RESERVED);
  g_assert_cmpuint (map[5].addr, ==, VMM_HIGHMEM_BASE);
  g_assert_cmpuint (map[5].size, ==, 1 * GiB);
  g_assert_cmpuint (map[5].type, ==, VMM_E820_RAM);
}

static void
test_e820_truncated (void)
{
  VmmE820Entry map[VMM_E820_MAX];
  VmmE820Entry few[3] = { 0 };
  size_t n = vmm_e820_build (8 * GiB, map, G_N_ELEMENTS (map));

  /* A short output array keeps the first entries and no more. */
  g_assert_cmpuint (vmm_e820_build (8 * GiB, few, G_N_ELEMENTS (few)), ==, 3);
  for (size_t i = 0; i < G_N_ELEMENTS (few); i++)
    {
      g_assert_cmphex (few[i].addr, ==, map[i].addr);
      g_assert_cmphex (few[i].size, ==, map[i].size);
      g_assert_cmpuint (few[i].type, ==, map[i].type);
    }
  g_assert_cmpuint (vmm_e820_build (8 * GiB, NULL, 0), ==, 0);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpuint (map[5].addr, ==, VMM_HIGHMEM_BASE);
  g_assert_cmpuint (map[5].size, ==, 6 * GiB);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/x86/e820/tiny", test_e820_tiny);
  g_test_add_func ("/x86/e820/2g", test_e820_2g);
  g_test_add_func ("/x86/e820/3g", test_e820_3g);
  g_test_add_func ("/x86/e820/8g", test_e820_8g);
  g_test_add_func ("/x86/e820/layout-3g", test_e820_layout_3g);
  g_test_add_func ("/x86/e820/truncated", test_e820_truncated);
  return g_test_run ();
}
