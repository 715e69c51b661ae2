/* spice-test-client.c: see spice-test-client.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "spice-test-client.h"

#include <string.h>

/* ---- the framebuffer ---- */

static uint32_t
pattern (uint32_t x, uint32_t y, unsigned seed)
{
  uint32_t r = (x * 7 + seed * 13) & 0xff;
  uint32_t g = (y * 5 + seed) & 0xff;
  uint32_t b = ((x ^ y) + seed * 3) & 0xff;

  return r << 16 | g << 8 | b;
}

void
test_framebuffer_init_format (TestFramebuffer *fb, uint32_t width, uint32_t height, unsigned seed,
                              VmmDisplayFormat format)
{
  unsigned bpp = vmm_display_format_bpp (format);

  g_assert_true (format == VMM_DISPLAY_FORMAT_XRGB8888 || format == VMM_DISPLAY_FORMAT_RGB565);
  fb->format = format;
  fb->width = width;
  fb->height = height;
  /* A stride with padding, as real devices often have. */
  fb->stride = width * bpp + 64;
  fb->size = (size_t) fb->stride * height;
  fb->pixels = g_malloc0 (fb->size);
  for (uint32_t y = 0; y < height; y++) {
    for (uint32_t x = 0; x < width; x++) {
      uint32_t v = pattern (x, y, seed);
      uint8_t *p = fb->pixels + (size_t) y * fb->stride + (size_t) x * bpp;

      if (format == VMM_DISPLAY_FORMAT_XRGB8888) {
        p[0] = v & 0xff;
        p[1] = (v >> 8) & 0xff;
        p[2] = (v >> 16) & 0xff;
        /* Garbage in the filler byte must not matter. */
        p[3] = (uint8_t) (x * 31);
      } else {
        uint16_t w = (uint16_t) (((v >> 19) & 0x1f) << 11 | ((v >> 10) & 0x3f) << 5 | ((v >> 3) & 0x1f));

        p[0] = w & 0xff;
        p[1] = w >> 8;
      }
    }
  }
}

void
test_framebuffer_init (TestFramebuffer *fb, uint32_t width, uint32_t height, unsigned seed)
{
  test_framebuffer_init_format (fb, width, height, seed, VMM_DISPLAY_FORMAT_XRGB8888);
}

void
test_framebuffer_clear (TestFramebuffer *fb)
{
  g_clear_pointer (&fb->pixels, g_free);
}

int
test_framebuffer_publish (TestFramebuffer *fb, VmmDisplay *display)
{
  VmmDisplaySurface s = {
    .format = fb->format,
    .width = fb->width,
    .height = fb->height,
    .stride = fb->stride,
    .pixels = fb->pixels,
    .size = fb->size,
  };

  return vmm_display_set_surface (display, &s);
}

void
test_framebuffer_fill (TestFramebuffer *fb, const VmmDisplayRect *r, uint32_t rgb)
{
  g_assert_cmpint (fb->format, ==, VMM_DISPLAY_FORMAT_XRGB8888);
  for (uint32_t y = r->y; y < r->y + r->height; y++) {
    for (uint32_t x = r->x; x < r->x + r->width; x++) {
      uint8_t *p = fb->pixels + (size_t) y * fb->stride + (size_t) x * 4;

      p[0] = rgb & 0xff;
      p[1] = (rgb >> 8) & 0xff;
      p[2] = (rgb >> 16) & 0xff;
    }
  }
}

uint32_t
test_framebuffer_expected (const TestFramebuffer *fb, uint32_t x, uint32_t y)
{
  const uint8_t *p;

  if (fb->format == VMM_DISPLAY_FORMAT_XRGB8888) {
    p = fb->pixels + (size_t) y * fb->stride + (size_t) x * 4;
    return (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
  } else {
    uint32_t w, r5, g6, b5;

    p = fb->pixels + (size_t) y * fb->stride + (size_t) x * 2;
    w = p[0] | (uint32_t) p[1] << 8;
    r5 = w >> 11;
    g6 = (w >> 5) & 0x3f;
    b5 = w & 0x1f;
    return ((r5 << 3) | (r5 >> 2)) << 16 | ((g6 << 2) | (g6 >> 4)) << 8 | ((b5 << 3) | (b5 >> 2));
  }
}

void
test_allow_spice_client_warnings (void)
{
  /* spice-server and spice-client-glib log through structured logging,
   * which a per-domain fatal handler does not see; criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

/* ---- waiting ---- */

static gboolean
on_tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
test_wait_until (GSourceFunc func, gpointer data, unsigned timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  GSource *tick = g_timeout_source_new (5);

  /* The tick makes a blocking iteration return in time to check again. */
  g_source_set_callback (tick, on_tick_cb, NULL, NULL);
  g_source_attach (tick, g_main_context_get_thread_default ());
  while (!func (data)) {
    if (g_get_monotonic_time () > end) {
      g_source_destroy (tick);
      g_source_unref (tick);
      g_error ("timed out after %u s", timeout_s);
    }
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  }
  g_source_destroy (tick);
  g_source_unref (tick);
}

/* ---- the client ---- */

static void
on_primary_create (SpiceChannel *channel, int format, int width, int height, int stride,
                   int shmid, gpointer imgdata, TestClient *c)
{
  c->primary = true;
  c->width = width;
  c->height = height;
  c->invalidated = false;
}

static void
on_primary_destroy (SpiceChannel *channel, TestClient *c)
{
  c->primary = false;
  c->invalidated = false;
}

static void
on_invalidate (SpiceChannel *channel, int x, int y, int w, int h, TestClient *c)
{
  if (!c->invalidated) {
    c->inv_x1 = x, c->inv_y1 = y, c->inv_x2 = x + w, c->inv_y2 = y + h;
  } else {
    c->inv_x1 = MIN (c->inv_x1, x);
    c->inv_y1 = MIN (c->inv_y1, y);
    c->inv_x2 = MAX (c->inv_x2, x + w);
    c->inv_y2 = MAX (c->inv_y2, y + h);
  }
  c->invalidated = true;
  c->frames++;
  c->last_invalidate_us = g_get_monotonic_time ();
}

static void
on_cursor_notify (GObject *channel, GParamSpec *pspec, TestClient *c)
{
  SpiceCursorShape *shape = NULL;

  g_object_get (channel, "cursor", &shape, NULL);
  if (shape == NULL)
    return;
  c->cursor_set = true;
  c->cursor_width = shape->width;
  c->cursor_height = shape->height;
  c->cursor_hot_x = shape->hot_spot_x;
  c->cursor_hot_y = shape->hot_spot_y;
  g_free (c->cursor_pixels);
  c->cursor_pixels = g_memdup2 (shape->data, (gsize) shape->width * shape->height * 4);
  g_boxed_free (SPICE_TYPE_CURSOR_SHAPE, shape);
}

static void
on_open_fd (SpiceChannel *channel, int with_tls, TestClient *c)
{
  g_autoptr (GError) error = NULL;
  int fd = c->fd_func (c->fd_data, &error);

  g_assert_no_error (error);
  g_assert_true (spice_channel_open_fd (channel, fd));
}

static void
on_channel_event (SpiceChannel *channel, SpiceChannelEvent event, TestClient *c)
{
  bool open = event == SPICE_CHANNEL_OPENED;

  if ((gpointer) channel == (gpointer) c->main)
    c->main_open = open;
  else if ((gpointer) channel == (gpointer) c->display)
    c->display_open = open;
  else if ((gpointer) channel == (gpointer) c->inputs)
    c->inputs_open = open;
  else if ((gpointer) channel == (gpointer) c->cursor)
    c->cursor_open = open;
}

static void
on_channel_new (SpiceSession *session, SpiceChannel *channel, TestClient *c)
{
  c->n_channels++;
  if (SPICE_IS_MAIN_CHANNEL (channel)) {
    c->main = SPICE_MAIN_CHANNEL (channel);
    g_signal_connect (channel, "channel-event", G_CALLBACK (on_channel_event), c);
    return;
  }
  if (SPICE_IS_DISPLAY_CHANNEL (channel)) {
    c->display = channel;
    g_signal_connect (channel, "display-primary-create", G_CALLBACK (on_primary_create), c);
    g_signal_connect (channel, "display-primary-destroy", G_CALLBACK (on_primary_destroy), c);
    g_signal_connect (channel, "display-invalidate", G_CALLBACK (on_invalidate), c);
  } else if (SPICE_IS_INPUTS_CHANNEL (channel)) {
    c->inputs = SPICE_INPUTS_CHANNEL (channel);
  } else if (SPICE_IS_CURSOR_CHANNEL (channel)) {
    c->cursor = channel;
    g_signal_connect (channel, "notify::cursor", G_CALLBACK (on_cursor_notify), c);
  } else {
    return;
  }
  g_signal_connect (channel, "channel-event", G_CALLBACK (on_channel_event), c);
  if (c->fd_func != NULL)
    g_signal_connect (channel, "open-fd", G_CALLBACK (on_open_fd), c);
  spice_channel_connect (channel);
}

static void on_channel_destroy (SpiceSession *session, SpiceChannel *channel, TestClient *c);

static TestClient *
client_new (void)
{
  TestClient *c = g_new0 (TestClient, 1);

  c->session = spice_session_new ();
  g_object_set (c->session, "enable-audio", FALSE, "enable-usbredir", FALSE, NULL);
  g_signal_connect (c->session, "channel-new", G_CALLBACK (on_channel_new), c);
  g_signal_connect (c->session, "channel-destroy", G_CALLBACK (on_channel_destroy), c);
  return c;
}

TestClient *
test_client_new_fd (TestClientFdFunc fd_func, gpointer data)
{
  TestClient *c = client_new ();
  g_autoptr (GError) error = NULL;
  int fd;

  c->fd_func = fd_func;
  c->fd_data = data;
  fd = fd_func (data, &error);
  g_assert_no_error (error);
  g_assert_true (spice_session_open_fd (c->session, fd));
  return c;
}

TestClient *
test_client_new_unix (const char *path)
{
  TestClient *c = client_new ();

  g_object_set (c->session, "unix-path", path, NULL);
  g_assert_true (spice_session_connect (c->session));
  return c;
}

TestClient *
test_client_new_tcp (const char *host, uint16_t port)
{
  TestClient *c = client_new ();
  g_autofree char *port_s = g_strdup_printf ("%u", port);

  g_object_set (c->session, "host", host, "port", port_s, NULL);
  g_assert_true (spice_session_connect (c->session));
  return c;
}

static gboolean
session_gone_cb (gpointer data)
{
  TestClient *c = data;

  return c->n_channels == 0;
}

static void
on_channel_destroy (SpiceSession *session, SpiceChannel *channel, TestClient *c)
{
  /* Channels may outlive the session by a little and still signal. */
  c->n_channels--;
  g_signal_handlers_disconnect_by_data (channel, c);
  if ((gpointer) channel == (gpointer) c->display) {
    c->display = NULL;
    c->display_open = false;
  } else if ((gpointer) channel == (gpointer) c->inputs) {
    c->inputs = NULL;
    c->inputs_open = false;
  } else if ((gpointer) channel == (gpointer) c->cursor) {
    c->cursor = NULL;
    c->cursor_open = false;
  } else if ((gpointer) channel == (gpointer) c->main) {
    c->main = NULL;
  }
}

static gboolean
agent_settled_cb (gpointer data)
{
  TestClient *c = data;
  int caps = 0;

  /* Nothing more arrives once the server has gone. */
  if (c->main == NULL || !c->main_open)
    return TRUE;
  g_object_get (c->main, "agent-caps-0", &caps, NULL);
  return caps != 0;
}

void
test_client_free (TestClient *c)
{
  /* The monitor's agent answers a capability request at connection time;
   * spice-client-glib trips over an answer that arrives while its session
   * is being torn down, so let it arrive first. */
  test_wait_until (agent_settled_cb, c, 10);
  /* Channels go away one by one after the disconnect; the session must
   * outlive them. */
  spice_session_disconnect (c->session);
  test_wait_until (session_gone_cb, c, 10);
  g_signal_handlers_disconnect_by_data (c->session, c);
  g_object_unref (c->session);
  g_free (c->cursor_pixels);
  g_free (c);
}

static gboolean
channels_cb (gpointer data)
{
  TestClient *c = data;

  return c->display_open && c->inputs_open && c->cursor_open;
}

void
test_client_wait_channels (TestClient *c, unsigned timeout_s)
{
  test_wait_until (channels_cb, c, timeout_s);
}

typedef struct {
  TestClient *c;
  int x1, y1, x2, y2;
  const TestFramebuffer *fb;
  unsigned w, h;
} WaitArgs;

static gboolean
frame_cb (gpointer data)
{
  WaitArgs *a = data;
  TestClient *c = a->c;

  return c->primary && c->width == a->x2 && c->height == a->y2 && c->invalidated &&
         c->inv_x1 <= 0 && c->inv_y1 <= 0 && c->inv_x2 >= a->x2 && c->inv_y2 >= a->y2;
}

void
test_client_wait_frame (TestClient *c, int width, int height, unsigned timeout_s)
{
  WaitArgs a = { c, 0, 0, width, height, NULL, 0, 0 };

  test_client_wait_channels (c, timeout_s);
  test_wait_until (frame_cb, &a, timeout_s);
}

static gboolean
invalidate_cb (gpointer data)
{
  WaitArgs *a = data;
  TestClient *c = a->c;

  return c->invalidated && c->inv_x1 <= a->x1 && c->inv_y1 <= a->y1 &&
         c->inv_x2 >= a->x2 && c->inv_y2 >= a->y2;
}

void
test_client_wait_invalidate (TestClient *c, const VmmDisplayRect *r, unsigned timeout_s)
{
  WaitArgs a = { c, (int) r->x, (int) r->y, (int) (r->x + r->width), (int) (r->y + r->height),
                 NULL, 0, 0 };

  test_wait_until (invalidate_cb, &a, timeout_s);
}

uint32_t
test_client_pixel (TestClient *c, int x, int y)
{
  SpiceDisplayPrimary primary;
  const uint8_t *p;

  g_assert_true (spice_display_channel_get_primary (c->display, 0, &primary));
  g_assert_cmpint (x, <, primary.width);
  g_assert_cmpint (y, <, primary.height);
  p = primary.data + (size_t) y * primary.stride + (size_t) x * 4;
  return (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static bool
first_mismatch (TestClient *c, const TestFramebuffer *fb, uint32_t *mx, uint32_t *my)
{
  SpiceDisplayPrimary primary;

  if (c->display == NULL || !spice_display_channel_get_primary (c->display, 0, &primary))
    return true;
  if ((uint32_t) primary.width != fb->width || (uint32_t) primary.height != fb->height) {
    *mx = *my = G_MAXUINT32;
    return true;
  }
  g_assert_cmpint (primary.format, ==, SPICE_SURFACE_FMT_32_xRGB);
  for (uint32_t y = 0; y < fb->height; y++) {
    const uint8_t *row = primary.data + (size_t) y * primary.stride;

    for (uint32_t x = 0; x < fb->width; x++) {
      const uint8_t *p = row + (size_t) x * 4;
      uint32_t got = (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];

      if (got != test_framebuffer_expected (fb, x, y)) {
        *mx = x, *my = y;
        return true;
      }
    }
  }
  return false;
}

bool
test_client_matches (TestClient *c, const TestFramebuffer *fb)
{
  uint32_t x, y;

  return !first_mismatch (c, fb, &x, &y);
}

void
test_client_assert_matches (TestClient *c, const TestFramebuffer *fb)
{
  uint32_t x = 0, y = 0;

  if (first_mismatch (c, fb, &x, &y)) {
    if (x == G_MAXUINT32)
      g_error ("the client has no primary of %ux%u", fb->width, fb->height);
    g_error ("pixel (%u, %u) is %06x, the device shows %06x", x, y,
             test_client_pixel (c, (int) x, (int) y), test_framebuffer_expected (fb, x, y));
  }
}

static gboolean
matches_cb (gpointer data)
{
  WaitArgs *a = data;

  return test_client_matches (a->c, a->fb);
}

void
test_client_wait_matches (TestClient *c, const TestFramebuffer *fb, unsigned timeout_s)
{
  WaitArgs a = { c, 0, 0, 0, 0, fb, 0, 0 };

  test_wait_until (matches_cb, &a, timeout_s);
}

static gboolean
mouse_mode_cb (gpointer data)
{
  TestClient *c = data;
  int mode = 0;

  if (c->main == NULL || c->inputs == NULL || !c->inputs_open)
    return FALSE;
  g_object_get (c->main, "mouse-mode", &mode, NULL);
  return mode == SPICE_MOUSE_MODE_CLIENT;
}

void
test_client_wait_mouse_mode_client (TestClient *c, unsigned timeout_s)
{
  test_wait_until (mouse_mode_cb, c, timeout_s);
}

static gboolean
mouse_mode_server_cb (gpointer data)
{
  TestClient *c = data;
  int mode = 0;

  if (c->main == NULL || c->inputs == NULL || !c->inputs_open)
    return FALSE;
  g_object_get (c->main, "mouse-mode", &mode, NULL);
  return mode == SPICE_MOUSE_MODE_SERVER;
}

void
test_client_wait_mouse_mode_server (TestClient *c, unsigned timeout_s)
{
  test_wait_until (mouse_mode_server_cb, c, timeout_s);
}

void
test_client_set_mouse_mode_server (TestClient *c, unsigned timeout_s)
{
  /* The inputs channel must be up for the motion that follows. */
  test_wait_until (mouse_mode_cb, c, timeout_s);
  spice_main_channel_request_mouse_mode (c->main, SPICE_MOUSE_MODE_SERVER);
  test_wait_until (mouse_mode_server_cb, c, timeout_s);
}

static gboolean
cursor_cb (gpointer data)
{
  WaitArgs *a = data;

  return a->c->cursor_set && a->c->cursor_width == a->w && a->c->cursor_height == a->h;
}

void
test_client_wait_cursor (TestClient *c, unsigned width, unsigned height, unsigned timeout_s)
{
  WaitArgs a = { c, 0, 0, 0, 0, NULL, width, height };

  test_wait_until (cursor_cb, &a, timeout_s);
}

SpiceInputsChannel *
test_client_inputs (TestClient *c)
{
  g_assert_nonnull (c->inputs);
  return c->inputs;
}

void
test_client_request_size (TestClient *c, int width, int height)
{
  g_assert_nonnull (c->main);
  spice_main_channel_update_display_enabled (c->main, 0, TRUE, FALSE);
  spice_main_channel_update_display (c->main, 0, 0, 0, width, height, FALSE);
  g_assert_true (spice_main_channel_send_monitor_config (c->main));
}
