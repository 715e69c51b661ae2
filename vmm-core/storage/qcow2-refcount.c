/* qcow2-refcount.c: reference counts and cluster allocation.
 *
 * New clusters always come from the end of the file: allocation never has
 * to search for free space, and a crash can only leave clusters that are
 * counted but unused (a leak) past the last referenced one.
 *
 * Ordering, so that a crash can leak but never corrupt: anything that is
 * referenced is written and flushed before the reference to it. A new
 * refcount block is written (covering itself when it can) and flushed
 * before the refcount table entry naming it; a grown refcount table is
 * written and flushed before the header points to it, and the old table is
 * freed only after that; a cluster's refcount is raised before the L2 (or
 * L1) entry that uses it is written, and lowered only after the entry that
 * dropped it is on disk (qcow2-write.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "qcow2-private.h"

/* Pending refcount blocks while the refcount table grows. */
#define MAX_PENDING 8

static int
flush_fd (Qcow2State *s)
{
  return fdatasync (s->fd) < 0 ? -errno : 0;
}

/* Byte position and bit shift of entry @idx in a refcount block. Entries
 * narrower than a byte are packed from the least significant bit up. */
static void
entry_pos (Qcow2State *s, uint64_t idx, uint64_t *byte, unsigned *nbytes, unsigned *shift)
{
  unsigned bits = 1u << s->refcount_order;

  if (bits >= 8)
    {
      *nbytes = bits / 8;
      *byte = idx * *nbytes;
      *shift = 0;
    }
  else
    {
      *nbytes = 1;
      *byte = (idx * bits) / 8;
      *shift = (unsigned) ((idx * bits) % 8);
    }
}

static uint64_t
entry_decode (Qcow2State *s, const uint8_t *p, unsigned nbytes, unsigned shift)
{
  unsigned bits = 1u << s->refcount_order;
  uint64_t v = 0;

  if (bits < 8)
    return (p[0] >> shift) & ((1u << bits) - 1);
  for (unsigned i = 0; i < nbytes; i++)
    v = (v << 8) | p[i];
  return v;
}

static void
entry_encode (Qcow2State *s, uint8_t *p, unsigned nbytes, unsigned shift, uint64_t v)
{
  unsigned bits = 1u << s->refcount_order;

  if (bits < 8)
    {
      uint8_t mask = (uint8_t) (((1u << bits) - 1) << shift);

      p[0] = (uint8_t) ((p[0] & ~mask) | ((v << shift) & mask));
      return;
    }
  for (int i = (int) nbytes - 1; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t) v;
}

static int
block_offset (Qcow2State *s, uint64_t ti, uint64_t *blk)
{
  *blk = 0;
  if (ti >= s->rt_size)
    return 0;
  *blk = s->rt[ti] & QCOW2_OFFSET_MASK;
  if (*blk != 0 && (!qcow2_cluster_ok (s, *blk) || *blk + s->cluster_size > s->file_size))
    return -EIO;
  return 0;
}

int
qcow2_refcount_get (Qcow2State *s, uint64_t cluster, uint64_t *value)
{
  uint64_t blk, byte;
  unsigned nbytes, shift;
  uint8_t buf[8];
  int r;

  *value = 0;
  r = block_offset (s, cluster >> s->rb_bits, &blk);
  if (r < 0 || blk == 0)
    return r;
  entry_pos (s, cluster & ((1ull << s->rb_bits) - 1), &byte, &nbytes, &shift);
  r = vmm_image_pread_full (s->fd, buf, nbytes, blk + byte);
  if (r == 0)
    *value = entry_decode (s, buf, nbytes, shift);
  return r;
}

static int
write_entry (Qcow2State *s, uint64_t blk, uint64_t cluster, uint64_t value)
{
  uint64_t byte;
  unsigned nbytes, shift;
  uint8_t buf[8] = { 0 };
  int r;

  entry_pos (s, cluster & ((1ull << s->rb_bits) - 1), &byte, &nbytes, &shift);
  if (shift != 0 || (1u << s->refcount_order) < 8)
    {
      r = vmm_image_pread_full (s->fd, buf, 1, blk + byte);
      if (r < 0)
        return r;
    }
  entry_encode (s, buf, nbytes, shift, value);
  return vmm_image_pwrite_full (s->fd, buf, nbytes, blk + byte);
}

/* Reserves the next cluster at the end of the file. */
static uint64_t
take_cluster (Qcow2State *s)
{
  uint64_t c = qcow2_align_up (s->file_size, s->cluster_size) >> s->cluster_bits;

  s->file_size = (c + 1) << s->cluster_bits;
  return c;
}

static int set_depth (Qcow2State *s, uint64_t cluster, uint64_t value, unsigned depth);

static int
new_block (Qcow2State *s, uint64_t ti, unsigned depth)
{
  g_autofree uint8_t *buf = g_malloc0 (s->cluster_size);
  uint64_t b = take_cluster (s);
  uint8_t be[8];
  int r;

  if ((b >> s->rb_bits) == ti)
    {
      uint64_t byte;
      unsigned nbytes, shift;

      entry_pos (s, b & ((1ull << s->rb_bits) - 1), &byte, &nbytes, &shift);
      entry_encode (s, buf + byte, nbytes, shift, 1);
    }
  r = vmm_image_pwrite_full (s->fd, buf, s->cluster_size, b << s->cluster_bits);
  if (r == 0 && (b >> s->rb_bits) != ti)
    r = set_depth (s, b, 1, depth + 1);
  if (r == 0)
    r = flush_fd (s);
  if (r < 0)
    return r;
  qcow2_put_be64 (be, b << s->cluster_bits);
  r = vmm_image_pwrite_full (s->fd, be, 8, s->rt_offset + ti * 8);
  if (r < 0)
    return r;
  s->rt[ti] = b << s->cluster_bits;
  qcow2_mark_metadata (s, b << s->cluster_bits, s->cluster_size);
  return 0;
}

typedef struct {
  uint64_t  ti;
  uint64_t  cluster;
  uint8_t  *buf;
} PendingBlock;

typedef struct {
  Qcow2State   *s;
  uint64_t     *rt;
  uint64_t      rt_size;
  PendingBlock  pend[MAX_PENDING];
  unsigned      n_pend;
} Growth;

/* Counts @c once while the table grows: in an existing block on disk, in a
 * pending one, or in a new pending block that then counts itself. */
static int
growth_count (Growth *g, uint64_t c)
{
  Qcow2State *s = g->s;
  uint64_t ti = c >> s->rb_bits;
  uint64_t byte;
  unsigned nbytes, shift;
  int r;

  if (ti >= g->rt_size)
    return -EIO;
  for (unsigned i = 0; i < g->n_pend; i++)
    if (g->pend[i].ti == ti)
      {
        entry_pos (s, c & ((1ull << s->rb_bits) - 1), &byte, &nbytes, &shift);
        entry_encode (s, g->pend[i].buf + byte, nbytes, shift, 1);
        return 0;
      }
  if (g->rt[ti] != 0)
    {
      uint64_t blk;

      r = block_offset (s, ti, &blk);
      return r < 0 ? r : write_entry (s, blk, c, 1);
    }
  if (g->n_pend == MAX_PENDING)
    return -EIO;
  g->pend[g->n_pend].ti = ti;
  g->pend[g->n_pend].cluster = take_cluster (s);
  g->pend[g->n_pend].buf = g_malloc0 (s->cluster_size);
  g->rt[ti] = g->pend[g->n_pend].cluster << s->cluster_bits;
  g->n_pend++;
  r = growth_count (g, g->pend[g->n_pend - 1].cluster);
  /* Now @c has a block to be counted in. */
  return r < 0 ? r : growth_count (g, c);
}

/* Moves the refcount table to a larger one at the end of the file. */
static int
grow_table (Qcow2State *s, uint64_t need_ti)
{
  uint64_t epc = s->cluster_size / 8;
  uint64_t new_size = MAX (s->rt_size * 2, need_ti + 1);
  uint64_t nc, t0, old_offset = s->rt_offset, old_clusters = s->rt_clusters;
  g_autofree uint64_t *disk = NULL;
  Growth g = { .s = s };
  uint8_t hdr[12];
  int r = 0;

  for (;;)
    {
      new_size = qcow2_align_up (new_size, epc);
      nc = new_size / epc;
      if (new_size * 8 > QCOW2_MAX_REFTABLE_BYTES)
        return -EFBIG;
      t0 = qcow2_align_up (s->file_size, s->cluster_size) >> s->cluster_bits;
      if (((t0 + nc + MAX_PENDING) >> s->rb_bits) < new_size)
        break;
      new_size *= 2;
    }

  g.rt = g_new0 (uint64_t, new_size);
  g.rt_size = new_size;
  memcpy (g.rt, s->rt, s->rt_size * 8);
  for (uint64_t i = 0; i < nc; i++)
    take_cluster (s);
  for (uint64_t i = 0; i < nc && r == 0; i++)
    r = growth_count (&g, t0 + i);
  for (unsigned i = 0; i < g.n_pend && r == 0; i++)
    r = vmm_image_pwrite_full (s->fd, g.pend[i].buf, s->cluster_size,
                               g.pend[i].cluster << s->cluster_bits);
  if (r == 0)
    {
      disk = g_new (uint64_t, new_size);
      for (uint64_t i = 0; i < new_size; i++)
        disk[i] = GUINT64_TO_BE (g.rt[i]);
      r = vmm_image_pwrite_full (s->fd, disk, new_size * 8, t0 << s->cluster_bits);
    }
  if (r == 0)
    r = flush_fd (s);
  if (r == 0)
    {
      qcow2_put_be64 (hdr, t0 << s->cluster_bits);
      qcow2_put_be32 (hdr + 8, (uint32_t) nc);
      r = vmm_image_pwrite_full (s->fd, hdr, sizeof hdr, QCOW2_HDR_REFTABLE_OFFSET);
    }
  if (r == 0)
    r = flush_fd (s);
  for (unsigned i = 0; i < g.n_pend; i++)
    g_free (g.pend[i].buf);
  if (r < 0)
    {
      g_free (g.rt);
      return r;
    }

  for (unsigned i = 0; i < g.n_pend; i++)
    qcow2_mark_metadata (s, g.pend[i].cluster << s->cluster_bits, s->cluster_size);
  qcow2_mark_metadata (s, t0 << s->cluster_bits, nc << s->cluster_bits);
  g_free (s->rt);
  s->rt = g.rt;
  s->rt_size = new_size;
  s->rt_offset = t0 << s->cluster_bits;
  s->rt_clusters = (uint32_t) nc;

  /* Only now is the old table unreferenced. */
  for (uint64_t i = 0; i < old_clusters && r == 0; i++)
    {
      uint64_t c = (old_offset >> s->cluster_bits) + i;

      g_hash_table_remove (s->metadata, GSIZE_TO_POINTER ((gsize) c));
      r = qcow2_refcount_set (s, c, 0);
    }
  return r;
}

static int
set_depth (Qcow2State *s, uint64_t cluster, uint64_t value, unsigned depth)
{
  uint64_t ti = cluster >> s->rb_bits;
  uint64_t blk;
  int r;

  /* Each level places a block that covers the one before; a few levels
   * only happen with tiny clusters, more would mean a broken table. */
  if (depth > 4)
    return -EIO;
  if (s->refcount_order < 6 && value >> (1u << s->refcount_order))
    return -ERANGE;
  if (ti >= s->rt_size)
    {
      r = grow_table (s, ti);
      if (r < 0)
        return r;
    }
  r = block_offset (s, ti, &blk);
  if (r < 0)
    return r;
  if (blk == 0)
    {
      r = new_block (s, ti, depth);
      if (r < 0)
        return r;
      blk = s->rt[ti];
    }
  return write_entry (s, blk, cluster, value);
}

int
qcow2_refcount_set (Qcow2State *s, uint64_t cluster, uint64_t value)
{
  return set_depth (s, cluster, value, 0);
}

int
qcow2_alloc_cluster (Qcow2State *s, uint64_t *offset)
{
  /* A hostile file may count clusters past its end; skip those rather
   * than hand out a cluster something else may claim. */
  for (unsigned tries = 0; tries < 1024; tries++)
    {
      uint64_t c = take_cluster (s);
      uint64_t rc;
      int r = qcow2_refcount_get (s, c, &rc);

      if (r < 0)
        return r;
      if (rc != 0)
        continue;
      r = qcow2_refcount_set (s, c, 1);
      if (r < 0)
        return r;
      *offset = c << s->cluster_bits;
      return 0;
    }
  return -EIO;
}

/* Takes up to @max clusters in a row at the end of the file with one read
 * and one write of their refcounts, when they fall in one refcount block
 * that exists and all read as free: a sequential write that allocates
 * then costs two small syscalls per batch instead of two per cluster.
 * Anything else (sub-byte refcounts, no block yet, a hostile count) goes
 * cluster by cluster through qcow2_alloc_cluster, *n = 1. */
int
qcow2_alloc_run (Qcow2State *s, unsigned max, uint64_t *offset, unsigned *n)
{
  uint64_t first = qcow2_align_up (s->file_size, s->cluster_size) >> s->cluster_bits;
  uint64_t in_blk = first & ((1ull << s->rb_bits) - 1);
  uint64_t blk = 0;
  int r;

  *n = 1;
  if (max > 1 && s->refcount_order >= 3)
    {
      r = block_offset (s, first >> s->rb_bits, &blk);
      if (r < 0)
        return r;
    }
  if (blk != 0)
    {
      unsigned bytes = 1u << (s->refcount_order - 3);
      unsigned count = (unsigned) MIN ((uint64_t) max, (1ull << s->rb_bits) - in_blk);
      g_autofree uint8_t *buf = g_malloc ((size_t) count * bytes);

      r = vmm_image_pread_full (s->fd, buf, (size_t) count * bytes, blk + in_blk * bytes);
      if (r < 0)
        return r;
      for (unsigned i = 0; i < count; i++)
        if (entry_decode (s, buf + (size_t) i * bytes, bytes, 0) != 0)
          {
            count = i;
            break;
          }
      if (count > 1)
        {
          for (unsigned i = 0; i < count; i++)
            entry_encode (s, buf + (size_t) i * bytes, bytes, 0, 1);
          r = vmm_image_pwrite_full (s->fd, buf, (size_t) count * bytes, blk + in_blk * bytes);
          if (r < 0)
            return r;
          s->file_size = (first + count) << s->cluster_bits;
          *offset = first << s->cluster_bits;
          *n = count;
          return 0;
        }
    }
  return qcow2_alloc_cluster (s, offset);
}

static int
decrement (Qcow2State *s, uint64_t cluster)
{
  uint64_t rc;
  int r = qcow2_refcount_get (s, cluster, &rc);

  if (r < 0)
    return r;
  if (rc == 0)
    return -EIO;
  return qcow2_refcount_set (s, cluster, rc - 1);
}

int
qcow2_free_entry (Qcow2State *s, uint64_t entry)
{
  uint64_t host, len;
  int r;

  if (entry & QCOW2_OFLAG_COMPRESSED)
    {
      r = qcow2_compressed_range (s, entry, &host, &len);
      for (uint64_t c = host >> s->cluster_bits; r == 0 && c <= (host + len - 1) >> s->cluster_bits;
           c++)
        r = decrement (s, c);
      s->zbuf_valid = false;
      return r;
    }
  host = entry & QCOW2_OFFSET_MASK;
  if (host == 0)
    return 0;
  return decrement (s, host >> s->cluster_bits);
}
