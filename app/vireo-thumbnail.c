/* vireo-thumbnail.c
 *
 * Shrinks a picture of a guest's screen to the size of a library card.
 * Each pixel of the result is the average of the block of screen pixels
 * it covers (a box filter): every screen pixel counts once, so a line of
 * text one pixel thick still tints the thumbnail rather than vanishing
 * between sample points, as it would with nearest-neighbour sampling.
 *
 * Pixels are 4 bytes, B G R x in memory (vmm-core's XRGB8888); the
 * fourth byte of the result is 0xff, so it may be shown as opaque
 * B8G8R8A8 without further work. Runs on worker threads: no GObject and
 * no shared state here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vireo-thumbnail.h"

/**
 * vireo_thumbnail_scale:
 * @pixels: @width × @height pixels, rows packed
 * @max_width: the largest width wanted, at least 1
 * @max_height: the largest height wanted, at least 1
 * @out_width: (out): the result's width
 * @out_height: (out): the result's height
 *
 * Scales @pixels down to fit @max_width × @max_height, keeping the
 * aspect ratio; a picture that fits already is copied as it is (with
 * its fourth bytes set). The result is never empty: a sliver of a
 * picture keeps at least one pixel in each direction.
 *
 * Returns: (transfer full): the result's rows, packed, 4 bytes a pixel;
 *   free with g_free()
 */
guint8 *
vireo_thumbnail_scale (const guint8 *pixels,
                       guint         width,
                       guint         height,
                       guint         max_width,
                       guint         max_height,
                       guint        *out_width,
                       guint        *out_height)
{
  guint64 tw, th;
  guint8 *out;

  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0 && max_width > 0 && max_height > 0, NULL);
  g_return_val_if_fail (out_width != NULL && out_height != NULL, NULL);

  /* The largest size of the same shape that fits, by integer arithmetic
   * so that a picture exactly twice the box gives exactly the box. */
  if (width <= max_width && height <= max_height)
    tw = width, th = height;
  else if ((guint64) width * max_height >= (guint64) height * max_width)
    tw = max_width, th = MAX (1, (guint64) height * max_width / width);
  else
    tw = MAX (1, (guint64) width * max_height / height), th = max_height;

  out = g_malloc_n (tw * th, 4);
  for (guint64 y = 0; y < th; y++)
    {
      /* The source rows [y0, y1) this row covers: at least one, and
       * together every row once. */
      guint64 y0 = y * height / th;
      guint64 y1 = MAX (y0 + 1, (y + 1) * height / th);

      for (guint64 x = 0; x < tw; x++)
        {
          guint64 x0 = x * width / tw;
          guint64 x1 = MAX (x0 + 1, (x + 1) * width / tw);
          guint64 sum[3] = { 0, 0, 0 };
          guint64 n = (y1 - y0) * (x1 - x0);
          guint8 *o = out + (y * tw + x) * 4;

          for (guint64 sy = y0; sy < y1; sy++)
            {
              const guint8 *p = pixels + (sy * width + x0) * 4;

              for (guint64 sx = x0; sx < x1; sx++, p += 4)
                {
                  sum[0] += p[0];
                  sum[1] += p[1];
                  sum[2] += p[2];
                }
            }
          /* Rounded to nearest, so a flat colour stays exactly itself. */
          o[0] = (guint8) ((sum[0] + n / 2) / n);
          o[1] = (guint8) ((sum[1] + n / 2) / n);
          o[2] = (guint8) ((sum[2] + n / 2) / n);
          o[3] = 0xff;
        }
    }
  *out_width = (guint) tw;
  *out_height = (guint) th;
  return out;
}
