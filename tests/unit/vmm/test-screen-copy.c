/* test-screen-copy.c: whole pictures of a VmmDisplay's screen (what
 * vmm_machine_read_screen() returns), taken through the display's
 * server-side interface from a test device's framebuffers in each pixel
 * format, from the bochs-display device as a guest driver programs it,
 * and while a device switches modes under the copy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "screen-copy.h"
#include "devices/bochs-display.h"

#include <string.h>

#define VRAM_BAR 0
#define MMIO_BAR 2

static void
test_no_screen (void)
{
  VmmDisplay *d = vmm_display_new ();
  uint32_t w = 7, h = 7, *px = (uint32_t *) &w;

  /* No surface yet: the screen is off. */
  g_assert_false (vmm_screen_copy (d, &w, &h, &px));
  g_assert_null (px);
  vmm_display_free (d);
}

/* A test device's 5x3 framebuffer with a padded stride, a different
 * colour in each pixel, in every format the display knows. */
static void
test_formats (void)
{
  static const struct {
    VmmDisplayFormat format;
    unsigned bpp;
    uint8_t bytes[4];       /* the pixel 0x00rrggbb = 0x0a0b0c in memory */
  } cases[] = {
    { VMM_DISPLAY_FORMAT_XRGB8888, 4, { 0x0c, 0x0b, 0x0a, 0x00 } },
    { VMM_DISPLAY_FORMAT_ARGB8888, 4, { 0x0c, 0x0b, 0x0a, 0x80 } },
    { VMM_DISPLAY_FORMAT_BGRX8888, 4, { 0x00, 0x0a, 0x0b, 0x0c } },
    { VMM_DISPLAY_FORMAT_XBGR8888, 4, { 0x0a, 0x0b, 0x0c, 0x00 } },
    { VMM_DISPLAY_FORMAT_RGBA8888, 4, { 0x80, 0x0c, 0x0b, 0x0a } },
    { VMM_DISPLAY_FORMAT_RGB888, 3, { 0x0c, 0x0b, 0x0a } },
  };
  const uint32_t width = 5, height = 3, stride = 32;

  for (unsigned c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      VmmDisplay *d = vmm_display_new ();
      uint8_t fb[32 * 3];
      VmmDisplaySurface s = {
        .format = cases[c].format, .width = width, .height = height,
        .stride = stride, .pixels = fb, .size = sizeof fb,
      };
      g_autofree uint32_t *px = NULL;
      uint32_t w = 0, h = 0;

      /* The padding is garbage that must not show. */
      memset (fb, 0xee, sizeof fb);
      for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++)
          {
            uint8_t *p = fb + y * stride + x * cases[c].bpp;

            memcpy (p, cases[c].bytes, cases[c].bpp);
            /* The blue channel says where the pixel is. */
            for (unsigned b = 0; b < cases[c].bpp; b++)
              if (p[b] == 0x0c)
                p[b] = (uint8_t) (0x40 + y * width + x);
          }
      g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
      g_assert_true (vmm_screen_copy (d, &w, &h, &px));
      g_assert_cmpuint (w, ==, width);
      g_assert_cmpuint (h, ==, height);
      for (uint32_t i = 0; i < width * height; i++)
        g_assert_cmphex (GUINT32_FROM_LE (px[i]), ==, 0xff0a0b40u + i);

      /* The screen goes off again. */
      g_clear_pointer (&px, g_free);
      vmm_display_set_surface (d, NULL);
      g_assert_false (vmm_screen_copy (d, &w, &h, &px));
      g_assert_null (px);
      vmm_display_free (d);
    }
}

static void
test_rgb565 (void)
{
  VmmDisplay *d = vmm_display_new ();
  /* Full red, full green, full blue, white; 2x2. */
  uint16_t fb[4] = { GUINT16_TO_LE (0xf800), GUINT16_TO_LE (0x07e0),
                     GUINT16_TO_LE (0x001f), GUINT16_TO_LE (0xffff) };
  VmmDisplaySurface s = {
    .format = VMM_DISPLAY_FORMAT_RGB565, .width = 2, .height = 2,
    .stride = 4, .pixels = fb, .size = sizeof fb,
  };
  g_autofree uint32_t *px = NULL;
  uint32_t w, h;

  g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
  g_assert_true (vmm_screen_copy (d, &w, &h, &px));
  g_assert_cmpuint (w, ==, 2);
  g_assert_cmpuint (h, ==, 2);
  g_assert_cmphex (GUINT32_FROM_LE (px[0]), ==, 0xffff0000);
  g_assert_cmphex (GUINT32_FROM_LE (px[1]), ==, 0xff00ff00);
  g_assert_cmphex (GUINT32_FROM_LE (px[2]), ==, 0xff0000ff);
  g_assert_cmphex (GUINT32_FROM_LE (px[3]), ==, 0xffffffff);
  vmm_display_free (d);
}

/* The real device: a guest driver sets a mode through the VBE registers
 * and draws into the framebuffer BAR (served by MMIO here, no KVM). */
static void
vbe_set (VmmPciDevice *pci, unsigned index, uint16_t v)
{
  uint8_t b[2] = { v & 0xff, v >> 8 };

  pci->bar_ops[MMIO_BAR]->write (pci->bar_opaque[MMIO_BAR], 0x500 + 2 * index, b, 2);
}

static void
test_bochs (void)
{
  static const VmmPlatformOps no_ops = { 0 };
  g_autoptr(GError) error = NULL;
  VmmPlatform platform = { .ops = &no_ops };
  VmmDisplay *d = vmm_display_new ();
  VmmBochsDisplay *bd = NULL;
  VmmPciDevice *pci;
  g_autofree uint32_t *px = NULL;
  uint8_t pixel[4] = { 0x33, 0x22, 0x11, 0x00 };
  uint32_t w, h;

  vmm_guest_mem_init (&platform.mem);
  pci = vmm_bochs_display_new (&platform, d, &bd, &error);
  g_assert_no_error (error);

  /* Not enabled yet: no screen. */
  vmm_bochs_display_refresh (bd);
  g_assert_false (vmm_screen_copy (d, &w, &h, &px));

  /* What bochs-drm does for 320x200 at 32 bpp. */
  vbe_set (pci, 4, 0);
  vbe_set (pci, 3, 32);
  vbe_set (pci, 1, 320);
  vbe_set (pci, 2, 200);
  vbe_set (pci, 6, 320);
  vbe_set (pci, 7, 200);
  vbe_set (pci, 4, 0x41);
  /* The bottom-right pixel. */
  pci->bar_ops[VRAM_BAR]->write (pci->bar_opaque[VRAM_BAR], (199 * 320 + 319) * 4, pixel, 4);
  vmm_bochs_display_refresh (bd);

  g_assert_true (vmm_screen_copy (d, &w, &h, &px));
  g_assert_cmpuint (w, ==, 320);
  g_assert_cmpuint (h, ==, 200);
  g_assert_cmphex (GUINT32_FROM_LE (px[0]), ==, 0xff000000);
  g_assert_cmphex (GUINT32_FROM_LE (px[199 * 320 + 319]), ==, 0xff112233);

  /* Disabled again: the screen is off. */
  g_clear_pointer (&px, g_free);
  vbe_set (pci, 4, 0);
  vmm_bochs_display_refresh (bd);
  g_assert_false (vmm_screen_copy (d, &w, &h, &px));
  g_assert_null (px);

  vmm_pci_device_free (pci);
  vmm_display_free (d);
}

/* A device that flips between two modes as fast as it can while pictures
 * are taken: each picture is one whole mode, never a mix, and never read
 * into a buffer of the other mode's size (ASan would see that). */
#define FLIPS 20000

static uint32_t wide_fb[64 * 16];
static uint32_t tall_fb[16 * 64];
static const VmmDisplaySurface wide = {
  .format = VMM_DISPLAY_FORMAT_XRGB8888, .width = 64, .height = 16,
  .stride = 64 * 4, .pixels = wide_fb, .size = sizeof wide_fb,
};
static const VmmDisplaySurface tall = {
  .format = VMM_DISPLAY_FORMAT_XRGB8888, .width = 16, .height = 64,
  .stride = 16 * 4, .pixels = tall_fb, .size = sizeof tall_fb,
};
static gint flipping;

static gpointer
flip_thread (gpointer data)
{
  VmmDisplay *d = data;

  for (unsigned i = 0; i < FLIPS; i++)
    g_assert_cmpint (vmm_display_set_surface (d, i % 2 ? &tall : &wide), ==, 0);
  g_atomic_int_set (&flipping, 0);
  return NULL;
}

static void
check_picture (VmmDisplay *d, unsigned *pictures)
{
  g_autofree uint32_t *px = NULL;
  uint32_t w = 0, h = 0, want;

  /* When every attempt met a new mode: nothing, which is allowed; a
   * picture must be right. */
  if (!vmm_screen_copy (d, &w, &h, &px))
    {
      g_assert_null (px);
      return;
    }
  (*pictures)++;
  g_assert_true ((w == 64 && h == 16) || (w == 16 && h == 64));
  want = w == 64 ? 0xffaaaaaa : 0xff555555;
  for (unsigned p = 0; p < w * h; p++)
    g_assert_cmphex (GUINT32_FROM_LE (px[p]), ==, want);
}

static void
test_mode_changes (void)
{
  VmmDisplay *d = vmm_display_new ();
  GThread *thread;
  unsigned pictures = 0, copies = 0;

  for (unsigned i = 0; i < G_N_ELEMENTS (wide_fb); i++)
    {
      wide_fb[i] = GUINT32_TO_LE (0x00aaaaaa);
      tall_fb[i] = GUINT32_TO_LE (0x00555555);
    }
  /* A screen from the start, so that every copy meets one. */
  g_assert_cmpint (vmm_display_set_surface (d, &tall), ==, 0);
  g_atomic_int_set (&flipping, 1);
  thread = g_thread_new ("flip", flip_thread, d);
  while (g_atomic_int_get (&flipping))
    {
      check_picture (d, &pictures);
      copies++;
    }
  g_thread_join (thread);
  g_test_message ("%u pictures of %u copies while the mode flipped", pictures, copies);

  /* Once the device settles, a picture is always taken. */
  pictures = 0;
  check_picture (d, &pictures);
  g_assert_cmpuint (pictures, ==, 1);
  vmm_display_free (d);
}

/* With -m perf only: one picture of a 1920x1080 screen, as the library
 * takes one every 2 s per running machine (the README quotes it). */
static void
test_perf (void)
{
  const uint32_t width = 1920, height = 1080;
  const unsigned rounds = 50;
  VmmDisplay *d = vmm_display_new ();
  g_autofree uint32_t *fb = g_new0 (uint32_t, (gsize) width * height);
  VmmDisplaySurface s = {
    .format = VMM_DISPLAY_FORMAT_XRGB8888, .width = width, .height = height,
    .stride = width * 4, .pixels = fb, .size = (size_t) width * height * 4,
  };
  gint64 start;

  g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
  start = g_get_monotonic_time ();
  for (unsigned i = 0; i < rounds; i++)
    {
      g_autofree uint32_t *px = NULL;
      uint32_t w, h;

      g_assert_true (vmm_screen_copy (d, &w, &h, &px));
    }
  g_test_maximized_result ((double) rounds * G_USEC_PER_SEC / (g_get_monotonic_time () - start),
                           "1920x1080: %.2f ms a copy",
                           (g_get_monotonic_time () - start) / 1000.0 / rounds);
  vmm_display_free (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/screen-copy/no-screen", test_no_screen);
  g_test_add_func ("/screen-copy/formats", test_formats);
  g_test_add_func ("/screen-copy/rgb565", test_rgb565);
  g_test_add_func ("/screen-copy/bochs", test_bochs);
  g_test_add_func ("/screen-copy/mode-changes", test_mode_changes);
  if (g_test_perf ())
    g_test_add_func ("/screen-copy/perf", test_perf);
  return g_test_run ();
}
