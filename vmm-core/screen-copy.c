/* screen-copy.c: a whole copy of a VmmDisplay's surface; see
 * screen-copy.h.
 *
 * The size comes from vmm_display_get_mode() and the pixels from
 * vmm_display_read_xrgb() under the mode's serial, so a mode change
 * between the two (a guest switching resolution) is seen as -ESTALE
 * rather than read into a buffer of the old size; the copy then starts
 * over with the new mode, a few times at most.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "screen-copy.h"

#include <errno.h>
#include <glib.h>

/* A guest that changes mode this often in a row is not showing anything
 * worth a picture. */
#define COPY_ATTEMPTS 4

bool
vmm_screen_copy (VmmDisplay *d, uint32_t *width, uint32_t *height, uint32_t **pixels)
{
  g_return_val_if_fail (d != NULL && width != NULL && height != NULL && pixels != NULL, false);

  *pixels = NULL;
  for (unsigned attempt = 0; attempt < COPY_ATTEMPTS; attempt++)
    {
      VmmDisplayMode mode;
      VmmDisplayRect rect;
      uint32_t *buf;
      int r;

      vmm_display_get_mode (d, &mode);
      if (!mode.valid || mode.width == 0 || mode.height == 0)
        return false;
      /* The display refuses modes beyond VMM_DISPLAY_MAX_*, so this is at
       * most 256 MiB; g_malloc_n checks the product anyway. */
      buf = g_try_malloc_n ((gsize) mode.width * mode.height, sizeof *buf);
      if (buf == NULL)
        return false;
      rect = (VmmDisplayRect) { 0, 0, mode.width, mode.height };
      r = vmm_display_read_xrgb (d, mode.serial, &rect, buf, (size_t) mode.width * sizeof *buf);
      if (r == 0)
        {
          *width = mode.width;
          *height = mode.height;
          *pixels = buf;
          return true;
        }
      g_free (buf);
      if (r != -ESTALE)
        return false;
    }
  return false;
}
