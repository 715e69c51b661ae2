/* spice-core.c: libspice-server's event loop interface on GLib.
 *
 * SpiceCoreInterface's callbacks receive no pointer to the server that
 * calls them, so they cannot look up "their" server. They do not need to:
 * spice-server makes every core call on the thread that called
 * spice_server_init() (events of its worker threads are forwarded there),
 * and VmmSpice runs each server on its own thread with that thread's
 * GMainContext pushed as the thread-default. Timers and watches attach to
 * the thread-default context of the calling thread, which keeps several
 * servers in one process apart without any shared state.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "spice-private.h"

#include <glib-unix.h>

struct SpiceTimer {
  GMainContext *context;
  GSource *source;          /* armed: a one-shot timeout */
  SpiceTimerFunc func;
  void *opaque;
};

struct SpiceWatch {
  GMainContext *context;
  GSource *source;          /* NULL while the mask is empty */
  int fd;
  int mask;
  SpiceWatchFunc func;
  void *opaque;
};

static GMainContext *
current_context (void)
{
  GMainContext *context = g_main_context_get_thread_default ();

  /* A server called from a thread without its context would attach to the
   * global default context, which nobody iterates in a GTK app's monitor. */
  if (context == NULL)
    g_critical ("spice-server called the core interface outside its display thread");
  return context;
}

static gboolean
on_timer_cb (gpointer user_data)
{
  SpiceTimer *timer = user_data;
  GSource *source = timer->source;

  /* One-shot: disarm before calling, as the callback may re-arm or remove. */
  timer->source = NULL;
  g_source_unref (source);
  timer->func (timer->opaque);
  return G_SOURCE_REMOVE;
}

static SpiceTimer *
core_timer_add (SpiceTimerFunc func, void *opaque)
{
  SpiceTimer *timer = g_new0 (SpiceTimer, 1);

  timer->context = current_context ();
  timer->func = func;
  timer->opaque = opaque;
  return timer;
}

static void
core_timer_cancel (SpiceTimer *timer)
{
  if (timer->source != NULL) {
    g_source_destroy (timer->source);
    g_clear_pointer (&timer->source, g_source_unref);
  }
}

static void
core_timer_start (SpiceTimer *timer, uint32_t ms)
{
  core_timer_cancel (timer);
  timer->source = g_timeout_source_new (ms);
  g_source_set_callback (timer->source, on_timer_cb, timer, NULL);
  g_source_attach (timer->source, timer->context);
}

static void
core_timer_remove (SpiceTimer *timer)
{
  core_timer_cancel (timer);
  g_free (timer);
}

static gboolean
on_watch_cb (int fd, GIOCondition condition, gpointer user_data)
{
  SpiceWatch *watch = user_data;
  int events = 0;

  /* Errors and hang-ups are reported as readable: the read then fails or
   * returns 0, which is how spice-server notices a closed connection. */
  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    events |= SPICE_WATCH_EVENT_READ;
  if (condition & G_IO_OUT)
    events |= SPICE_WATCH_EVENT_WRITE;
  events &= watch->mask | SPICE_WATCH_EVENT_READ;
  /* The callback may remove the watch: nothing touches it afterwards. */
  watch->func (fd, events, watch->opaque);
  return G_SOURCE_CONTINUE;
}

static void
watch_detach (SpiceWatch *watch)
{
  if (watch->source != NULL) {
    g_source_destroy (watch->source);
    g_clear_pointer (&watch->source, g_source_unref);
  }
}

static void
core_watch_update_mask (SpiceWatch *watch, int mask)
{
  GIOCondition condition = 0;

  watch_detach (watch);
  watch->mask = mask;
  if (mask & SPICE_WATCH_EVENT_READ)
    condition |= G_IO_IN;
  if (mask & SPICE_WATCH_EVENT_WRITE)
    condition |= G_IO_OUT;
  if (condition == 0)
    return;
  watch->source = g_unix_fd_source_new (watch->fd, condition);
  g_source_set_callback (watch->source, G_SOURCE_FUNC (on_watch_cb), watch, NULL);
  g_source_attach (watch->source, watch->context);
}

static SpiceWatch *
core_watch_add (int fd, int event_mask, SpiceWatchFunc func, void *opaque)
{
  SpiceWatch *watch = g_new0 (SpiceWatch, 1);

  watch->context = current_context ();
  watch->fd = fd;
  watch->func = func;
  watch->opaque = opaque;
  core_watch_update_mask (watch, event_mask);
  return watch;
}

static void
core_watch_remove (SpiceWatch *watch)
{
  watch_detach (watch);
  g_free (watch);
}

static void
core_channel_event (int event, SpiceChannelEventInfo *info)
{
  static const char *const names[] = { "?", "connected", "initialized", "disconnected" };

  g_debug ("spice: channel type %d id %d %s", info->type, info->id,
           event >= 0 && event <= SPICE_CHANNEL_EVENT_DISCONNECTED ? names[event] : "?");
}

static const SpiceCoreInterface core_interface = {
  .base = {
    .type = SPICE_INTERFACE_CORE,
    .description = "vireo glib core",
    .major_version = SPICE_INTERFACE_CORE_MAJOR,
    .minor_version = SPICE_INTERFACE_CORE_MINOR,
  },
  .timer_add = core_timer_add,
  .timer_start = core_timer_start,
  .timer_cancel = core_timer_cancel,
  .timer_remove = core_timer_remove,
  .watch_add = core_watch_add,
  .watch_update_mask = core_watch_update_mask,
  .watch_remove = core_watch_remove,
  .channel_event = core_channel_event,
};

SpiceCoreInterface *
vmm_spice_core_interface (void)
{
  /* spice_server_init() takes a non-const pointer but only reads it. */
  return (SpiceCoreInterface *) &core_interface;
}
