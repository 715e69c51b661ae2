/* test-bochs-display.c: the bochs-display registers, modes, EDID and the
 * frames it publishes, driven as bochs-drm and QemuVideoDxe drive it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/bochs-display.h"
#include "devices/edid.h"

#include <string.h>

#define MMIO_BAR 2
#define VRAM_BAR 0

typedef struct {
  VmmDisplay *display;
  VmmPciDevice *pci;
  VmmBochsDisplay *bd;
  VmmPlatform platform;
  gint surfaces, updates;
  uint32_t last_y, last_h;
} Fixture;

static const VmmPlatformOps no_ops = { 0 };

static void
on_surface (void *opaque)
{
  Fixture *f = opaque;

  g_atomic_int_inc (&f->surfaces);
}

static void
on_update (void *opaque, const VmmDisplayRect *rect)
{
  Fixture *f = opaque;

  f->last_y = rect->y;
  f->last_h = rect->height;
  g_atomic_int_inc (&f->updates);
}

static const VmmDisplayListenerOps listener = {
  .surface_changed = on_surface,
  .update = on_update,
};

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->platform.ops = &no_ops;
  vmm_guest_mem_init (&f->platform.mem);
  f->display = vmm_display_new ();
  vmm_display_set_listener (f->display, &listener, f);
  f->pci = vmm_bochs_display_new (&f->platform, f->display, &f->bd, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->pci);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  vmm_pci_device_free (f->pci);
  vmm_display_free (f->display);
}

static uint64_t
mmio_read (Fixture *f, uint64_t off, unsigned len)
{
  uint8_t b[8] = { 0 };

  f->pci->bar_ops[MMIO_BAR]->read (f->pci->bar_opaque[MMIO_BAR], off, b, len);
  return vmm_le_get (b, len);
}

static void
mmio_write (Fixture *f, uint64_t off, uint64_t v, unsigned len)
{
  uint8_t b[8];

  vmm_le_put (b, len, v);
  f->pci->bar_ops[MMIO_BAR]->write (f->pci->bar_opaque[MMIO_BAR], off, b, len);
}

static uint16_t
vbe_get (Fixture *f, unsigned index)
{
  return (uint16_t) mmio_read (f, 0x500 + 2 * index, 2);
}

static void
vbe_set (Fixture *f, unsigned index, uint16_t v)
{
  mmio_write (f, 0x500 + 2 * index, v, 2);
}

/* What bochs-drm's bochs_hw_setmode does. */
static void
set_mode (Fixture *f, uint16_t w, uint16_t h, uint16_t bpp)
{
  vbe_set (f, 4, 0);
  vbe_set (f, 3, bpp);
  vbe_set (f, 1, w);
  vbe_set (f, 2, h);
  vbe_set (f, 5, 0);
  vbe_set (f, 6, w);
  vbe_set (f, 7, h);
  vbe_set (f, 8, 0);
  vbe_set (f, 9, 0);
  vbe_set (f, 4, 0x41);
}

static void
test_identity (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (f->pci->cfg[0], ==, 0x34);
  g_assert_cmphex (f->pci->cfg[2], ==, 0x11);
  g_assert_cmphex (vbe_get (f, 0), ==, 0xb0c5);
  g_assert_cmpuint (vbe_get (f, 0xa), ==, VMM_BOCHS_DISPLAY_VRAM_SIZE / 65536);
  g_assert_cmphex (mmio_read (f, 0x600, 4), ==, 8);
  g_assert_cmphex (mmio_read (f, 0x604, 4), ==, 0x1e1e1e1e);
  /* The EDID header, as bochs-drm checks it before using the block. */
  g_assert_cmphex (mmio_read (f, 0, 4), ==, 0xffffff00);
  g_assert_cmphex (mmio_read (f, 4, 4), ==, 0x00ffffff);
  /* GETCAPS reports the largest mode. */
  vbe_set (f, 4, 0x02);
  g_assert_cmpuint (vbe_get (f, 1), ==, VMM_DISPLAY_MAX_WIDTH);
  g_assert_cmpuint (vbe_get (f, 3), ==, 32);
}

static void
test_mode_and_frames (Fixture *f, gconstpointer data)
{
  VmmDisplayMode mode;
  VmmDisplayRect rect = { 10, 20, 2, 1 };
  uint32_t px[2] = { 0 };
  uint8_t pixel[4] = { 0x30, 0x20, 0x10, 0x00 };   /* B G R x */

  set_mode (f, 800, 600, 32);
  vmm_bochs_display_refresh (f->bd);
  vmm_display_get_mode (f->display, &mode);
  g_assert_true (mode.valid);
  g_assert_cmpuint (mode.width, ==, 800);
  g_assert_cmpuint (mode.height, ==, 600);
  g_assert_cmpint (f->surfaces, >=, 1);

  /* The guest draws into the framebuffer; the next refresh publishes it. */
  f->pci->bar_ops[VRAM_BAR]->write (f->pci->bar_opaque[VRAM_BAR], (20 * 800 + 11) * 4, pixel, 4);
  g_atomic_int_set (&f->updates, 0);
  vmm_bochs_display_refresh (f->bd);
  /* The device's own 60 Hz refresh thread runs beside the test and may
   * publish the same frame too: at least one update, never none. */
  g_assert_cmpint (g_atomic_int_get (&f->updates), >=, 1);
  g_assert_cmpint (vmm_display_read_xrgb (f->display, mode.serial, &rect, px, sizeof px), ==, 0);
  g_assert_cmphex (px[0] & 0xffffff, ==, 0);
  g_assert_cmphex (px[1] & 0xffffff, ==, 0x102030);

  /* Panning (a page flip) moves the visible area. */
  vbe_set (f, 9, 300);
  vmm_bochs_display_refresh (f->bd);
  vmm_display_get_mode (f->display, &mode);
  g_assert_true (mode.valid);
  rect = (VmmDisplayRect) { 0, 0, 2, 1 };
  g_assert_cmpint (vmm_display_read_xrgb (f->display, mode.serial, &rect, px, sizeof px), ==, 0);
  g_assert_cmphex (px[0] & 0xffffff, ==, 0);

  /* 16 bpp works too. */
  set_mode (f, 640, 480, 16);
  vmm_bochs_display_refresh (f->bd);
  vmm_display_get_mode (f->display, &mode);
  g_assert_true (mode.valid);
  g_assert_cmpuint (mode.width, ==, 640);
}

/* Nobody watching: refreshes publish nothing (the one the device's own
 * thread may have under way aside), a mode change still reaches the
 * server, and a viewer that comes gets a frame. */
static void
test_unwatched (Fixture *f, gconstpointer data)
{
  uint64_t starts, starts2;
  gint surfaces;

  set_mode (f, 800, 600, 32);
  vmm_bochs_display_refresh (f->bd);
  g_assert_true (vmm_display_is_watched (f->display, &starts));

  vmm_display_set_watched (f->display, false);
  g_assert_false (vmm_display_is_watched (f->display, &starts2));
  g_assert_cmpuint (starts2, ==, starts);
  g_atomic_int_set (&f->updates, 0);
  for (int i = 0; i < 5; i++)
    vmm_bochs_display_refresh (f->bd);
  /* Watched, each refresh would repaint the MMIO framebuffer. */
  g_assert_cmpint (g_atomic_int_get (&f->updates), <=, 1);

  surfaces = g_atomic_int_get (&f->surfaces);
  set_mode (f, 640, 480, 32);
  vmm_bochs_display_refresh (f->bd);
  g_assert_cmpint (g_atomic_int_get (&f->surfaces), >, surfaces);

  g_atomic_int_set (&f->updates, 0);
  vmm_display_set_watched (f->display, true);
  g_assert_true (vmm_display_is_watched (f->display, &starts2));
  g_assert_cmpuint (starts2, ==, starts + 1);
  /* Setting it again starts nothing new. */
  vmm_display_set_watched (f->display, true);
  vmm_display_is_watched (f->display, &starts2);
  g_assert_cmpuint (starts2, ==, starts + 1);
  /* This refresh or the thread's publishes the whole frame; wait for the
   * thread's call to land if it took the turn. */
  vmm_bochs_display_refresh (f->bd);
  for (int i = 0; i < 1000 && g_atomic_int_get (&f->updates) == 0; i++)
    g_usleep (10000);
  g_assert_cmpint (g_atomic_int_get (&f->updates), >=, 1);
}

static void
expect_no_mode (Fixture *f)
{
  VmmDisplayMode mode;

  vmm_bochs_display_refresh (f->bd);
  vmm_display_get_mode (f->display, &mode);
  g_assert_false (mode.valid);
}

static void
test_absurd_modes (Fixture *f, gconstpointer data)
{
  set_mode (f, 0, 0, 32);
  expect_no_mode (f);
  set_mode (f, 65535, 65535, 32);
  expect_no_mode (f);
  set_mode (f, 800, 600, 7);
  expect_no_mode (f);
  /* 4096x4096x32 is 64 MiB: more than the framebuffer has. */
  set_mode (f, 4096, 4096, 32);
  expect_no_mode (f);
  /* A stride shorter than a row. */
  set_mode (f, 800, 600, 32);
  vbe_set (f, 6, 400);
  expect_no_mode (f);
  /* Panned past the end of the framebuffer. */
  set_mode (f, 800, 600, 32);
  vbe_set (f, 9, 60000);
  expect_no_mode (f);
  /* Odd accesses anywhere in the register BAR are ignored. */
  for (uint64_t off = 0; off < 0x1000; off += 1)
    {
      mmio_write (f, off, 0xffffffff, 1);
      (void) mmio_read (f, off, 4);
    }
  set_mode (f, 1024, 768, 32);
  vmm_bochs_display_refresh (f->bd);
  {
    VmmDisplayMode mode;
    vmm_display_get_mode (f->display, &mode);
    g_assert_true (mode.valid);
  }
}

static void
test_reset (Fixture *f, gconstpointer data)
{
  set_mode (f, 800, 600, 32);
  vmm_bochs_display_refresh (f->bd);
  f->pci->ops->reset (f->pci, f->pci->opaque);
  expect_no_mode (f);
  g_assert_cmpuint (vbe_get (f, 1), ==, 0);
}

static unsigned
edid_checksum (const uint8_t *e)
{
  unsigned sum = 0;

  for (unsigned i = 0; i < VMM_EDID_SIZE; i++)
    sum += e[i];
  return sum & 0xff;
}

static void
test_edid (void)
{
  uint8_t e[VMM_EDID_SIZE];
  const uint8_t *d = e + 54;

  vmm_edid_build (e, 1920, 1080);
  g_assert_cmpuint (edid_checksum (e), ==, 0);
  g_assert_cmpuint (e[18], ==, 1);
  g_assert_cmpuint (e[19], ==, 4);
  /* The preferred (first detailed) timing is the requested size. */
  g_assert_cmpuint (d[2] | (d[4] >> 4) << 8, ==, 1920);
  g_assert_cmpuint (d[5] | (d[7] >> 4) << 8, ==, 1080);
  g_assert_cmpuint (d[0] | d[1] << 8, >, 0);

  vmm_edid_build (e, 100000, 3);
  g_assert_cmpuint (edid_checksum (e), ==, 0);
  g_assert_cmpuint (d[2] | (d[4] >> 4) << 8, ==, VMM_EDID_MAX_WIDTH);
  g_assert_cmpuint (d[5] | (d[7] >> 4) << 8, ==, 480);
}

static void
test_request_size_edid (Fixture *f, gconstpointer data)
{
  uint8_t e[VMM_EDID_SIZE];

  vmm_display_request_size (f->display, 1280, 720);
  for (unsigned i = 0; i < VMM_EDID_SIZE; i += 4)
    vmm_le_put (e + i, 4, mmio_read (f, i, 4));
  g_assert_cmpuint (edid_checksum (e), ==, 0);
  g_assert_cmpuint (e[56] | (e[58] >> 4) << 8, ==, 1280);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/bochs-display/identity", Fixture, NULL, fixture_setup, test_identity, fixture_teardown);
  g_test_add ("/bochs-display/mode-and-frames", Fixture, NULL, fixture_setup, test_mode_and_frames, fixture_teardown);
  g_test_add ("/bochs-display/unwatched", Fixture, NULL, fixture_setup, test_unwatched, fixture_teardown);
  g_test_add ("/bochs-display/absurd-modes", Fixture, NULL, fixture_setup, test_absurd_modes, fixture_teardown);
  g_test_add ("/bochs-display/reset", Fixture, NULL, fixture_setup, test_reset, fixture_teardown);
  g_test_add ("/bochs-display/request-size-edid", Fixture, NULL, fixture_setup, test_request_size_edid, fixture_teardown);
  g_test_add_func ("/bochs-display/edid", test_edid);
  return g_test_run ();
}
