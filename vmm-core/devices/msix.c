/* msix.c: MSI-X table, PBA and delivery (PCI Local Bus 3.0, 6.8.2).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/msix.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define PCI_CAP_ID_MSIX   0x11
#define MSIX_CTRL_ENABLE  0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define VEC_CTRL_MASKED   0x1

typedef struct {
  uint32_t addr_lo, addr_hi, data, ctrl;
  gboolean pending;
  int gsi;      /* route, or -1 */
  int fd;       /* irqfd, or -1 */
} Vector;

struct _VmmMsix {
  GMutex lock;
  VmmPciDevice *dev;
  VmmPlatform *platform;
  unsigned cap;
  unsigned n;
  gboolean enabled, masked;
  gboolean no_routing;     /* the platform cannot route: signal directly */
  Vector vec[];
};

uint32_t
vmm_msix_table_size (unsigned n_vectors)
{
  return 16 * n_vectors;
}

uint32_t
vmm_msix_pba_size (unsigned n_vectors)
{
  return 8 * ((n_vectors + 63) / 64);
}

VmmMsix *
vmm_msix_new (VmmPciDevice *dev, VmmPlatform *platform, unsigned n_vectors,
              unsigned bar, uint32_t table_off, uint32_t pba_off, int *err)
{
  VmmMsix *msix;
  int cap;

  if (n_vectors == 0 || n_vectors > VMM_MSIX_MAX_VECTORS || bar >= VMM_PCI_BARS
      || (table_off & 7) || (pba_off & 7))
    {
      *err = -EINVAL;
      return NULL;
    }
  cap = vmm_pci_device_add_capability (dev, PCI_CAP_ID_MSIX, 12);
  if (cap < 0)
    {
      *err = cap;
      return NULL;
    }
  msix = g_malloc0 (sizeof (VmmMsix) + n_vectors * sizeof (Vector));
  g_mutex_init (&msix->lock);
  msix->dev = dev;
  msix->platform = platform;
  msix->cap = (unsigned) cap;
  msix->n = n_vectors;
  dev->cfg[cap + 2] = (uint8_t) (n_vectors - 1);
  dev->cfg[cap + 3] = (uint8_t) ((n_vectors - 1) >> 8);
  /* Only enable and function mask are writable. */
  dev->wmask[cap + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
  for (unsigned i = 0; i < 4; i++)
    {
      dev->cfg[cap + 4 + i] = (uint8_t) ((table_off | bar) >> (8 * i));
      dev->cfg[cap + 8 + i] = (uint8_t) ((pba_off | bar) >> (8 * i));
    }
  for (unsigned i = 0; i < n_vectors; i++)
    {
      msix->vec[i].ctrl = VEC_CTRL_MASKED;
      msix->vec[i].gsi = -1;
      msix->vec[i].fd = -1;
    }
  return msix;
}

static void
release_vector (VmmMsix *msix, Vector *v)
{
  const VmmPlatformOps *ops = msix->platform->ops;

  if (v->fd >= 0)
    {
      if (v->gsi >= 0 && ops->irqfd != NULL)
        ops->irqfd (msix->platform->opaque, v->gsi, v->fd, FALSE);
      close (v->fd);
      v->fd = -1;
    }
  if (v->gsi >= 0 && ops->msi_route_release != NULL)
    ops->msi_route_release (msix->platform->opaque, v->gsi);
  v->gsi = -1;
}

void
vmm_msix_free (VmmMsix *msix)
{
  if (msix == NULL)
    return;
  for (unsigned i = 0; i < msix->n; i++)
    release_vector (msix, &msix->vec[i]);
  g_mutex_clear (&msix->lock);
  g_free (msix);
}

gboolean
vmm_msix_enabled (VmmMsix *msix)
{
  gboolean e;

  g_mutex_lock (&msix->lock);
  e = msix->enabled;
  g_mutex_unlock (&msix->lock);
  return e;
}

static uint64_t
vec_addr (const Vector *v)
{
  return (uint64_t) v->addr_hi << 32 | v->addr_lo;
}

/* The fast path: a route and an irqfd per vector, made on first use. */
static gboolean
ensure_route (VmmMsix *msix, Vector *v)
{
  const VmmPlatformOps *ops = msix->platform->ops;
  void *o = msix->platform->opaque;
  int gsi;

  if (v->fd >= 0)
    return TRUE;
  if (msix->no_routing || ops->msi_route == NULL || ops->irqfd == NULL)
    return FALSE;
  gsi = ops->msi_route (o, -1, vec_addr (v), v->data);
  if (gsi < 0)
    {
      msix->no_routing = TRUE;
      return FALSE;
    }
  v->gsi = gsi;
  v->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (v->fd < 0 || ops->irqfd (o, gsi, v->fd, TRUE) < 0)
    {
      if (v->fd >= 0)
        close (v->fd);
      v->fd = -1;
      if (ops->msi_route_release != NULL)
        ops->msi_route_release (o, gsi);
      v->gsi = -1;
      msix->no_routing = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* Called with the lock held, for an unmasked vector. */
static void
fire (VmmMsix *msix, Vector *v)
{
  const VmmPlatformOps *ops = msix->platform->ops;

  v->pending = FALSE;
  if (ensure_route (msix, v))
    {
      uint64_t one = 1;
      if (write (v->fd, &one, sizeof one) == sizeof one)
        return;
    }
  if (ops->signal_msi != NULL)
    ops->signal_msi (msix->platform->opaque, vec_addr (v), v->data);
}

static gboolean
vector_masked (const VmmMsix *msix, const Vector *v)
{
  return msix->masked || (v->ctrl & VEC_CTRL_MASKED);
}

gboolean
vmm_msix_notify (VmmMsix *msix, unsigned vector)
{
  Vector *v;

  g_mutex_lock (&msix->lock);
  if (!msix->enabled || vector >= msix->n)
    {
      g_mutex_unlock (&msix->lock);
      return FALSE;
    }
  v = &msix->vec[vector];
  if (vector_masked (msix, v))
    v->pending = TRUE;
  else
    fire (msix, v);
  g_mutex_unlock (&msix->lock);
  return TRUE;
}

void
vmm_msix_table_read (VmmMsix *msix, uint64_t offset, uint8_t *data, unsigned len)
{
  uint8_t entry[16];
  Vector *v;

  if (offset >= 16ULL * msix->n || (len != 4 && len != 8) || (offset & (len - 1)))
    {
      memset (data, 0xff, len);
      return;
    }
  g_mutex_lock (&msix->lock);
  v = &msix->vec[offset / 16];
  vmm_le_put (entry, 4, v->addr_lo);
  vmm_le_put (entry + 4, 4, v->addr_hi);
  vmm_le_put (entry + 8, 4, v->data);
  vmm_le_put (entry + 12, 4, v->ctrl);
  g_mutex_unlock (&msix->lock);
  memcpy (data, entry + (offset & 15), len);
}

void
vmm_msix_table_write (VmmMsix *msix, uint64_t offset, const uint8_t *data, unsigned len)
{
  const VmmPlatformOps *ops = msix->platform->ops;
  Vector *v;
  uint64_t val;
  gboolean was_masked;

  if (offset >= 16ULL * msix->n || (len != 4 && len != 8) || (offset & (len - 1)))
    return;
  val = vmm_le_get (data, len);
  g_mutex_lock (&msix->lock);
  v = &msix->vec[offset / 16];
  was_masked = vector_masked (msix, v);
  for (unsigned done = 0; done < len; done += 4)
    {
      uint32_t w = (uint32_t) (val >> (8 * done));
      switch ((offset + done) & 15)
        {
        case 0: v->addr_lo = w & ~3u; break;
        case 4: v->addr_hi = w; break;
        case 8: v->data = w; break;
        default: v->ctrl = w & VEC_CTRL_MASKED; break;
        }
    }
  /* A moved message must not reach the old destination. */
  if (v->gsi >= 0 && ops->msi_route != NULL
      && ops->msi_route (msix->platform->opaque, v->gsi, vec_addr (v), v->data) < 0)
    release_vector (msix, v);
  if (was_masked && !vector_masked (msix, v) && v->pending && msix->enabled)
    fire (msix, v);
  g_mutex_unlock (&msix->lock);
}

void
vmm_msix_pba_read (VmmMsix *msix, uint64_t offset, uint8_t *data, unsigned len)
{
  uint64_t bits = 0;
  unsigned first = (unsigned) MIN (offset, (uint64_t) 1 << 20) * 8;

  g_mutex_lock (&msix->lock);
  for (unsigned i = 0; i < len * 8; i++)
    if (first + i < msix->n && msix->vec[first + i].pending)
      bits |= 1ULL << i;
  g_mutex_unlock (&msix->lock);
  vmm_le_put (data, len, bits);
}

void
vmm_msix_config_written (VmmMsix *msix)
{
  uint16_t ctrl = (uint16_t) (msix->dev->cfg[msix->cap + 2] | msix->dev->cfg[msix->cap + 3] << 8);

  g_mutex_lock (&msix->lock);
  msix->enabled = (ctrl & MSIX_CTRL_ENABLE) != 0;
  msix->masked = (ctrl & MSIX_CTRL_MASKALL) != 0;
  if (msix->enabled && !msix->masked)
    for (unsigned i = 0; i < msix->n; i++)
      if (msix->vec[i].pending && !(msix->vec[i].ctrl & VEC_CTRL_MASKED))
        fire (msix, &msix->vec[i]);
  g_mutex_unlock (&msix->lock);
}

void
vmm_msix_reset (VmmMsix *msix)
{
  g_mutex_lock (&msix->lock);
  msix->enabled = FALSE;
  msix->masked = FALSE;
  msix->no_routing = FALSE;
  for (unsigned i = 0; i < msix->n; i++)
    {
      release_vector (msix, &msix->vec[i]);
      msix->vec[i] = (Vector) { .ctrl = VEC_CTRL_MASKED, .gsi = -1, .fd = -1 };
    }
  g_mutex_unlock (&msix->lock);
}
