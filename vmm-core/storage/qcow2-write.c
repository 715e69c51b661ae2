/* qcow2-write.c: writes, zeroing and discard.
 *
 * A write to a cluster the image owns alone (COPIED flag) goes in place.
 * Anything else (unallocated, zero, compressed, shared) gets a new cluster:
 * its full contents (old data merged with the new) and its refcount are
 * written, and the new L2 entry goes into the write-back L2 cache, which
 * reaches the file only after a flush has made both durable
 * (qcow2_l2_writeback). The old cluster's refcount is dropped only once
 * the entry replacing it is on disk. A crash at any point leaves either
 * the old mapping or the new one, plus at worst counted but unused
 * clusters (leaks).
 *
 * Writes to unallocated clusters (whole ones, or ones that read as zeros)
 * can also be split in two for an I/O engine that moves the data itself (qcow2_alloc_begin/commit, the
 * io_uring path): clusters counted first, data written by the engine,
 * entries into the same write-back cache once it has completed. No L2
 * table ever holds an entry whose data is in flight, so the cache may
 * evict and write back any table at any time; instead the guest clusters
 * stay pending (s->pending) and every path that would change their
 * entries refuses them until the commit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "qcow2-private.h"

static int
flush_fd (Qcow2State *s)
{
  return fdatasync (s->fd) < 0 ? -errno : 0;
}

/* Does @entry hold a cluster of its own that must be freed on remap? */
static bool
entry_owns (uint64_t entry)
{
  return (entry & QCOW2_OFLAG_COMPRESSED) || (entry & QCOW2_OFFSET_MASK) != 0;
}

/* Changes an entry in the (write-back) cache: see qcow2_l2_writeback. */
static int
set_l2_entry (Qcow2State *s, uint64_t l2_offset, uint64_t index, uint64_t entry)
{
  Qcow2L2Slot *slot;
  int r = qcow2_get_l2 (s, l2_offset, &slot);

  if (r < 0)
    return r;
  slot->table[index] = GUINT64_TO_BE (entry);
  slot->dirty = true;
  return 0;
}

/* Frees what old entries held, once the entries replacing them are on
 * disk: before that, a crash would leave them mapped but uncounted. */
static int
free_after_remap (Qcow2State *s, const uint64_t *old, unsigned n)
{
  int r = qcow2_l2_writeback (s);

  if (r == 0)
    r = flush_fd (s);
  for (unsigned i = 0; i < n && r == 0; i++)
    if (entry_owns (old[i]))
      r = qcow2_free_entry (s, old[i]);
  return r;
}

static int
set_l1_entry (Qcow2State *s, uint64_t l1_index, uint64_t entry)
{
  uint8_t be[8];
  int r;

  qcow2_put_be64 (be, entry);
  r = vmm_image_pwrite_full (s->fd, be, 8, s->l1_offset + l1_index * 8);
  if (r == 0)
    s->l1[l1_index] = entry;
  return r;
}

/* An internal snapshot shares this L2 table: give the active L1 its own
 * copy. The data clusters keep their counts (the same L1 tables still
 * reach them) and their entries keep COPIED clear; only the old table
 * loses the active layer's reference, after the L1 entry has moved. */
static int
copy_l2 (Qcow2State *s, uint64_t l1_index, uint64_t *l2)
{
  uint64_t old = *l2, fresh;
  Qcow2L2Slot *slot;
  int r;

  r = qcow2_get_l2 (s, old, &slot);
  if (r == 0)
    r = qcow2_alloc_cluster (s, &fresh);
  if (r == 0)
    r = qcow2_get_l2 (s, old, &slot);
  if (r == 0)
    r = vmm_image_pwrite_full (s->fd, slot->table, s->cluster_size, fresh);
  if (r == 0)
    r = flush_fd (s);
  if (r == 0)
    r = set_l1_entry (s, l1_index, fresh | QCOW2_OFLAG_COPIED);
  if (r == 0)
    r = flush_fd (s);
  if (r < 0)
    return r;
  qcow2_mark_metadata (s, fresh, s->cluster_size);
  *l2 = fresh;
  return qcow2_free_entry (s, old);
}

/* Finds (or, with @alloc, creates) the L2 table for @offset. *l2_offset
 * is 0 when there is none and @alloc is false. */
static int
l2_for_write (Qcow2State *s, uint64_t offset, bool alloc, uint64_t *l2_offset, uint64_t *index,
              uint64_t *entry)
{
  uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
  g_autofree uint8_t *zeros = NULL;
  Qcow2L2Slot *slot;
  uint64_t l2, rc;
  int r;

  *index = (offset >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
  *entry = 0;
  if (l1_index >= s->l1_size)
    return -EIO;
  l2 = s->l1[l1_index] & QCOW2_OFFSET_MASK;
  if (l2 == 0 && !alloc)
    {
      *l2_offset = 0;
      return 0;
    }
  if (l2 == 0)
    {
      r = qcow2_alloc_cluster (s, &l2);
      if (r < 0)
        return r;
      zeros = g_malloc0 (s->cluster_size);
      r = vmm_image_pwrite_full (s->fd, zeros, s->cluster_size, l2);
      if (r == 0)
        r = flush_fd (s);
      if (r < 0)
        return r;
      r = set_l1_entry (s, l1_index, l2 | QCOW2_OFLAG_COPIED);
      if (r < 0)
        return r;
      qcow2_mark_metadata (s, l2, s->cluster_size);
    }
  else if (!(s->l1[l1_index] & QCOW2_OFLAG_COPIED))
    {
      r = qcow2_refcount_get (s, l2 >> s->cluster_bits, &rc);
      if (r < 0)
        return r;
      if (rc == 0)
        return -EIO;
      if (rc > 1)
        {
          r = copy_l2 (s, l1_index, &l2);
          if (r < 0)
            return r;
        }
    }
  r = qcow2_get_l2 (s, l2, &slot);
  if (r < 0)
    return r;
  *l2_offset = l2;
  *entry = GUINT64_FROM_BE (slot->table[*index]);
  return 0;
}

static int
remap (Qcow2State *s, uint64_t l2, uint64_t index, uint64_t old, uint64_t entry)
{
  int r = set_l2_entry (s, l2, index, entry);

  if (r < 0 || !entry_owns (old))
    return r;
  return free_after_remap (s, &old, 1);
}

/* Can this entry take a write in place? */
static bool
in_place (uint64_t entry)
{
  return !(entry & QCOW2_OFLAG_COMPRESSED) && (entry & QCOW2_OFLAG_COPIED)
         && (entry & QCOW2_OFFSET_MASK) != 0;
}

static int
write_in_place (Qcow2State *s, uint64_t l2, uint64_t index, uint64_t entry, const uint8_t *data,
                uint64_t in_cluster, size_t len)
{
  uint64_t host = entry & QCOW2_OFFSET_MASK;
  g_autofree uint8_t *cbuf = NULL;
  int r;

  if (!qcow2_cluster_ok (s, host) || qcow2_is_metadata (s, host))
    return -EIO;
  if (s->version < 3 || !(entry & QCOW2_OFLAG_ZERO))
    {
      r = vmm_image_pwrite_full (s->fd, data, len, host + in_cluster);
      if (r == 0)
        s->file_size = MAX (s->file_size, host + in_cluster + len);
      return r;
    }
  /* A preallocated zero cluster: fill it, then clear the flag. */
  cbuf = g_malloc0 (s->cluster_size);
  memcpy (cbuf + in_cluster, data, len);
  r = vmm_image_pwrite_full (s->fd, cbuf, s->cluster_size, host);
  if (r == 0)
    s->file_size = MAX (s->file_size, host + s->cluster_size);
  return r < 0 ? r : set_l2_entry (s, l2, index, host | QCOW2_OFLAG_COPIED);
}

/* At most this many clusters per step, which bounds the list of old
 * clusters to free and the iovec of one data write. */
#define BATCH 256

typedef struct {
  uint64_t index, old, fresh;
  const uint8_t *src;
} Remap;

static int
pwritev_full (int fd, struct iovec *iov, int n, uint64_t offset)
{
  while (n > 0)
    {
      ssize_t w = pwritev (fd, iov, n, (off_t) offset);

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -errno;
      if (w == 0)
        return -EIO;
      offset += (uint64_t) w;
      while (n > 0 && (size_t) w >= iov->iov_len)
        {
          w -= (ssize_t) iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (uint8_t *) iov->iov_base + w;
          iov->iov_len -= (size_t) w;
        }
    }
  return 0;
}

/* Writes the new clusters' contents, one pwritev per run of clusters that
 * are adjacent in the file (a batch from qcow2_alloc_run always is). */
static int
write_fresh (Qcow2State *s, const Remap *maps, unsigned n)
{
  g_autofree struct iovec *iov = g_new (struct iovec, n);
  unsigned i = 0;

  while (i < n)
    {
      unsigned k = 0;
      int r;

      do
        {
          iov[k].iov_base = (void *) maps[i + k].src;
          iov[k].iov_len = s->cluster_size;
          k++;
        }
      while (i + k < n && maps[i + k].fresh == maps[i + k - 1].fresh + s->cluster_size);
      r = pwritev_full (s->fd, iov, (int) k, maps[i].fresh);
      if (r < 0)
        return r;
      i += k;
    }
  return 0;
}

/* Gives the first whole cluster at @cstart: the old contents merged with
 * @part bytes of @src at @in_cluster (the tail past the disk's end stays
 * zero). */
static int
merge_cluster (VmmImage *img, Qcow2State *s, uint8_t *cbuf, uint64_t cstart, uint64_t in_cluster,
               const uint8_t *src, size_t part)
{
  uint64_t clen = MIN (s->cluster_size, img->size - cstart);
  int r;

  memset (cbuf, 0, s->cluster_size);
  r = qcow2_read_cluster_part (s, img->size, cbuf, cstart, (size_t) clen);
  if (r == 0)
    memcpy (cbuf + in_cluster, src, part);
  return r;
}

/* Writes a run of clusters that all need new clusters, within one L2
 * table: their refcounts (batched), their data (one write per adjacent
 * run), then the L2 entries (in the cache), then, if they replaced
 * clusters of their own, the entries are written back and the old
 * clusters released. Only the first and the last cluster of a run can be
 * partial, so two bounce buffers cover any batch. */
static int
write_allocating (VmmImage *img, Qcow2State *s, uint64_t l2, const uint8_t *data,
                  uint64_t offset, size_t len, size_t *done)
{
  g_autofree uint8_t *head = NULL;
  g_autofree uint8_t *tail = NULL;
  g_autofree Remap *maps = g_new (Remap, BATCH);
  uint64_t index = (offset >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
  unsigned n = 0;
  bool owned = false;
  int r = 0;

  *done = 0;
  while (*done < len && n < BATCH && index + n < (1ull << s->l2_bits))
    {
      uint64_t off = offset + *done;
      uint64_t in_cluster = off & (s->cluster_size - 1);
      size_t part = (size_t) MIN (len - *done, s->cluster_size - in_cluster);
      Qcow2L2Slot *slot;
      uint64_t entry;

      r = qcow2_get_l2 (s, l2, &slot);
      if (r < 0)
        return r;
      entry = GUINT64_FROM_BE (slot->table[index + n]);
      if (n > 0 && in_place (entry))
        break;
      if (!(entry & QCOW2_OFLAG_COMPRESSED) && (entry & QCOW2_L2_RESERVED))
        return -EIO;
      maps[n].src = data + *done;
      if (part != s->cluster_size)
        {
          uint8_t **bounce = n == 0 ? &head : &tail;

          *bounce = g_malloc (s->cluster_size);
          r = merge_cluster (img, s, *bounce, off - in_cluster, in_cluster, data + *done, part);
          if (r < 0)
            return r;
          maps[n].src = *bounce;
        }
      maps[n].index = index + n;
      maps[n].old = entry;
      owned |= entry_owns (entry);
      n++;
      *done += part;
    }
  /* Whatever was allocated before a failure is leaked, never mapped. */
  for (unsigned i = 0; i < n && r == 0;)
    {
      unsigned got;
      uint64_t first;

      r = qcow2_alloc_run (s, n - i, &first, &got);
      for (unsigned k = 0; k < got && r == 0; k++)
        maps[i + k].fresh = first + ((uint64_t) k << s->cluster_bits);
      i += got;
    }
  if (r == 0)
    r = write_fresh (s, maps, n);
  for (unsigned i = 0; i < n && r == 0; i++)
    r = set_l2_entry (s, l2, maps[i].index, maps[i].fresh | QCOW2_OFLAG_COPIED);
  if (r < 0 || !owned)
    return r;
  {
    g_autofree uint64_t *old = g_new (uint64_t, n);

    for (unsigned i = 0; i < n; i++)
      old[i] = maps[i].old;
    return free_after_remap (s, old, n);
  }
}

/* Writes from @offset on, as far as one step goes; *done says how far. */
static int
write_step (VmmImage *img, Qcow2State *s, const uint8_t *data, uint64_t offset, size_t len,
            size_t *done)
{
  uint64_t in_cluster = offset & (s->cluster_size - 1);
  uint64_t l2, index, entry;
  int r;

  r = l2_for_write (s, offset, true, &l2, &index, &entry);
  if (r < 0)
    return r;
  if (in_place (entry))
    {
      *done = (size_t) MIN (len, s->cluster_size - in_cluster);
      if (entry & QCOW2_L2_RESERVED)
        return -EIO;
      return write_in_place (s, l2, index, entry, data, in_cluster, *done);
    }
  return write_allocating (img, s, l2, data, offset, len, done);
}

/* Does [@offset, @offset + @len) touch a guest cluster whose allocation
 * is in flight? Rewriting or freeing it now would let the commit map
 * stale data over the newer write. */
static bool
overlaps_pending (Qcow2State *s, uint64_t offset, uint64_t len)
{
  uint64_t first = offset >> s->cluster_bits;
  uint64_t last = (offset + len - 1) >> s->cluster_bits;

  for (VmmImageAlloc *a = s->pending; a != NULL; a = a->next)
    {
      uint64_t a_first = a->offset >> s->cluster_bits;

      if (first < a_first + a->clusters && a_first <= last)
        return true;
    }
  return false;
}

int
qcow2_write (VmmImage *img, const void *buf, uint64_t offset, size_t len)
{
  Qcow2State *s = img->priv;
  const uint8_t *p = buf;
  int r = 0;

  g_mutex_lock (&s->lock);
  if (overlaps_pending (s, offset, len))
    r = -EBUSY;
  while (len > 0 && r == 0)
    {
      size_t done = 0;

      r = write_step (img, s, p, offset, len, &done);
      p += done;
      offset += done;
      len -= done;
    }
  g_mutex_unlock (&s->lock);
  return r;
}

static int
zero_cluster (VmmImage *img, Qcow2State *s, uint64_t offset)
{
  bool has_backing = s->backing != NULL;
  uint64_t l2, index, entry;
  int r;

  r = l2_for_write (s, offset, false, &l2, &index, &entry);
  if (r < 0)
    return r;
  if (l2 == 0 && !has_backing)
    return 0;
  if (s->version < 3 && has_backing)
    {
      /* Version 2 has no zero flag: only real zeros hide the backing. */
      g_autofree uint8_t *zeros = g_malloc0 (s->cluster_size);
      uint64_t len = MIN (s->cluster_size, img->size - offset);
      size_t done;

      return write_step (img, s, zeros, offset, (size_t) len, &done);
    }
  if (l2 == 0)
    {
      r = l2_for_write (s, offset, true, &l2, &index, &entry);
      if (r < 0)
        return r;
    }
  if (s->version >= 3 && entry == QCOW2_OFLAG_ZERO)
    return 0;
  if (s->version < 3 && entry == 0)
    return 0;
  return remap (s, l2, index, entry, s->version >= 3 ? QCOW2_OFLAG_ZERO : 0);
}

int
qcow2_write_zeroes (VmmImage *img, uint64_t offset, uint64_t len)
{
  Qcow2State *s = img->priv;
  g_autofree uint8_t *zeros = NULL;
  int r = 0;

  g_mutex_lock (&s->lock);
  if (overlaps_pending (s, offset, len))
    r = -EBUSY;
  while (len > 0 && r == 0)
    {
      uint64_t in_cluster = offset & (s->cluster_size - 1);
      uint64_t n = MIN (len, s->cluster_size - in_cluster);

      if (in_cluster == 0 && (n == s->cluster_size || offset + n == img->size))
        r = zero_cluster (img, s, offset);
      else
        {
          size_t done;

          if (zeros == NULL)
            zeros = g_malloc0 (s->cluster_size);
          r = write_step (img, s, zeros, offset, (size_t) n, &done);
        }
      offset += n;
      len -= n;
    }
  g_mutex_unlock (&s->lock);
  return r;
}

int
qcow2_flush (VmmImage *img)
{
  Qcow2State *s = img->priv;
  int r;

  g_mutex_lock (&s->lock);
  r = qcow2_l2_writeback (s);
  if (r == 0)
    r = flush_fd (s);
  g_mutex_unlock (&s->lock);
  return r;
}

/* ---- allocations whose data the I/O engine writes (image.h) ------------ */

/* Gives back clusters that were counted but never mapped. */
static void
release_run (Qcow2State *s, uint64_t host, uint64_t n)
{
  for (uint64_t i = 0; i < n; i++)
    if (qcow2_refcount_set (s, (host >> s->cluster_bits) + i, 0) < 0)
      return; /* what is left stays counted: a leak, never a corruption */
}

/* Does the guest cluster at @cstart (entry @entry, holding no cluster of
 * its own) read as zeros? Then a fresh cluster needs no old contents
 * merged in: the parts the write leaves alone read as zeros in the file
 * too, since clusters are taken past the end of everything ever written
 * (qcow2-refcount.c), where the file is a hole or not there yet. */
static bool
reads_as_zeros (Qcow2State *s, uint64_t cstart, uint64_t entry)
{
  if (s->version >= 3 && (entry & QCOW2_OFLAG_ZERO))
    return true;
  return s->backing == NULL || cstart >= vmm_image_get_size (s->backing);
}

/* A cluster the write covers only in part needs its old contents merged
 * in (write_allocating), which is the synchronous path's job, unless they
 * are zeros. The last cluster of a disk whose size is not a multiple of
 * it counts as whole: nothing reads past the disk's end. */
int
qcow2_alloc_begin (VmmImage *img, uint64_t offset, uint64_t len, VmmImageAlloc *alloc)
{
  Qcow2State *s = img->priv;
  uint64_t mask = s->cluster_size - 1;
  uint64_t first = offset >> s->cluster_bits, end = offset + len;
  bool head_partial = (offset & mask) != 0;
  bool tail_partial = (end & mask) != 0 && end != img->size;
  uint64_t n, host = 0, taken = 0;
  bool adjacent = true;
  int r = 0;

  n = ((end - 1) >> s->cluster_bits) - first + 1;
  if (n > BATCH)
    return 0;

  g_mutex_lock (&s->lock);
  if (overlaps_pending (s, offset, len))
    goto out;
  /* Every guest cluster must be one that holds no cluster of its own
   * (unallocated, or a zero cluster without one): replacing an owned one
   * means freeing it after the new entry is on disk, which the
   * synchronous path does. This also creates the L2 tables (or gives the
   * active layer its own copy of a shared one) before any data moves. */
  for (uint64_t i = 0; i < n; i++)
    {
      uint64_t l2, index, entry;

      uint64_t cstart = (first + i) << s->cluster_bits;

      r = l2_for_write (s, cstart, true, &l2, &index, &entry);
      if (r < 0)
        goto out;
      if (entry_owns (entry) || (entry & QCOW2_L2_RESERVED))
        goto out;
      if (((i == 0 && head_partial) || (i == n - 1 && tail_partial))
          && !reads_as_zeros (s, cstart, entry))
        goto out;
    }
  while (taken < n)
    {
      unsigned got;
      uint64_t run;

      r = qcow2_alloc_run (s, (unsigned) (n - taken), &run, &got);
      if (r < 0)
        break;
      if (taken == 0)
        host = run;
      else if (run != host + (taken << s->cluster_bits))
        {
          /* A new refcount block came in between: rare, and not worth a
           * scattered write. */
          adjacent = false;
          release_run (s, run, got);
          break;
        }
      taken += got;
    }
  if (r < 0 || !adjacent)
    {
      /* What was counted goes back (or leaks, if that fails too). */
      release_run (s, host, taken);
      r = MIN (r, 0);
      goto out;
    }
  alloc->offset = offset;
  alloc->len = len;
  alloc->host_offset = host + (offset & mask);
  alloc->clusters = n;
  alloc->next = s->pending;
  s->pending = alloc;
  r = 1;
out:
  g_mutex_unlock (&s->lock);
  return r;
}

/* The first new cluster: @host_offset is where the first byte went. */
static uint64_t
host_base (Qcow2State *s, const VmmImageAlloc *alloc)
{
  return alloc->host_offset - (alloc->offset & (s->cluster_size - 1));
}

int
qcow2_alloc_commit (VmmImage *img, VmmImageAlloc *alloc, int result)
{
  Qcow2State *s = img->priv;
  VmmImageAlloc **link = &s->pending;
  int r = result;

  g_mutex_lock (&s->lock);
  while (*link != NULL && *link != alloc)
    link = &(*link)->next;
  if (*link == NULL)
    {
      g_mutex_unlock (&s->lock);
      g_return_val_if_reached (-EINVAL);
    }
  *link = alloc->next;
  alloc->next = NULL;
  /* The L1 entry is read again now rather than kept from the start: a
   * write elsewhere in the same table may have given the active layer its
   * own copy meanwhile (copy_l2), and the entry belongs in that one. The
   * entries themselves cannot have changed: every path that changes an
   * entry refuses a pending cluster. */
  for (uint64_t i = 0; i < alloc->clusters && r == 0; i++)
    {
      uint64_t off = (alloc->offset & ~(s->cluster_size - 1)) + (i << s->cluster_bits);
      uint64_t l1_index = off >> (s->cluster_bits + s->l2_bits);
      uint64_t index = (off >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
      uint64_t host = host_base (s, alloc) + (i << s->cluster_bits);

      if (l1_index >= s->l1_size || (s->l1[l1_index] & QCOW2_OFFSET_MASK) == 0)
        r = -EIO;
      else
        r = set_l2_entry (s, s->l1[l1_index] & QCOW2_OFFSET_MASK, index,
                          host | QCOW2_OFLAG_COPIED);
      if (r == 0)
        s->file_size = MAX (s->file_size, host + s->cluster_size);
    }
  if (result < 0)
    release_run (s, host_base (s, alloc), alloc->clusters);
  /* A failure midway leaves the clusters mapped so far (their data is
   * written) and the rest counted but unused: a leak. */
  g_mutex_unlock (&s->lock);
  return r;
}
