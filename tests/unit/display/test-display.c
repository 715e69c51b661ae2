/* test-display.c: VmmDisplay, the contract between the display devices and
 * the display server: absurd modes refused, pixels converted, rectangles
 * clipped, stale reads refused, requests and input routed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/display.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static uint8_t pixels[64 * 64 * 4];

static VmmDisplaySurface
surface (VmmDisplayFormat format, uint32_t w, uint32_t h, uint32_t stride, size_t size)
{
  return (VmmDisplaySurface) { format, w, h, stride, pixels, size };
}

static void
test_bad_surfaces (void)
{
  VmmDisplay *d = vmm_display_new ();
  VmmDisplaySurface good = surface (VMM_DISPLAY_FORMAT_XRGB8888, 16, 16, 64, sizeof pixels);
  VmmDisplaySurface bad[] = {
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 0, 0, 0, sizeof pixels),
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 0, 16, 64, sizeof pixels),
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 16, 0, 64, sizeof pixels),
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 100000, 100000, 400000, sizeof pixels),
    surface (VMM_DISPLAY_FORMAT_XRGB8888, VMM_DISPLAY_MAX_WIDTH + 1, 1, (VMM_DISPLAY_MAX_WIDTH + 1) * 4, SIZE_MAX),
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 1, VMM_DISPLAY_MAX_HEIGHT + 1, 4, SIZE_MAX),
    /* A stride shorter than a row. */
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 16, 16, 63, sizeof pixels),
    /* A buffer shorter than the rows claim. */
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 64, 64, 256, sizeof pixels - 1),
    surface (VMM_DISPLAY_FORMAT_XRGB8888, 16, 16, 0xffffffffu, sizeof pixels),
    /* Formats nobody defined. */
    surface (VMM_DISPLAY_FORMAT_INVALID, 16, 16, 64, sizeof pixels),
    surface ((VmmDisplayFormat) 999, 16, 16, 64, sizeof pixels),
    surface (VMM_DISPLAY_FORMAT_RGB565, 16, 16, 31, sizeof pixels),
  };
  VmmDisplayMode mode;
  uint64_t serial;

  g_assert_cmpint (vmm_display_set_surface (d, &good), ==, 0);
  vmm_display_get_mode (d, &mode);
  serial = mode.serial;
  for (unsigned i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_test_message ("bad surface %u", i);
    g_assert_cmpint (vmm_display_set_surface (d, &bad[i]), ==, -EINVAL);
    /* The current surface stays. */
    vmm_display_get_mode (d, &mode);
    g_assert_true (mode.valid);
    g_assert_cmpuint (mode.width, ==, 16);
    g_assert_cmpuint (mode.serial, ==, serial);
  }
  {
    VmmDisplaySurface no_pixels = good;

    no_pixels.pixels = NULL;
    g_assert_cmpint (vmm_display_set_surface (d, &no_pixels), ==, -EINVAL);
  }
  /* The last row needs no full stride: exactly enough is accepted. */
  good = surface (VMM_DISPLAY_FORMAT_XRGB8888, 32, 4, 1024, 3 * 1024 + 32 * 4);
  g_assert_cmpint (vmm_display_set_surface (d, &good), ==, 0);
  g_assert_cmpint (vmm_display_set_surface (d, NULL), ==, 0);
  vmm_display_get_mode (d, &mode);
  g_assert_false (mode.valid);
  vmm_display_free (d);
}

static void
put (uint8_t *p, const uint8_t *bytes, unsigned n)
{
  memcpy (p, bytes, n);
}

static void
test_formats (void)
{
  /* One pixel of pure-ish colour r=0x11 g=0x22 b=0x33 in every format. */
  static const struct {
    VmmDisplayFormat format;
    uint8_t bytes[4];
    unsigned bpp;
    uint32_t expect;
  } cases[] = {
    { VMM_DISPLAY_FORMAT_XRGB8888, { 0x33, 0x22, 0x11, 0x99 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_ARGB8888, { 0x33, 0x22, 0x11, 0x00 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_BGRX8888, { 0x99, 0x11, 0x22, 0x33 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_BGRA8888, { 0x00, 0x11, 0x22, 0x33 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_XBGR8888, { 0x11, 0x22, 0x33, 0x99 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_ABGR8888, { 0x11, 0x22, 0x33, 0x00 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_RGBX8888, { 0x99, 0x33, 0x22, 0x11 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_RGBA8888, { 0x00, 0x33, 0x22, 0x11 }, 4, 0xff112233 },
    { VMM_DISPLAY_FORMAT_RGB888,   { 0x33, 0x22, 0x11 }, 3, 0xff112233 },
    /* 565: full intensity stays 0xff, half is 0x84/0x82 (top bits replicated). */
    { VMM_DISPLAY_FORMAT_RGB565,   { 0xe0, 0xff }, 2, 0xffffff00 },
    { VMM_DISPLAY_FORMAT_RGB565,   { 0x1f, 0x00 }, 2, 0xff0000ff },
    { VMM_DISPLAY_FORMAT_RGB565,   { 0x00, 0x84 }, 2, 0xff848200 },
  };
  VmmDisplay *d = vmm_display_new ();

  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++) {
    VmmDisplaySurface s = surface (cases[i].format, 3, 2, 64, sizeof pixels);
    VmmDisplayRect r = { 1, 1, 2, 1 };
    VmmDisplayMode mode;
    uint32_t out[2] = { 0, 0 };

    g_assert_cmpuint (vmm_display_format_bpp (cases[i].format), ==, cases[i].bpp);
    memset (pixels, 0, sizeof pixels);
    put (pixels + 64 + cases[i].bpp, cases[i].bytes, cases[i].bpp);
    put (pixels + 64 + 2 * cases[i].bpp, cases[i].bytes, cases[i].bpp);
    g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
    vmm_display_get_mode (d, &mode);
    g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial, &r, out, sizeof out), ==, 0);
    g_assert_cmphex (GUINT32_FROM_LE (out[0]), ==, cases[i].expect);
    g_assert_cmphex (GUINT32_FROM_LE (out[1]), ==, cases[i].expect);
  }
  vmm_display_free (d);
}

/* XRGB8888 and ARGB8888 are copied eight pixels at a time with the rest
 * one by one: every width around those steps, at every start column of a
 * row, gets each pixel once with its filler byte set and nothing beyond
 * the rectangle written. */
static void
test_read_widths (void)
{
  static const VmmDisplayFormat formats[] = { VMM_DISPLAY_FORMAT_XRGB8888, VMM_DISPLAY_FORMAT_ARGB8888 };
  VmmDisplay *d = vmm_display_new ();

  for (unsigned f = 0; f < G_N_ELEMENTS (formats); f++)
    for (uint32_t x = 0; x < 3; x++)
      for (uint32_t w = 1; w <= 25; w++) {
        VmmDisplaySurface s = surface (formats[f], 28, 2, 28 * 4, 28 * 4 * 2);
        VmmDisplayRect r = { x, 1, w, 1 };
        VmmDisplayMode mode;
        uint32_t out[26];

        for (unsigned i = 0; i < 28 * 2; i++) {
          uint32_t v = GUINT32_TO_LE (0x00010203u * (i + 1) & 0x00ffffffu);

          memcpy (pixels + 4 * i, &v, 4);
        }
        memset (out, 0xaa, sizeof out);
        g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
        vmm_display_get_mode (d, &mode);
        g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial, &r, out, sizeof out), ==, 0);
        for (uint32_t i = 0; i < w; i++)
          g_assert_cmphex (GUINT32_FROM_LE (out[i]), ==,
                           0xff000000u | (0x00010203u * (28 + x + i + 1) & 0x00ffffffu));
        g_assert_cmphex (out[w], ==, 0xaaaaaaaau);
      }
  vmm_display_free (d);
}

static void
test_read_bounds (void)
{
  VmmDisplay *d = vmm_display_new ();
  VmmDisplaySurface s = surface (VMM_DISPLAY_FORMAT_XRGB8888, 10, 8, 40, 320);
  static const VmmDisplayRect bad[] = {
    { 0, 0, 0, 1 }, { 0, 0, 1, 0 }, { 10, 0, 1, 1 }, { 0, 8, 1, 1 },
    { 5, 0, 6, 1 }, { 0, 4, 1, 5 }, { 0xffffffffu, 0, 2, 1 }, { 0, 0xfffffff0u, 1, 0x20 },
  };
  VmmDisplayRect all = { 0, 0, 10, 8 };
  VmmDisplayMode mode;
  uint32_t out[80];

  g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
  vmm_display_get_mode (d, &mode);
  g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial, &all, out, 40), ==, 0);
  g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial, &all, out, 39), ==, -EINVAL);
  for (unsigned i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial, &bad[i], out, 40), ==, -EINVAL);
  /* A read for a mode that is gone is refused, not served from the new one. */
  g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial + 1, &all, out, 40), ==, -ESTALE);
  g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
  g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial, &all, out, 40), ==, -ESTALE);
  g_assert_cmpint (vmm_display_set_surface (d, NULL), ==, 0);
  vmm_display_get_mode (d, &mode);
  g_assert_cmpint (vmm_display_read_xrgb (d, mode.serial, &all, out, 40), ==, -ESTALE);
  vmm_display_free (d);
}

typedef struct {
  int surface_changes;
  GArray *updates;
  int cursor_changes;
  int32_t cx, cy;
  uint32_t leds;
  int leds_changes;
  uint32_t rw, rh;
  uint16_t key;
  bool pressed;
  uint32_t px, py, pw, ph, pb;
  int32_t wheel;
  int32_t mdx, mdy, mdz;
  int absolute_changes;
  bool absolute;
  uint32_t mb;
  int motions;
} Events;

static void on_surface_changed (void *o) { ((Events *) o)->surface_changes++; }
static void on_update (void *o, const VmmDisplayRect *r) { g_array_append_val (((Events *) o)->updates, *r); }
static void on_cursor_changed (void *o) { ((Events *) o)->cursor_changes++; }
static void on_cursor_moved (void *o, int32_t x, int32_t y) { ((Events *) o)->cx = x; ((Events *) o)->cy = y; }
static void on_leds (void *o, uint32_t leds) { ((Events *) o)->leds = leds; ((Events *) o)->leds_changes++; }

static int
on_request_size (void *o, uint32_t w, uint32_t h)
{
  ((Events *) o)->rw = w;
  ((Events *) o)->rh = h;
  return 0;
}

static void
on_key (void *o, uint16_t scancode, bool pressed)
{
  ((Events *) o)->key = scancode;
  ((Events *) o)->pressed = pressed;
}

static void
on_pointer (void *o, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t b)
{
  Events *e = o;

  e->px = x, e->py = y, e->pw = w, e->ph = h, e->pb = b;
}

static void
on_wheel (void *o, int32_t dy, uint32_t b)
{
  ((Events *) o)->wheel += dy;
}

static void
on_motion (void *o, int32_t dx, int32_t dy, int32_t dz, uint32_t b)
{
  Events *e = o;

  e->mdx += dx, e->mdy += dy, e->mdz += dz, e->mb = b;
  e->motions++;
}

static void
on_absolute (void *o, bool absolute)
{
  ((Events *) o)->absolute = absolute;
  ((Events *) o)->absolute_changes++;
}

static const VmmDisplayListenerOps listener = {
  on_surface_changed, on_update, on_cursor_changed, on_cursor_moved, on_leds, on_absolute,
};
static const VmmDisplayDeviceOps device = { on_request_size };
static const VmmDisplayInputOps input = { on_key, on_pointer, on_wheel, on_motion };

static void
test_routing (void)
{
  VmmDisplay *d = vmm_display_new ();
  VmmDisplaySurface s = surface (VMM_DISPLAY_FORMAT_XRGB8888, 16, 16, 64, sizeof pixels);
  Events e = { .updates = g_array_new (FALSE, FALSE, sizeof (VmmDisplayRect)) };
  VmmDisplayRect *r;
  uint32_t cursor_pixels[4 * 4] = { 0 };
  VmmDisplayCursor cursor = { 4, 4, 1, 2, cursor_pixels };
  VmmDisplayCursor got;
  uint32_t *copy;

  /* Without a device nothing can change the mode. */
  g_assert_cmpint (vmm_display_request_size (d, 800, 600), ==, -ENOTSUP);
  vmm_display_set_listener (d, &listener, &e);
  vmm_display_set_device_ops (d, &device, &e);
  vmm_display_set_input_ops (d, &input, &e);

  /* Relative motion needs no surface (the screen may be off) and is
   * passed on as it comes, button changes without motion included. */
  vmm_display_motion (d, -3, 4, 1, VMM_DISPLAY_BUTTON_SIDE);
  vmm_display_motion (d, 0, 0, 0, 0);
  g_assert_cmpint (e.motions, ==, 2);
  g_assert_cmpint (e.mdx, ==, -3);
  g_assert_cmpint (e.mdy, ==, 4);
  g_assert_cmpint (e.mdz, ==, 1);
  g_assert_cmpuint (e.mb, ==, 0);

  /* Updates without a surface go nowhere; with one they are clipped. */
  vmm_display_update (d, 0, 0, 4, 4);
  g_assert_cmpuint (e.updates->len, ==, 0);
  g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
  g_assert_cmpint (e.surface_changes, ==, 1);
  vmm_display_update (d, 10, 12, 100, 100);
  vmm_display_update (d, 16, 0, 1, 1);
  vmm_display_update (d, 0, 0xffffffffu, 1, 1);
  vmm_display_update (d, 0xfffffff0u, 0, 0x20, 1);
  vmm_display_update (d, 2, 2, 0, 5);
  g_assert_cmpuint (e.updates->len, ==, 1);
  r = &g_array_index (e.updates, VmmDisplayRect, 0);
  g_assert_cmpuint (r->x, ==, 10);
  g_assert_cmpuint (r->y, ==, 12);
  g_assert_cmpuint (r->width, ==, 6);
  g_assert_cmpuint (r->height, ==, 4);

  /* Size requests: absurd ones never reach the device. */
  g_assert_cmpint (vmm_display_request_size (d, 0, 0), ==, -EINVAL);
  g_assert_cmpint (vmm_display_request_size (d, 100000, 100000), ==, -EINVAL);
  g_assert_cmpint (vmm_display_request_size (d, 1, VMM_DISPLAY_MAX_HEIGHT + 1), ==, -EINVAL);
  g_assert_cmpuint (e.rw, ==, 0);
  g_assert_cmpint (vmm_display_request_size (d, 1280, 720), ==, 0);
  g_assert_cmpuint (e.rw, ==, 1280);
  g_assert_cmpuint (e.rh, ==, 720);

  /* The pointer is clamped to the surface and carries its size. */
  vmm_display_pointer (d, -5, 100, VMM_DISPLAY_BUTTON_LEFT);
  g_assert_cmpuint (e.px, ==, 0);
  g_assert_cmpuint (e.py, ==, 15);
  g_assert_cmpuint (e.pw, ==, 16);
  g_assert_cmpuint (e.ph, ==, 16);
  g_assert_cmpuint (e.pb, ==, VMM_DISPLAY_BUTTON_LEFT);
  vmm_display_wheel (d, -2, 0);
  vmm_display_wheel (d, 0, 0);
  g_assert_cmpint (e.wheel, ==, -2);
  vmm_display_key (d, 0xe048, true);
  g_assert_cmphex (e.key, ==, 0xe048);
  g_assert_true (e.pressed);

  /* Cursor images: limits checked, the image copied. */
  g_assert_cmpint (vmm_display_set_cursor (d, &(VmmDisplayCursor) { 0, 4, 0, 0, cursor_pixels }), ==, -EINVAL);
  g_assert_cmpint (vmm_display_set_cursor (d, &(VmmDisplayCursor) { 4, 4, 4, 0, cursor_pixels }), ==, -EINVAL);
  g_assert_cmpint (vmm_display_set_cursor (d, &(VmmDisplayCursor) { 4, 4, 0, 4, cursor_pixels }), ==, -EINVAL);
  g_assert_cmpint (vmm_display_set_cursor (d, &(VmmDisplayCursor) { 4, 4, 0, 0, NULL }), ==, -EINVAL);
  g_assert_cmpint (vmm_display_set_cursor (d, &(VmmDisplayCursor) {
    VMM_DISPLAY_CURSOR_MAX + 1, 4, 0, 0, cursor_pixels }), ==, -EINVAL);
  g_assert_cmpint (e.cursor_changes, ==, 0);
  cursor_pixels[5] = 0xff00ff00;
  g_assert_cmpint (vmm_display_set_cursor (d, &cursor), ==, 0);
  cursor_pixels[5] = 0;
  g_assert_cmpint (e.cursor_changes, ==, 1);
  g_assert_true (vmm_display_get_cursor (d, &got, &copy));
  g_assert_cmpuint (got.hot_x, ==, 1);
  g_assert_cmpuint (got.hot_y, ==, 2);
  g_assert_cmphex (copy[5], ==, 0xff00ff00);
  g_free (copy);
  g_assert_cmpint (vmm_display_set_cursor (d, NULL), ==, 0);
  g_assert_false (vmm_display_get_cursor (d, &got, &copy));
  g_assert_null (copy);
  vmm_display_move_cursor (d, 7, 9);
  g_assert_cmpint (e.cx, ==, 7);

  /* LEDs: only known bits, only changes reported. */
  vmm_display_set_keyboard_leds (d, VMM_DISPLAY_LED_CAPS_LOCK | 0x80);
  vmm_display_set_keyboard_leds (d, VMM_DISPLAY_LED_CAPS_LOCK);
  g_assert_cmpint (e.leds_changes, ==, 1);
  g_assert_cmphex (vmm_display_get_leds (d), ==, VMM_DISPLAY_LED_CAPS_LOCK);

  /* An absolute pointer until the input devices say otherwise; only
   * changes reported. */
  g_assert_true (vmm_display_get_pointer_absolute (d));
  vmm_display_set_pointer_absolute (d, true);
  g_assert_cmpint (e.absolute_changes, ==, 0);
  vmm_display_set_pointer_absolute (d, false);
  vmm_display_set_pointer_absolute (d, false);
  g_assert_cmpint (e.absolute_changes, ==, 1);
  g_assert_false (e.absolute);
  g_assert_false (vmm_display_get_pointer_absolute (d));
  vmm_display_set_pointer_absolute (d, true);
  g_assert_cmpint (e.absolute_changes, ==, 2);
  g_assert_true (e.absolute);

  /* Without a surface the pointer has nowhere to be. */
  g_assert_cmpint (vmm_display_set_surface (d, NULL), ==, 0);
  e.pb = 0;
  vmm_display_pointer (d, 1, 1, VMM_DISPLAY_BUTTON_RIGHT);
  g_assert_cmpuint (e.pb, ==, 0);

  vmm_display_set_listener (d, NULL, NULL);
  g_assert_cmpint (vmm_display_set_surface (d, &s), ==, 0);
  g_assert_cmpint (e.surface_changes, ==, 2);
  vmm_display_free (d);
  g_array_unref (e.updates);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/display/interface/bad-surfaces", test_bad_surfaces);
  g_test_add_func ("/display/interface/formats", test_formats);
  g_test_add_func ("/display/interface/read-bounds", test_read_bounds);
  g_test_add_func ("/display/interface/read-widths", test_read_widths);
  g_test_add_func ("/display/interface/routing", test_routing);
  return g_test_run ();
}
