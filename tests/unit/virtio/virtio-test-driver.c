/* virtio-test-driver.c: a virtio driver for unit tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio-test-driver.h"

#include <errno.h>
#include <string.h>

#define BAR 4
#define NOTIFY_OFF 0x3000
#define NOTIFY_MULT 4

typedef struct {
  uint16_t size;
  uint64_t desc, avail, used;
  uint16_t next_desc;      /* free-running allocator of descriptor slots */
  uint16_t avail_idx;
  uint16_t last_used;
} VtdQueue;

struct _Vtd {
  VmmPlatform platform;
  uint8_t *ram;
  uint64_t brk;
  VmmPciDevice *pci;
  VmmVirtio *vio;
  unsigned n_queues;
  VtdQueue q[VMM_VIRTIO_MAX_QUEUES];
  gint msi_count;
  gint intx;
};

static void
fake_set_irq (void *opaque, unsigned gsi, gboolean level)
{
  Vtd *vtd = opaque;

  g_atomic_int_set (&vtd->intx, level ? 1 : 0);
}

static void
fake_signal_msi (void *opaque, uint64_t addr, uint32_t data)
{
  Vtd *vtd = opaque;

  g_atomic_int_inc (&vtd->msi_count);
}

static int
fake_msi_route (void *opaque, int gsi, uint64_t addr, uint32_t data)
{
  return -ENOSYS;
}

static int
fake_ioeventfd (void *opaque, gboolean pio, uint64_t addr, unsigned len, int fd, gboolean assign)
{
  return -ENOSYS;
}

static const VmmPlatformOps fake_ops = {
  .set_irq = fake_set_irq,
  .signal_msi = fake_signal_msi,
  .msi_route = fake_msi_route,
  .ioeventfd = fake_ioeventfd,
};

static Vtd *
vtd_alloc_platform (void)
{
  Vtd *vtd = g_new0 (Vtd, 1);

  vtd->ram = g_malloc0 (VTD_RAM_SIZE);
  vtd->brk = 0x1000;
  vtd->platform.ops = &fake_ops;
  vtd->platform.opaque = vtd;
  vmm_guest_mem_init (&vtd->platform.mem);
  g_assert_cmpint (vmm_guest_mem_add (&vtd->platform.mem, 0, VTD_RAM_SIZE, vtd->ram), ==, 0);
  return vtd;
}

Vtd *
vtd_new (const VmmVirtioDeviceDesc *desc)
{
  Vtd *vtd = vtd_alloc_platform ();
  g_autoptr (GError) error = NULL;

  vtd->pci = vmm_virtio_pci_new (&vtd->platform, desc, &vtd->vio, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vtd->pci);
  /* What a bus would set from the interrupt pin. */
  vtd->pci->intx_gsi = 16;
  vtd->n_queues = desc->n_queues;
  return vtd;
}

Vtd *
vtd_new_from (VtdCtor ctor, void *data, unsigned n_queues)
{
  Vtd *vtd = vtd_alloc_platform ();
  g_autoptr (GError) error = NULL;

  vtd->pci = ctor (&vtd->platform, data, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vtd->pci);
  vtd->pci->intx_gsi = 16;
  vtd->n_queues = n_queues;
  return vtd;
}

void
vtd_free (Vtd *vtd)
{
  if (vtd == NULL)
    return;
  vmm_pci_device_free (vtd->pci);
  g_free (vtd->ram);
  g_free (vtd);
}

VmmVirtio *
vtd_virtio (Vtd *vtd)
{
  return vtd->vio;
}

VmmPlatform *
vtd_platform (Vtd *vtd)
{
  return &vtd->platform;
}

uint64_t
vtd_bar_read (Vtd *vtd, uint64_t offset, unsigned len)
{
  uint8_t buf[8] = { 0 };

  vtd->pci->bar_ops[BAR]->read (vtd->pci->bar_opaque[BAR], offset, buf, len);
  return vmm_le_get (buf, len);
}

void
vtd_bar_write (Vtd *vtd, uint64_t offset, uint64_t value, unsigned len)
{
  uint8_t buf[8];

  vmm_le_put (buf, len, value);
  vtd->pci->bar_ops[BAR]->write (vtd->pci->bar_opaque[BAR], offset, buf, len);
}

uint64_t
vtd_config_read (Vtd *vtd, unsigned offset, unsigned len)
{
  return vtd_bar_read (vtd, 0x2000 + offset, len);
}

void
vtd_config_write (Vtd *vtd, unsigned offset, uint64_t value, unsigned len)
{
  vtd_bar_write (vtd, 0x2000 + offset, value, len);
}

uint8_t
vtd_status (Vtd *vtd)
{
  return (uint8_t) vtd_bar_read (vtd, 0x14, 1);
}

uint64_t
vtd_device_features (Vtd *vtd)
{
  uint64_t f;

  vtd_bar_write (vtd, 0x00, 0, 4);
  f = vtd_bar_read (vtd, 0x04, 4);
  vtd_bar_write (vtd, 0x00, 1, 4);
  return f | vtd_bar_read (vtd, 0x04, 4) << 32;
}

uint64_t
vtd_alloc (Vtd *vtd, uint64_t len, uint64_t align)
{
  uint64_t gpa = (vtd->brk + align - 1) & ~(align - 1);

  g_assert_cmpuint (gpa + len, <=, VTD_RAM_SIZE);
  vtd->brk = gpa + len;
  memset (vtd->ram + gpa, 0, len);
  return gpa;
}

void *
vtd_ptr (Vtd *vtd, uint64_t gpa)
{
  g_assert_cmpuint (gpa, <, VTD_RAM_SIZE);
  return vtd->ram + gpa;
}

static void
enable_msix (Vtd *vtd)
{
  uint8_t ctrl[2];
  unsigned cap = vtd->pci->cfg[VMM_PCI_CAP_PTR];

  /* Find the MSI-X capability and set its enable bit, then unmask the
   * vectors we use and point them somewhere. */
  while (cap != 0 && vtd->pci->cfg[cap] != 0x11)
    cap = vtd->pci->cfg[cap + 1];
  g_assert_cmpuint (cap, !=, 0);
  ctrl[0] = vtd->pci->cfg[cap + 2];
  ctrl[1] = (uint8_t) (vtd->pci->cfg[cap + 3] | 0x80);
  vmm_pci_device_config_write (vtd->pci, cap + 2, ctrl, 2);
  for (unsigned v = 0; v <= vtd->n_queues; v++)
    {
      vtd_bar_write (vtd, 0x4000 + 16 * v, 0xfee00000, 4);
      vtd_bar_write (vtd, 0x4000 + 16 * v + 4, 0, 4);
      vtd_bar_write (vtd, 0x4000 + 16 * v + 8, 0x4000 + v, 4);
      vtd_bar_write (vtd, 0x4000 + 16 * v + 12, 0, 4);
    }
}

gboolean
vtd_init (Vtd *vtd, uint64_t features, unsigned queue_size, gboolean msix)
{
  vtd_bar_write (vtd, 0x14, 0, 1);
  vtd_bar_write (vtd, 0x14, 0x01, 1);
  vtd_bar_write (vtd, 0x14, 0x03, 1);
  features &= vtd_device_features (vtd);
  vtd_bar_write (vtd, 0x08, 0, 4);
  vtd_bar_write (vtd, 0x0c, (uint32_t) features, 4);
  vtd_bar_write (vtd, 0x08, 1, 4);
  vtd_bar_write (vtd, 0x0c, features >> 32, 4);
  vtd_bar_write (vtd, 0x14, 0x0b, 1);
  if (!(vtd_status (vtd) & 0x08))
    return FALSE;
  if (msix)
    {
      enable_msix (vtd);
      vtd_bar_write (vtd, 0x10, 0, 2);
    }
  for (unsigned i = 0; i < vtd->n_queues; i++)
    {
      VtdQueue *q = &vtd->q[i];
      uint16_t size;

      vtd_bar_write (vtd, 0x16, i, 2);
      size = (uint16_t) vtd_bar_read (vtd, 0x18, 2);
      if (queue_size != 0 && queue_size < size)
        size = (uint16_t) queue_size;
      vtd_bar_write (vtd, 0x18, size, 2);
      memset (q, 0, sizeof *q);
      q->size = size;
      q->desc = vtd_alloc (vtd, 16ULL * size, 16);
      q->avail = vtd_alloc (vtd, 6 + 2ULL * size, 2);
      q->used = vtd_alloc (vtd, 6 + 8ULL * size, 4);
      vtd_bar_write (vtd, 0x20, q->desc, 8);
      vtd_bar_write (vtd, 0x28, q->avail & 0xffffffff, 4);
      vtd_bar_write (vtd, 0x2c, q->avail >> 32, 4);
      vtd_bar_write (vtd, 0x30, q->used, 8);
      if (msix)
        vtd_bar_write (vtd, 0x1a, i + 1, 2);
      vtd_bar_write (vtd, 0x1c, 1, 2);
    }
  vtd_bar_write (vtd, 0x14, 0x0f, 1);
  return (vtd_status (vtd) & 0x44) == 0x04;
}

static void
put16 (Vtd *vtd, uint64_t gpa, uint16_t v)
{
  __atomic_store_n ((uint16_t *) (void *) vtd_ptr (vtd, gpa), v, __ATOMIC_RELEASE);
}

static uint16_t
get16 (Vtd *vtd, uint64_t gpa)
{
  return __atomic_load_n ((uint16_t *) (void *) vtd_ptr (vtd, gpa), __ATOMIC_ACQUIRE);
}

static void
write_desc_at (Vtd *vtd, uint64_t table, unsigned idx, uint64_t addr, uint32_t len,
               uint16_t flags, uint16_t next)
{
  uint8_t *p = vtd_ptr (vtd, table + 16ULL * idx);

  memcpy (p, &addr, 8);
  memcpy (p + 8, &len, 4);
  memcpy (p + 12, &flags, 2);
  memcpy (p + 14, &next, 2);
}

void
vtd_write_desc (Vtd *vtd, unsigned q, unsigned idx, uint64_t addr, uint32_t len,
                uint16_t flags, uint16_t next)
{
  write_desc_at (vtd, vtd->q[q].desc, idx, addr, len, flags, next);
}

void
vtd_publish (Vtd *vtd, unsigned qi, uint16_t head)
{
  VtdQueue *q = &vtd->q[qi];

  put16 (vtd, q->avail + 4 + 2ULL * (q->avail_idx % q->size), head);
  q->avail_idx++;
  put16 (vtd, q->avail + 2, q->avail_idx);
}

uint16_t
vtd_add_chain (Vtd *vtd, unsigned qi, const VtdBuf *bufs, unsigned n, gboolean indirect)
{
  VtdQueue *q = &vtd->q[qi];
  uint16_t head = (uint16_t) (q->next_desc % q->size);

  if (indirect)
    {
      uint64_t table = vtd_alloc (vtd, 16ULL * n, 16);
      for (unsigned i = 0; i < n; i++)
        write_desc_at (vtd, table, i, bufs[i].gpa, bufs[i].len,
                       (uint16_t) ((i + 1 < n ? 1 : 0) | (bufs[i].write ? 2 : 0)), (uint16_t) (i + 1));
      vtd_write_desc (vtd, qi, head, table, 16 * n, 4, 0);
      q->next_desc++;
    }
  else
    for (unsigned i = 0; i < n; i++)
      {
        uint16_t idx = (uint16_t) (q->next_desc % q->size);
        uint16_t next = (uint16_t) ((q->next_desc + 1) % q->size);
        vtd_write_desc (vtd, qi, idx, bufs[i].gpa, bufs[i].len,
                        (uint16_t) ((i + 1 < n ? 1 : 0) | (bufs[i].write ? 2 : 0)), next);
        q->next_desc++;
      }
  vtd_publish (vtd, qi, head);
  return head;
}

void
vtd_kick (Vtd *vtd, unsigned q)
{
  vtd_bar_write (vtd, NOTIFY_OFF + NOTIFY_MULT * q, q, 2);
}

unsigned
vtd_used_pending (Vtd *vtd, unsigned qi)
{
  VtdQueue *q = &vtd->q[qi];

  return (uint16_t) (get16 (vtd, q->used + 2) - q->last_used);
}

gboolean
vtd_wait_used (Vtd *vtd, unsigned qi, uint32_t *id, uint32_t *len, unsigned timeout_ms)
{
  VtdQueue *q = &vtd->q[qi];
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (get16 (vtd, q->used + 2) == q->last_used)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (200);
    }
  {
    const uint8_t *e = vtd_ptr (vtd, q->used + 4 + 8ULL * (q->last_used % q->size));
    uint32_t i, l;
    memcpy (&i, e, 4);
    memcpy (&l, e + 4, 4);
    if (id != NULL)
      *id = i;
    if (len != NULL)
      *len = l;
  }
  q->last_used++;
  /* The device thread publishes the used entry before it raises the
   * interrupt; wait for it to finish that call so that the caller sees the
   * interrupt (or the PBA bit) the entry came with. */
  if (vtd->vio != NULL)
    vmm_ioloop_run_sync (vmm_virtio_ioloop (vtd->vio), NULL, NULL);
  return TRUE;
}

gboolean
vtd_wait_status (Vtd *vtd, uint8_t bits, unsigned timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while ((vtd_status (vtd) & bits) != bits)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (200);
    }
  return TRUE;
}

unsigned
vtd_msi_count (Vtd *vtd)
{
  return (unsigned) g_atomic_int_get (&vtd->msi_count);
}

gboolean
vtd_intx_level (Vtd *vtd)
{
  return g_atomic_int_get (&vtd->intx) != 0;
}

void
vtd_set_used_event (Vtd *vtd, unsigned qi, uint16_t value)
{
  VtdQueue *q = &vtd->q[qi];

  put16 (vtd, q->avail + 4 + 2ULL * q->size, value);
}

uint16_t
vtd_avail_event (Vtd *vtd, unsigned qi)
{
  VtdQueue *q = &vtd->q[qi];

  return get16 (vtd, q->used + 4 + 8ULL * q->size);
}

uint16_t
vtd_queue_size (Vtd *vtd, unsigned qi)
{
  return vtd->q[qi].size;
}
