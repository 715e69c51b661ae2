/* e820.c: the guest's physical memory map.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "e820.h"

#include "layout.h"

typedef struct {
  VmmE820Entry *out;
  size_t max;
  size_t n;
} E820Builder;

/* Appends [start, end) clipped to @limit; empty ranges vanish, so tiny RAM
 * sizes simply lose the regions they do not reach. */
static void
e820_add (E820Builder *b, uint64_t start, uint64_t end, uint64_t limit, uint32_t type)
{
  if (end > limit)
    end = limit;
  if (start >= end || b->n >= b->max)
    return;
  b->out[b->n++] = (VmmE820Entry) { .addr = start, .size = end - start, .type = type };
}

uint64_t
vmm_e820_lowmem_end (uint64_t ram_size)
{
  return ram_size < VMM_LOWMEM_LIMIT ? ram_size : VMM_LOWMEM_LIMIT;
}

size_t
vmm_e820_build (uint64_t ram_size, VmmE820Entry *out, size_t max)
{
  E820Builder b = { .out = out, .max = out ? max : 0 };
  uint64_t lowmem = vmm_e820_lowmem_end (ram_size);

  e820_add (&b, 0, VMM_EBDA_START, lowmem, VMM_E820_RAM);
  e820_add (&b, VMM_EBDA_START, VMM_VGA_HOLE_START, lowmem, VMM_E820_RESERVED);
  /* The VGA window [0xA0000, BIOS area) is left out: it is MMIO on a PC,
   * and the kernel must not treat it as either RAM or firmware memory.
   * The two reserved pieces of the BIOS area around the ACPI tables are
   * empty with today's layout.h (the tables fill the whole area) and then
   * vanish; they keep the map right if the layout changes. */
  e820_add (&b, VMM_BIOS_AREA_START, VMM_ACPI_TABLES_START, lowmem, VMM_E820_RESERVED);
  e820_add (&b, VMM_ACPI_TABLES_START, VMM_ACPI_TABLES_START + VMM_ACPI_TABLES_SIZE,
            lowmem, VMM_E820_ACPI);
  e820_add (&b, VMM_ACPI_TABLES_START + VMM_ACPI_TABLES_SIZE, VMM_HIMEM_START,
            lowmem, VMM_E820_RESERVED);
  e820_add (&b, VMM_HIMEM_START, lowmem, lowmem, VMM_E820_RAM);

  /* Linux accepts MMCONFIG only when the ECAM window is reserved in the
   * e820 map or in an ACPI motherboard-resources device; we do both. */
  e820_add (&b, VMM_PCI_ECAM_BASE, VMM_PCI_ECAM_BASE + VMM_PCI_ECAM_SIZE, UINT64_MAX,
            VMM_E820_RESERVED);

  if (ram_size > lowmem)
    e820_add (&b, VMM_HIGHMEM_BASE, VMM_HIGHMEM_BASE + (ram_size - lowmem), UINT64_MAX,
              VMM_E820_RAM);

  return b.n;
}
