/* virtio-pci.c: the virtio 1.x PCI transport (virtio spec 4.1), written
 * once for every device model.
 *
 * One 64-bit memory BAR holds everything: the common configuration, the
 * ISR byte, the device configuration, one notification doorbell per queue
 * (an ioeventfd each, so a kick never leaves the kernel) and the MSI-X
 * table and PBA. Kicks are serviced on the device's own I/O thread; when
 * the platform has no ioeventfd the MMIO write signals the same eventfd, so
 * there is one path either way.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio/virtio.h"
#include "virtio/virtqueue-private.h"
#include "devices/msix.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define VIRTIO_PCI_VENDOR     0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define PCI_CAP_ID_VNDR       0x09

#define CAP_COMMON  1
#define CAP_NOTIFY  2
#define CAP_ISR     3
#define CAP_DEVICE  4

#define BAR          4
#define BAR_SIZE     0x8000
#define COMMON_OFF   0x0000
#define COMMON_LEN   0x40
#define ISR_OFF      0x1000
#define ISR_LEN      0x4
#define DEVICE_OFF   0x2000
#define DEVICE_MAX   0x1000
#define NOTIFY_OFF   0x3000
#define NOTIFY_MULT  4
#define MSIX_OFF     0x4000
#define PBA_OFF      0x5000

#define STATUS_ACKNOWLEDGE 0x01
#define STATUS_DRIVER      0x02
#define STATUS_DRIVER_OK   0x04
#define STATUS_FEATURES_OK 0x08
#define STATUS_NEEDS_RESET 0x40
#define STATUS_FAILED      0x80

#define NO_VECTOR 0xffff

#define TRANSPORT_FEATURES (VMM_VIRTIO_F_VERSION_1 | VMM_VIRTIO_F_EVENT_IDX | VMM_VIRTIO_F_INDIRECT_DESC)

typedef struct {
  VmmVirtio *vio;
  gint vector;             /* atomic: the MSI-X vector, or NO_VECTOR */
  int kickfd;
  gboolean watched;        /* kickfd is on the I/O loop */
  gboolean ioeventfd;      /* kickfd is wired as an ioeventfd at notify_addr */
  uint64_t notify_addr;
} QueueExtra;

struct _VmmVirtio {
  VmmPlatform *platform;
  VmmPciDevice *pci;
  VmmVirtioDeviceDesc desc;
  VmmMsix *msix;
  VmmIoLoop *loop;

  GMutex lock;             /* the registers below */
  uint32_t dfselect, gfselect;
  uint64_t driver_features;
  uint64_t features;       /* negotiated, valid from FEATURES_OK */
  uint16_t msix_config;
  uint8_t status;
  uint8_t config_generation;
  uint16_t queue_sel;
  uint64_t bar_addr;       /* where the BAR decodes, or VMM_PCI_BAR_UNMAPPED */

  gint isr;                /* atomic: bit 0 queue, bit 1 config */

  VmmVirtqueue *vq;
  QueueExtra *qx;
};

static const VmmVirtqueueHooks vq_hooks;

static void
raise_interrupt (VmmVirtio *vio, uint16_t vector, int isr_bit)
{
  const VmmPlatformOps *ops = vio->platform->ops;

  if (vmm_msix_enabled (vio->msix))
    {
      if (vector != NO_VECTOR)
        vmm_msix_notify (vio->msix, vector);
      return;
    }
  g_atomic_int_or (&vio->isr, isr_bit);
  if (vio->pci->intx_gsi >= 0 && ops->set_irq != NULL)
    ops->set_irq (vio->platform->opaque, (unsigned) vio->pci->intx_gsi, TRUE);
}

static void
on_vq_interrupt (void *opaque, VmmVirtqueue *vq)
{
  QueueExtra *qx = opaque;

  raise_interrupt (qx->vio, (uint16_t) g_atomic_int_get (&qx->vector), 1);
}

static void
set_needs_reset (VmmVirtio *vio)
{
  uint16_t vector;

  g_mutex_lock (&vio->lock);
  if (vio->status & STATUS_NEEDS_RESET)
    {
      g_mutex_unlock (&vio->lock);
      return;
    }
  vio->status |= STATUS_NEEDS_RESET;
  vector = vio->msix_config;
  g_mutex_unlock (&vio->lock);
  g_message ("%s: the driver did something invalid; the device needs a reset", vio->desc.name);
  raise_interrupt (vio, vector, 2);
}

static void
on_vq_broken (void *opaque, VmmVirtqueue *vq)
{
  QueueExtra *qx = opaque;

  set_needs_reset (qx->vio);
}

static const VmmVirtqueueHooks vq_hooks = {
  .interrupt = on_vq_interrupt,
  .broken = on_vq_broken,
};

static void
on_kick (void *opaque, int fd, uint32_t events)
{
  QueueExtra *qx = opaque;
  VmmVirtio *vio = qx->vio;
  unsigned q = (unsigned) (qx - vio->qx);
  uint64_t v;

  if (read (fd, &v, sizeof v) < 0 && errno != EAGAIN)
    return;
  vio->desc.ops->queue_notify (vio->desc.dev, &vio->vq[q]);
}

/* ---- doorbells -------------------------------------------------------- */

static void
wire_ioeventfds (VmmVirtio *vio, uint64_t bar_addr)
{
  const VmmPlatformOps *ops = vio->platform->ops;

  for (unsigned q = 0; q < vio->desc.n_queues; q++)
    {
      QueueExtra *qx = &vio->qx[q];
      if (qx->ioeventfd && ops->ioeventfd != NULL)
        ops->ioeventfd (vio->platform->opaque, FALSE, qx->notify_addr, 2, qx->kickfd, FALSE);
      qx->ioeventfd = FALSE;
      if (bar_addr == VMM_PCI_BAR_UNMAPPED || ops->ioeventfd == NULL)
        continue;
      qx->notify_addr = bar_addr + NOTIFY_OFF + (uint64_t) q * NOTIFY_MULT;
      qx->ioeventfd = ops->ioeventfd (vio->platform->opaque, FALSE, qx->notify_addr, 2,
                                      qx->kickfd, TRUE) == 0;
    }
}

static void
watch_queues (VmmVirtio *vio, gboolean watch)
{
  for (unsigned q = 0; q < vio->desc.n_queues; q++)
    {
      QueueExtra *qx = &vio->qx[q];
      if (watch && !qx->watched)
        qx->watched = vmm_ioloop_add (vio->loop, qx->kickfd, EPOLLIN, on_kick, qx) == 0;
      else if (!watch && qx->watched)
        {
          vmm_ioloop_remove (vio->loop, qx->kickfd);
          qx->watched = FALSE;
        }
    }
}

/* ---- reset and start ---------------------------------------------------- */

static void
device_reset (VmmVirtio *vio)
{
  const VmmPlatformOps *ops = vio->platform->ops;

  /* No kick handler may run while the device forgets its queues. */
  watch_queues (vio, FALSE);
  vio->desc.ops->reset (vio->desc.dev);
  for (unsigned q = 0; q < vio->desc.n_queues; q++)
    {
      vmm_virtq_reset (&vio->vq[q]);
      g_atomic_int_set (&vio->qx[q].vector, NO_VECTOR);
    }
  g_mutex_lock (&vio->lock);
  vio->status = 0;
  vio->dfselect = vio->gfselect = 0;
  vio->driver_features = vio->features = 0;
  vio->msix_config = NO_VECTOR;
  vio->queue_sel = 0;
  g_mutex_unlock (&vio->lock);
  g_atomic_int_set (&vio->isr, 0);
  if (vio->pci->intx_gsi >= 0 && ops->set_irq != NULL)
    ops->set_irq (vio->platform->opaque, (unsigned) vio->pci->intx_gsi, FALSE);
}

/* The driver set DRIVER_OK. */
static void
device_start (VmmVirtio *vio)
{
  gboolean event_idx = (vio->features & VMM_VIRTIO_F_EVENT_IDX) != 0;
  gboolean indirect = (vio->features & VMM_VIRTIO_F_INDIRECT_DESC) != 0;

  for (unsigned q = 0; q < vio->desc.n_queues; q++)
    if (vio->vq[q].enabled && vmm_virtq_start (&vio->vq[q], event_idx, indirect) < 0)
      {
        set_needs_reset (vio);
        return;
      }
  if (vio->desc.ops->start (vio->desc.dev, vio->features) < 0)
    {
      set_needs_reset (vio);
      return;
    }
  watch_queues (vio, TRUE);
  /* Buffers made available before DRIVER_OK did not count as kicks. */
  for (unsigned q = 0; q < vio->desc.n_queues; q++)
    if (vio->vq[q].enabled)
      {
        uint64_t one = 1;
        if (write (vio->qx[q].kickfd, &one, sizeof one) < 0)
          g_debug ("%s: kick: %s", vio->desc.name, g_strerror (errno));
      }
}

/* ---- common configuration ------------------------------------------------ */

static uint64_t
offered_features (VmmVirtio *vio)
{
  return vio->desc.features | TRANSPORT_FEATURES;
}

static void
common_read (VmmVirtio *vio, uint64_t offset, uint8_t *data, unsigned len)
{
  uint8_t r[COMMON_LEN] = { 0 };
  VmmVirtqueue *vq;
  uint64_t feat;

  g_mutex_lock (&vio->lock);
  feat = vio->dfselect < 2 ? offered_features (vio) >> (32 * vio->dfselect) : 0;
  vmm_le_put (r + 0x00, 4, vio->dfselect);
  vmm_le_put (r + 0x04, 4, (uint32_t) feat);
  vmm_le_put (r + 0x08, 4, vio->gfselect);
  vmm_le_put (r + 0x0c, 4, vio->gfselect < 2 ? (uint32_t) (vio->driver_features >> (32 * vio->gfselect)) : 0);
  vmm_le_put (r + 0x10, 2, vio->msix_config);
  vmm_le_put (r + 0x12, 2, vio->desc.n_queues);
  r[0x14] = vio->status;
  r[0x15] = vio->config_generation;
  vmm_le_put (r + 0x16, 2, vio->queue_sel);
  if (vio->queue_sel < vio->desc.n_queues)
    {
      vq = &vio->vq[vio->queue_sel];
      vmm_le_put (r + 0x18, 2, vq->size);
      vmm_le_put (r + 0x1a, 2, (uint16_t) g_atomic_int_get (&vio->qx[vio->queue_sel].vector));
      vmm_le_put (r + 0x1c, 2, vq->enabled);
      vmm_le_put (r + 0x1e, 2, vio->queue_sel);     /* queue_notify_off */
      vmm_le_put (r + 0x20, 8, vq->desc_gpa);
      vmm_le_put (r + 0x28, 8, vq->avail_gpa);
      vmm_le_put (r + 0x30, 8, vq->used_gpa);
    }
  g_mutex_unlock (&vio->lock);
  if (offset + len <= COMMON_LEN)
    memcpy (data, r + offset, len);
  else
    memset (data, 0, len);
}

static void
set_vector (VmmVirtio *vio, uint16_t *slot, gint *aslot, uint16_t v)
{
  /* A vector the table does not have reads back as NO_VECTOR, which is how
   * the driver learns it failed (4.1.5.1.2). */
  if (v != NO_VECTOR && v >= vio->desc.n_queues + 1)
    v = NO_VECTOR;
  if (slot != NULL)
    *slot = v;
  else
    g_atomic_int_set (aslot, v);
}

static void
write_status (VmmVirtio *vio, uint8_t v)
{
  uint8_t old;

  if (v == 0)
    {
      g_mutex_unlock (&vio->lock);
      device_reset (vio);
      g_mutex_lock (&vio->lock);
      return;
    }
  old = vio->status;
  /* The driver only adds bits; NEEDS_RESET is the device's. */
  v = (uint8_t) ((v & ~STATUS_NEEDS_RESET) | (old & STATUS_NEEDS_RESET));
  if ((v & STATUS_FEATURES_OK) && !(old & STATUS_FEATURES_OK))
    {
      uint64_t f = vio->driver_features;
      if ((f & ~offered_features (vio)) != 0 || !(f & VMM_VIRTIO_F_VERSION_1))
        v &= (uint8_t) ~STATUS_FEATURES_OK;
      else
        vio->features = f;
    }
  vio->status = v;
  if ((v & STATUS_DRIVER_OK) && !(old & STATUS_DRIVER_OK) && (v & STATUS_FEATURES_OK)
      && !(v & STATUS_NEEDS_RESET))
    {
      g_mutex_unlock (&vio->lock);
      device_start (vio);
      g_mutex_lock (&vio->lock);
    }
}

static void
common_write (VmmVirtio *vio, uint64_t offset, const uint8_t *data, unsigned len)
{
  uint64_t v = vmm_le_get (data, len);
  VmmVirtqueue *vq = NULL;
  gboolean configurable;

  g_mutex_lock (&vio->lock);
  /* Queue fields may change only before the driver says DRIVER_OK. */
  configurable = !(vio->status & STATUS_DRIVER_OK);
  if (vio->queue_sel < vio->desc.n_queues)
    vq = &vio->vq[vio->queue_sel];
  switch (offset)
    {
    case 0x00:
      vio->dfselect = (uint32_t) v;
      break;
    case 0x08:
      vio->gfselect = (uint32_t) v;
      break;
    case 0x0c:
      if (len == 4 && vio->gfselect < 2 && !(vio->status & STATUS_FEATURES_OK))
        {
          unsigned sh = 32 * vio->gfselect;
          vio->driver_features = (vio->driver_features & ~(0xffffffffULL << sh)) | (v << sh);
        }
      break;
    case 0x10:
      set_vector (vio, &vio->msix_config, NULL, (uint16_t) v);
      break;
    case 0x14:
      write_status (vio, (uint8_t) v);
      break;
    case 0x16:
      vio->queue_sel = (uint16_t) v;
      break;
    case 0x18:
      if (vq != NULL && configurable && !vq->enabled)
        vq->size = (uint16_t) MIN (v, (uint64_t) vq->max_size);
      break;
    case 0x1a:
      if (vq != NULL)
        set_vector (vio, NULL, &vio->qx[vio->queue_sel].vector, (uint16_t) v);
      break;
    case 0x1c:
      if (vq != NULL && configurable && v == 1)
        vq->enabled = TRUE;
      break;
    case 0x20: case 0x24: case 0x28: case 0x2c: case 0x30: case 0x34:
      if (vq != NULL && configurable && !vq->enabled)
        {
          uint64_t *field = offset < 0x28 ? &vq->desc_gpa : offset < 0x30 ? &vq->avail_gpa : &vq->used_gpa;
          if (len == 8 && (offset & 7) == 0)
            *field = v;
          else if (len == 4)
            {
              unsigned sh = (offset & 4) ? 32 : 0;
              *field = (*field & ~(0xffffffffULL << sh)) | (v << sh);
            }
        }
      break;
    default:
      break;
    }
  g_mutex_unlock (&vio->lock);
}

/* ---- the BAR ---------------------------------------------------------------- */

static void
bar_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmVirtio *vio = opaque;

  if (offset < COMMON_OFF + COMMON_LEN)
    common_read (vio, offset - COMMON_OFF, data, len);
  else if (offset >= ISR_OFF && offset < ISR_OFF + ISR_LEN)
    {
      const VmmPlatformOps *ops = vio->platform->ops;
      /* Reading the ISR acknowledges the interrupt (4.1.4.5). */
      int isr = g_atomic_int_and (&vio->isr, 0);
      memset (data, 0, len);
      if (offset == ISR_OFF)
        data[0] = (uint8_t) isr;
      if (vio->pci->intx_gsi >= 0 && ops->set_irq != NULL)
        ops->set_irq (vio->platform->opaque, (unsigned) vio->pci->intx_gsi, FALSE);
    }
  else if (offset >= DEVICE_OFF && offset - DEVICE_OFF < vio->desc.config_size
           && len <= vio->desc.config_size - (offset - DEVICE_OFF))
    vio->desc.ops->config_read (vio->desc.dev, (unsigned) (offset - DEVICE_OFF), data, len);
  else if (offset >= MSIX_OFF && offset < MSIX_OFF + vmm_msix_table_size (vio->desc.n_queues + 1))
    vmm_msix_table_read (vio->msix, offset - MSIX_OFF, data, len);
  else if (offset >= PBA_OFF && offset < PBA_OFF + vmm_msix_pba_size (vio->desc.n_queues + 1))
    vmm_msix_pba_read (vio->msix, offset - PBA_OFF, data, len);
  else
    memset (data, 0, len);
}

static void
bar_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmVirtio *vio = opaque;

  if (offset < COMMON_OFF + COMMON_LEN)
    common_write (vio, offset - COMMON_OFF, data, len);
  else if (offset >= DEVICE_OFF && offset - DEVICE_OFF < vio->desc.config_size
           && len <= vio->desc.config_size - (offset - DEVICE_OFF))
    {
      if (vio->desc.ops->config_write != NULL)
        vio->desc.ops->config_write (vio->desc.dev, (unsigned) (offset - DEVICE_OFF), data, len);
    }
  else if (offset >= NOTIFY_OFF && offset < NOTIFY_OFF + (uint64_t) vio->desc.n_queues * NOTIFY_MULT)
    {
      /* Only without ioeventfd: the kernel otherwise takes this write. */
      uint64_t one = 1;
      unsigned q = (unsigned) ((offset - NOTIFY_OFF) / NOTIFY_MULT);
      if (write (vio->qx[q].kickfd, &one, sizeof one) < 0)
        g_debug ("%s: kick: %s", vio->desc.name, g_strerror (errno));
    }
  else if (offset >= MSIX_OFF && offset < MSIX_OFF + vmm_msix_table_size (vio->desc.n_queues + 1))
    vmm_msix_table_write (vio->msix, offset - MSIX_OFF, data, len);
}

static const VmmBusOps bar_ops = { .read = bar_read, .write = bar_write };

/* ---- PCI hooks ------------------------------------------------------------- */

static void
pci_config_written (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque)
{
  VmmVirtio *vio = opaque;

  vmm_msix_config_written (vio->msix);
}

static void
pci_bar_moved (VmmPciDevice *dev, unsigned bar, uint64_t addr, void *opaque)
{
  VmmVirtio *vio = opaque;

  if (bar != BAR)
    return;
  vio->bar_addr = addr;
  wire_ioeventfds (vio, addr);
}

static void
pci_reset (VmmPciDevice *dev, void *opaque)
{
  VmmVirtio *vio = opaque;

  device_reset (vio);
  vmm_msix_reset (vio->msix);
}

static void
pci_destroy (VmmPciDevice *dev, void *opaque)
{
  VmmVirtio *vio = opaque;

  device_reset (vio);
  wire_ioeventfds (vio, VMM_PCI_BAR_UNMAPPED);
  vio->desc.ops->destroy (vio->desc.dev);
  vmm_ioloop_free (vio->loop);
  vmm_msix_free (vio->msix);
  for (unsigned q = 0; q < vio->desc.n_queues; q++)
    {
      vmm_virtq_clear (&vio->vq[q]);
      if (vio->qx[q].kickfd >= 0)
        close (vio->qx[q].kickfd);
    }
  g_free (vio->vq);
  g_free (vio->qx);
  g_mutex_clear (&vio->lock);
  g_free (vio);
}

static const VmmPciDeviceOps pci_ops = {
  .config_written = pci_config_written,
  .bar_moved = pci_bar_moved,
  .reset = pci_reset,
  .destroy = pci_destroy,
};

static int
add_vendor_cap (VmmPciDevice *dev, uint8_t type, uint32_t offset, uint32_t length, unsigned extra)
{
  int cap = vmm_pci_device_add_capability (dev, PCI_CAP_ID_VNDR, 16 + extra);

  if (cap < 0)
    return cap;
  dev->cfg[cap + 2] = (uint8_t) (16 + extra);
  dev->cfg[cap + 3] = type;
  dev->cfg[cap + 4] = BAR;
  vmm_le_put (dev->cfg + cap + 8, 4, offset);
  vmm_le_put (dev->cfg + cap + 12, 4, length);
  return cap;
}

VmmPciDevice *
vmm_virtio_pci_new (VmmPlatform *platform, const VmmVirtioDeviceDesc *desc,
                    VmmVirtio **out_vio, GError **error)
{
  g_autofree char *thread_name = NULL;
  VmmPciDevice *dev;
  VmmVirtio *vio;
  unsigned nq = desc->n_queues;
  int r = 0, cap;

  g_return_val_if_fail (desc->ops != NULL && desc->ops->config_read != NULL
                        && desc->ops->start != NULL && desc->ops->reset != NULL
                        && desc->ops->queue_notify != NULL && desc->ops->destroy != NULL, NULL);
  if (nq == 0 || nq > VMM_VIRTIO_MAX_QUEUES || desc->queue_size == 0
      || desc->queue_size > VMM_VIRTIO_MAX_QUEUE_SIZE
      || (desc->queue_size & (desc->queue_size - 1)) != 0 || desc->config_size > DEVICE_MAX)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: invalid virtio device description", desc->name);
      return NULL;
    }

  dev = vmm_pci_device_new (VIRTIO_PCI_VENDOR, (uint16_t) (VIRTIO_PCI_DEVICE_BASE + desc->device_id),
                            desc->pci_class, 1);
  vmm_pci_device_set_subsystem (dev, VIRTIO_PCI_VENDOR, 0x1100);
  dev->cfg[VMM_PCI_INTERRUPT_PIN] = 1;

  vio = g_new0 (VmmVirtio, 1);
  vio->platform = platform;
  vio->pci = dev;
  vio->desc = *desc;
  vio->msix_config = NO_VECTOR;
  vio->bar_addr = VMM_PCI_BAR_UNMAPPED;
  g_mutex_init (&vio->lock);
  vio->vq = g_new0 (VmmVirtqueue, nq);
  vio->qx = g_new0 (QueueExtra, nq);
  for (unsigned q = 0; q < nq; q++)
    {
      vio->qx[q] = (QueueExtra) { .vio = vio, .vector = NO_VECTOR,
                                  .kickfd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK) };
      vmm_virtq_init (&vio->vq[q], q, desc->queue_size, &platform->mem, &vq_hooks, &vio->qx[q]);
      if (vio->qx[q].kickfd < 0)
        r = -errno;
    }

  if (r == 0)
    r = vmm_pci_device_add_bar (dev, BAR, VMM_PCI_BAR_MEM64_PREFETCH, BAR_SIZE);
  if (r == 0)
    r = vmm_pci_device_set_bar_ops (dev, BAR, &bar_ops, VMM_BUS_WANY, vio);
  if (r == 0)
    {
      vio->msix = vmm_msix_new (dev, platform, nq + 1, BAR, MSIX_OFF, PBA_OFF, &r);
      g_assert (vmm_msix_table_size (nq + 1) <= PBA_OFF - MSIX_OFF);
    }
  if (r == 0 && (cap = add_vendor_cap (dev, CAP_COMMON, COMMON_OFF, COMMON_LEN, 0)) < 0)
    r = cap;
  if (r == 0 && (cap = add_vendor_cap (dev, CAP_ISR, ISR_OFF, ISR_LEN, 0)) < 0)
    r = cap;
  if (r == 0 && desc->config_size > 0
      && (cap = add_vendor_cap (dev, CAP_DEVICE, DEVICE_OFF, desc->config_size, 0)) < 0)
    r = cap;
  if (r == 0)
    {
      cap = add_vendor_cap (dev, CAP_NOTIFY, NOTIFY_OFF, nq * NOTIFY_MULT, 4);
      if (cap < 0)
        r = cap;
      else
        vmm_le_put (dev->cfg + cap + 16, 4, NOTIFY_MULT);
    }
  if (r < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (-r),
                   "%s: cannot create the PCI function: %s", desc->name, g_strerror (-r));
      goto fail;
    }

  thread_name = g_strdup_printf ("vio-%s", desc->name);
  vio->loop = vmm_ioloop_new (thread_name, error);
  if (vio->loop == NULL)
    goto fail;

  vmm_pci_device_set_ops (dev, &pci_ops, vio);
  if (out_vio != NULL)
    *out_vio = vio;
  return dev;

fail:
  /* The device description still belongs to the caller. */
  vmm_msix_free (vio->msix);
  for (unsigned q = 0; q < nq; q++)
    {
      vmm_virtq_clear (&vio->vq[q]);
      if (vio->qx[q].kickfd >= 0)
        close (vio->qx[q].kickfd);
    }
  g_free (vio->vq);
  g_free (vio->qx);
  g_mutex_clear (&vio->lock);
  g_free (vio);
  vmm_pci_device_free (dev);
  return NULL;
}

VmmVirtqueue *
vmm_virtio_queue (VmmVirtio *vio, unsigned index)
{
  return index < vio->desc.n_queues ? &vio->vq[index] : NULL;
}

const VmmGuestMem *
vmm_virtio_guest_mem (VmmVirtio *vio)
{
  return &vio->platform->mem;
}

VmmIoLoop *
vmm_virtio_ioloop (VmmVirtio *vio)
{
  return vio->loop;
}

uint64_t
vmm_virtio_features (VmmVirtio *vio)
{
  uint64_t f;

  g_mutex_lock (&vio->lock);
  f = vio->features;
  g_mutex_unlock (&vio->lock);
  return f;
}

void
vmm_virtio_config_changed (VmmVirtio *vio)
{
  uint16_t vector;
  gboolean live;

  g_mutex_lock (&vio->lock);
  vio->config_generation++;
  vector = vio->msix_config;
  live = (vio->status & STATUS_DRIVER_OK) != 0;
  g_mutex_unlock (&vio->lock);
  if (live)
    raise_interrupt (vio, vector, 2);
}

void
vmm_virtio_set_needs_reset (VmmVirtio *vio)
{
  set_needs_reset (vio);
}
