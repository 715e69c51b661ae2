/* spice-test-client.h: a test pattern for a VmmDisplay, and a headless
 * spice-client-glib client that records what it receives. Shared by the
 * unit tests, the display widget's ui test and the display benchmark.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "display/display.h"

#include <glib.h>
#include <spice-client.h>

/* A device's framebuffer with a known pattern. */
typedef struct {
  VmmDisplayFormat format;
  uint32_t width, height, stride;
  uint8_t *pixels;
  size_t size;
} TestFramebuffer;

void     test_framebuffer_init        (TestFramebuffer *fb, uint32_t width, uint32_t height,
                                       unsigned seed);
void     test_framebuffer_init_format (TestFramebuffer *fb, uint32_t width, uint32_t height,
                                       unsigned seed, VmmDisplayFormat format);
void     test_framebuffer_clear       (TestFramebuffer *fb);
int      test_framebuffer_publish     (TestFramebuffer *fb, VmmDisplay *display);
/* XRGB8888 framebuffers only. */
void     test_framebuffer_fill        (TestFramebuffer *fb, const VmmDisplayRect *r, uint32_t rgb);
/* The colour a viewer must show at (x, y), as 0xRRGGBB. */
uint32_t test_framebuffer_expected    (const TestFramebuffer *fb, uint32_t x, uint32_t y);

/* Waits, iterating the thread-default main context, until func returns
 * TRUE; fails the test after timeout_s seconds. */
void     test_wait_until              (GSourceFunc func, gpointer data, unsigned timeout_s);
/* g_test_init() makes every warning fatal; spice-server and
 * spice-client-glib warn about what the tests provoke on purpose (a peer
 * that hangs up). Criticals stay fatal. */
void     test_allow_spice_client_warnings (void);

typedef int (*TestClientFdFunc) (gpointer user_data, GError **error);

typedef struct {
  SpiceSession *session;
  SpiceMainChannel *main;
  SpiceChannel *display;
  SpiceInputsChannel *inputs;
  SpiceChannel *cursor;
  TestClientFdFunc fd_func;
  gpointer fd_data;
  bool main_open, display_open, inputs_open, cursor_open;
  int n_channels;

  bool primary;
  int width, height;
  /* Bounding box of what was invalidated since the last primary create. */
  bool invalidated;
  int inv_x1, inv_y1, inv_x2, inv_y2;
  guint64 frames;           /* invalidate signals received */
  gint64 last_invalidate_us;

  bool cursor_set;
  unsigned cursor_width, cursor_height, cursor_hot_x, cursor_hot_y;
  uint8_t *cursor_pixels;
} TestClient;

/* Connects as the app does: one fd per channel from fd_func. */
TestClient *test_client_new_fd    (TestClientFdFunc fd_func, gpointer data);
/* Connects as remote-viewer does. */
TestClient *test_client_new_unix  (const char *path);
TestClient *test_client_new_tcp   (const char *host, uint16_t port);
void        test_client_free      (TestClient *c);

void     test_client_wait_channels        (TestClient *c, unsigned timeout_s);
/* Until a primary of this size exists and all of it has been drawn. */
void     test_client_wait_frame           (TestClient *c, int width, int height, unsigned timeout_s);
void     test_client_wait_invalidate      (TestClient *c, const VmmDisplayRect *r, unsigned timeout_s);
void     test_client_wait_matches         (TestClient *c, const TestFramebuffer *fb, unsigned timeout_s);
void     test_client_wait_mouse_mode_client (TestClient *c, unsigned timeout_s);
/* Waits for client mode (the channels are up), then asks for server mode
 * (relative motion) and waits until the server switched. */
void     test_client_set_mouse_mode_server  (TestClient *c, unsigned timeout_s);
void     test_client_wait_mouse_mode_server (TestClient *c, unsigned timeout_s);
void     test_client_wait_cursor          (TestClient *c, unsigned width, unsigned height,
                                           unsigned timeout_s);
bool     test_client_matches              (TestClient *c, const TestFramebuffer *fb);
void     test_client_assert_matches       (TestClient *c, const TestFramebuffer *fb);
/* 0xRRGGBB at (x, y) of the client's primary. */
uint32_t test_client_pixel                (TestClient *c, int x, int y);
SpiceInputsChannel *test_client_inputs    (TestClient *c);
void     test_client_request_size         (TestClient *c, int width, int height);
