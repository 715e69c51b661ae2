/* virtio-rng.c: the virtio entropy device.
 *
 * Each chain the driver posts is filled from getrandom() on the device's
 * I/O thread. The optional rate limit is a token bucket holding one
 * second's worth of bytes: when it is empty the device stops taking
 * chains and a timerfd on the same I/O thread brings it back once enough
 * has accumulated, so a throttled guest waits instead of spinning.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/virtio-rng-private.h"

#include "vireo-vmm.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* The most one request gets: Linux asks for 16 to a few hundred bytes. */
#define MAX_REQUEST (64u << 10)
/* When throttled, wait for at least this much before waking up. */
#define MIN_REFILL 64u

struct _VmmVirtioRng {
  VmmVirtio *vio;
  uint64_t rate;              /* bytes per second, 0: unlimited */

  GMutex lock;                /* queue_notify and the timer vs reset */
  gboolean running;
  uint64_t tokens;
  gint64 last_refill;         /* monotonic µs */
  int timerfd;
  gboolean timer_watched;

  VmmVirtioRngStats stats;    /* under lock */
};

static void
refill (VmmVirtioRng *rng)
{
  gint64 now = g_get_monotonic_time ();
  uint64_t elapsed = (uint64_t) MIN (now - rng->last_refill, G_USEC_PER_SEC);

  rng->last_refill = now;
  rng->tokens = MIN (rng->tokens + elapsed * rng->rate / G_USEC_PER_SEC, rng->rate);
}

static void
arm_timer (VmmVirtioRng *rng)
{
  uint64_t want = MIN ((uint64_t) MIN_REFILL, rng->rate);
  uint64_t ns = (want - MIN (rng->tokens, want)) * 1000000000ull / rng->rate;
  struct itimerspec its = { 0 };

  ns = MAX (ns, 1000000ull);
  its.it_value.tv_sec = (time_t) (ns / 1000000000ull);
  its.it_value.tv_nsec = (long) (ns % 1000000000ull);
  if (timerfd_settime (rng->timerfd, 0, &its, NULL) < 0)
    g_warning ("virtio-rng: timerfd_settime: %s", g_strerror (errno));
}

/* Fills @len bytes of the writable segments; returns how many. */
static size_t
fill (const VmmVirtqElem *elem, size_t len)
{
  const struct iovec *iov = elem->iov + elem->n_out;
  size_t done = 0;

  for (unsigned i = 0; i < elem->n_in && done < len; i++)
    {
      size_t seg = MIN (iov[i].iov_len, len - done), off = 0;

      while (off < seg)
        {
          ssize_t got = getrandom ((uint8_t *) iov[i].iov_base + off, seg - off, 0);
          if (got < 0)
            {
              if (errno == EINTR)
                continue;
              g_warning ("virtio-rng: getrandom: %s", g_strerror (errno));
              return done + off;
            }
          off += (size_t) got;
        }
      done += seg;
    }
  return done;
}

static void
process (VmmVirtioRng *rng)
{
  VmmVirtqueue *vq;
  VmmVirtqElem *elem;

  g_mutex_lock (&rng->lock);
  if (!rng->running)
    {
      g_mutex_unlock (&rng->lock);
      return;
    }
  vq = vmm_virtio_queue (rng->vio, 0);
  if (rng->rate != 0)
    refill (rng);
  for (;;)
    {
      size_t want, got;

      if (rng->rate != 0 && rng->tokens == 0)
        {
          rng->stats.throttled++;
          arm_timer (rng);
          break;
        }
      if (vmm_virtq_pop (vq, &elem) <= 0)
        break;
      if (elem->in_len == 0)
        {
          rng->stats.bad_requests++;
          vmm_virtq_push (vq, elem, 0);
          continue;
        }
      want = (size_t) MIN (elem->in_len, (uint64_t) MAX_REQUEST);
      if (rng->rate != 0)
        want = (size_t) MIN ((uint64_t) want, rng->tokens);
      got = fill (elem, want);
      vmm_virtq_push (vq, elem, (uint32_t) got);
      if (rng->rate != 0)
        rng->tokens -= got;
      rng->stats.bytes += got;
      rng->stats.requests++;
    }
  vmm_virtq_notify (vq);
  g_mutex_unlock (&rng->lock);
}

static void
on_timer (void *opaque, int fd, uint32_t events)
{
  VmmVirtioRng *rng = opaque;
  uint64_t expirations;

  if (read (fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    return;
  process (rng);
}

static void
rng_config_read (void *dev, unsigned offset, uint8_t *data, unsigned len)
{
}

static void
rng_config_write (void *dev, unsigned offset, const uint8_t *data, unsigned len)
{
}

static int
rng_start (void *dev, uint64_t features)
{
  VmmVirtioRng *rng = dev;

  g_mutex_lock (&rng->lock);
  rng->running = vmm_virtq_size (vmm_virtio_queue (rng->vio, 0)) > 0;
  g_mutex_unlock (&rng->lock);
  return 0;
}

static void
rng_reset (void *dev)
{
  VmmVirtioRng *rng = dev;
  struct itimerspec off = { 0 };

  g_mutex_lock (&rng->lock);
  rng->running = FALSE;
  /* A timer that fires anyway finds the device stopped. */
  timerfd_settime (rng->timerfd, 0, &off, NULL);
  g_mutex_unlock (&rng->lock);
}

static void
rng_queue_notify (void *dev, VmmVirtqueue *vq)
{
  process (dev);
}

static void
rng_destroy (void *dev)
{
  vmm_virtio_rng_free (dev);
}

static const VmmVirtioDeviceOps rng_ops = {
  .config_read = rng_config_read,
  .config_write = rng_config_write,
  .start = rng_start,
  .reset = rng_reset,
  .queue_notify = rng_queue_notify,
  .destroy = rng_destroy,
};

VmmVirtioRng *
vmm_virtio_rng_create (const VmmVirtioRngConfig *config, VmmVirtioDeviceDesc *desc,
                       GError **error)
{
  VmmVirtioRng *rng = g_new0 (VmmVirtioRng, 1);

  g_mutex_init (&rng->lock);
  rng->rate = config->max_bytes_per_sec;
  rng->tokens = rng->rate;
  rng->last_refill = g_get_monotonic_time ();
  rng->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (rng->timerfd < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "virtio-rng: timerfd: %s", g_strerror (errno));
      vmm_virtio_rng_free (rng);
      return NULL;
    }
  *desc = (VmmVirtioDeviceDesc) {
    .name = "virtio-rng",
    .device_id = 4,                   /* VIRTIO_ID_RNG */
    .pci_class = 0xff0000,            /* unclassified, as other monitors use */
    .features = 0,
    .n_queues = 1,
    .queue_size = 64,
    .config_size = 0,
    .ops = &rng_ops,
    .dev = rng,
  };
  return rng;
}

int
vmm_virtio_rng_attach (VmmVirtioRng *rng, VmmVirtio *vio)
{
  int r;

  rng->vio = vio;
  r = vmm_ioloop_add (vmm_virtio_ioloop (vio), rng->timerfd, EPOLLIN, on_timer, rng);
  if (r < 0)
    return r;
  rng->timer_watched = TRUE;
  return 0;
}

void
vmm_virtio_rng_free (VmmVirtioRng *rng)
{
  if (rng == NULL)
    return;
  if (rng->timer_watched)
    vmm_ioloop_remove (vmm_virtio_ioloop (rng->vio), rng->timerfd);
  if (rng->timerfd >= 0)
    close (rng->timerfd);
  g_mutex_clear (&rng->lock);
  g_free (rng);
}

void
vmm_virtio_rng_get_stats (VmmVirtioRng *rng, VmmVirtioRngStats *stats)
{
  g_mutex_lock (&rng->lock);
  *stats = rng->stats;
  g_mutex_unlock (&rng->lock);
}

VmmPciDevice *
vmm_virtio_rng_new (VmmPlatform *platform, const VmmVirtioRngConfig *config, GError **error)
{
  VmmVirtioDeviceDesc desc;
  VmmVirtioRng *rng;
  VmmPciDevice *pci;
  VmmVirtio *vio = NULL;
  int r;

  g_return_val_if_fail (platform != NULL && config != NULL, NULL);

  rng = vmm_virtio_rng_create (config, &desc, error);
  if (rng == NULL)
    return NULL;
  pci = vmm_virtio_pci_new (platform, &desc, &vio, error);
  if (pci == NULL)
    {
      vmm_virtio_rng_free (rng);
      return NULL;
    }
  r = vmm_virtio_rng_attach (rng, vio);
  if (r < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "virtio-rng: cannot watch its timer: %s", g_strerror (-r));
      vmm_pci_device_free (pci);
      return NULL;
    }
  return pci;
}
