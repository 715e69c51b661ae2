/* test-thumbnail.c
 *
 * Shrinking a guest's screen to a card: the size keeps the screen's
 * shape and fits the box, each thumbnail pixel is the rounded average of
 * the block it covers (so flat colours stay exact and thin lines still
 * show), and odd shapes (slivers, pictures that already fit) behave.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "vireo-thumbnail.h"

static guint8 *
solid (guint width, guint height, guint32 bgr)
{
  guint8 *p = g_malloc_n ((gsize) width * height, 4);

  for (gsize i = 0; i < (gsize) width * height; i++)
    {
      p[4 * i + 0] = bgr & 0xff;
      p[4 * i + 1] = (bgr >> 8) & 0xff;
      p[4 * i + 2] = (bgr >> 16) & 0xff;
      p[4 * i + 3] = 0;   /* the x byte: anything */
    }
  return p;
}

static void
assert_pixel (const guint8 *p, guint8 b, guint8 g, guint8 r)
{
  g_assert_cmpuint (p[0], ==, b);
  g_assert_cmpuint (p[1], ==, g);
  g_assert_cmpuint (p[2], ==, r);
  g_assert_cmpuint (p[3], ==, 0xff);
}

static void
test_sizes (void)
{
  static const struct {
    guint w, h, max_w, max_h, want_w, want_h;
  } cases[] = {
    { 1024, 768, 416, 312, 416, 312 },     /* 4:3 into 4:3 */
    { 1920, 1080, 416, 312, 416, 234 },    /* wide: width-bound */
    { 640, 480, 208, 156, 208, 156 },
    { 720, 400, 416, 312, 416, 231 },      /* text mode's shape */
    { 600, 800, 416, 312, 234, 312 },      /* tall: height-bound */
    { 832, 624, 416, 312, 416, 312 },      /* exactly twice */
    { 320, 200, 416, 312, 320, 200 },      /* fits: left as it is */
    { 8192, 1, 416, 312, 416, 1 },         /* a sliver keeps a row */
    { 1, 8192, 416, 312, 1, 312 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree guint8 *src = solid (cases[c].w, cases[c].h, 0x336699);
      g_autofree guint8 *out = NULL;
      guint w = 0, h = 0;

      out = vireo_thumbnail_scale (src, cases[c].w, cases[c].h, cases[c].max_w, cases[c].max_h, &w, &h);
      g_assert_nonnull (out);
      g_assert_cmpuint (w, ==, cases[c].want_w);
      g_assert_cmpuint (h, ==, cases[c].want_h);
      /* A flat colour averages to itself, everywhere. */
      for (gsize i = 0; i < (gsize) w * h; i++)
        assert_pixel (out + 4 * i, 0x99, 0x66, 0x33);
    }
}

/* A 4x4 block becomes one pixel with the block's mean, rounded. */
static void
test_average (void)
{
  g_autofree guint8 *src = solid (8, 8, 0x000000);
  g_autofree guint8 *out = NULL;
  guint w, h;

  /* The top-left block: one white pixel of 16 (255/16 = 15.9 -> 16). */
  memset (src, 0xff, 4);
  /* The top-right block: its left half blue 0xff (8 of 16 -> 127.5 -> 128). */
  for (guint y = 0; y < 4; y++)
    for (guint x = 4; x < 6; x++)
      src[(y * 8 + x) * 4 + 0] = 0xff;
  /* The bottom-left block: all red. */
  for (guint y = 4; y < 8; y++)
    for (guint x = 0; x < 4; x++)
      src[(y * 8 + x) * 4 + 2] = 0xff;

  out = vireo_thumbnail_scale (src, 8, 8, 2, 2, &w, &h);
  g_assert_cmpuint (w, ==, 2);
  g_assert_cmpuint (h, ==, 2);
  assert_pixel (out + 0, 16, 16, 16);
  assert_pixel (out + 4, 128, 0, 0);
  assert_pixel (out + 8, 0, 0, 255);
  assert_pixel (out + 12, 0, 0, 0);
}

/* One-pixel text on a big screen still leaves a trace in the thumbnail:
 * every screen pixel is counted, none skipped between samples. */
static void
test_thin_lines (void)
{
  const guint width = 1280, height = 960;
  g_autofree guint8 *src = solid (width, height, 0x000000);
  g_autofree guint8 *out = NULL;
  guint w, h, lit = 0;

  /* A 1-pixel vertical line every 5 columns. */
  for (guint y = 0; y < height; y++)
    for (guint x = 2; x < width; x += 5)
      memset (src + ((gsize) y * width + x) * 4, 0xff, 3);

  out = vireo_thumbnail_scale (src, width, height, 208, 156, &w, &h);
  g_assert_cmpuint (w, ==, 208);
  g_assert_cmpuint (h, ==, 156);
  for (gsize i = 0; i < (gsize) w * h; i++)
    lit += out[4 * i] > 0;
  /* 1280/208 is 6.15 columns a pixel: each thumbnail column covers at
   * least 6 screen columns, so one of the lines at least. Sampling one
   * screen pixel in 6 would have missed most of them. */
  g_assert_cmpuint (lit, ==, w * h);
}

/* With -m perf only: how long one card's picture of a 1920x1080 screen
 * takes to make (the README quotes it). Nothing is asserted on time. */
static void
test_perf (void)
{
  const guint width = 1920, height = 1080, rounds = 50;
  g_autofree guint8 *src = g_malloc_n ((gsize) width * height, 4);
  guint w, h;
  gint64 start;

  for (gsize i = 0; i < (gsize) width * height * 4; i++)
    src[i] = (guint8) (i * 7);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < rounds; i++)
    g_free (vireo_thumbnail_scale (src, width, height, 416, 312, &w, &h));
  g_test_maximized_result ((double) rounds * G_USEC_PER_SEC / (g_get_monotonic_time () - start),
                           "1920x1080 -> %ux%u: %.2f ms a thumbnail", w, h,
                           (g_get_monotonic_time () - start) / 1000.0 / rounds);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thumbnail/sizes", test_sizes);
  g_test_add_func ("/thumbnail/average", test_average);
  g_test_add_func ("/thumbnail/thin-lines", test_thin_lines);
  if (g_test_perf ())
    g_test_add_func ("/thumbnail/perf", test_perf);
  return g_test_run ();
}
