/* fuzz-pflash.c: the UEFI variable flash under libFuzzer: any sequence of
 * reads and writes, at any offset and width, with resets in between. The
 * flash array is exactly its allocation, so ASan catches any access
 * outside it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "firmware/pflash.h"

#define LEN (2 * VMM_PFLASH_BLOCK_SIZE)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
on_mode (void *opaque, gboolean array, gboolean changed)
{
  gboolean *mode = opaque;

  /* Switches alternate: the machine relies on it to add and remove its
   * memory slot; a change is only reported on the way back to read
   * array. */
  if (*mode == array || (changed && !array))
    __builtin_trap ();
  *mode = array;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const uint8_t widths[] = { 1, 2, 4, 8 };
  uint8_t *array = g_malloc (LEN);
  gboolean mode = TRUE;
  VmmPflash *f;

  memset (array, 0xa5, LEN);
  f = vmm_pflash_new (array, LEN, on_mode, &mode);
  /* Each step: op (bit 0 write, bits 1-2 width, bit 3 reset), a 16-bit
   * offset that may run past the end, 8 data bytes. */
  while (size >= 11)
    {
      unsigned len = widths[(data[0] >> 1) & 3];
      uint64_t offset = (uint64_t) data[1] | (uint64_t) data[2] << 8;
      uint8_t buf[8];

      memcpy (buf, data + 3, 8);
      if (data[0] & 8)
        vmm_pflash_reset (f);
      else if (data[0] & 1)
        vmm_pflash_write (f, offset, buf, len);
      else
        vmm_pflash_read (f, offset, buf, len);
      if (vmm_pflash_in_array_mode (f) != mode)
        __builtin_trap ();
      data += 11;
      size -= 11;
    }
  vmm_pflash_take_dirty (f);
  vmm_pflash_free (f);
  g_free (array);
  return 0;
}
