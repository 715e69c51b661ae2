/* e820.h: the guest's physical memory map (BIOS INT 15h E820 format).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VMM_E820_RAM      1
#define VMM_E820_RESERVED 2
#define VMM_E820_ACPI     3

typedef struct {
  uint64_t addr;
  uint64_t size;
  uint32_t type;
} VmmE820Entry;

#define VMM_E820_MAX 32

/* The end of guest RAM below 4 GiB for @ram_size bytes of RAM: RAM beyond
 * this continues at VMM_HIGHMEM_BASE. */
uint64_t vmm_e820_lowmem_end (uint64_t ram_size);

/* The guest's memory map for @ram_size bytes of RAM laid out per layout.h:
 * low RAM below vmm_e820_lowmem_end() minus the legacy area below 1 MiB
 * (EBDA and BIOS area reserved, the ACPI tables region as ACPI, the VGA
 * window absent), the PCIe ECAM window reserved, the rest of RAM at
 * VMM_HIGHMEM_BASE.
 *
 * The legacy area is still backed by the guest's RAM: RAM entries plus the
 * bytes of [VMM_EBDA_START, VMM_HIMEM_START) below the low RAM end add up
 * to @ram_size.
 *
 * Returns the number of entries written to @out (at most @max; with
 * @max >= VMM_E820_MAX nothing is ever cut), sorted by address and
 * non-overlapping. */
size_t vmm_e820_build (uint64_t ram_size, VmmE820Entry *out, size_t max);
