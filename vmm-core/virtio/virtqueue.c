/* virtqueue.c: split virtqueues (virtio 1.x, 2.7).
 *
 * The rings live in guest memory that the driver keeps writing while we
 * read, so every field is loaded once into a local and validated there.
 * Ordering follows the spec's rules: read avail->idx, then (acquire) the
 * ring entries and descriptors it covers; write used entries, then
 * (release) used->idx; a full barrier before reading the driver's
 * notification suppression fields, so that an interrupt or a kick is never
 * lost between "check" and "publish".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio/virtqueue-private.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#define DESC_F_NEXT     1
#define DESC_F_WRITE    2
#define DESC_F_INDIRECT 4
#define USED_F_NO_NOTIFY     1
#define AVAIL_F_NO_INTERRUPT 1

/* A request is at most a few MiB; this only keeps 64-bit sums sane. */
#define MAX_CHAIN_BYTES (1ULL << 32)

typedef struct {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
} Desc;

static inline uint16_t
load16 (const uint8_t *p)
{
  return le16toh (__atomic_load_n ((const uint16_t *) (const void *) p, __ATOMIC_RELAXED));
}

static inline void
store16 (uint8_t *p, uint16_t v)
{
  __atomic_store_n ((uint16_t *) (void *) p, htole16 (v), __ATOMIC_RELAXED);
}

static inline uint16_t
avail_idx (VmmVirtqueue *vq)
{
  return le16toh (__atomic_load_n ((const uint16_t *) (const void *) (vq->avail + 2), __ATOMIC_ACQUIRE));
}

static inline uint16_t
avail_ring (VmmVirtqueue *vq, uint16_t i)
{
  return load16 (vq->avail + 4 + 2 * (i & (vq->size - 1)));
}

static inline uint16_t
used_event (VmmVirtqueue *vq)
{
  return load16 (vq->avail + 4 + 2 * vq->size);
}

static inline void
set_avail_event (VmmVirtqueue *vq, uint16_t v)
{
  store16 (vq->used + 4 + 8 * vq->size, v);
}

static Desc
read_desc (const uint8_t *table, unsigned i)
{
  const uint8_t *p = table + 16 * (size_t) i;
  Desc d;
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;

  memcpy (&addr, p, 8);
  memcpy (&len, p + 8, 4);
  memcpy (&flags, p + 12, 2);
  memcpy (&next, p + 14, 2);
  d.addr = le64toh (addr);
  d.len = le32toh (len);
  d.flags = le16toh (flags);
  d.next = le16toh (next);
  return d;
}

void
vmm_virtq_init (VmmVirtqueue *vq, unsigned index, uint16_t max_size,
                const VmmGuestMem *mem, const VmmVirtqueueHooks *hooks, void *opaque)
{
  memset (vq, 0, sizeof *vq);
  g_mutex_init (&vq->lock);
  vq->index = index;
  vq->max_size = max_size;
  vq->mem = mem;
  vq->hooks = hooks;
  vq->opaque = opaque;
  vq->size = max_size;
  vq->scratch = g_new (struct iovec, max_size);
}

void
vmm_virtq_clear (VmmVirtqueue *vq)
{
  g_free (vq->scratch);
  g_mutex_clear (&vq->lock);
}

void
vmm_virtq_reset (VmmVirtqueue *vq)
{
  g_mutex_lock (&vq->lock);
  vq->size = vq->max_size;
  vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
  vq->enabled = FALSE;
  vq->running = FALSE;
  vq->desc = vq->avail = vq->used = NULL;
  vq->last_avail = vq->used_idx = vq->signalled_used = 0;
  vq->signalled_valid = FALSE;
  vq->kicks_disabled = FALSE;
  vq->pushed = FALSE;
  vq->generation++;
  g_mutex_unlock (&vq->lock);
}

int
vmm_virtq_start (VmmVirtqueue *vq, gboolean event_idx, gboolean indirect)
{
  uint64_t n;
  int r = -EINVAL;

  g_mutex_lock (&vq->lock);
  n = vq->size;
  if (n == 0 || n > vq->max_size || (n & (n - 1)) != 0)
    goto out;
  if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
    goto out;
  vq->desc = vmm_guest_mem_ptr (vq->mem, vq->desc_gpa, 16 * n);
  vq->avail = vmm_guest_mem_ptr (vq->mem, vq->avail_gpa, 6 + 2 * n);
  vq->used = vmm_guest_mem_ptr (vq->mem, vq->used_gpa, 6 + 8 * n);
  if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL)
    goto out;
  vq->event_idx = event_idx;
  vq->indirect = indirect;
  /* The driver may re-enable a queue it used before (after a reset of its
   * own): the device side starts from whatever used->idx says. */
  vq->used_idx = load16 (vq->used + 2);
  vq->last_avail = vq->used_idx;
  vq->signalled_valid = FALSE;
  vq->running = TRUE;
  r = 0;
out:
  if (r < 0)
    vq->desc = vq->avail = vq->used = NULL;
  g_mutex_unlock (&vq->lock);
  return r;
}

unsigned
vmm_virtq_index (const VmmVirtqueue *vq)
{
  return vq->index;
}

unsigned
vmm_virtq_size (const VmmVirtqueue *vq)
{
  return vq->running ? vq->size : 0;
}

void
vmm_virtq_elem_free (VmmVirtqElem *elem)
{
  g_free (elem);
}

/* Walks the chain at @head into vq->scratch. Returns the number of
 * segments or -EINVAL. Called with the lock held. */
static int
walk_chain (VmmVirtqueue *vq, uint16_t head, unsigned *n_out, uint64_t *out_len, uint64_t *in_len)
{
  const uint8_t *table = vq->desc;
  unsigned table_n = vq->size;
  unsigned idx = head, seen = 0, nseg = 0, nin = 0;
  gboolean in_indirect = FALSE;

  *out_len = *in_len = 0;
  for (;;)
    {
      Desc d;

      /* A chain longer than the queue is a loop or a lie; the spec bounds
       * chains, indirect ones included, by the queue size. */
      if (idx >= table_n || seen++ >= vq->size)
        return -EINVAL;
      d = read_desc (table, idx);

      if (d.flags & DESC_F_INDIRECT)
        {
          if (!vq->indirect || in_indirect || (d.flags & DESC_F_NEXT)
              || d.len == 0 || d.len % 16 != 0 || d.len / 16 > vq->size)
            return -EINVAL;
          table = vmm_guest_mem_ptr (vq->mem, d.addr, d.len);
          if (table == NULL || (d.addr & 15) != 0)
            return -EINVAL;
          table_n = d.len / 16;
          in_indirect = TRUE;
          idx = 0;
          seen = 0;
          continue;
        }

      if (d.len > 0)
        {
          void *p = vmm_guest_mem_ptr (vq->mem, d.addr, d.len);

          if (p == NULL || nseg >= vq->max_size)
            return -EINVAL;
          if (d.flags & DESC_F_WRITE)
            {
              *in_len += d.len;
              nin++;
            }
          else
            {
              /* Readable segments come first (2.7.4.2). */
              if (nin > 0)
                return -EINVAL;
              *out_len += d.len;
            }
          if (*in_len + *out_len > MAX_CHAIN_BYTES)
            return -EINVAL;
          vq->scratch[nseg].iov_base = p;
          vq->scratch[nseg].iov_len = d.len;
          nseg++;
        }
      if (!(d.flags & DESC_F_NEXT))
        break;
      idx = d.next;
    }
  *n_out = nseg - nin;
  return (int) nseg;
}

int
vmm_virtq_pop (VmmVirtqueue *vq, VmmVirtqElem **elem)
{
  VmmVirtqElem *e;
  uint16_t avail, head;
  uint64_t out_len, in_len;
  unsigned n_out = 0;
  int nseg;

  *elem = NULL;
  g_mutex_lock (&vq->lock);
  if (!vq->running)
    {
      g_mutex_unlock (&vq->lock);
      return 0;
    }
  avail = avail_idx (vq);
  if (avail == vq->last_avail)
    {
      g_mutex_unlock (&vq->lock);
      return 0;
    }
  if ((uint16_t) (avail - vq->last_avail) > vq->size)
    goto broken;
  head = avail_ring (vq, vq->last_avail);
  nseg = walk_chain (vq, head, &n_out, &out_len, &in_len);
  if (nseg < 0)
    goto broken;

  e = g_malloc (sizeof (VmmVirtqElem) + (size_t) nseg * sizeof (struct iovec));
  e->head = head;
  e->generation = vq->generation;
  e->n_out = n_out;
  e->n_in = (unsigned) nseg - n_out;
  e->out_len = out_len;
  e->in_len = in_len;
  memcpy (e->iov, vq->scratch, (size_t) nseg * sizeof (struct iovec));
  vq->last_avail++;
  if (vq->event_idx && !vq->kicks_disabled)
    set_avail_event (vq, vq->last_avail);
  g_mutex_unlock (&vq->lock);
  *elem = e;
  return 1;

broken:
  vq->running = FALSE;
  g_mutex_unlock (&vq->lock);
  g_debug ("virtqueue %u: malformed descriptor chain", vq->index);
  if (vq->hooks != NULL && vq->hooks->broken != NULL)
    vq->hooks->broken (vq->opaque, vq);
  return -EINVAL;
}

void
vmm_virtq_push_batch (VmmVirtqueue *vq, VmmVirtqElem **elems, const uint32_t *written, unsigned n)
{
  gboolean any = FALSE;

  g_mutex_lock (&vq->lock);
  for (unsigned i = 0; i < n; i++)
    {
      VmmVirtqElem *elem = elems[i];
      uint8_t *slot;
      uint32_t id, len;

      if (!vq->running || elem->generation != vq->generation)
        continue;
      slot = vq->used + 4 + 8 * (size_t) (vq->used_idx & (vq->size - 1));
      id = htole32 (elem->head);
      len = htole32 ((uint32_t) MIN ((uint64_t) written[i], elem->in_len));
      memcpy (slot, &id, 4);
      memcpy (slot + 4, &len, 4);
      vq->used_idx++;
      any = TRUE;
    }
  if (any)
    {
      __atomic_store_n ((uint16_t *) (void *) (vq->used + 2), htole16 (vq->used_idx), __ATOMIC_RELEASE);
      vq->pushed = TRUE;
    }
  g_mutex_unlock (&vq->lock);
  for (unsigned i = 0; i < n; i++)
    g_free (elems[i]);
}

void
vmm_virtq_push (VmmVirtqueue *vq, VmmVirtqElem *elem, uint32_t written)
{
  vmm_virtq_push_batch (vq, &elem, &written, 1);
}

void
vmm_virtq_notify (VmmVirtqueue *vq)
{
  gboolean need = FALSE;

  g_mutex_lock (&vq->lock);
  if (vq->running && vq->pushed)
    {
      __atomic_thread_fence (__ATOMIC_SEQ_CST);
      if (vq->event_idx)
        {
          uint16_t event = used_event (vq), now = vq->used_idx, old = vq->signalled_used;
          /* Interrupt when used_event lies in (old, now]. */
          need = !vq->signalled_valid || (uint16_t) (now - event - 1) < (uint16_t) (now - old);
          vq->signalled_used = now;
          vq->signalled_valid = TRUE;
        }
      else
        need = !(load16 (vq->avail) & AVAIL_F_NO_INTERRUPT);
      vq->pushed = FALSE;
    }
  g_mutex_unlock (&vq->lock);
  if (need && vq->hooks != NULL && vq->hooks->interrupt != NULL)
    vq->hooks->interrupt (vq->opaque, vq);
}

void
vmm_virtq_disable_kicks (VmmVirtqueue *vq)
{
  g_mutex_lock (&vq->lock);
  if (vq->running && !vq->event_idx)
    store16 (vq->used, load16 (vq->used) | USED_F_NO_NOTIFY);
  vq->kicks_disabled = TRUE;
  g_mutex_unlock (&vq->lock);
}

gboolean
vmm_virtq_enable_kicks (VmmVirtqueue *vq)
{
  gboolean more = FALSE;

  g_mutex_lock (&vq->lock);
  vq->kicks_disabled = FALSE;
  if (vq->running)
    {
      if (vq->event_idx)
        set_avail_event (vq, vq->last_avail);
      else
        store16 (vq->used, load16 (vq->used) & (uint16_t) ~USED_F_NO_NOTIFY);
      __atomic_thread_fence (__ATOMIC_SEQ_CST);
      more = avail_idx (vq) != vq->last_avail;
    }
  g_mutex_unlock (&vq->lock);
  return more;
}
