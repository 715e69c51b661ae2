/* fuzz-bzimage.c: libFuzzer target for the bzImage parser and what is
 * computed from a parsed header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <stdlib.h>

#include "bzimage.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  VmmBzImage img;
  VmmE820Entry map[VMM_E820_MAX];
  size_t n = vmm_e820_build (512 * 1024 * 1024, map, G_N_ELEMENTS (map));
  uint64_t initrd = 0;
  uint8_t zp[4096];

  if (!vmm_bzimage_parse (data, size, &img, &error))
    {
      if (error == NULL)
        abort ();
      return 0;
    }

  /* Whatever was accepted must describe memory inside the input. */
  if (img.kernel != data + img.setup_size || img.setup_size + img.kernel_len != size
      || img.kernel_end > 0x80000000ull || img.load_addr < 0x100000)
    abort ();

  if (vmm_bzimage_place_initrd (&img, 512 * 1024 * 1024, img.kernel_end, 4096 * 3, &initrd, NULL)
      && (initrd < img.kernel_end || initrd % 4096 != 0))
    abort ();
  (void) vmm_bzimage_setup_zero_page (&img, zp, map, n, 0x20000, img.cmdline_size, initrd,
                                      4096 * 3, 0xe0000, NULL);
  return 0;
}
