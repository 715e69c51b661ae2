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
 *       widget asks for ("size W H"); on "cursor" gives the guest a 32x32
 *       pointer with its hot spot at (8, 4), and prints the pointer image
 *       the widget then shows ("cursor W H X Y", in logical pixels), and
 *       again whenever it changes. On "relative" the guest loses its
 *       absolute pointer (the server goes to server mouse mode; relative
 *       motion arrives as "motion DX DY DZ BUTTONS", and the widget says
 *       "captured 1" and "captured 0" as it captures and releases the
 *       pointer); "absolute" gives it back. The widget says "relative 1"
 *       and "relative 0" when it sees the server's mouse mode change.
 *   display-host --width W --height H --quit-while-linking
 *       connects the widget, disconnects it while the display channel is
 *       still linking (right after handing over its socket), as an app that
 *       quits at once does; then connects again. Prints "connected-early"
 *       if the widget claimed to be connected before the display channel
 *       was linked, "warning: ..." for every warning spice-client-glib
 *       logs, "reconnected" when the second connection shows the screen,
 *       and "done".
 *   display-host --width W --height H --bench N [--rect-width W --rect-height H]
 *                [--seconds S]
 *       repaints the whole screen (or the top-left W x H of it) N times,
 *       each time waiting until the widget has the new frame, and prints
 *       the latencies and the CPU time the process spent per frame; then,
 *       for S seconds (default 5), a producer thread repaints as a guest
 *       would (as fast as it can, at most 120 times a second) while GTK
 *       draws, and it prints how many new frames GTK drew per second.
 *       For both loops it prints the CPU time per frame of every group of
 *       threads ("threads PHASE ...": main, SPICE_Worker, llvmpipe-*,
 *       producer...; the main thread's filling of the framebuffer, which
 *       plays the guest, as guest_fill) and their minor page faults
 *       ("faults PHASE ..."). --no-window-background leaves the window's
 *       background out, to show what drawing it under the frame costs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "display/spice.h"
#include "display/vireo-display.h"
#include "spice-test-client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  VmmDisplay *display;
  VmmSpice *spice;
  TestFramebuffer fb;
  GtkWidget *window;
  VireoDisplay *widget;
  const char *expect;
  int bench;
  int seconds;
  guint64 frames;
  guint64 checked;
  /* The frame-rate phase: */
  int fds_opened;
  gboolean disconnect_queued;
  gint stop;                /* atomic: the producer stops */
  guint64 frames_seen;      /* frame-updated since the last paint */
  guint64 drawn;            /* paints that showed a new frame */
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

static void
on_motion (void *opaque, int32_t dx, int32_t dy, int32_t dz, uint32_t buttons)
{
  say (opaque, "motion %d %d %d %u", dx, dy, dz, buttons);
}

static const VmmDisplayInputOps input_ops = { on_key, on_pointer, on_wheel, on_motion };
static const VmmDisplayDeviceOps device_ops = { on_request_size };

static int
open_fd (gpointer data, GError **error)
{
  Host *h = data;

  h->fds_opened++;
  return vmm_spice_open_client_fd (h->spice, error);
}

/* The pointer image the widget shows, when it changes. */
static void
on_cursor_changed_cb (GObject *widget, GParamSpec *pspec, Host *h)
{
  GdkCursor *cursor = gtk_widget_get_cursor (GTK_WIDGET (widget));
  GdkTexture *texture = cursor != NULL ? gdk_cursor_get_texture (cursor) : NULL;

  if (texture != NULL)
    say (h, "cursor %d %d %d %d", gdk_texture_get_width (texture),
         gdk_texture_get_height (texture), gdk_cursor_get_hotspot_x (cursor),
         gdk_cursor_get_hotspot_y (cursor));
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

/* ---- --quit-while-linking ---- */

static Host *log_host;

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         data)
{
  if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      const char *message = NULL, *domain = NULL;

      for (gsize i = 0; i < n_fields; i++)
        {
          if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
            message = fields[i].value;
          else if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
            domain = fields[i].value;
        }
      say (log_host, "warning: %s: %s", domain != NULL ? domain : "-",
           message != NULL ? message : "?");
    }
  return g_log_writer_default (level, fields, n_fields, data);
}

static gboolean
on_disconnect_now_cb (gpointer data)
{
  Host *h = data;

  vireo_display_disconnect (h->widget);
  return G_SOURCE_REMOVE;
}

/* Every channel after the main one asks for its socket here: the display
 * channel is then linking, and the app quits. */
static int
open_fd_then_quit (gpointer data, GError **error)
{
  Host *h = data;
  int fd = open_fd (data, error);

  if (h->fds_opened >= 2 && !h->disconnect_queued)
    {
      h->disconnect_queued = TRUE;
      g_idle_add_full (G_PRIORITY_HIGH, on_disconnect_now_cb, h, NULL);
    }
  return fd;
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_main_for (unsigned ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
connected_cb (gpointer data)
{
  Host *h = data;

  return vireo_display_get_connected (h->widget);
}

static void
quit_while_linking (Host *h)
{
  g_autoptr (GError) error = NULL;

  vireo_display_set_open_fd_func (h->widget, open_fd_then_quit, h, NULL);
  if (!vireo_display_connect (h->widget, &error))
    g_error ("%s", error->message);
  /* Nothing can be linked before the main loop has run. */
  if (vireo_display_get_connected (h->widget))
    say (h, "connected-early");
  while (!h->disconnect_queued)
    g_main_context_iteration (NULL, TRUE);
  /* The teardown, and whatever the server and client say about it. */
  run_main_for (2000);
  if (vireo_display_get_connected (h->widget))
    say (h, "connected-after-disconnect");

  /* The widget still works: a new session shows the screen. */
  vireo_display_set_open_fd_func (h->widget, open_fd, h, NULL);
  h->frames = h->checked = 0;
  if (!vireo_display_connect (h->widget, &error))
    g_error ("%s", error->message);
  test_wait_until (connected_cb, h, 20);
  test_wait_until (frames_cb, h, 20);
  say (h, "reconnected");
  vireo_display_disconnect (h->widget);
  run_main_for (1000);
  say (h, "done");
}

static void
on_captured_cb (GObject *widget, GParamSpec *pspec, Host *h)
{
  say (h, "captured %d", vireo_display_get_pointer_captured (VIREO_DISPLAY (widget)));
}

static void
on_relative_cb (GObject *widget, GParamSpec *pspec, Host *h)
{
  say (h, "relative %d", vireo_display_get_relative_pointer (VIREO_DISPLAY (widget)));
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
  else if (g_str_has_prefix (line, "cursor"))
    {
      g_autofree uint32_t *image = g_new (uint32_t, 32 * 32);
      VmmDisplayCursor cursor = { 32, 32, 8, 4, image };

      for (int i = 0; i < 32 * 32; i++)
        image[i] = 0xff000000u | (uint32_t) (i * 0x0101);
      vmm_display_set_cursor (h->display, &cursor);
    }
  /* As a guest that has (not) configured the USB tablet: the server
   * switches its clients to server (client) mouse mode. */
  else if (g_str_has_prefix (line, "relative"))
    vmm_display_set_pointer_absolute (h->display, false);
  else if (g_str_has_prefix (line, "absolute"))
    vmm_display_set_pointer_absolute (h->display, true);
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

/* User and system time of the whole process (every thread), in ms. */
static double
cpu_ms (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* ---- CPU time per thread ---- */

static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The CPU time of every thread of the process, by kernel thread id, from
 * /proc/self/task/TID/schedstat (nanoseconds on a CPU) and comm (the name
 * the thread gave itself). With the stages of the pipeline on different
 * threads, the frame rate is bounded by the busiest one, not by the sum. */
typedef struct {
  GHashTable *ns;     /* tid -> ns on a CPU, as a pointer-sized integer */
  GHashTable *faults; /* tid -> minor page faults, likewise */
  GHashTable *names;  /* tid -> name */
} ThreadTimes;

static void
thread_times_clear (ThreadTimes *t)
{
  g_clear_pointer (&t->ns, g_hash_table_unref);
  g_clear_pointer (&t->faults, g_hash_table_unref);
  g_clear_pointer (&t->names, g_hash_table_unref);
}

/* llvmpipe-0, llvmpipe-1... and pool-2, pool-3... are one stage each;
 * the main thread (GTK, spice-client-glib and the widget) is "main". */
static char *
thread_group (int tid, const char *comm)
{
  size_t n = strlen (comm);

  if (tid == getpid ())
    return g_strdup ("main");
  while (n > 0 && g_ascii_isdigit (comm[n - 1]))
    n--;
  if (n > 0 && n < strlen (comm) && (comm[n - 1] == '-' || comm[n - 1] == ':'))
    return g_strdup_printf ("%.*s*", (int) n, comm);
  return g_strdup (comm);
}

static void
thread_times_read (ThreadTimes *t)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  t->ns = g_hash_table_new (g_direct_hash, g_direct_equal);
  t->faults = g_hash_table_new (g_direct_hash, g_direct_equal);
  t->names = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  if (dir == NULL)
    return;
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/schedstat", tid);
      g_autofree char *comm_path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
      g_autofree char *stat_path = g_strdup_printf ("/proc/self/task/%s/stat", tid);
      g_autofree char *sched = NULL, *comm = NULL, *stat = NULL;
      gpointer key = GINT_TO_POINTER (atoi (tid));
      const char *fields;
      unsigned long minflt = 0;

      if (!g_file_get_contents (path, &sched, NULL, NULL) ||
          !g_file_get_contents (comm_path, &comm, NULL, NULL) ||
          !g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;  /* the thread just exited */
      /* stat: "tid (comm) state ppid ... minflt" with minflt the tenth
       * field; comm may hold spaces and parentheses, so from the last ')'. */
      fields = strrchr (stat, ')');
      if (fields == NULL || sscanf (fields + 1, " %*c %*d %*d %*d %*d %*d %*u %lu", &minflt) != 1)
        minflt = 0;
      g_strchomp (comm);
      g_hash_table_insert (t->ns, key, GSIZE_TO_POINTER ((gsize) g_ascii_strtoull (sched, NULL, 10)));
      g_hash_table_insert (t->faults, key, GSIZE_TO_POINTER ((gsize) minflt));
      g_hash_table_insert (t->names, key, thread_group (atoi (tid), comm));
    }
}

/* Prints "threads PHASE ... NAME MS ..." (CPU ms per frame) and "faults
 * PHASE NAME N ..." (minor page faults per frame) for every group of
 * threads that ran since `before`. Threads that exited in between are
 * missing: the whole process's CPU time, from getrusage, is printed too.
 * `main_fill_ms` is what the main thread spent being the guest (filling
 * the framebuffer), moved from "main" to "guest_fill". */
static void
thread_times_report (Host *h, const char *phase, const ThreadTimes *before, double frames,
                     double process_ms, double main_fill_ms)
{
  g_autoptr (GHashTable) fault_sums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GString) fault_line = g_string_new (NULL);
  g_autoptr (GHashTable) sums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GList) keys = NULL;
  ThreadTimes now = { 0 };
  GHashTableIter iter;
  gpointer key, value;

  thread_times_read (&now);
  g_hash_table_iter_init (&iter, now.ns);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *name = g_hash_table_lookup (now.names, key);
      gsize ns0 = GPOINTER_TO_SIZE (g_hash_table_lookup (before->ns, key));
      gsize ns1 = GPOINTER_TO_SIZE (value);
      gsize f0 = GPOINTER_TO_SIZE (g_hash_table_lookup (before->faults, key));
      gsize f1 = GPOINTER_TO_SIZE (g_hash_table_lookup (now.faults, key));
      double *sum = g_hash_table_lookup (sums, name);
      double *faults = g_hash_table_lookup (fault_sums, name);

      if (sum == NULL)
        {
          sum = g_new0 (double, 1);
          g_hash_table_insert (sums, g_strdup (name), sum);
          faults = g_new0 (double, 1);
          g_hash_table_insert (fault_sums, g_strdup (name), faults);
        }
      *sum += ns1 > ns0 ? (double) (ns1 - ns0) / 1e6 : 0.0;
      *faults += f1 > f0 ? (double) (f1 - f0) : 0.0;
    }
  if (main_fill_ms > 0 && g_hash_table_contains (sums, "main"))
    {
      double *sum = g_hash_table_lookup (sums, "main");

      *sum -= main_fill_ms;
      g_hash_table_insert (sums, g_strdup ("guest_fill"), g_memdup2 (&main_fill_ms, sizeof main_fill_ms));
    }
  g_string_append_printf (line, "threads %s frames %.0f process_ms %.2f", phase, frames,
                          process_ms / frames);
  keys = g_list_sort (g_hash_table_get_keys (sums), (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      double ms = *(double *) g_hash_table_lookup (sums, l->data) / frames;
      g_autofree char *name = g_strdelimit (g_strdup (l->data), " \t", '_');

      double *faults = g_hash_table_lookup (fault_sums, l->data);

      if (ms >= 0.005)
        g_string_append_printf (line, " %s %.2f", name, ms);
      if (faults != NULL && *faults / frames >= 0.5)
        g_string_append_printf (fault_line, " %s %.0f", name, *faults / frames);
    }
  say (h, "%s", line->str);
  say (h, "faults %s%s", phase, fault_line->str);
  thread_times_clear (&now);
}

/* What a guest's repaint looks like to the display: every pixel of the
 * area written, a word at a time as a guest's blitter writes them. */
static void
fill (Host *h, const VmmDisplayRect *r, uint32_t rgb)
{
  for (uint32_t y = r->y; y < r->y + r->height; y++)
    {
      uint8_t *row = h->fb.pixels + (size_t) y * h->fb.stride + (size_t) r->x * 4;

      for (uint32_t x = 0; x < r->width; x++)
        memcpy (row + 4 * x, &rgb, 4);
    }
}

typedef struct {
  Host *h;
  VmmDisplayRect area;
  guint64 produced;
} Producer;

static gpointer
producer_thread (gpointer data)
{
  Producer *p = data;
  /* 120 Hz at most: twice what a screen shows. */
  const gint64 period = G_USEC_PER_SEC / 120;
  gint64 next = g_get_monotonic_time ();

  while (!g_atomic_int_get (&p->h->stop))
    {
      gint64 now;

      fill (p->h, &p->area, (uint32_t) (p->produced * 0x010307) & 0xffffff);
      vmm_display_update (p->h->display, p->area.x, p->area.y, p->area.width, p->area.height);
      p->produced++;
      next += period;
      now = g_get_monotonic_time ();
      if (next > now)
        g_usleep ((gulong) (next - now));
      else
        next = now;
    }
  return NULL;
}

static void
on_frame_seen_cb (VireoDisplay *widget, Host *h)
{
  h->frames_seen++;
}

/* A paint after a new frame came in drew that frame: the frame-updated
 * signal queued the draw and the widget uploads in its snapshot. */
static void
on_after_paint_cb (GdkFrameClock *clock, Host *h)
{
  if (h->frames_seen > 0)
    h->drawn++;
  h->frames_seen = 0;
}

static gboolean
on_seconds_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
run_frame_rate (Host *h, const VmmDisplayRect *area)
{
  Producer p = { h, *area, 0 };
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (h->widget));
  GThread *thread;
  gulong seen_id, paint_id;
  ThreadTimes before = { 0 };
  double cpu0, cpu, secs;
  gint64 t0;

  g_assert (clock != NULL);
  seen_id = g_signal_connect (h->widget, "frame-updated", G_CALLBACK (on_frame_seen_cb), h);
  paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint_cb), h);
  h->drawn = h->frames_seen = 0;
  g_atomic_int_set (&h->stop, 0);
  thread_times_read (&before);
  cpu0 = cpu_ms ();
  t0 = g_get_monotonic_time ();
  thread = g_thread_new ("producer", producer_thread, &p);
  g_timeout_add_seconds ((guint) h->seconds, on_seconds_cb, h->loop);
  g_main_loop_run (h->loop);
  /* Before the producer exits, so that its time is counted. */
  cpu = cpu_ms () - cpu0;
  if (h->drawn > 0)
    thread_times_report (h, "rate", &before, (double) h->drawn, cpu, 0);
  thread_times_clear (&before);
  g_atomic_int_set (&h->stop, 1);
  g_thread_join (thread);
  secs = (g_get_monotonic_time () - t0) / 1e6;
  say (h, "drawn %" G_GUINT64_FORMAT " produced %" G_GUINT64_FORMAT " seconds %.2f "
       "drawn_fps %.1f produced_fps %.1f cpu_ms_per_drawn %.2f",
       h->drawn, p.produced, secs, h->drawn / secs, p.produced / secs,
       h->drawn > 0 ? cpu / (double) h->drawn : 0.0);
  g_signal_handler_disconnect (clock, paint_id);
  g_signal_handler_disconnect (h->widget, seen_id);

  /* Whatever the producer left last must reach the widget intact. */
  h->frames = h->checked = 0;
  fill (h, area, 0x123456);
  vmm_display_update (h->display, area->x, area->y, area->width, area->height);
  test_wait_until (frames_cb, h, 20);
}

static void
run_bench (Host *h, uint32_t rw, uint32_t rh)
{
  g_autofree double *ms = g_new0 (double, h->bench);
  VmmDisplayRect all = { 0, 0, MIN (rw, h->fb.width), MIN (rh, h->fb.height) };
  ThreadTimes before = { 0 };
  double cpu0, cpu, fill_ms = 0;
  gint64 t0;

  thread_times_read (&before);
  cpu0 = cpu_ms ();
  for (int i = 0; i < h->bench; i++)
    {
      double fill0 = thread_cpu_ms ();

      fill (h, &all, (uint32_t) (i * 0x010307) & 0xffffff);
      fill_ms += thread_cpu_ms () - fill0;
      h->frames = 0;
      t0 = g_get_monotonic_time ();
      vmm_display_update (h->display, all.x, all.y, all.width, all.height);
      test_wait_until (new_frame_cb, h, 20);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      /* Let the widget draw what it got, as it would at its frame rate. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  cpu = cpu_ms () - cpu0;
  thread_times_report (h, "latency", &before, h->bench, cpu, fill_ms);
  thread_times_clear (&before);
  if (!widget_matches (h))
    g_error ("the widget does not show the last frame");
  qsort (ms, (size_t) h->bench, sizeof *ms, compare_double);
  say (h, "latency screen %ux%u update %ux%u median_ms %.2f p95_ms %.2f max_ms %.2f cpu_ms_per_frame %.2f",
       h->fb.width, h->fb.height, all.width, all.height,
       ms[h->bench / 2], ms[(h->bench * 95) / 100], ms[h->bench - 1], cpu / h->bench);
  if (h->seconds > 0)
    run_frame_rate (h, &all);
}

int
main (int argc, char **argv)
{
  int width = 640, height = 480, bench = 0, rect_width = 0, rect_height = 0, seconds = 5;
  gboolean linking = FALSE, no_background = FALSE;
  g_autofree char *expect = NULL;
  GOptionEntry entries[] = {
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Guest width", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Guest height", "H" },
    { "expect", 0, 0, G_OPTION_ARG_FILENAME, &expect, "Where to write the expected frame", "FILE" },
    { "quit-while-linking", 0, 0, G_OPTION_ARG_NONE, &linking, "Disconnect while the display channel links", NULL },
    { "bench", 0, 0, G_OPTION_ARG_INT, &bench, "Frames to time", "N" },
    { "rect-width", 0, 0, G_OPTION_ARG_INT, &rect_width, "Width of the area the benchmark repaints (default: all)", "W" },
    { "rect-height", 0, 0, G_OPTION_ARG_INT, &rect_height, "Height of that area", "H" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "How long to measure the frame rate (0: not at all)", "S" },
    { "no-window-background", 0, 0, G_OPTION_ARG_NONE, &no_background, "Do not draw the window's background under the widget", NULL },
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
      rect_width < 0 || rect_height < 0 || seconds < 0 || seconds > 600)
    {
      g_printerr ("bad size or frame count\n");
      return 2;
    }
  log_host = &h;
  if (linking)
    g_log_set_writer_func (log_writer, NULL, NULL);
  gtk_init ();
  g_mutex_init (&h.print_lock);
  h.expect = expect;
  h.bench = bench;
  h.seconds = seconds;
  h.loop = g_main_loop_new (NULL, FALSE);
  h.display = vmm_display_new ();
  test_framebuffer_init (&h.fb, (uint32_t) width, (uint32_t) height, 5);
  g_assert_cmpint (test_framebuffer_publish (&h.fb, h.display), ==, 0);
  vmm_display_set_input_ops (h.display, &input_ops, &h);
  vmm_display_set_device_ops (h.display, &device_ops, &h);
  h.spice = vmm_spice_new (h.display, &error);
  if (h.spice == NULL)
    g_error ("%s", error->message);

  if (no_background)
    {
      g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();

      gtk_css_provider_load_from_data (css, "window { background: none; }", -1);
      gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                  GTK_STYLE_PROVIDER (css),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    }
  h.window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (h.window), "Vireo display test");
  gtk_window_set_decorated (GTK_WINDOW (h.window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (h.window), width, height);
  h.widget = VIREO_DISPLAY (vireo_display_new ());
  g_signal_connect (h.widget, "frame-updated", G_CALLBACK (on_frame_updated_cb), &h);
  vireo_display_set_open_fd_func (h.widget, open_fd, &h, NULL);
  gtk_window_set_child (GTK_WINDOW (h.window), GTK_WIDGET (h.widget));
  gtk_window_present (GTK_WINDOW (h.window));
  if (linking)
    quit_while_linking (&h);
  else if (!vireo_display_connect (h.widget, &error))
    g_error ("%s", error->message);

  if (linking)
    ;
  else if (bench > 0)
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
      g_signal_connect (h.widget, "notify::cursor", G_CALLBACK (on_cursor_changed_cb), &h);
      g_signal_connect (h.widget, "notify::pointer-captured", G_CALLBACK (on_captured_cb), &h);
      g_signal_connect (h.widget, "notify::relative-pointer", G_CALLBACK (on_relative_cb), &h);
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
