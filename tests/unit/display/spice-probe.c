/* spice-probe.c: a headless SPICE viewer for tests that look at a real
 * guest's screen (the lab tier): connects to `vireo-vmm --spice unix:PATH`
 * the way remote-viewer does, optionally asks for a display size, waits
 * for a primary surface (of that size, if given), and saves it.
 *
 *   spice-probe --unix PATH [--request-size WxH] [--wait-size WxH]
 *               [--ink-rows MIN[,MAX]] [--keys SC,SC...]
 *               [--tablet X,Y[,BUTTONS]] [--wait-leds MASK] [--motion DX,DY]
 *               [--bench N,INTERVAL_MS] [--out FILE.ppm] [--timeout SECONDS]
 *
 * Prints "primary W H", "colours N" (distinct colours in the frame) and
 * "ink-rows N": the rows with a pixel that differs from the background
 * (the top-left pixel's colour), so a test can tell text from an empty
 * screen. --ink-rows waits, as updates arrive, until that number is
 * within MIN..MAX (no upper bound if MAX is left out).
 *
 * With --keys, --tablet, --wait-leds or --bench it then waits for the
 * inputs channel (and client mouse mode for --tablet and --bench),
 * presses and releases each PC scancode (set 1, 0xe0xx for the extended
 * keys) in turn, moves the tablet to (X, Y) in the primary's coordinates
 * with that button mask, and for --bench (the input latency benchmark,
 * bench/input.py) sends N events INTERVAL_MS apart, tablet moves and
 * KEY_A presses and releases in turn, each move to a position no other
 * move uses, printing "bench I tablet X Y NS" or "bench I key SCANCODE
 * DOWN NS" per event, NS being CLOCK_MONOTONIC just before the event was
 * handed to the client library. It flushes the channel and prints "sent".
 * --wait-leds then waits until the keyboard LEDs the server reports
 * (SPICE's modifier bits: 1 Scroll, 2 Num, 4 Caps Lock) are MASK, prints
 * "leds MASK" and, with --tablet, moves the tablet one pixel right: a
 * guest that set its LEDs learns that way that a viewer saw them.
 * --motion then (instead of that tablet move) asks the server for server
 * mouse mode, waits until it has switched, sends one relative move of
 * DX, DY pixels (DY > 0: down) and prints "motion DX DY" once it is
 * flushed. Exit status 0 on success, 1 on a timeout, 2 for bad arguments.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "spice-test-client.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Under AddressSanitizer (the check build, which the lab uses too):
 * spice-client-glib 0.42 leaks a small block (88 bytes and two 4-byte
 * ones, allocated in a channel coroutine) when a session that switched
 * to server mouse mode (--motion) hangs up. It is the client library's,
 * not the server's under test: LeakSanitizer asks this hook for
 * suppressions, so the probe's exit status keeps meaning what it says. */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libspice-client-glib-2.0.so\n";
}

typedef struct {
  TestClient *c;
  int width, height;        /* 0: any */
  int ink_min, ink_max;     /* ink_max < 0: no upper bound */
  int leds;                 /* --wait-leds; -1: not asked */
  gboolean pointer;         /* tablet moves to send */
} Want;

static gboolean
have_frame (Want *w)
{
  TestClient *c = w->c;

  if (!c->primary || !c->invalidated)
    return FALSE;
  if (w->width > 0 && (c->width != w->width || c->height != w->height))
    return FALSE;
  return c->inv_x1 <= 0 && c->inv_y1 <= 0 && c->inv_x2 >= c->width && c->inv_y2 >= c->height;
}

static gboolean
wait_for (gboolean (*cond) (Want *), Want *w, gint64 end)
{
  while (!cond (w))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static gboolean
agent_ready (Want *w)
{
  gboolean connected = FALSE;

  if (w->c->main == NULL)
    return FALSE;
  g_object_get (w->c->main, "agent-connected", &connected, NULL);
  return connected;
}

static int
ink_rows (const SpiceDisplayPrimary *p)
{
  const guint8 *bg = p->data;
  int rows = 0;

  for (int y = 0; y < p->height; y++)
    for (int x = 0; x < p->width; x++)
      {
        const guint8 *px = p->data + (gsize) y * p->stride + (gsize) x * 4;

        if (px[0] != bg[0] || px[1] != bg[1] || px[2] != bg[2])
          {
            rows++;
            break;
          }
      }
  return rows;
}

static gboolean
ink_in_range (Want *w)
{
  SpiceDisplayPrimary primary;
  int rows;

  if (!have_frame (w) || !spice_display_channel_get_primary (w->c->display, 0, &primary))
    return FALSE;
  rows = ink_rows (&primary);
  return rows >= w->ink_min && (w->ink_max < 0 || rows <= w->ink_max);
}

static gboolean
leds_match (Want *w)
{
  int leds = -1;

  g_object_get (w->c->inputs, "key-modifiers", &leds, NULL);
  return leds == w->leds;
}

/* Keys and LEDs need the inputs channel; tablet positions also client
 * mouse mode. */
static gboolean
inputs_ready (Want *w)
{
  int mode = 0;

  if (w->c->main == NULL || w->c->inputs == NULL || !w->c->inputs_open)
    return FALSE;
  if (!w->pointer)
    return TRUE;
  g_object_get (w->c->main, "mouse-mode", &mode, NULL);
  return mode == SPICE_MOUSE_MODE_CLIENT;
}

static void
flushed_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  gboolean *done = data;

  spice_channel_flush_finish (SPICE_CHANNEL (source), result, NULL);
  *done = TRUE;
}

/* "0x1e,0xe048" into scancodes; NULL for none. */
static gboolean
parse_keys (const char *s, GArray *keys)
{
  g_auto (GStrv) parts = NULL;

  if (s == NULL)
    return TRUE;
  parts = g_strsplit (s, ",", -1);
  for (char **p = parts; *p != NULL; p++)
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (*p, &end, 0);
      /* spice-client-glib marks an extended key with 0x100. */
      guint code = v > 0x7f ? 0x100 | (guint) (v & 0x7f) : (guint) v;

      if (end == *p || *end != '\0' || v == 0 || v > 0xe07f || (v > 0x7f && (v & 0xff00) != 0xe000))
        return FALSE;
      g_array_append_val (keys, code);
    }
  return keys->len > 0;
}

static gboolean
server_mouse_mode (Want *w)
{
  int mode = 0;

  g_object_get (w->c->main, "mouse-mode", &mode, NULL);
  return mode == SPICE_MOUSE_MODE_SERVER;
}

static gboolean
parse_motion (const char *s, int *dx, int *dy)
{
  char end;

  if (s == NULL)
    return TRUE;
  return sscanf (s, "%d,%d%c", dx, dy, &end) == 2 && (*dx != 0 || *dy != 0)
         && ABS (*dx) <= 1000 && ABS (*dy) <= 1000;
}

static gboolean
flush_inputs (SpiceInputsChannel *inputs, gint64 end, int timeout)
{
  gboolean flushed = FALSE;

  spice_channel_flush_async (SPICE_CHANNEL (inputs), NULL, flushed_cb, &flushed);
  while (!flushed)
    {
      if (g_get_monotonic_time () > end)
        {
          g_printerr ("spice-probe: the inputs channel did not flush within %d s\n", timeout);
          return FALSE;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static gboolean
parse_tablet (const char *s, int *x, int *y, int *buttons)
{
  int n;

  if (s == NULL)
    return TRUE;
  *buttons = 0;
  n = sscanf (s, "%d,%d,%d", x, y, buttons);
  return n >= 2 && *x >= 0 && *y >= 0 && *buttons >= 0 && *buttons <= 0x1f;
}

static gboolean
parse_ink (const char *s, int *min, int *max)
{
  int n;

  if (s == NULL)
    return TRUE;
  n = sscanf (s, "%d,%d", min, max);
  return n >= 1 && *min >= 0 && (n == 1 || *max >= *min);
}

static gboolean
parse_size (const char *s, int *w, int *h)
{
  return s == NULL || (sscanf (s, "%dx%d", w, h) == 2 && *w > 0 && *h > 0 && *w <= 16384 && *h <= 16384);
}

static gboolean
parse_bench (const char *s, int *count, int *interval_ms)
{
  if (s == NULL)
    return TRUE;
  return sscanf (s, "%d,%d", count, interval_ms) == 2 && *count > 0 && *count <= 10000
         && *interval_ms >= 1 && *interval_ms <= 10000;
}

static gboolean
parse_leds (const char *s, int *mask)
{
  char *end = NULL;
  guint64 v;

  if (s == NULL)
    return TRUE;
  v = g_ascii_strtoull (s, &end, 0);
  if (end == s || *end != '\0' || v > 7)
    return FALSE;
  *mask = (int) v;
  return TRUE;
}

static gint64
monotonic_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* Lets the client library write what is queued without sleeping. */
static void
pump (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Even events move the tablet along a diagonal, 3 pixels right and 2 down
 * each time (wrapping inside the screen), so every move lands on a
 * position of its own and the guest's report says which move it was; odd
 * events press and release KEY_A in turn. */
static void
send_bench (SpiceInputsChannel *inputs, int width, int height, int count, int interval_ms)
{
  gint64 next = monotonic_ns ();
  const guint key_a = 0x1e;

  for (int i = 0; i < count; i++)
    {
      gint64 t;

      while (monotonic_ns () < next)
        {
          pump ();
          g_usleep (200);
        }
      t = monotonic_ns ();
      if (i % 2 == 0)
        {
          int j = i / 2;
          int x = 8 + (3 * j) % MAX (width - 16, 1);
          int y = 8 + (2 * j) % MAX (height - 16, 1);

          spice_inputs_channel_position (inputs, x, y, 0, 0);
          printf ("bench %d tablet %d %d %" G_GINT64_FORMAT "\n", i, x, y, t);
        }
      else
        {
          gboolean down = (i / 2) % 2 == 0;

          if (down)
            spice_inputs_channel_key_press (inputs, key_a);
          else
            spice_inputs_channel_key_release (inputs, key_a);
          printf ("bench %d key 0x%x %d %" G_GINT64_FORMAT "\n", i, key_a, down, t);
        }
      pump ();
      next = t + (gint64) interval_ms * 1000000;
    }
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autofree char *path = NULL, *request = NULL, *wait_size = NULL, *out = NULL;
  g_autofree char *keys_arg = NULL, *tablet = NULL, *ink = NULL, *bench = NULL, *leds = NULL;
  g_autofree char *motion = NULL;
  int mdx = 0, mdy = 0;
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (guint));
  int timeout = 60, rw = 0, rh = 0, tx = 0, ty = 0, tbuttons = 0, bcount = 0, binterval = 0;
  GOptionEntry entries[] = {
    { "unix", 0, 0, G_OPTION_ARG_FILENAME, &path, "The server's unix socket", "PATH" },
    { "request-size", 0, 0, G_OPTION_ARG_STRING, &request, "Ask the guest for this size", "WxH" },
    { "wait-size", 0, 0, G_OPTION_ARG_STRING, &wait_size, "Wait for a primary of this size", "WxH" },
    { "ink-rows", 0, 0, G_OPTION_ARG_STRING, &ink, "Wait until this many rows are not background", "MIN[,MAX]" },
    { "keys", 0, 0, G_OPTION_ARG_STRING, &keys_arg, "Press and release these PC scancodes", "SC,SC..." },
    { "tablet", 0, 0, G_OPTION_ARG_STRING, &tablet, "Move the tablet here (client mouse mode)", "X,Y[,BUTTONS]" },
    { "wait-leds", 0, 0, G_OPTION_ARG_STRING, &leds, "Wait for these keyboard LEDs (1 Scroll, 2 Num, 4 Caps)", "MASK" },
    { "motion", 0, 0, G_OPTION_ARG_STRING, &motion, "Then move relatively, in server mouse mode", "DX,DY" },
    { "bench", 0, 0, G_OPTION_ARG_STRING, &bench, "Send N timed events, tablet and keys in turn", "N,INTERVAL_MS" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Save the frame as a PPM", "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Give up after this many seconds", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) colours = g_hash_table_new (NULL, NULL);
  SpiceDisplayPrimary primary;
  Want want = { .ink_max = -1, .leds = -1 };
  gboolean agent = FALSE;
  gint64 end;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || path == NULL ||
      !parse_size (request, &rw, &rh) || !parse_size (wait_size, &want.width, &want.height) ||
      !parse_ink (ink, &want.ink_min, &want.ink_max) || !parse_keys (keys_arg, keys) || !parse_tablet (tablet, &tx, &ty, &tbuttons)
      || !parse_bench (bench, &bcount, &binterval) || !parse_leds (leds, &want.leds)
      || !parse_motion (motion, &mdx, &mdy) || timeout <= 0)
    {
      g_printerr ("usage: spice-probe --unix PATH [--request-size WxH] [--wait-size WxH] "
                  "[--ink-rows MIN[,MAX]] [--keys SC,SC...] [--tablet X,Y[,BUTTONS]] [--wait-leds MASK] [--motion DX,DY] [--bench N,INTERVAL_MS] [--out FILE] [--timeout S]\n");
      return 2;
    }
  end = g_get_monotonic_time () + (gint64) timeout * G_USEC_PER_SEC;
  want.c = test_client_new_unix (path);

  if (request != NULL)
    {
      if (!wait_for (agent_ready, &want, end))
        {
          g_printerr ("spice-probe: the server never offered to take a display size\n");
          return 1;
        }
      test_client_request_size (want.c, rw, rh);
    }
  if (!wait_for (have_frame, &want, end))
    {
      g_printerr ("spice-probe: no complete frame%s within %d s (last primary %dx%d)\n",
                  wait_size != NULL ? " of the wanted size" : "", timeout,
                  want.c->width, want.c->height);
      return 1;
    }
  /* Updates in flight land before the frame is read. */
  for (int i = 0; i < 50; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  if (ink != NULL && !wait_for (ink_in_range, &want, end))
    {
      g_assert_true (spice_display_channel_get_primary (want.c->display, 0, &primary));
      g_printerr ("spice-probe: %d rows not background after %d s, wanted %s\n",
                  ink_rows (&primary), timeout, ink);
      return 1;
    }

  g_assert_true (spice_display_channel_get_primary (want.c->display, 0, &primary));
  for (int y = 0; y < primary.height; y++)
    for (int x = 0; x < primary.width; x++)
      {
        const guint8 *p = primary.data + (gsize) y * primary.stride + (gsize) x * 4;
        guint rgb = (guint) p[2] << 16 | (guint) p[1] << 8 | p[0];

        g_hash_table_add (colours, GUINT_TO_POINTER (rgb + 1));
      }
  printf ("primary %d %d\ncolours %u\nink-rows %d\n", primary.width, primary.height,
          g_hash_table_size (colours), ink_rows (&primary));
  if (out != NULL)
    {
      g_autoptr (GString) ppm = g_string_new (NULL);

      g_string_append_printf (ppm, "P6\n%d %d\n255\n", primary.width, primary.height);
      for (int y = 0; y < primary.height; y++)
        for (int x = 0; x < primary.width; x++)
          {
            const guint8 *p = primary.data + (gsize) y * primary.stride + (gsize) x * 4;
            char px[3] = { (char) p[2], (char) p[1], (char) p[0] };

            g_string_append_len (ppm, px, 3);
          }
      if (!g_file_set_contents (out, ppm->str, (gssize) ppm->len, &error))
        {
          g_printerr ("spice-probe: %s\n", error->message);
          return 1;
        }
    }
  if (keys->len > 0 || tablet != NULL || bench != NULL || leds != NULL || motion != NULL)
    {
      SpiceInputsChannel *inputs;

      want.pointer = tablet != NULL || bench != NULL;
      if (!wait_for (inputs_ready, &want, end))
        {
          g_printerr ("spice-probe: no inputs channel%s within %d s\n",
                      want.pointer ? " in client mouse mode" : "", timeout);
          return 1;
        }
      inputs = test_client_inputs (want.c);
      for (guint i = 0; i < keys->len; i++)
        {
          spice_inputs_channel_key_press (inputs, g_array_index (keys, guint, i));
          spice_inputs_channel_key_release (inputs, g_array_index (keys, guint, i));
        }
      if (tablet != NULL)
        spice_inputs_channel_position (inputs, tx, ty, 0, tbuttons);
      if (bench != NULL)
        send_bench (inputs, primary.width, primary.height, bcount, binterval);
      /* Everything queued reaches the server before the client hangs up. */
      if (!flush_inputs (inputs, end, timeout))
        return 1;
      printf ("sent\n");
      fflush (stdout);
      if (leds != NULL)
        {
          if (!wait_for (leds_match, &want, end))
            {
              int now = -1;

              g_object_get (inputs, "key-modifiers", &now, NULL);
              g_printerr ("spice-probe: keyboard LEDs %d after %d s, wanted %d\n", now, timeout, want.leds);
              return 1;
            }
          printf ("leds %d\n", want.leds);
          /* The guest waits for this move to learn that the LEDs arrived. */
          if (tablet != NULL && motion == NULL)
            {
              spice_inputs_channel_position (inputs, tx + 1, ty, 0, tbuttons);
              if (!flush_inputs (inputs, end, timeout))
                return 1;
            }
        }
      if (motion != NULL)
        {
          /* spice-server drops relative motion in client mode; the
           * switch is done once the server has said so. */
          spice_main_channel_request_mouse_mode (want.c->main, SPICE_MOUSE_MODE_SERVER);
          if (!wait_for (server_mouse_mode, &want, end))
            {
              g_printerr ("spice-probe: no server mouse mode within %d s\n", timeout);
              return 1;
            }
          spice_inputs_channel_motion (inputs, mdx, mdy, 0);
          if (!flush_inputs (inputs, end, timeout))
            return 1;
          printf ("motion %d %d\n", mdx, mdy);
          fflush (stdout);
        }
    }
  if (want.c->main != NULL)
    g_object_get (want.c->main, "agent-connected", &agent, NULL);
  /* test_client_free waits for the agent's answer to the client's
   * capabilities, which QEMU without a guest agent never sends: there the
   * session is closed here, as cleanly, channel by channel. */
  if (agent)
    test_client_free (want.c);
  else
    {
      spice_session_disconnect (want.c->session);
      end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      while (want.c->n_channels > 0 && g_get_monotonic_time () < end)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (2000);
        }
    }
  return 0;
}
