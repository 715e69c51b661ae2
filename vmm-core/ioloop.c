/* ioloop.c: an epoll thread for device back-ends.
 *
 * Removal must be synchronous (a device frees its state right after), and
 * epoll may already have returned an event for the fd: so handlers are
 * looked up in a table, not taken from the event's data pointer, and a
 * remover from another thread waits until the loop has finished the
 * iteration that might still be using the handler.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ioloop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_EVENTS 32

typedef struct {
  VmmIoFn fn;
  void *opaque;
} Handler;

typedef struct {
  void (*fn) (void *opaque);
  void *opaque;
  gboolean done;
} SyncCall;

struct _VmmIoLoop {
  char *name;
  int epfd;
  int wakefd;
  GThread *thread;
  GMutex lock;
  GCond cond;
  GHashTable *handlers;   /* fd -> Handler */
  GQueue calls;           /* SyncCall */
  gboolean quit;
};

static void
run_calls (VmmIoLoop *loop)
{
  SyncCall *call;

  g_mutex_lock (&loop->lock);
  while ((call = g_queue_pop_head (&loop->calls)) != NULL)
    {
      g_mutex_unlock (&loop->lock);
      if (call->fn != NULL)
        call->fn (call->opaque);
      g_mutex_lock (&loop->lock);
      call->done = TRUE;
      g_cond_broadcast (&loop->cond);
    }
  g_mutex_unlock (&loop->lock);
}

static gpointer
loop_thread (gpointer data)
{
  VmmIoLoop *loop = data;
  struct epoll_event ev[MAX_EVENTS];

  for (;;)
    {
      int n = epoll_wait (loop->epfd, ev, MAX_EVENTS, -1);

      if (n < 0 && errno != EINTR)
        {
          /* Only a bug of ours (a closed epoll fd) gets here. */
          g_critical ("%s: epoll_wait: %s", loop->name, g_strerror (errno));
          break;
        }
      for (int i = 0; i < n; i++)
        {
          int fd = ev[i].data.fd;
          Handler h = { NULL, NULL };
          Handler *p;

          if (fd == loop->wakefd)
            {
              uint64_t v;
              if (read (loop->wakefd, &v, sizeof v) < 0 && errno != EAGAIN)
                g_warning ("%s: wake read: %s", loop->name, g_strerror (errno));
              continue;
            }
          g_mutex_lock (&loop->lock);
          p = g_hash_table_lookup (loop->handlers, GINT_TO_POINTER (fd));
          if (p != NULL)
            h = *p;
          g_mutex_unlock (&loop->lock);
          if (h.fn != NULL)
            h.fn (h.opaque, fd, ev[i].events);
        }
      run_calls (loop);
      g_mutex_lock (&loop->lock);
      if (loop->quit)
        {
          g_mutex_unlock (&loop->lock);
          break;
        }
      g_mutex_unlock (&loop->lock);
    }
  return NULL;
}

VmmIoLoop *
vmm_ioloop_new (const char *name, GError **error)
{
  VmmIoLoop *loop = g_new0 (VmmIoLoop, 1);
  struct epoll_event ev = { .events = EPOLLIN };

  loop->name = g_strdup (name);
  g_mutex_init (&loop->lock);
  g_cond_init (&loop->cond);
  g_queue_init (&loop->calls);
  loop->handlers = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  loop->epfd = epoll_create1 (EPOLL_CLOEXEC);
  loop->wakefd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  ev.data.fd = loop->wakefd;
  if (loop->epfd < 0 || loop->wakefd < 0
      || epoll_ctl (loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot create the I/O thread for %s: %s", name, g_strerror (errno));
      vmm_ioloop_free (loop);
      return NULL;
    }
  loop->thread = g_thread_try_new (name, loop_thread, loop, error);
  if (loop->thread == NULL)
    {
      vmm_ioloop_free (loop);
      return NULL;
    }
  return loop;
}

static void
wake (VmmIoLoop *loop)
{
  uint64_t one = 1;

  if (write (loop->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_warning ("%s: wake: %s", loop->name, g_strerror (errno));
}

void
vmm_ioloop_free (VmmIoLoop *loop)
{
  if (loop == NULL)
    return;
  if (loop->thread != NULL)
    {
      g_mutex_lock (&loop->lock);
      loop->quit = TRUE;
      g_mutex_unlock (&loop->lock);
      wake (loop);
      g_thread_join (loop->thread);
    }
  g_warn_if_fail (g_hash_table_size (loop->handlers) == 0);
  if (loop->epfd >= 0)
    close (loop->epfd);
  if (loop->wakefd >= 0)
    close (loop->wakefd);
  g_hash_table_unref (loop->handlers);
  g_cond_clear (&loop->cond);
  g_mutex_clear (&loop->lock);
  g_free (loop->name);
  g_free (loop);
}

int
vmm_ioloop_add (VmmIoLoop *loop, int fd, uint32_t events, VmmIoFn fn, void *opaque)
{
  struct epoll_event ev = { .events = events, .data.fd = fd };
  Handler *h;

  g_return_val_if_fail (loop != NULL && fn != NULL && fd >= 0, -EINVAL);
  g_mutex_lock (&loop->lock);
  if (g_hash_table_contains (loop->handlers, GINT_TO_POINTER (fd)))
    {
      g_mutex_unlock (&loop->lock);
      return -EEXIST;
    }
  h = g_new (Handler, 1);
  *h = (Handler) { fn, opaque };
  g_hash_table_insert (loop->handlers, GINT_TO_POINTER (fd), h);
  g_mutex_unlock (&loop->lock);
  if (epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    {
      int err = errno;
      g_mutex_lock (&loop->lock);
      g_hash_table_remove (loop->handlers, GINT_TO_POINTER (fd));
      g_mutex_unlock (&loop->lock);
      return -err;
    }
  return 0;
}

gboolean
vmm_ioloop_is_current (VmmIoLoop *loop)
{
  return loop->thread == g_thread_self ();
}

int
vmm_ioloop_remove (VmmIoLoop *loop, int fd)
{
  gboolean had;

  g_return_val_if_fail (loop != NULL, -EINVAL);
  epoll_ctl (loop->epfd, EPOLL_CTL_DEL, fd, NULL);
  g_mutex_lock (&loop->lock);
  had = g_hash_table_remove (loop->handlers, GINT_TO_POINTER (fd));
  g_mutex_unlock (&loop->lock);
  /* The loop may be inside this fd's handler right now. */
  if (!vmm_ioloop_is_current (loop))
    vmm_ioloop_run_sync (loop, NULL, NULL);
  return had ? 0 : -ENOENT;
}

void
vmm_ioloop_run_sync (VmmIoLoop *loop, void (*fn) (void *opaque), void *opaque)
{
  SyncCall call = { fn, opaque, FALSE };

  if (vmm_ioloop_is_current (loop))
    {
      if (fn != NULL)
        fn (opaque);
      return;
    }
  g_mutex_lock (&loop->lock);
  g_queue_push_tail (&loop->calls, &call);
  g_mutex_unlock (&loop->lock);
  wake (loop);
  g_mutex_lock (&loop->lock);
  while (!call.done)
    g_cond_wait (&loop->cond, &loop->lock);
  g_mutex_unlock (&loop->lock);
}
