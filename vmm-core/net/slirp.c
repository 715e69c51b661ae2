/* slirp.c: the libslirp back-end.
 *
 * libslirp is not thread-safe: all calls into it happen on one VmmIoLoop
 * thread. The back-end starts with a loop of its own and, once a NIC
 * attaches, moves onto the NIC's I/O thread, so that a guest frame goes
 * from the transmit ring into slirp_input, and slirp's answer into the
 * receive ring, without a copy into a queue or a switch to another thread
 * (on a two-CPU host a third busy thread costs more than it brings).
 *
 * slirp wants poll(): before sleeping it lists the sockets it cares about
 * (slirp_pollfds_fill), after waking it asks which are ready
 * (slirp_pollfds_poll). The loop is epoll-based, so the sockets live in
 * an epoll set of our own, reconciled with slirp's list after every round;
 * that set's fd, a timerfd for slirp's timers and an eventfd are what the
 * loop watches.
 *
 * Frames sent from any other thread are copied onto a bounded queue and
 * the eventfd wakes the loop. Frames slirp emits go straight to the NIC's
 * receive callback; when the guest has no buffers they wait on a second
 * bounded queue until the NIC says buffers are back. TCP inside slirp
 * keeps to the guest's window, so that queue stays small and its bound
 * only stops a guest that never reads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/slirp.h"

#include "net/hostfwd.h"
#include "ioloop.h"
#include "vireo-vmm.h"

#include <errno.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* Guest frames waiting for slirp: past this, can_send says no. */
#define TX_QUEUE_MAX 256
/* Frames waiting for guest receive buffers: past either bound, drop. */
#define RX_QUEUE_MAX_FRAMES 1024
#define RX_QUEUE_MAX_BYTES  (8u << 20)

typedef struct {
  size_t len;
  uint8_t data[];
} Frame;

typedef struct {
  SlirpTimerId id;
  void *cb_opaque;
  int64_t expire_ms;        /* -1: not armed */
} Timer;

typedef struct {
  VmmNetBackend parent;

  Slirp *slirp;
  VmmIoLoop *own_loop;      /* until a NIC attaches */
  VmmIoLoop *loop;          /* where every slirp call happens */
  int wakefd;               /* frames queued, rx_resume, a round owed */
  int sepfd;                /* epoll set of slirp's sockets */
  int timerfd;              /* slirp's timers and its poll timeout */
  gboolean watching;        /* the three fds are on the loop */
  struct in_addr guest_addr;

  /* Shared with the NIC's threads. */
  GMutex lock;
  GQueue txq;               /* Frame *, guest to slirp, from other threads */
  gboolean tx_blocked;      /* can_send said no: tx_resume is owed */
  gboolean rx_kick;         /* rx_resume was called */

  /* Held while a peer callback runs, so that set_peer can wait for it. */
  GMutex peer_lock;
  const VmmNetPeerOps *peer_ops;
  void *peer_opaque;

  /* The loop thread's own. */
  GQueue rxq;               /* Frame *, slirp to guest, while the guest has no room */
  size_t rxq_bytes;
  GPtrArray *timers;        /* Timer * */
  GArray *pollfds;          /* struct pollfd, slirp's list from the last fill */
  GHashTable *watched;      /* fd -> events registered in sepfd */
  GHashTable *want;         /* fd -> events slirp asked for, during a refill */
  gboolean round_owed;      /* slirp_input ran: refill before sleeping */
  uint8_t *flat;            /* a frame in one piece for slirp_input */

  VmmNetStats stats;        /* updated with atomics: two threads count */
} SlirpBackend;

static void
count (uint64_t *counter)
{
  __atomic_fetch_add (counter, 1, __ATOMIC_RELAXED);
}

static int64_t
now_ns (void)
{
  return g_get_monotonic_time () * 1000;
}

static void
wake (SlirpBackend *s)
{
  uint64_t one = 1;

  /* EAGAIN means the counter is already non-zero: the loop will wake. */
  while (write (s->wakefd, &one, sizeof one) < 0 && errno == EINTR)
    ;
}

/* ---- slirp callbacks (loop thread) ---- */

static ssize_t
deliver (SlirpBackend *s, const void *data, size_t len)
{
  struct iovec iov = { (void *) data, len };
  ssize_t ret = -ENETDOWN;

  g_mutex_lock (&s->peer_lock);
  if (s->peer_ops != NULL)
    ret = s->peer_ops->receive (s->peer_opaque, &iov, 1);
  g_mutex_unlock (&s->peer_lock);
  return ret;
}

static void
rxq_push (SlirpBackend *s, const void *data, size_t len)
{
  Frame *f;

  if (s->rxq.length >= RX_QUEUE_MAX_FRAMES || s->rxq_bytes + len > RX_QUEUE_MAX_BYTES)
    {
      count (&s->stats.rx_dropped);
      return;
    }
  f = g_malloc (sizeof *f + len);
  f->len = len;
  memcpy (f->data, data, len);
  g_queue_push_tail (&s->rxq, f);
  s->rxq_bytes += len;
}

static ssize_t
cb_send_packet (const void *buf, size_t len, void *opaque)
{
  SlirpBackend *s = opaque;
  ssize_t ret;

  /* Keep the order: once one frame waits, the next ones wait behind it. */
  if (s->rxq.length > 0)
    {
      rxq_push (s, buf, len);
      return (ssize_t) len;
    }
  ret = deliver (s, buf, len);
  if (ret > 0)
    count (&s->stats.rx_frames);
  else if (ret == 0)
    {
      count (&s->stats.rx_deferred);
      rxq_push (s, buf, len);
    }
  else
    count (&s->stats.rx_dropped);
  /* Whatever happened, slirp must not see an error: for it the frame is
   * on the wire, and TCP recovers a dropped one. */
  return (ssize_t) len;
}

static void
cb_guest_error (const char *msg, void *opaque)
{
  SlirpBackend *s = opaque;

  /* The guest controls how often this happens: debug level only. */
  count (&s->stats.guest_errors);
  g_debug ("slirp: guest error: %s", msg);
}

static int64_t
cb_clock_get_ns (void *opaque)
{
  return now_ns ();
}

static void *
cb_timer_new_opaque (SlirpTimerId id, void *cb_opaque, void *opaque)
{
  SlirpBackend *s = opaque;
  Timer *t = g_new0 (Timer, 1);

  t->id = id;
  t->cb_opaque = cb_opaque;
  t->expire_ms = -1;
  g_ptr_array_add (s->timers, t);
  return t;
}

static void
cb_timer_free (void *timer, void *opaque)
{
  SlirpBackend *s = opaque;

  /* The array's free function frees the timer. */
  g_ptr_array_remove_fast (s->timers, timer);
}

static void
cb_timer_mod (void *timer, int64_t expire_ms, void *opaque)
{
  Timer *t = timer;

  t->expire_ms = expire_ms;
}

/* A socket is added to our epoll set at the next refill; only its
 * removal matters here: slirp closes it right after, and its number may
 * come back for another socket that the set must then not believe it
 * already has. */
static void
cb_register_poll_fd (int fd, void *opaque)
{
}

static void
cb_unregister_poll_fd (int fd, void *opaque)
{
  SlirpBackend *s = opaque;

  if (g_hash_table_remove (s->watched, GINT_TO_POINTER (fd)))
    epoll_ctl (s->sepfd, EPOLL_CTL_DEL, fd, NULL);
}

/* slirp asks to be polled again soon; it only ever does so from inside a
 * call made on the loop thread, which refills right after. */
static void
cb_notify (void *opaque)
{
}

static const SlirpCb slirp_callbacks = {
  .send_packet = cb_send_packet,
  .guest_error = cb_guest_error,
  .clock_get_ns = cb_clock_get_ns,
  .timer_free = cb_timer_free,
  .timer_mod = cb_timer_mod,
  .register_poll_fd = cb_register_poll_fd,
  .unregister_poll_fd = cb_unregister_poll_fd,
  .notify = cb_notify,
  .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the rounds (loop thread) ---- */

static int
add_poll (int fd, int events, void *opaque)
{
  SlirpBackend *s = opaque;
  struct pollfd pfd = { .fd = fd };

  if (events & SLIRP_POLL_IN)
    pfd.events |= POLLIN;
  if (events & SLIRP_POLL_OUT)
    pfd.events |= POLLOUT;
  if (events & SLIRP_POLL_PRI)
    pfd.events |= POLLPRI;
  g_array_append_val (s->pollfds, pfd);
  return (int) s->pollfds->len - 1;
}

static int
get_revents (int idx, void *opaque)
{
  SlirpBackend *s = opaque;
  short revents;
  int events = 0;

  if (idx < 0 || (unsigned) idx >= s->pollfds->len)
    return 0;
  revents = g_array_index (s->pollfds, struct pollfd, idx).revents;
  if (revents & POLLIN)
    events |= SLIRP_POLL_IN;
  if (revents & POLLOUT)
    events |= SLIRP_POLL_OUT;
  if (revents & POLLPRI)
    events |= SLIRP_POLL_PRI;
  if (revents & POLLERR)
    events |= SLIRP_POLL_ERR;
  if (revents & POLLHUP)
    events |= SLIRP_POLL_HUP;
  return events;
}

static uint32_t
timers_timeout_ms (SlirpBackend *s)
{
  int64_t now = now_ns () / 1000000;
  uint32_t timeout = UINT32_MAX;

  for (unsigned i = 0; i < s->timers->len; i++)
    {
      Timer *t = g_ptr_array_index (s->timers, i);
      if (t->expire_ms < 0)
        continue;
      if (t->expire_ms <= now)
        return 0;
      if ((uint64_t) (t->expire_ms - now) < timeout)
        timeout = (uint32_t) (t->expire_ms - now);
    }
  return timeout;
}

static void
timers_run (SlirpBackend *s)
{
  int64_t now = now_ns () / 1000000;

  /* A handler may re-arm or free timers: restart the scan after each. */
  for (gboolean again = TRUE; again;)
    {
      again = FALSE;
      for (unsigned i = 0; i < s->timers->len; i++)
        {
          Timer *t = g_ptr_array_index (s->timers, i);
          if (t->expire_ms >= 0 && t->expire_ms <= now)
            {
              t->expire_ms = -1;
              slirp_handle_timer (s->slirp, t->id, t->cb_opaque);
              again = TRUE;
              break;
            }
        }
    }
}

static uint32_t
to_epoll (short events)
{
  return (events & POLLIN ? EPOLLIN : 0) | (events & POLLOUT ? EPOLLOUT : 0)
         | (events & POLLPRI ? EPOLLPRI : 0);
}

/* Asks slirp which sockets it wants watched and how long it may sleep,
 * then makes the epoll set and the timer say the same. */
static void
refill (SlirpBackend *s)
{
  GHashTable *want = s->want;
  GHashTableIter iter;
  gpointer key, value;
  uint32_t timeout = timers_timeout_ms (s);
  struct itimerspec its = { 0 };

  s->round_owed = FALSE;
  g_hash_table_remove_all (want);
  g_array_set_size (s->pollfds, 0);
  slirp_pollfds_fill (s->slirp, &timeout, add_poll, s);

  for (unsigned i = 0; i < s->pollfds->len; i++)
    {
      const struct pollfd *p = &g_array_index (s->pollfds, struct pollfd, i);
      gpointer fd = GINT_TO_POINTER (p->fd);
      uint32_t ev = GPOINTER_TO_UINT (g_hash_table_lookup (want, fd)) | to_epoll (p->events);
      g_hash_table_insert (want, fd, GUINT_TO_POINTER (ev));
    }

  /* Sockets slirp no longer lists (it closes them through
   * unregister_poll_fd, which already took them out). */
  g_hash_table_iter_init (&iter, s->watched);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (want, key))
      {
        epoll_ctl (s->sepfd, EPOLL_CTL_DEL, GPOINTER_TO_INT (key), NULL);
        g_hash_table_iter_remove (&iter);
      }
  g_hash_table_iter_init (&iter, want);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gpointer have;
      struct epoll_event ev = { .events = GPOINTER_TO_UINT (value), .data.fd = GPOINTER_TO_INT (key) };
      int r = 0;

      if (!g_hash_table_lookup_extended (s->watched, key, NULL, &have))
        {
          r = epoll_ctl (s->sepfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
          if (r < 0 && errno == EEXIST)
            r = epoll_ctl (s->sepfd, EPOLL_CTL_MOD, ev.data.fd, &ev);
        }
      else if (GPOINTER_TO_UINT (have) != ev.events)
        {
          r = epoll_ctl (s->sepfd, EPOLL_CTL_MOD, ev.data.fd, &ev);
          if (r < 0 && errno == ENOENT)
            r = epoll_ctl (s->sepfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
        }
      if (r < 0)
        g_warning ("slirp: watching socket %d: %s", ev.data.fd, g_strerror (errno));
      g_hash_table_insert (s->watched, key, value);
    }

  if (timeout != UINT32_MAX)
    {
      its.it_value.tv_sec = timeout / 1000;
      its.it_value.tv_nsec = (long) (timeout % 1000) * 1000000;
      /* All zero would disarm it: the smallest delay instead. */
      if (timeout == 0)
        its.it_value.tv_nsec = 1;
    }
  if (timerfd_settime (s->timerfd, 0, &its, NULL) < 0)
    g_warning ("slirp: timerfd_settime: %s", g_strerror (errno));
}

/* One round: what epoll says is ready, slirp's timers, then a refill. */
static void
round_run (SlirpBackend *s)
{
  struct epoll_event ev[64];
  int n = epoll_wait (s->sepfd, ev, G_N_ELEMENTS (ev), 0);

  for (unsigned i = 0; i < s->pollfds->len; i++)
    g_array_index (s->pollfds, struct pollfd, i).revents = 0;
  for (int k = 0; k < n; k++)
    {
      short revents = (short) ((ev[k].events & EPOLLIN ? POLLIN : 0)
                               | (ev[k].events & EPOLLOUT ? POLLOUT : 0)
                               | (ev[k].events & EPOLLPRI ? POLLPRI : 0)
                               | (ev[k].events & EPOLLERR ? POLLERR : 0)
                               | (ev[k].events & EPOLLHUP ? POLLHUP : 0));
      for (unsigned i = 0; i < s->pollfds->len; i++)
        {
          struct pollfd *p = &g_array_index (s->pollfds, struct pollfd, i);
          if (p->fd == ev[k].data.fd)
            p->revents = revents;
        }
    }
  slirp_pollfds_poll (s->slirp, n < 0, get_revents, s);
  timers_run (s);
  refill (s);
}

static void
flush_rxq (SlirpBackend *s)
{
  Frame *f;

  while ((f = g_queue_peek_head (&s->rxq)) != NULL)
    {
      ssize_t ret = deliver (s, f->data, f->len);
      if (ret == 0)
        {
          count (&s->stats.rx_deferred);
          return;
        }
      count (ret > 0 ? &s->stats.rx_frames : &s->stats.rx_dropped);
      g_queue_pop_head (&s->rxq);
      s->rxq_bytes -= f->len;
      g_free (f);
    }
}

static void
on_wake (void *opaque, int fd, uint32_t events)
{
  SlirpBackend *s = opaque;
  GQueue frames = G_QUEUE_INIT;
  gboolean resume_tx, kick_rx;
  uint64_t value;
  Frame *f;

  if (read (s->wakefd, &value, sizeof value) < 0 && errno != EAGAIN)
    return;

  g_mutex_lock (&s->lock);
  frames = s->txq;
  g_queue_init (&s->txq);
  resume_tx = s->tx_blocked;
  s->tx_blocked = FALSE;
  kick_rx = s->rx_kick;
  s->rx_kick = FALSE;
  g_mutex_unlock (&s->lock);

  while ((f = g_queue_pop_head (&frames)) != NULL)
    {
      slirp_input (s->slirp, f->data, (int) f->len);
      g_free (f);
    }
  if (kick_rx)
    flush_rxq (s);
  if (resume_tx)
    {
      g_mutex_lock (&s->peer_lock);
      if (s->peer_ops != NULL && s->peer_ops->tx_resume != NULL)
        s->peer_ops->tx_resume (s->peer_opaque);
      g_mutex_unlock (&s->peer_lock);
    }
  refill (s);
}

static void
on_sockets (void *opaque, int fd, uint32_t events)
{
  round_run (opaque);
}

static void
on_timer (void *opaque, int fd, uint32_t events)
{
  SlirpBackend *s = opaque;
  uint64_t expirations;

  if (read (fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    return;
  round_run (s);
}

static void
unwatch (SlirpBackend *s)
{
  if (!s->watching)
    return;
  vmm_ioloop_remove (s->loop, s->wakefd);
  vmm_ioloop_remove (s->loop, s->sepfd);
  vmm_ioloop_remove (s->loop, s->timerfd);
  s->watching = FALSE;
}

static int
watch (SlirpBackend *s, VmmIoLoop *loop)
{
  int r;

  r = vmm_ioloop_add (loop, s->wakefd, EPOLLIN, on_wake, s);
  if (r == 0)
    {
      r = vmm_ioloop_add (loop, s->sepfd, EPOLLIN, on_sockets, s);
      if (r == 0)
        {
          r = vmm_ioloop_add (loop, s->timerfd, EPOLLIN, on_timer, s);
          if (r == 0)
            {
              s->loop = loop;
              s->watching = TRUE;
              /* A first round on the new thread sets the epoll set and
               * the timer up. */
              wake (s);
              return 0;
            }
          vmm_ioloop_remove (loop, s->sepfd);
        }
      vmm_ioloop_remove (loop, s->wakefd);
    }
  return r;
}

/* ---- VmmNetBackend ops (any thread) ---- */

static size_t
iov_total (const struct iovec *iov, unsigned n)
{
  size_t total = 0;

  for (unsigned i = 0; i < n; i++)
    {
      if (iov[i].iov_len > VMM_NET_MAX_FRAME - total)
        return VMM_NET_MAX_FRAME + 1;
      total += iov[i].iov_len;
    }
  return total;
}

static int
slirp_be_send (VmmNetBackend *be, const struct iovec *iov, unsigned n)
{
  SlirpBackend *s = (SlirpBackend *) be;
  size_t len = iov_total (iov, n), off = 0;
  gboolean was_empty;
  Frame *f;

  if (len < VMM_NET_MIN_FRAME || len > VMM_NET_MAX_FRAME)
    {
      count (&s->stats.tx_dropped);
      return -EMSGSIZE;
    }
  count (&s->stats.tx_frames);

  if (vmm_ioloop_is_current (s->loop))
    {
      /* On the loop: straight in, from a copy. The frame may lie in
       * guest memory that the guest can change while slirp parses it,
       * and slirp reads some frames (ARP, NC-SI) in place. The refill
       * that slirp's new state needs waits for the end of the NIC's batch
       * (a wake-up queued once). */
      const uint8_t *data = s->flat;

      for (unsigned i = 0; i < n; i++)
        {
          memcpy (s->flat + off, iov[i].iov_base, iov[i].iov_len);
          off += iov[i].iov_len;
        }
      slirp_input (s->slirp, data, (int) len);
      if (!s->round_owed)
        {
          s->round_owed = TRUE;
          wake (s);
        }
      return 0;
    }

  f = g_malloc (sizeof *f + len);
  f->len = len;
  for (unsigned i = 0; i < n; i++)
    {
      memcpy (f->data + off, iov[i].iov_base, iov[i].iov_len);
      off += iov[i].iov_len;
    }

  g_mutex_lock (&s->lock);
  was_empty = s->txq.length == 0;
  g_queue_push_tail (&s->txq, f);
  g_mutex_unlock (&s->lock);

  /* One wake-up per batch: a non-empty queue already has one pending. */
  if (was_empty)
    wake (s);
  return 0;
}

static gboolean
slirp_be_can_send (VmmNetBackend *be)
{
  SlirpBackend *s = (SlirpBackend *) be;
  gboolean ok;

  if (vmm_ioloop_is_current (s->loop))
    return TRUE;
  g_mutex_lock (&s->lock);
  ok = s->txq.length < TX_QUEUE_MAX;
  if (!ok)
    s->tx_blocked = TRUE;
  g_mutex_unlock (&s->lock);
  return ok;
}

static void
slirp_be_rx_resume (VmmNetBackend *be)
{
  SlirpBackend *s = (SlirpBackend *) be;
  gboolean need_wake;

  g_mutex_lock (&s->lock);
  need_wake = !s->rx_kick;
  s->rx_kick = TRUE;
  g_mutex_unlock (&s->lock);
  if (need_wake)
    wake (s);
}

static void
slirp_be_set_peer (VmmNetBackend *be, const VmmNetPeerOps *ops, void *opaque)
{
  SlirpBackend *s = (SlirpBackend *) be;

  g_mutex_lock (&s->peer_lock);
  s->peer_ops = ops;
  s->peer_opaque = opaque;
  g_mutex_unlock (&s->peer_lock);
  /* A new peer may have room for what waited for the old one. */
  if (ops != NULL)
    slirp_be_rx_resume (be);
}

static int
slirp_be_attach (VmmNetBackend *be, VmmIoLoop *loop)
{
  SlirpBackend *s = (SlirpBackend *) be;
  VmmIoLoop *old = s->loop;
  int r;

  if (loop == s->loop)
    return 0;
  unwatch (s);
  r = watch (s, loop);
  if (r < 0)
    {
      /* Stay where we were. */
      int back = watch (s, old);
      g_assert (back == 0);
      return r;
    }
  g_clear_pointer (&s->own_loop, vmm_ioloop_free);
  return 0;
}

static void
slirp_be_get_stats (VmmNetBackend *be, VmmNetStats *stats)
{
  SlirpBackend *s = (SlirpBackend *) be;

  stats->tx_frames = __atomic_load_n (&s->stats.tx_frames, __ATOMIC_RELAXED);
  stats->tx_dropped = __atomic_load_n (&s->stats.tx_dropped, __ATOMIC_RELAXED);
  stats->rx_frames = __atomic_load_n (&s->stats.rx_frames, __ATOMIC_RELAXED);
  stats->rx_dropped = __atomic_load_n (&s->stats.rx_dropped, __ATOMIC_RELAXED);
  stats->rx_deferred = __atomic_load_n (&s->stats.rx_deferred, __ATOMIC_RELAXED);
  stats->guest_errors = __atomic_load_n (&s->stats.guest_errors, __ATOMIC_RELAXED);
}

static void
slirp_be_destroy (VmmNetBackend *be)
{
  SlirpBackend *s = (SlirpBackend *) be;

  /* Once off the loop, nothing else calls into slirp: its clean-up may
   * run here. */
  unwatch (s);
  g_clear_pointer (&s->own_loop, vmm_ioloop_free);
  if (s->slirp != NULL)
    slirp_cleanup (s->slirp);
  g_queue_clear_full (&s->txq, g_free);
  g_queue_clear_full (&s->rxq, g_free);
  g_ptr_array_free (s->timers, TRUE);
  g_array_free (s->pollfds, TRUE);
  g_hash_table_unref (s->watched);
  g_hash_table_unref (s->want);
  if (s->wakefd >= 0)
    close (s->wakefd);
  if (s->sepfd >= 0)
    close (s->sepfd);
  if (s->timerfd >= 0)
    close (s->timerfd);
  g_mutex_clear (&s->lock);
  g_mutex_clear (&s->peer_lock);
  g_free (s->flat);
  g_free (s);
}

static const VmmNetBackendOps slirp_backend_ops = {
  .send = slirp_be_send,
  .can_send = slirp_be_can_send,
  .rx_resume = slirp_be_rx_resume,
  .set_peer = slirp_be_set_peer,
  .attach = slirp_be_attach,
  .get_stats = slirp_be_get_stats,
  .destroy = slirp_be_destroy,
};

static gboolean
add_hostfwd (SlirpBackend *s, const char *spec, GError **error)
{
  VmmNetHostFwd fwd;
  g_autofree char *text = NULL;
  int err;

  if (!vmm_net_hostfwd_parse (spec, &fwd, error))
    return FALSE;
  if (fwd.guest_addr.s_addr == htonl (INADDR_ANY))
    fwd.guest_addr = s->guest_addr;

  errno = 0;
  if (slirp_add_hostfwd (s->slirp, fwd.udp, fwd.host_addr, fwd.host_port,
                         fwd.guest_addr, fwd.guest_port) == 0)
    return TRUE;

  err = errno;
  text = vmm_net_hostfwd_to_string (&fwd, s->guest_addr);
  if (err == EADDRINUSE)
    g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                 "Cannot forward “%s”: host port %u is already in use; "
                 "choose another host port", spec, fwd.host_port);
  else
    g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                 "Cannot forward “%s” (%s): %s", spec, text,
                 err != 0 ? g_strerror (err)
                          : "the guest address must be inside 10.0.2.0/24");
  return FALSE;
}

VmmNetBackend *
vmm_net_slirp_new (const VmmNetSlirpConfig *config, GError **error)
{
  SlirpBackend *s;
  SlirpConfig cfg = { 0 };
  unsigned mtu;
  int r;

  g_return_val_if_fail (config != NULL, NULL);

  mtu = config->mtu != 0 ? config->mtu : VMM_NET_SLIRP_MTU_DEFAULT;
  if (mtu < 576 || mtu > VMM_NET_SLIRP_MTU_MAX)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "The network MTU %u is out of range (576 to %u)", mtu,
                   VMM_NET_SLIRP_MTU_MAX);
      return NULL;
    }

  s = g_new0 (SlirpBackend, 1);
  s->parent.ops = &slirp_backend_ops;
  s->wakefd = s->sepfd = s->timerfd = -1;
  /* slirp computes every checksum of the packets it builds. */
  s->parent.rx_csum_valid = TRUE;
  /* slirp's IPv4 input has no MTU check: a whole TSO segment becomes
   * bytes on the host socket. (Its IPv6 input refuses packets over the
   * MTU, hence no TSO6.) */
  s->parent.tx_tso4 = TRUE;
  g_mutex_init (&s->lock);
  g_mutex_init (&s->peer_lock);
  g_queue_init (&s->txq);
  g_queue_init (&s->rxq);
  s->timers = g_ptr_array_new_with_free_func (g_free);
  s->pollfds = g_array_new (FALSE, FALSE, sizeof (struct pollfd));
  s->watched = g_hash_table_new (NULL, NULL);
  s->want = g_hash_table_new (NULL, NULL);
  s->flat = g_malloc (VMM_NET_MAX_FRAME);

  s->wakefd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->sepfd = epoll_create1 (EPOLL_CLOEXEC);
  s->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (s->wakefd < 0 || s->sepfd < 0 || s->timerfd < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Cannot set up user-mode networking: %s", g_strerror (errno));
      slirp_be_destroy (&s->parent);
      return NULL;
    }

  cfg.version = 4;
  cfg.restricted = config->restricted;
  cfg.in_enabled = true;
  inet_pton (AF_INET, "10.0.2.0", &cfg.vnetwork);
  inet_pton (AF_INET, "255.255.255.0", &cfg.vnetmask);
  inet_pton (AF_INET, "10.0.2.2", &cfg.vhost);
  inet_pton (AF_INET, "10.0.2.15", &cfg.vdhcp_start);
  inet_pton (AF_INET, "10.0.2.3", &cfg.vnameserver);
  /* IPv6 as QEMU's user networking has it: fec0::/64, host fec0::2. */
  cfg.in6_enabled = true;
  inet_pton (AF_INET6, "fec0::", &cfg.vprefix_addr6);
  cfg.vprefix_len = 64;
  inet_pton (AF_INET6, "fec0::2", &cfg.vhost6);
  inet_pton (AF_INET6, "fec0::3", &cfg.vnameserver6);
  cfg.vhostname = config->hostname;
  cfg.if_mtu = mtu;
  cfg.if_mru = mtu;
  s->guest_addr = cfg.vdhcp_start;

  s->slirp = slirp_new (&cfg, &slirp_callbacks, s);
  if (s->slirp == NULL)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Cannot set up user-mode networking (libslirp refused the configuration)");
      slirp_be_destroy (&s->parent);
      return NULL;
    }

  for (unsigned i = 0; config->hostfwd != NULL && config->hostfwd[i] != NULL; i++)
    if (!add_hostfwd (s, config->hostfwd[i], error))
      {
        slirp_be_destroy (&s->parent);
        return NULL;
      }

  s->own_loop = vmm_ioloop_new ("vmm-slirp", error);
  if (s->own_loop == NULL)
    {
      slirp_be_destroy (&s->parent);
      return NULL;
    }
  r = watch (s, s->own_loop);
  if (r < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "Cannot set up user-mode networking: %s", g_strerror (-r));
      slirp_be_destroy (&s->parent);
      return NULL;
    }
  return &s->parent;
}
