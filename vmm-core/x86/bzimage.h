/* bzimage.h: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst)
 * for direct boot through the 64-bit entry point.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "e820.h"

/* Offsets into the zero page (struct boot_params) and its setup header. */
#define VMM_BOOT_HDR_OFFSET        0x1f1
#define VMM_BOOT_HDR_END           0x290

/* loadflags */
#define VMM_BOOT_LOADED_HIGH       0x01
#define VMM_BOOT_CAN_USE_HEAP      0x80
/* xloadflags */
#define VMM_BOOT_XLF_KERNEL_64     0x0001
#define VMM_BOOT_XLF_CAN_BE_LOADED_ABOVE_4G 0x0002

/* The zero page's e820 table holds at most this many entries. */
#define VMM_BOOT_E820_MAX          128

typedef struct {
  uint16_t protocol;          /* e.g. 0x020f */
  uint32_t setup_size;        /* bytes of real-mode setup incl. boot sector: ((setup_sects ?: 4) + 1) * 512 */
  const uint8_t *kernel;      /* the protected-mode kernel, inside the caller's buffer */
  size_t kernel_len;
  uint64_t load_addr;         /* where to place `kernel` (pref_address when relocatable and sane, else 1 MiB) */
  uint32_t init_size;         /* memory the kernel needs from load_addr while decompressing */
  uint32_t initrd_addr_max;
  uint32_t cmdline_size;      /* max command line length, excluding NUL */
  uint16_t xloadflags;
  uint8_t  header[VMM_BOOT_HDR_END - VMM_BOOT_HDR_OFFSET]; /* the setup header as found, copied into the zero page */

  /* Added: the first guest-physical byte above everything the kernel
   * touches while it decompresses itself (a non-relocatable kernel moves
   * to its pref_address first). The initrd and anything else the loader
   * places must start at or above it. */
  uint64_t kernel_end;
} VmmBzImage;

/* Validates everything used: "HdrS" magic, protocol >= 0x206, 64-bit entry
 * (XLF_KERNEL_64), setup_sects and lengths within the file, init_size
 * sane. Errors are G_IO_ERROR_INVALID_DATA with a message for the user,
 * naming the file as "the kernel". @out points into @data: keep @data alive
 * while @out is in use. */
gboolean vmm_bzimage_parse (const uint8_t *data, size_t len, VmmBzImage *out, GError **error);

/* Where the initrd goes: the highest 4 KiB-aligned address such that it
 * ends at or below min(initrd_addr_max, lowmem_end - 1) and starts at or
 * above @kernel_end. Errors (G_IO_ERROR_NO_SPACE) say the initrd is too
 * large for the guest's memory and how much memory would be needed. */
gboolean vmm_bzimage_place_initrd (const VmmBzImage *img, uint64_t lowmem_end, uint64_t kernel_end,
                                   uint64_t initrd_len, uint64_t *gpa_out, GError **error);

/* Fills a 4096-byte zero page (struct boot_params): the setup header
 * copied, type_of_loader 0xff, loadflags (LOADED_HIGH, CAN_USE_HEAP),
 * heap_end_ptr, cmd_line_ptr (+ ext_cmd_line_ptr), ramdisk_image/size
 * (+ ext_*), the e820 table (e820_entries, e820_table at 0x2d0),
 * acpi_rsdp_addr (protocol >= 2.14; 0 leaves it out). @cmdline_len
 * excludes the NUL. Errors (G_IO_ERROR_INVALID_ARGUMENT) when the command
 * line is longer than cmdline_size or the e820 map has too many entries. */
gboolean vmm_bzimage_setup_zero_page (const VmmBzImage *img, uint8_t zero_page[4096],
                                      const VmmE820Entry *e820, size_t n_e820,
                                      uint64_t cmdline_gpa, uint32_t cmdline_len,
                                      uint64_t initrd_gpa, uint32_t initrd_len,
                                      uint64_t rsdp_gpa, GError **error);
