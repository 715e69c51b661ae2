/* test-spice.c: the embedded SPICE server seen by a real SPICE client.
 *
 * A test pattern is published through a VmmDisplay; spice-client-glib
 * (no GTK) connects over vmm_spice_open_client_fd() socketpairs, as the
 * app does, and must receive that pattern; its input must arrive at the
 * display's input ops; its window size at the device's size request.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/spice.h"
#include "spice-test-client.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <spice-client.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  GMutex lock;
  GArray *keys;             /* scancode | pressed << 16 */
  int32_t x, y;
  uint32_t buttons;
  uint32_t width, height;
  int pointer_events;
  int wheel;
  uint32_t req_width, req_height;
  int requests;
  int32_t motion_dx, motion_dy, motion_dz;
  uint32_t motion_buttons;
  int motion_events;
} Recorder;

static void
rec_key (void *opaque, uint16_t scancode, bool pressed)
{
  Recorder *r = opaque;
  uint32_t v = scancode | (uint32_t) pressed << 16;

  g_mutex_lock (&r->lock);
  g_array_append_val (r->keys, v);
  g_mutex_unlock (&r->lock);
}

static void
rec_pointer (void *opaque, uint32_t x, uint32_t y, uint32_t width, uint32_t height,
             uint32_t buttons)
{
  Recorder *r = opaque;

  g_mutex_lock (&r->lock);
  r->x = (int32_t) x;
  r->y = (int32_t) y;
  r->width = width;
  r->height = height;
  r->buttons = buttons;
  r->pointer_events++;
  g_mutex_unlock (&r->lock);
}

static void
rec_wheel (void *opaque, int32_t dy, uint32_t buttons)
{
  Recorder *r = opaque;

  g_mutex_lock (&r->lock);
  r->wheel += dy;
  g_mutex_unlock (&r->lock);
}

static void
rec_motion (void *opaque, int32_t dx, int32_t dy, int32_t dz, uint32_t buttons)
{
  Recorder *r = opaque;

  g_mutex_lock (&r->lock);
  r->motion_dx += dx;
  r->motion_dy += dy;
  r->motion_dz += dz;
  r->motion_buttons = buttons;
  r->motion_events++;
  g_mutex_unlock (&r->lock);
}

static int
rec_request_size (void *opaque, uint32_t width, uint32_t height)
{
  Recorder *r = opaque;

  g_mutex_lock (&r->lock);
  r->req_width = width;
  r->req_height = height;
  r->requests++;
  g_mutex_unlock (&r->lock);
  return 0;
}

static const VmmDisplayInputOps rec_input_ops = {
  .key = rec_key,
  .pointer = rec_pointer,
  .wheel = rec_wheel,
  .motion = rec_motion,
};

static const VmmDisplayDeviceOps rec_device_ops = {
  .request_size = rec_request_size,
};

typedef struct {
  VmmDisplay *display;
  VmmSpice *spice;
  TestFramebuffer fb;
  Recorder rec;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->display = vmm_display_new ();
  test_framebuffer_init (&f->fb, 640, 480, 1);
  g_assert_cmpint (test_framebuffer_publish (&f->fb, f->display), ==, 0);
  g_mutex_init (&f->rec.lock);
  f->rec.keys = g_array_new (FALSE, FALSE, sizeof (uint32_t));
  vmm_display_set_input_ops (f->display, &rec_input_ops, &f->rec);
  vmm_display_set_device_ops (f->display, &rec_device_ops, &f->rec);
  f->spice = vmm_spice_new (f->display, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->spice);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  vmm_spice_free (f->spice);
  vmm_display_set_input_ops (f->display, NULL, NULL);
  vmm_display_set_device_ops (f->display, NULL, NULL);
  vmm_display_free (f->display);
  test_framebuffer_clear (&f->fb);
  g_array_unref (f->rec.keys);
  g_mutex_clear (&f->rec.lock);
}

static int
open_fd (gpointer user_data, GError **error)
{
  Fixture *f = user_data;

  return vmm_spice_open_client_fd (f->spice, error);
}

static TestClient *
connect_client (Fixture *f)
{
  TestClient *c = test_client_new_fd (open_fd, f);

  test_client_wait_frame (c, f->fb.width, f->fb.height, 10);
  return c;
}

static void
test_first_frame (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);

  test_client_assert_matches (c, &f->fb);
  test_client_free (c);
}

static void
test_dirty_update (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);
  VmmDisplayRect r = { 100, 120, 50, 40 };

  test_framebuffer_fill (&f->fb, &r, 0x00123456);
  c->invalidated = false;
  vmm_display_update (f->display, r.x, r.y, r.width, r.height);
  test_client_wait_invalidate (c, &r, 10);
  test_client_assert_matches (c, &f->fb);
  g_assert_cmphex (test_client_pixel (c, 110, 130) & 0xffffff, ==, 0x123456);
  test_client_free (c);
}

static void
test_mode_change (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);
  TestFramebuffer fb2;

  test_framebuffer_init (&fb2, 800, 600, 7);
  g_assert_cmpint (test_framebuffer_publish (&fb2, f->display), ==, 0);
  test_client_wait_frame (c, 800, 600, 10);
  test_client_assert_matches (c, &fb2);
  /* The device's old buffer may go as soon as set_surface returned. */
  test_framebuffer_clear (&f->fb);
  f->fb = fb2;
  test_client_free (c);
}

static void
test_other_formats (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);
  TestFramebuffer fb2;

  /* A 16-bit framebuffer, as bochs-display shows at 16 bpp. */
  test_framebuffer_init_format (&fb2, 320, 200, 3, VMM_DISPLAY_FORMAT_RGB565);
  g_assert_cmpint (test_framebuffer_publish (&fb2, f->display), ==, 0);
  test_client_wait_frame (c, 320, 200, 10);
  test_client_assert_matches (c, &fb2);
  test_framebuffer_clear (&f->fb);
  f->fb = fb2;
  test_client_free (c);
}

static bool
recorder_has (Recorder *r, int what)
{
  bool done;

  g_mutex_lock (&r->lock);
  switch (what) {
  case 0:
    done = r->keys->len >= 8;
    break;
  case 1:
    done = r->pointer_events > 0 && r->x == 10 && r->y == 20;
    break;
  case 2:
    done = r->buttons == VMM_DISPLAY_BUTTON_RIGHT;
    break;
  case 3:
    done = r->wheel == 1;
    break;
  case 4:
    done = r->buttons == (VMM_DISPLAY_BUTTON_LEFT | VMM_DISPLAY_BUTTON_MIDDLE);
    break;
  case 6:
    done = r->buttons == (VMM_DISPLAY_BUTTON_SIDE | VMM_DISPLAY_BUTTON_EXTRA);
    break;
  case 7:
    done = r->motion_dx == 7 && r->motion_dy == -2;
    break;
  case 8:
    done = r->motion_buttons == (VMM_DISPLAY_BUTTON_RIGHT | VMM_DISPLAY_BUTTON_SIDE);
    break;
  case 9:
    done = r->motion_dz == -1 && r->motion_buttons == 0;
    break;
  case 10:
    done = r->motion_dx == 8;
    break;
  case 11:
    done = r->motion_dx == 7 && r->motion_dy == -5;
    break;
  default:
    done = r->requests > 0;
    break;
  }
  if (g_getenv ("DEBUG_REC"))
    g_printerr ("buttons %x wheel %d\n", r->buttons, r->wheel);
  g_mutex_unlock (&r->lock);
  return done;
}

static gboolean
recorder_has_cb (gpointer data)
{
  gpointer *args = data;

  return recorder_has (args[0], GPOINTER_TO_INT (args[1]));
}

static void
wait_recorder (Recorder *r, int what)
{
  gpointer args[2] = { r, GINT_TO_POINTER (what) };

  g_test_message ("waiting for recorded event %d", what);
  test_wait_until (recorder_has_cb, args, 10);
}

static void
test_input (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);
  static const uint32_t expected[] = {
    0x1e | 1 << 16, 0x1e,             /* A */
    0xe048 | 1 << 16, 0xe048,         /* Up: an 0xe0-prefixed key */
    0xe01d | 1 << 16, 0xe01d,         /* right Ctrl */
    VMM_DISPLAY_SCANCODE_PAUSE | 1 << 16, VMM_DISPLAY_SCANCODE_PAUSE,
  };
  SpiceInputsChannel *inputs;

  g_test_message ("waiting for client pointer mode");
  test_client_wait_mouse_mode_client (c, 10);
  inputs = test_client_inputs (c);
  spice_inputs_channel_key_press (inputs, 0x1e);
  spice_inputs_channel_key_release (inputs, 0x1e);
  spice_inputs_channel_key_press (inputs, 0x148);
  spice_inputs_channel_key_release (inputs, 0x148);
  spice_inputs_channel_key_press (inputs, 0x11d);
  spice_inputs_channel_key_release (inputs, 0x11d);
  spice_inputs_channel_key_press (inputs, 0x145);
  spice_inputs_channel_key_release (inputs, 0x145);
  wait_recorder (&f->rec, 0);
  g_mutex_lock (&f->rec.lock);
  g_assert_cmpmem (f->rec.keys->data, f->rec.keys->len * sizeof (uint32_t),
                   expected, sizeof expected);
  g_mutex_unlock (&f->rec.lock);

  spice_inputs_channel_position (inputs, 10, 20, 0, 0);
  wait_recorder (&f->rec, 1);
  g_assert_cmpuint (f->rec.width, ==, 640);
  g_assert_cmpuint (f->rec.height, ==, 480);

  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_RIGHT, SPICE_MOUSE_BUTTON_MASK_RIGHT);
  wait_recorder (&f->rec, 2);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_RIGHT, 0);
  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_LEFT, SPICE_MOUSE_BUTTON_MASK_LEFT);
  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_MIDDLE,
                                     SPICE_MOUSE_BUTTON_MASK_LEFT | SPICE_MOUSE_BUTTON_MASK_MIDDLE);
  wait_recorder (&f->rec, 4);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_MIDDLE, SPICE_MOUSE_BUTTON_MASK_LEFT);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_LEFT, 0);

  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_DOWN, 0);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_DOWN, 0);
  wait_recorder (&f->rec, 3);

  /* Buttons 4 and 5 (back, forward) reach the tablet too. */
  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_SIDE, SPICE_MOUSE_BUTTON_MASK_SIDE);
  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_EXTRA,
                                     SPICE_MOUSE_BUTTON_MASK_SIDE | SPICE_MOUSE_BUTTON_MASK_EXTRA);
  wait_recorder (&f->rec, 6);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_EXTRA, SPICE_MOUSE_BUTTON_MASK_SIDE);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_SIDE, 0);
  g_mutex_lock (&f->rec.lock);
  /* Client mode: nothing relative. */
  g_assert_cmpint (f->rec.motion_events, ==, 0);
  g_mutex_unlock (&f->rec.lock);
  test_client_free (c);
}

/* Server mouse mode: relative motion, buttons and the wheel come through
 * the mouse interface to the display's motion op. */
static void
test_input_relative (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);
  SpiceInputsChannel *inputs;
  int pointer_events;

  test_client_set_mouse_mode_server (c, 10);
  inputs = test_client_inputs (c);
  g_mutex_lock (&f->rec.lock);
  pointer_events = f->rec.pointer_events;
  g_mutex_unlock (&f->rec.lock);

  spice_inputs_channel_motion (inputs, 5, -3, 0);
  spice_inputs_channel_motion (inputs, 2, 1, 0);
  wait_recorder (&f->rec, 7);
  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_RIGHT, SPICE_MOUSE_BUTTON_MASK_RIGHT);
  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_SIDE,
                                     SPICE_MOUSE_BUTTON_MASK_RIGHT | SPICE_MOUSE_BUTTON_MASK_SIDE);
  wait_recorder (&f->rec, 8);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_SIDE, SPICE_MOUSE_BUTTON_MASK_RIGHT);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_RIGHT, 0);
  spice_inputs_channel_button_press (inputs, SPICE_MOUSE_BUTTON_UP, 0);
  spice_inputs_channel_button_release (inputs, SPICE_MOUSE_BUTTON_UP, 0);
  wait_recorder (&f->rec, 9);

  /* Absolute positions are not for server mode. */
  spice_inputs_channel_position (inputs, 30, 40, 0, 0);
  spice_inputs_channel_motion (inputs, 1, 0, 0);
  wait_recorder (&f->rec, 10);
  g_mutex_lock (&f->rec.lock);
  g_assert_cmpint (f->rec.pointer_events, ==, pointer_events);
  g_mutex_unlock (&f->rec.lock);
  test_client_free (c);
}

/* The tablet is offered while the display has an absolute pointer (the
 * guest drives the USB tablet); without one, spice-server itself puts its
 * clients in server mode, and relative motion flows. */
static void
test_tablet_presence (Fixture *f, gconstpointer data)
{
  TestClient *c;

  vmm_display_set_pointer_absolute (f->display, false);
  c = connect_client (f);
  test_client_wait_mouse_mode_server (c, 10);
  spice_inputs_channel_motion (test_client_inputs (c), 7, -2, 0);
  wait_recorder (&f->rec, 7);
  vmm_display_set_pointer_absolute (f->display, true);
  test_client_wait_mouse_mode_client (c, 10);
  vmm_display_set_pointer_absolute (f->display, false);
  test_client_wait_mouse_mode_server (c, 10);
  test_client_free (c);
  vmm_display_set_pointer_absolute (f->display, true);
}

static void
test_buttons_to_display (void)
{
  /* spice-server's local order: left, right, middle, then side and extra
   * at bits 6 and 7. */
  g_assert_cmphex (vmm_spice_buttons_to_display (0x01), ==, VMM_DISPLAY_BUTTON_LEFT);
  g_assert_cmphex (vmm_spice_buttons_to_display (0x02), ==, VMM_DISPLAY_BUTTON_RIGHT);
  g_assert_cmphex (vmm_spice_buttons_to_display (0x04), ==, VMM_DISPLAY_BUTTON_MIDDLE);
  g_assert_cmphex (vmm_spice_buttons_to_display (0x40), ==, VMM_DISPLAY_BUTTON_SIDE);
  g_assert_cmphex (vmm_spice_buttons_to_display (0x80), ==, VMM_DISPLAY_BUTTON_EXTRA);
  /* Bits 3-5 are nothing spice-server sets; buttons 6 and up have no
   * place on the devices. */
  g_assert_cmphex (vmm_spice_buttons_to_display (0xff38), ==, 0);
}

static void
test_size_request (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);

  test_client_request_size (c, 1024, 768);
  wait_recorder (&f->rec, 5);
  g_assert_cmpuint (f->rec.req_width, ==, 1024);
  g_assert_cmpuint (f->rec.req_height, ==, 768);
  test_client_free (c);
}

static void
test_reconnect (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);
  VmmDisplayRect r = { 0, 0, 640, 100 };

  test_client_free (c);
  /* The guest keeps drawing while nobody watches... */
  test_framebuffer_fill (&f->fb, &r, 0x00ff8000);
  vmm_display_update (f->display, r.x, r.y, r.width, r.height);
  g_usleep (50000);
  /* ...and the next viewer sees the screen as it is now. */
  c = connect_client (f);
  test_client_wait_matches (c, &f->fb, 10);
  test_client_free (c);

  /* Twice more, so that leaks or stale state per connection would show. */
  for (int i = 0; i < 2; i++) {
    c = connect_client (f);
    test_client_assert_matches (c, &f->fb);
    test_client_free (c);
  }
}

static gboolean
is_watched (gpointer data)
{
  return vmm_display_is_watched (data, NULL);
}

static gboolean
is_unwatched (gpointer data)
{
  return !vmm_display_is_watched (data, NULL);
}

/* The server tells the display when a viewer looks (bochs-display polls
 * for changes only then), and when the last one has gone. */
static void
test_watched (Fixture *f, gconstpointer data)
{
  uint64_t starts, now;
  TestClient *c;

  g_assert_false (vmm_display_is_watched (f->display, &starts));
  c = connect_client (f);
  test_wait_until (is_watched, f->display, 10);
  vmm_display_is_watched (f->display, &now);
  g_assert_cmpuint (now, ==, starts + 1);
  test_client_free (c);
  test_wait_until (is_unwatched, f->display, 10);
  c = connect_client (f);
  test_wait_until (is_watched, f->display, 10);
  vmm_display_is_watched (f->display, &now);
  g_assert_cmpuint (now, ==, starts + 2);
  test_client_free (c);
}

static void
test_cursor (Fixture *f, gconstpointer data)
{
  TestClient *c = connect_client (f);
  uint32_t pixels[16 * 24];
  VmmDisplayCursor cursor = { 16, 24, 3, 5, pixels };

  for (unsigned i = 0; i < G_N_ELEMENTS (pixels); i++)
    pixels[i] = 0xff000000u | i;
  g_assert_cmpint (vmm_display_set_cursor (f->display, &cursor), ==, 0);
  test_client_wait_cursor (c, 16, 24, 10);
  g_assert_cmpuint (c->cursor_hot_x, ==, 3);
  g_assert_cmpuint (c->cursor_hot_y, ==, 5);
  /* spice-client-glib hands the image over as R G B A bytes. */
  for (unsigned i = 0; i < G_N_ELEMENTS (pixels); i++) {
    const uint8_t *got = c->cursor_pixels + 4 * i;
    uint32_t rgba = (uint32_t) got[3] << 24 | (uint32_t) got[0] << 16 | (uint32_t) got[1] << 8 | got[2];

    if (rgba != pixels[i])
      g_error ("cursor pixel %u is %08x, not %08x", i, rgba, pixels[i]);
  }
  test_client_free (c);
}

static void
test_listen_unix (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vireo-spice-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "spice.sock", NULL);
  TestClient *c;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_true (vmm_spice_listen_unix (f->spice, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  c = test_client_new_unix (path);
  test_client_wait_frame (c, 640, 480, 10);
  test_client_assert_matches (c, &f->fb);
  test_client_free (c);

  vmm_spice_free (f->spice);
  f->spice = NULL;
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
  f->spice = vmm_spice_new (f->display, &error);
  g_assert_no_error (error);
}

/* The lab's headless viewer, as a separate process on the unix socket. */
static void
test_probe (Fixture *f, gconstpointer data)
{
  const char *probe = g_getenv ("SPICE_PROBE");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL, *path = NULL, *out = NULL, *stdout_text = NULL;
  g_autofree char *ppm = NULL;
  gsize ppm_len = 0;
  int status = -1;
  unsigned colours = 0;
  const char *pixels;

  if (probe == NULL) {
    g_test_skip ("SPICE_PROBE is not set (run through meson test)");
    return;
  }
  dir = g_dir_make_tmp ("vireo-probe-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "spice.sock", NULL);
  out = g_build_filename (dir, "frame.ppm", NULL);
  g_assert_true (vmm_spice_listen_unix (f->spice, path, &error));
  {
    const char *argv[] = { probe, "--unix", path, "--request-size", "1024x768",
                           "--out", out, "--motion", "7,-5", "--timeout", "30", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &stdout_text, NULL, &status, &error));
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (stdout_text, "primary 640 480\n"));
  g_assert_nonnull (strstr (stdout_text, "colours "));
  colours = (unsigned) atoi (strstr (stdout_text, "colours ") + strlen ("colours "));
  g_assert_cmpuint (colours, >, 1000);
  wait_recorder (&f->rec, 5);
  g_assert_cmpuint (f->rec.req_width, ==, 1024);
  g_assert_cmpuint (f->rec.req_height, ==, 768);
  /* --motion: relative, in server mouse mode. */
  g_assert_nonnull (strstr (stdout_text, "motion 7 -5\n"));
  wait_recorder (&f->rec, 11);

  g_assert_true (g_file_get_contents (out, &ppm, &ppm_len, &error));
  g_assert_true (g_str_has_prefix (ppm, "P6\n640 480\n255\n"));
  g_assert_cmpuint (ppm_len, ==, strlen ("P6\n640 480\n255\n") + 640 * 480 * 3);
  pixels = ppm + strlen ("P6\n640 480\n255\n");
  for (uint32_t y = 0; y < 480; y += 7)
    for (uint32_t x = 0; x < 640; x += 5) {
      const uint8_t *p = (const uint8_t *) pixels + (y * 640 + x) * 3;
      uint32_t got = (uint32_t) p[0] << 16 | (uint32_t) p[1] << 8 | p[2];

      g_assert_cmphex (got, ==, test_framebuffer_expected (&f->fb, x, y));
    }
  g_unlink (out);
  vmm_spice_free (f->spice);
  f->spice = vmm_spice_new (f->display, &error);
  g_assert_no_error (error);
  g_rmdir (dir);
}

static void
test_listen_tcp (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  uint16_t port = 0;
  TestClient *c;

  g_assert_true (vmm_spice_listen_tcp (f->spice, 0, &port, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (port, >, 0);
  c = test_client_new_tcp ("127.0.0.1", port);
  test_client_wait_frame (c, 640, 480, 10);
  test_client_assert_matches (c, &f->fb);
  test_client_free (c);
}

static void
test_parse_address (void)
{
  static const char *const bad[] = {
    "", "unix:", "tcp:", "tcp:5900", "tcp:0.0.0.0:5900", "tcp:127.0.0.1:",
    "tcp:127.0.0.1:0", "tcp:127.0.0.1:65536", "tcp:127.0.0.1:59x", "tcp:127.0.0.1:-1",
    "udp:1", "/tmp/sock", "spice://127.0.0.1:5900",
  };
  g_autofree char *long_path = g_strnfill (200, 'a');
  g_autofree char *long_spec = g_strconcat ("unix:", long_path, NULL);
  VmmSpiceAddress a;
  GError *error = NULL;

  g_assert_true (vmm_spice_parse_address ("unix:/run/user/1000/vireo/vm.sock", &a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (a.kind, ==, VMM_SPICE_LISTEN_UNIX);
  g_assert_cmpstr (a.path, ==, "/run/user/1000/vireo/vm.sock");
  g_free (a.path);

  g_assert_true (vmm_spice_parse_address ("tcp:127.0.0.1:5930", &a, &error));
  g_assert_cmpint (a.kind, ==, VMM_SPICE_LISTEN_TCP);
  g_assert_cmpuint (a.port, ==, 5930);
  g_assert_true (vmm_spice_parse_address ("tcp:localhost:1", &a, &error));
  g_assert_cmpuint (a.port, ==, 1);

  for (unsigned i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_false (vmm_spice_parse_address (bad[i], &a, &error));
    g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    g_assert_null (a.path);
    g_clear_error (&error);
  }
  g_assert_false (vmm_spice_parse_address (long_spec, &a, &error));
  g_clear_error (&error);
}

static void
test_blank_then_surface (void)
{
  g_autoptr (GError) error = NULL;
  VmmDisplay *display = vmm_display_new ();
  VmmSpice *spice = vmm_spice_new (display, &error);
  TestFramebuffer fb;
  TestClient *c;
  Fixture f = { .display = display, .spice = spice };

  /* A viewer connected to a machine whose screen is still off gets the
   * screen as soon as the device sets a mode. */
  g_assert_no_error (error);
  c = test_client_new_fd (open_fd, &f);
  g_test_message ("waiting for the channels");
  test_client_wait_channels (c, 10);
  test_framebuffer_init (&fb, 720, 400, 11);
  g_assert_cmpint (test_framebuffer_publish (&fb, display), ==, 0);
  g_test_message ("waiting for the first frame");
  test_client_wait_frame (c, 720, 400, 10);
  test_client_assert_matches (c, &fb);
  /* Screen off again, then the server goes while the viewer is there. */
  g_assert_cmpint (vmm_display_set_surface (display, NULL), ==, 0);
  vmm_spice_free (spice);
  test_client_free (c);
  vmm_display_free (display);
  test_framebuffer_clear (&fb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_allow_spice_client_warnings ();

#define ADD(name, fn) \
  g_test_add ("/display/spice/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("first-frame", test_first_frame);
  ADD ("dirty-update", test_dirty_update);
  ADD ("mode-change", test_mode_change);
  ADD ("other-formats", test_other_formats);
  ADD ("input", test_input);
  ADD ("input-relative", test_input_relative);
  ADD ("tablet-presence", test_tablet_presence);
  ADD ("size-request", test_size_request);
  ADD ("reconnect", test_reconnect);
  ADD ("watched", test_watched);
  ADD ("cursor", test_cursor);
  ADD ("listen-unix", test_listen_unix);
  ADD ("listen-tcp", test_listen_tcp);
  ADD ("probe", test_probe);
#undef ADD
  g_test_add_func ("/display/spice/parse-address", test_parse_address);
  g_test_add_func ("/display/spice/buttons", test_buttons_to_display);
  g_test_add_func ("/display/spice/blank-then-surface", test_blank_then_surface);
  return g_test_run ();
}
