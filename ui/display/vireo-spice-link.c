/* vireo-spice-link.c
 *
 * Where a channel is in its link with the server, kept on the channel:
 * a session must not be torn down while one of its channels is half-way
 * through its link. spice-client-glib then warns about an incomplete link
 * header; and spice-server, which sets up its display and cursor channels
 * on its worker thread after the link reply has gone out, warns about a
 * client that went away while a channel was connecting. So a display or
 * cursor channel counts as linked once its first message arrived (the
 * primary surface; the pointer's shape or its absence), which the server
 * sends when that set-up is done.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "vireo-spice-link.h"

/* The channel kinds whose link ends with their first message. */
gboolean
vireo_spice_link_on_first_message (SpiceChannel *channel)
{
  return SPICE_IS_DISPLAY_CHANNEL (channel) || SPICE_IS_CURSOR_CHANNEL (channel);
}

static GQuark
link_state_quark (void)
{
  return g_quark_from_static_string ("vireo-display-link-state");
}

VireoSpiceLinkState
vireo_spice_link_get_state (SpiceChannel *channel)
{
  return GPOINTER_TO_INT (g_object_get_qdata (G_OBJECT (channel), link_state_quark ()));
}

void
vireo_spice_link_set_state (SpiceChannel        *channel,
                            VireoSpiceLinkState  state)
{
  g_object_set_qdata (G_OBJECT (channel), link_state_quark (), GINT_TO_POINTER (state));
}


/* The longest a closing session waits for links to finish: a server that
 * stopped answering must not keep the session alive. */
#define CLOSE_TIMEOUT_MS 3000

typedef struct {
  SpiceSession *session;
  guint         linking;
  guint         timeout_id;
  guint         idle_id;
} ClosingSession;

static gboolean
closing_finish_cb (gpointer user_data)
{
  ClosingSession *closing = user_data;
  GList *channels = spice_session_get_channels (closing->session);

  for (GList *l = channels; l != NULL; l = l->next)
    g_signal_handlers_disconnect_by_data (l->data, closing);
  g_list_free (channels);
  g_clear_handle_id (&closing->timeout_id, g_source_remove);
  g_clear_handle_id (&closing->idle_id, g_source_remove);
  spice_session_disconnect (closing->session);
  g_object_unref (closing->session);
  g_free (closing);
  return G_SOURCE_REMOVE;
}

static gboolean
on_closing_timeout_cb (gpointer user_data)
{
  ClosingSession *closing = user_data;

  closing->timeout_id = 0;
  g_debug ("display: channels still linking after %d ms, closing anyway", CLOSE_TIMEOUT_MS);
  return closing_finish_cb (closing);
}

static void
closing_channel_done (SpiceChannel   *channel,
                      ClosingSession *closing)
{
  if (vireo_spice_link_get_state (channel) != VIREO_SPICE_LINK_LINKING)
    return;
  vireo_spice_link_set_state (channel, VIREO_SPICE_LINK_DONE);
  g_signal_handlers_disconnect_by_data (channel, closing);
  /* Not from inside the channel's own signal. */
  if (--closing->linking == 0 && closing->idle_id == 0)
    closing->idle_id = g_idle_add (closing_finish_cb, closing);
}

static void
on_closing_channel_event_cb (SpiceChannel      *channel,
                             SpiceChannelEvent  event,
                             ClosingSession    *closing)
{
  if ((event == SPICE_CHANNEL_OPENED && !vireo_spice_link_on_first_message (channel)) ||
      event == SPICE_CHANNEL_CLOSED || event >= SPICE_CHANNEL_ERROR_CONNECT)
    closing_channel_done (channel, closing);
}

/* The first message of a display or cursor channel. */
static void
on_closing_primary_create_cb (SpiceChannel   *channel,
                              int             format,
                              int             width,
                              int             height,
                              int             stride,
                              int             shmid,
                              gpointer        data,
                              ClosingSession *closing)
{
  closing_channel_done (channel, closing);
}

static void
on_closing_cursor_notify_cb (SpiceChannel   *channel,
                             GParamSpec     *pspec,
                             ClosingSession *closing)
{
  closing_channel_done (channel, closing);
}

static void
on_closing_cursor_cb (SpiceChannel   *channel,
                      ClosingSession *closing)
{
  closing_channel_done (channel, closing);
}

void
vireo_spice_link_close_session (SpiceSession *session)
{
  ClosingSession *closing = g_new0 (ClosingSession, 1);
  GList *channels;

  closing->session = session;
  channels = spice_session_get_channels (session);
  for (GList *l = channels; l != NULL; l = l->next)
    {
      if (vireo_spice_link_get_state (l->data) != VIREO_SPICE_LINK_LINKING)
        continue;
      closing->linking++;
      g_signal_connect (l->data, "channel-event", G_CALLBACK (on_closing_channel_event_cb), closing);
      if (SPICE_IS_DISPLAY_CHANNEL (l->data))
        g_signal_connect (l->data, "display-primary-create",
                          G_CALLBACK (on_closing_primary_create_cb), closing);
      else if (SPICE_IS_CURSOR_CHANNEL (l->data))
        {
          g_signal_connect (l->data, "notify::cursor", G_CALLBACK (on_closing_cursor_notify_cb), closing);
          g_signal_connect (l->data, "cursor-hide", G_CALLBACK (on_closing_cursor_cb), closing);
          g_signal_connect (l->data, "cursor-reset", G_CALLBACK (on_closing_cursor_cb), closing);
        }
    }
  g_list_free (channels);
  if (closing->linking == 0)
    {
      closing_finish_cb (closing);
      return;
    }
  closing->timeout_id = g_timeout_add (CLOSE_TIMEOUT_MS, on_closing_timeout_cb, closing);
}
