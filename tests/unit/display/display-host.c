/* display-host.c: the display widget connected to the embedded SPICE
 * server in one process, as the app will have them, with a test pattern
 * for a guest. Driven by tests/ui/display/widget.py (which looks at the
 * screen) and bench/display.py (which times frames).
 *
 *   display-host --width W --height H --expect FILE
 *       shows the pattern, writes what the screen must show as a PPM to
 *       FILE, prints "frame 1"; on "next" from stdin changes a rectangle,
 *       rewrites FILE and prints "frame 2"; prints the input the guest
 *       receives ("key 1e 1", "button 1", "pointer X Y") and the size the
 *       widget asks for ("size W H").
 *   display-host --width W --height H --bench N [--rect-width W --rect-height H]
 *       repaints the whole screen (or the top-left W x H of it) N times,
 *       each time waiting until the widget has the new frame, and prints
 *       the latencies and the frame rate.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/spice.h"
#include "display/vireo-display.h"
#include "spice-test-client.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  VmmDisplay *display;
  VmmSpice *spice;
  TestFramebuffer fb;
  GtkWidget *window;
  VireoDisplay *widget;
  const char *expect;
  int bench;
  guint64 frames;
  guint64 checked;
  GMainLoop *loop;
  GMutex print_lock;
} Host;

static void
say (Host *h, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
say (Host *h, const char *format, ...)
{
  va_list args;

  g_mutex_lock (&h->print_lock);
  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
  g_mutex_unlock (&h->print_lock);
}

static void
on_key (void *opaque, uint16_t scancode, bool pressed)
{
  say (opaque, "key %x %d", scancode, pressed);
}

static void
on_pointer (void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t hh, uint32_t buttons)
{
  say (opaque, "pointer %u %u %u", x, y, buttons);
}

static void
on_wheel (void *opaque, int32_t dy, uint32_t buttons)
{
  say (opaque, "wheel %d", dy);
}

static int
on_request_size (void *opaque, uint32_t w, uint32_t hh)
{
  say (opaque, "size %u %u", w, hh);
  return 0;
}

static const VmmDisplayInputOps input_ops = { on_key, on_pointer, on_wheel };
static const VmmDisplayDeviceOps device_ops = { on_request_size };

static int
open_fd (gpointer data, GError **error)
{
  Host *h = data;

  return vmm_spice_open_client_fd (h->spice, error);
}

static void
write_expect (Host *h)
{
  g_autoptr (GString) ppm = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  g_string_append_printf (ppm, "P6\n%u %u\n255\n", h->fb.width, h->fb.height);
  for (uint32_t y = 0; y < h->fb.height; y++)
    for (uint32_t x = 0; x < h->fb.width; x++)
      {
        uint32_t rgb = test_framebuffer_expected (&h->fb, x, y);
        char px[3] = { (char) (rgb >> 16), (char) (rgb >> 8), (char) rgb };

        g_string_append_len (ppm, px, 3);
      }
  if (!g_file_set_contents (h->expect, ppm->str, (gssize) ppm->len, &error))
    g_error ("%s", error->message);
}

/* The frame is complete when the widget's copy matches the device's. */
static gboolean
widget_matches (Host *h)
{
  GdkTexture *texture = vireo_display_get_frame (h->widget);
  g_autofree guint8 *data = NULL;
  gsize stride;

  if (texture == NULL || (uint32_t) gdk_texture_get_width (texture) != h->fb.width ||
      (uint32_t) gdk_texture_get_height (texture) != h->fb.height)
    return FALSE;
  stride = (gsize) h->fb.width * 4;
  data = g_malloc (stride * h->fb.height);
  gdk_texture_download (texture, data, stride);
  for (uint32_t y = 0; y < h->fb.height; y++)
    for (uint32_t x = 0; x < h->fb.width; x++)
      {
        const guint8 *p = data + y * stride + x * 4;
        uint32_t got = (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];

        if (got != test_framebuffer_expected (&h->fb, x, y))
          return FALSE;
      }
  return TRUE;
}

static void
on_frame_updated_cb (VireoDisplay *widget, Host *h)
{
  h->frames++;
}

/* Compares only when a frame came in since the last look: comparing
 * costs as much as receiving. */
static gboolean
frames_cb (gpointer data)
{
  Host *h = data;

  if (h->frames == 0 || h->frames == h->checked)
    return FALSE;
  h->checked = h->frames;
  return widget_matches (h);
}

/* Once the widget has the frame, give GTK time to put it on screen. */
static void
announce_frame (Host *h, int n)
{
  test_wait_until (frames_cb, h, 20);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (300000);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  say (h, "frame %d", n);
}

static gboolean
on_stdin_cb (GIOChannel *source, GIOCondition condition, gpointer data)
{
  Host *h = data;
  g_autofree char *line = NULL;
  VmmDisplayRect r = { 40, 30, 120, 80 };

  if (g_io_channel_read_line (source, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
    {
      g_main_loop_quit (h->loop);
      return G_SOURCE_REMOVE;
    }
  if (g_str_has_prefix (line, "next"))
    {
      test_framebuffer_fill (&h->fb, &r, 0xd02040);
      write_expect (h);
      h->frames = h->checked = 0;
      vmm_display_update (h->display, r.x, r.y, r.width, r.height);
      announce_frame (h, 2);
    }
  else if (g_str_has_prefix (line, "quit"))
    g_main_loop_quit (h->loop);
  return G_SOURCE_CONTINUE;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static gboolean
new_frame_cb (gpointer data)
{
  Host *h = data;

  return h->frames > 0;
}

static void
run_bench (Host *h, uint32_t rw, uint32_t rh)
{
  g_autofree double *ms = g_new0 (double, h->bench);
  VmmDisplayRect all = { 0, 0, MIN (rw, h->fb.width), MIN (rh, h->fb.height) };
  gint64 start, t0;
  double total;

  start = g_get_monotonic_time ();
  for (int i = 0; i < h->bench; i++)
    {
      /* What a guest's full-screen repaint looks like to the display. */
      test_framebuffer_fill (&h->fb, &all, (uint32_t) (i * 0x010307) & 0xffffff);
      h->frames = 0;
      t0 = g_get_monotonic_time ();
      vmm_display_update (h->display, all.x, all.y, all.width, all.height);
      test_wait_until (new_frame_cb, h, 20);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      /* Let the widget draw what it got, as it would at its frame rate. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  total = (g_get_monotonic_time () - start) / 1e6;
  if (!widget_matches (h))
    g_error ("the widget does not show the last frame");
  qsort (ms, (size_t) h->bench, sizeof *ms, compare_double);
  say (h, "frames %d screen %ux%u update %ux%u median_ms %.2f p95_ms %.2f max_ms %.2f fps %.1f",
       h->bench, h->fb.width, h->fb.height, all.width, all.height,
       ms[h->bench / 2], ms[(h->bench * 95) / 100],
       ms[h->bench - 1], h->bench / total);
}

int
main (int argc, char **argv)
{
  int width = 640, height = 480, bench = 0, rect_width = 0, rect_height = 0;
  g_autofree char *expect = NULL;
  GOptionEntry entries[] = {
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Guest width", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Guest height", "H" },
    { "expect", 0, 0, G_OPTION_ARG_FILENAME, &expect, "Where to write the expected frame", "FILE" },
    { "bench", 0, 0, G_OPTION_ARG_INT, &bench, "Frames to time", "N" },
    { "rect-width", 0, 0, G_OPTION_ARG_INT, &rect_width, "Width of the area the benchmark repaints (default: all)", "W" },
    { "rect-height", 0, 0, G_OPTION_ARG_INT, &rect_height, "Height of that area", "H" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOChannel) in = NULL;
  Host h = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (width < 16 || height < 16 || width > 4096 || height > 4096 || bench < 0 ||
      rect_width < 0 || rect_height < 0)
    {
      g_printerr ("bad size or frame count\n");
      return 2;
    }
  gtk_init ();
  g_mutex_init (&h.print_lock);
  h.expect = expect;
  h.bench = bench;
  h.loop = g_main_loop_new (NULL, FALSE);
  h.display = vmm_display_new ();
  test_framebuffer_init (&h.fb, (uint32_t) width, (uint32_t) height, 5);
  g_assert_cmpint (test_framebuffer_publish (&h.fb, h.display), ==, 0);
  vmm_display_set_input_ops (h.display, &input_ops, &h);
  vmm_display_set_device_ops (h.display, &device_ops, &h);
  h.spice = vmm_spice_new (h.display, &error);
  if (h.spice == NULL)
    g_error ("%s", error->message);

  h.window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (h.window), "Vireo display test");
  gtk_window_set_decorated (GTK_WINDOW (h.window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (h.window), width, height);
  h.widget = VIREO_DISPLAY (vireo_display_new ());
  g_signal_connect (h.widget, "frame-updated", G_CALLBACK (on_frame_updated_cb), &h);
  vireo_display_set_open_fd_func (h.widget, open_fd, &h, NULL);
  gtk_window_set_child (GTK_WINDOW (h.window), GTK_WIDGET (h.widget));
  gtk_window_present (GTK_WINDOW (h.window));
  if (!vireo_display_connect (h.widget, &error))
    g_error ("%s", error->message);

  if (bench > 0)
    {
      test_wait_until (frames_cb, &h, 20);
      run_bench (&h, rect_width > 0 ? (uint32_t) rect_width : (uint32_t) width,
                 rect_height > 0 ? (uint32_t) rect_height : (uint32_t) height);
    }
  else
    {
      if (expect == NULL)
        {
          g_printerr ("--expect FILE or --bench N\n");
          return 2;
        }
      write_expect (&h);
      announce_frame (&h, 1);
      in = g_io_channel_unix_new (0);
      g_io_add_watch (in, G_IO_IN | G_IO_HUP, on_stdin_cb, &h);
      g_main_loop_run (h.loop);
    }

  vireo_display_disconnect (h.widget);
  gtk_window_destroy (GTK_WINDOW (h.window));
  vmm_spice_free (h.spice);
  vmm_display_set_input_ops (h.display, NULL, NULL);
  vmm_display_set_device_ops (h.display, NULL, NULL);
  vmm_display_free (h.display);
  test_framebuffer_clear (&h.fb);
  g_main_loop_unref (h.loop);
  g_mutex_clear (&h.print_lock);
  return 0;
}
