/* blk-harness.c: see blk-harness.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "blk-harness.h"

#define DESC_F_NEXT     1
#define DESC_F_WRITE    2
#define DESC_F_INDIRECT 4

/* ---- the transport's side: what virtio.h and ioloop.h promise ---------- */

VmmVirtqueue *
vmm_virtio_queue (VmmVirtio *vio, unsigned index)
{
  return index < vio->n_queues ? &vio->vq[index] : NULL;
}

const VmmGuestMem *
vmm_virtio_guest_mem (VmmVirtio *vio)
{
  return &vio->mem;
}

VmmIoLoop *
vmm_virtio_ioloop (VmmVirtio *vio)
{
  return &vio->loop;
}

uint64_t
vmm_virtio_features (VmmVirtio *vio)
{
  return vio->features;
}

void
vmm_virtio_config_changed (VmmVirtio *vio)
{
  vio->interrupts++;
}

void
vmm_virtio_set_needs_reset (VmmVirtio *vio)
{
  vio->needs_reset = true;
}

/* The test thread is the I/O thread: the loop holds one fd (the engine's)
 * and runs only when the test polls it. */
int
vmm_ioloop_add (VmmIoLoop *loop, int fd, uint32_t events, VmmIoFn fn, void *opaque)
{
  g_assert_cmpint (loop->fd, <, 0);
  loop->fd = fd;
  loop->fn = fn;
  loop->opaque = opaque;
  return 0;
}

int
vmm_ioloop_remove (VmmIoLoop *loop, int fd)
{
  g_assert_cmpint (loop->fd, ==, fd);
  loop->fd = -1;
  return 0;
}

void
vmm_ioloop_run_sync (VmmIoLoop *loop, void (*fn) (void *opaque), void *opaque)
{
  fn (opaque);
}

gboolean
vmm_ioloop_is_current (VmmIoLoop *loop)
{
  return TRUE;
}

static void
on_interrupt (void *opaque, VmmVirtqueue *vq)
{
  VmmVirtio *vio = opaque;

  vio->interrupts++;
}

static void
on_broken (void *opaque, VmmVirtqueue *vq)
{
  VmmVirtio *vio = opaque;

  vio->needs_reset = true;
}

static const VmmVirtqueueHooks hooks = {
  .interrupt = on_interrupt,
  .broken = on_broken,
};

/* ---- the driver's side ---------------------------------------------------- */

void *
harness_host (Harness *h, uint64_t gpa)
{
  void *p = vmm_guest_mem_ptr (&h->vio.mem, gpa, 0);

  g_assert_nonnull (p);
  return p;
}

static uint64_t
ring_gpa (unsigned q)
{
  return HARNESS_RAM_GPA + q * HARNESS_RING_STRIDE;
}

static uint8_t *
desc_table (Harness *h, unsigned q)
{
  return harness_host (h, ring_gpa (q));
}

static uint8_t *
avail_ring (Harness *h, unsigned q)
{
  return harness_host (h, ring_gpa (q) + 0x4000);
}

static uint8_t *
used_ring (Harness *h, unsigned q)
{
  return harness_host (h, ring_gpa (q) + 0x8000);
}

static void
start_queues (Harness *h)
{
  for (unsigned q = 0; q < h->vio.n_queues; q++)
    {
      VmmVirtqueue *vq = &h->vio.vq[q];

      g_assert_cmpuint (vq->max_size * 16u, <=, 0x4000);
      memset (desc_table (h, q), 0, HARNESS_RING_STRIDE);
      vq->desc_gpa = ring_gpa (q);
      vq->avail_gpa = ring_gpa (q) + 0x4000;
      vq->used_gpa = ring_gpa (q) + 0x8000;
      vq->enabled = TRUE;
      g_assert_cmpint (vmm_virtq_start (vq, FALSE, TRUE), ==, 0);
      h->next_desc[q] = 0;
      h->avail_idx[q] = 0;
      h->used_seen[q] = 0;
    }
  h->vio.needs_reset = false;
  g_assert_cmpint (h->desc.ops->start (h->desc.dev, h->vio.features), ==, 0);
}

Harness *
harness_try_new (const char *path, const VmmVirtioBlkConfig *cfg, GError **error)
{
  g_autofree Harness *h = g_new0 (Harness, 1);
  VmmImage *image = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, cfg->read_only, error);

  if (image == NULL)
    return NULL;
  h->blk = vmm_virtio_blk_create (image, cfg, &h->desc, error);
  if (h->blk == NULL)
    {
      vmm_image_close (image);
      return NULL;
    }
  g_assert_cmpint (posix_memalign ((void **) &h->ram, 4096, HARNESS_RAM_SIZE), ==, 0);
  memset (h->ram, 0, HARNESS_RAM_SIZE);
  vmm_guest_mem_init (&h->vio.mem);
  g_assert_cmpint (vmm_guest_mem_add (&h->vio.mem, HARNESS_RAM_GPA, HARNESS_RAM_SIZE, h->ram),
                   ==, 0);
  h->vio.n_queues = h->desc.n_queues;
  h->vio.vq = g_new0 (VmmVirtqueue, h->vio.n_queues);
  h->vio.loop.fd = -1;
  h->vio.features = h->desc.features | VMM_VIRTIO_F_VERSION_1 | VMM_VIRTIO_F_INDIRECT_DESC;
  h->next_desc = g_new0 (uint16_t, h->vio.n_queues);
  h->avail_idx = g_new0 (uint16_t, h->vio.n_queues);
  h->used_seen = g_new0 (uint16_t, h->vio.n_queues);
  g_assert_cmpuint (HARNESS_RING_STRIDE * h->vio.n_queues, <=, HARNESS_DATA_OFF);
  for (unsigned q = 0; q < h->vio.n_queues; q++)
    vmm_virtq_init (&h->vio.vq[q], q, h->desc.queue_size, &h->vio.mem, &hooks, &h->vio);
  g_assert_cmpint (vmm_virtio_blk_attach (h->blk, &h->vio), ==, 0);
  h->data_next = HARNESS_DATA_OFF;
  start_queues (h);
  return g_steal_pointer (&h);
}

Harness *
harness_new (const char *path, const VmmVirtioBlkConfig *cfg)
{
  g_autoptr(GError) error = NULL;
  Harness *h = harness_try_new (path, cfg, &error);

  g_assert_no_error (error);
  return h;
}

void
harness_free (Harness *h)
{
  /* As the transport does: reset (the device drains), then destroy. */
  h->desc.ops->reset (h->desc.dev);
  for (unsigned q = 0; q < h->vio.n_queues; q++)
    vmm_virtq_reset (&h->vio.vq[q]);
  h->desc.ops->destroy (h->desc.dev);
  g_assert_cmpint (h->vio.loop.fd, <, 0);
  for (unsigned q = 0; q < h->vio.n_queues; q++)
    vmm_virtq_clear (&h->vio.vq[q]);
  g_free (h->vio.vq);
  g_free (h->next_desc);
  g_free (h->avail_idx);
  g_free (h->used_seen);
  free (h->ram);
  g_free (h);
}

void
harness_reset (Harness *h)
{
  h->desc.ops->reset (h->desc.dev);
  for (unsigned q = 0; q < h->vio.n_queues; q++)
    vmm_virtq_reset (&h->vio.vq[q]);
  start_queues (h);
}

uint64_t
harness_alloc (Harness *h, uint32_t len)
{
  uint64_t gpa = HARNESS_RAM_GPA + h->data_next;

  h->data_next += (len + 4095u) & ~4095u;
  if (h->data_next > HARNESS_RAM_SIZE)
    {
      /* Wrap: the tests never hold this much at once. */
      h->data_next = HARNESS_DATA_OFF + ((len + 4095u) & ~4095u);
      gpa = HARNESS_RAM_GPA + HARNESS_DATA_OFF;
    }
  g_assert_cmpuint (h->data_next, <=, HARNESS_RAM_SIZE);
  return gpa;
}

void
harness_reset_alloc (Harness *h)
{
  h->data_next = HARNESS_DATA_OFF;
}

static void
put_desc (uint8_t *table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
  uint64_t a = htole64 (addr);
  uint32_t l = htole32 (len);
  uint16_t f = htole16 (flags), n = htole16 (next);

  memcpy (table + 16 * i, &a, 8);
  memcpy (table + 16 * i + 8, &l, 4);
  memcpy (table + 16 * i + 12, &f, 2);
  memcpy (table + 16 * i + 14, &n, 2);
}

static void
publish (Harness *h, unsigned q, uint16_t head)
{
  uint8_t *avail = avail_ring (h, q);
  unsigned size = h->vio.vq[q].size;
  uint16_t v = htole16 (head);

  memcpy (avail + 4 + 2 * (h->avail_idx[q] % size), &v, 2);
  h->avail_idx[q]++;
  v = htole16 (h->avail_idx[q]);
  __atomic_store_n ((uint16_t *) (void *) (avail + 2), v, __ATOMIC_RELEASE);
}

uint16_t
harness_add_chain (Harness *h, unsigned q, const HarnessSeg *segs, unsigned n)
{
  unsigned size = h->vio.vq[q].size;
  uint8_t *table = desc_table (h, q);
  uint16_t head = h->next_desc[q];

  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <=, size);
  for (unsigned i = 0; i < n; i++)
    {
      uint16_t idx = (uint16_t) ((head + i) % size);
      uint16_t next = (uint16_t) ((head + i + 1) % size);
      uint16_t flags = (segs[i].write ? DESC_F_WRITE : 0) | (i + 1 < n ? DESC_F_NEXT : 0);

      put_desc (table, idx, segs[i].gpa, segs[i].len, flags, next);
    }
  h->next_desc[q] = (uint16_t) ((head + n) % size);
  publish (h, q, head);
  return head;
}

uint16_t
harness_add_indirect (Harness *h, unsigned q, const HarnessSeg *segs, unsigned n)
{
  unsigned size = h->vio.vq[q].size;
  uint64_t table_gpa = harness_alloc (h, 16 * n);
  uint8_t *table = harness_host (h, table_gpa);
  uint16_t head = h->next_desc[q];

  for (unsigned i = 0; i < n; i++)
    put_desc (table, i, segs[i].gpa, segs[i].len,
              (segs[i].write ? DESC_F_WRITE : 0) | (i + 1 < n ? DESC_F_NEXT : 0),
              (uint16_t) (i + 1));
  put_desc (desc_table (h, q), head, table_gpa, 16 * n, DESC_F_INDIRECT, 0);
  h->next_desc[q] = (uint16_t) ((head + 1) % size);
  publish (h, q, head);
  return head;
}

void
harness_kick (Harness *h, unsigned q)
{
  h->desc.ops->queue_notify (h->desc.dev, &h->vio.vq[q]);
}

void
harness_poll (Harness *h, int timeout_ms)
{
  struct pollfd pfd = { .fd = h->vio.loop.fd, .events = POLLIN };

  g_assert_cmpint (h->vio.loop.fd, >=, 0);
  if (poll (&pfd, 1, timeout_ms) > 0)
    h->vio.loop.fn (h->vio.loop.opaque, h->vio.loop.fd, POLLIN);
}

static uint16_t
used_idx (Harness *h, unsigned q)
{
  return le16toh (__atomic_load_n ((uint16_t *) (void *) (used_ring (h, q) + 2), __ATOMIC_ACQUIRE));
}

void
harness_wait_used (Harness *h, unsigned q, unsigned count)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  uint16_t target = (uint16_t) (h->used_seen[q] + count);

  while ((uint16_t) (used_idx (h, q) - h->used_seen[q]) < (uint16_t) (target - h->used_seen[q]))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      harness_poll (h, 100);
    }
}

bool
harness_pop_used (Harness *h, unsigned q, uint32_t *id, uint32_t *len)
{
  uint8_t *used = used_ring (h, q);
  unsigned size = h->vio.vq[q].size;
  uint8_t *e;

  if (used_idx (h, q) == h->used_seen[q])
    return false;
  e = used + 4 + 8 * (h->used_seen[q] % size);
  memcpy (id, e, 4);
  memcpy (len, e + 4, 4);
  *id = le32toh (*id);
  *len = le32toh (*len);
  h->used_seen[q]++;
  return true;
}

uint8_t
harness_request (Harness *h, unsigned q, uint32_t type, uint64_t sector, uint64_t data_gpa,
                 uint32_t len, unsigned nseg, uint32_t *used_len)
{
  HarnessSeg segs[66];
  uint64_t hdr_gpa = harness_alloc (h, 16);
  uint64_t status_gpa = harness_alloc (h, 1);
  struct virtio_blk_outhdr hdr = {
    .type = htole32 (type),
    .sector = htole64 (sector),
  };
  bool write = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
  uint32_t pos = 0, id, ulen;
  uint16_t head;
  unsigned n = 0;
  uint8_t *status = harness_host (h, status_gpa);

  g_assert_cmpuint (nseg, <=, 64);
  memcpy (harness_host (h, hdr_gpa), &hdr, sizeof hdr);
  *status = 0xff;
  segs[n++] = (HarnessSeg) { hdr_gpa, 16, false };
  for (unsigned i = 0; i < nseg && pos < len; i++)
    {
      uint32_t seg = i + 1 == nseg ? len - pos : MAX (len / nseg, 1u);

      seg = MIN (seg, len - pos);
      segs[n++] = (HarnessSeg) { data_gpa + pos, seg, write };
      pos += seg;
    }
  segs[n++] = (HarnessSeg) { status_gpa, 1, true };
  head = harness_add_chain (h, q, segs, n);
  harness_kick (h, q);
  harness_wait_used (h, q, 1);
  g_assert_true (harness_pop_used (h, q, &id, &ulen));
  g_assert_cmpuint (id, ==, head);
  if (used_len != NULL)
    *used_len = ulen;
  return *status;
}

uint8_t
harness_range (Harness *h, unsigned q, uint32_t type, uint64_t sector, uint32_t num,
               uint32_t flags)
{
  uint64_t range_gpa = harness_alloc (h, 16);
  struct virtio_blk_discard_write_zeroes range = {
    .sector = htole64 (sector),
    .num_sectors = htole32 (num),
    .flags = htole32 (flags),
  };

  memcpy (harness_host (h, range_gpa), &range, sizeof range);
  /* The range travels as the request's (device-readable) data. */
  return harness_request (h, q, type, 0, range_gpa, sizeof range, 1, NULL);
}
