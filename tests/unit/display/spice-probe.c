/* spice-probe.c: a headless SPICE viewer for tests that look at a real
 * guest's screen (the lab tier): connects to `vireo-vmm --spice unix:PATH`
 * the way remote-viewer does, optionally asks for a display size, waits
 * for a primary surface (of that size, if given), and saves it.
 *
 *   spice-probe --unix PATH [--request-size WxH] [--wait-size WxH]
 *               [--out FILE.ppm] [--timeout SECONDS]
 *
 * Prints "primary W H" and "colours N" (distinct colours in the frame, so
 * a test can tell text from an empty screen). Exit status 0 on success, 1
 * on a timeout, 2 for bad arguments.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "spice-test-client.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  TestClient *c;
  int width, height;        /* 0: any */
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

static gboolean
parse_size (const char *s, int *w, int *h)
{
  return s == NULL || (sscanf (s, "%dx%d", w, h) == 2 && *w > 0 && *h > 0 && *w <= 16384 && *h <= 16384);
}

int
main (int argc, char **argv)
{
  g_autofree char *path = NULL, *request = NULL, *wait_size = NULL, *out = NULL;
  int timeout = 60, rw = 0, rh = 0;
  GOptionEntry entries[] = {
    { "unix", 0, 0, G_OPTION_ARG_FILENAME, &path, "The server's unix socket", "PATH" },
    { "request-size", 0, 0, G_OPTION_ARG_STRING, &request, "Ask the guest for this size", "WxH" },
    { "wait-size", 0, 0, G_OPTION_ARG_STRING, &wait_size, "Wait for a primary of this size", "WxH" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Save the frame as a PPM", "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Give up after this many seconds", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) colours = g_hash_table_new (NULL, NULL);
  SpiceDisplayPrimary primary;
  Want want = { 0 };
  gint64 end;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || path == NULL ||
      !parse_size (request, &rw, &rh) || !parse_size (wait_size, &want.width, &want.height) ||
      timeout <= 0)
    {
      g_printerr ("usage: spice-probe --unix PATH [--request-size WxH] [--wait-size WxH] "
                  "[--out FILE] [--timeout S]\n");
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

  g_assert_true (spice_display_channel_get_primary (want.c->display, 0, &primary));
  for (int y = 0; y < primary.height; y++)
    for (int x = 0; x < primary.width; x++)
      {
        const guint8 *p = primary.data + (gsize) y * primary.stride + (gsize) x * 4;
        guint rgb = (guint) p[2] << 16 | (guint) p[1] << 8 | p[0];

        g_hash_table_add (colours, GUINT_TO_POINTER (rgb + 1));
      }
  printf ("primary %d %d\ncolours %u\n", primary.width, primary.height, g_hash_table_size (colours));
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
  test_client_free (want.c);
  return 0;
}
