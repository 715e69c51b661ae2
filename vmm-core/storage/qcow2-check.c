/* qcow2-check.c: recount every reference in the image and compare with the
 * stored refcounts, the way `qemu-img check` defines the result: a stored
 * count above the references is a leak (space lost, data safe), one below
 * is a corruption (a later allocation could overwrite live data), as are
 * references outside the file and COPIED flags that disagree with the
 * stored count.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "qcow2-private.h"

typedef struct {
  Qcow2State     *s;
  uint64_t        n;        /* clusters in the file */
  uint32_t       *refs;     /* references found, per cluster */
  VmmImageCheck  *res;
  void          (*report) (void *opaque, const char *line);
  void           *opaque;
} Check;

G_GNUC_PRINTF (3, 4)
static void
problem (Check *c, bool corruption, const char *fmt, ...)
{
  g_autofree char *line = NULL;
  va_list ap;

  if (corruption)
    c->res->corruptions++;
  else
    c->res->leaks++;
  if (c->report == NULL)
    return;
  va_start (ap, fmt);
  line = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  c->report (c->opaque, line);
}

static void
add_ref (Check *c, uint64_t offset, uint64_t len, const char *what)
{
  uint64_t first = offset >> c->s->cluster_bits;
  uint64_t last = (offset + len - 1) >> c->s->cluster_bits;

  if (len == 0)
    return;
  if (offset + len < offset || last >= c->n)
    {
      problem (c, true, "ERROR %s at offset 0x%" G_GINT64_MODIFIER "x lies past the end of the file",
               what, offset);
      return;
    }
  for (uint64_t i = first; i <= last; i++)
    if (c->refs[i] < UINT32_MAX)
      c->refs[i]++;
}

static void
check_copied (Check *c, uint64_t host, bool copied, const char *what)
{
  uint64_t rc;

  if (qcow2_refcount_get (c->s, host >> c->s->cluster_bits, &rc) < 0)
    return;
  if ((rc == 1) != copied)
    problem (c, true, "ERROR OFLAG_COPIED %s: offset=0x%" G_GINT64_MODIFIER "x refcount=%"
             G_GUINT64_FORMAT, what, host, rc);
}

static void
check_l2 (Check *c, uint64_t l2, bool active)
{
  Qcow2State *s = c->s;
  g_autofree uint64_t *t = g_malloc (s->cluster_size);
  uint64_t host, len;

  if (vmm_image_pread_full (s->fd, t, s->cluster_size, l2) < 0)
    {
      problem (c, true, "ERROR cannot read L2 table at 0x%" G_GINT64_MODIFIER "x", l2);
      return;
    }
  for (uint64_t i = 0; i < s->cluster_size / 8; i++)
    {
      uint64_t e = GUINT64_FROM_BE (t[i]);

      if (e & QCOW2_OFLAG_COMPRESSED)
        {
          if (e & QCOW2_OFLAG_COPIED)
            problem (c, true, "ERROR compressed cluster with the COPIED flag in L2 table 0x%"
                     G_GINT64_MODIFIER "x", l2);
          if (qcow2_compressed_range (s, e, &host, &len) < 0)
            problem (c, true, "ERROR compressed cluster descriptor out of range in L2 table 0x%"
                     G_GINT64_MODIFIER "x", l2);
          else
            add_ref (c, host, len, "compressed cluster");
          continue;
        }
      if (e & QCOW2_L2_RESERVED)
        problem (c, true, "ERROR reserved bits set in L2 table 0x%" G_GINT64_MODIFIER "x", l2);
      host = e & QCOW2_OFFSET_MASK;
      if (host == 0)
        continue;
      if (host & (s->cluster_size - 1))
        {
          problem (c, true, "ERROR misaligned data cluster 0x%" G_GINT64_MODIFIER "x", host);
          continue;
        }
      add_ref (c, host, s->cluster_size, "data cluster");
      if (active && (host >> s->cluster_bits) < c->n)
        check_copied (c, host, (e & QCOW2_OFLAG_COPIED) != 0, "data cluster");
    }
}

static void
check_l1 (Check *c, const uint64_t *l1, uint64_t l1_offset, uint32_t l1_size, bool active)
{
  Qcow2State *s = c->s;

  add_ref (c, l1_offset, (uint64_t) l1_size * 8, "L1 table");
  for (uint32_t i = 0; i < l1_size; i++)
    {
      uint64_t l2 = l1[i] & QCOW2_OFFSET_MASK;

      if (l2 == 0)
        continue;
      if ((l2 & (s->cluster_size - 1)) || (l2 >> s->cluster_bits) >= c->n)
        {
          problem (c, true, "ERROR L2 table 0x%" G_GINT64_MODIFIER "x is misaligned or past "
                   "the end of the file", l2);
          continue;
        }
      add_ref (c, l2, s->cluster_size, "L2 table");
      if (active)
        check_copied (c, l2, (l1[i] & QCOW2_OFLAG_COPIED) != 0, "L2 table");
      check_l2 (c, l2, active);
    }
}

static void
check_snapshots (Check *c)
{
  Qcow2State *s = c->s;
  uint64_t pos = s->snapshots_offset;

  /* Bounds were checked at open (scan_snapshots). */
  for (uint32_t i = 0; i < s->nb_snapshots; i++)
    {
      uint8_t h[40];
      uint64_t l1_offset, len;
      uint32_t l1_size;
      g_autofree uint64_t *l1 = NULL;

      if (vmm_image_pread_full (s->fd, h, sizeof h, pos) < 0)
        break;
      l1_offset = qcow2_be64 (h);
      l1_size = qcow2_be32 (h + 8);
      len = 40 + (uint64_t) qcow2_be32 (h + 36) + qcow2_be16 (h + 12) + qcow2_be16 (h + 14);
      pos += qcow2_align_up (len, 8);
      if ((l1_offset & (s->cluster_size - 1)) || (uint64_t) l1_size * 8 > QCOW2_MAX_L1_BYTES
          || l1_offset > s->file_size || (uint64_t) l1_size * 8 > s->file_size - l1_offset)
        {
          problem (c, true, "ERROR snapshot %u has a bad L1 table", i);
          continue;
        }
      l1 = g_new (uint64_t, MAX (l1_size, 1));
      if (vmm_image_pread_full (s->fd, l1, (size_t) l1_size * 8, l1_offset) < 0)
        continue;
      for (uint32_t j = 0; j < l1_size; j++)
        l1[j] = GUINT64_FROM_BE (l1[j]);
      check_l1 (c, l1, l1_offset, l1_size, false);
    }
  if (s->nb_snapshots > 0)
    add_ref (c, s->snapshots_offset, pos - s->snapshots_offset, "snapshot table");
}

bool
qcow2_check (VmmImage *img, VmmImageCheck *result,
             void (*report) (void *opaque, const char *line), void *opaque, GError **error)
{
  Qcow2State *s = img->priv;
  Check c = { .s = s, .res = result, .report = report, .opaque = opaque };

  g_mutex_lock (&s->lock);
  /* The check reads the tables from the file. */
  if (!img->read_only && qcow2_l2_writeback (s) < 0)
    {
      g_mutex_unlock (&s->lock);
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot write %s", img->path);
      return false;
    }
  c.n = qcow2_align_up (s->file_size, s->cluster_size) >> s->cluster_bits;
  c.refs = g_try_new0 (uint32_t, MAX (c.n, 1));
  if (c.refs == NULL)
    {
      g_mutex_unlock (&s->lock);
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED,
                   "Not enough memory to check %s", img->path);
      return false;
    }

  add_ref (&c, 0, s->cluster_size, "header");
  check_l1 (&c, s->l1, s->l1_offset, s->l1_size, true);
  check_snapshots (&c);
  add_ref (&c, s->rt_offset, (uint64_t) s->rt_clusters * s->cluster_size, "refcount table");
  for (uint64_t i = 0; i < s->rt_size; i++)
    {
      uint64_t blk = s->rt[i] & QCOW2_OFFSET_MASK;

      if (blk == 0)
        continue;
      if ((blk & (s->cluster_size - 1)) || (blk >> s->cluster_bits) >= c.n)
        problem (&c, true, "ERROR refcount block %" G_GUINT64_FORMAT " is misaligned or past the "
                 "end of the file", i);
      else
        add_ref (&c, blk, s->cluster_size, "refcount block");
    }

  for (uint64_t i = 0; i < c.n; i++)
    {
      uint64_t rc;

      if (qcow2_refcount_get (s, i, &rc) < 0)
        {
          problem (&c, true, "ERROR cannot read the refcount of cluster %" G_GUINT64_FORMAT, i);
          continue;
        }
      if (rc > c.refs[i])
        problem (&c, false, "Leaked cluster %" G_GUINT64_FORMAT " refcount=%" G_GUINT64_FORMAT
                 " reference=%u", i, rc, c.refs[i]);
      else if (rc < c.refs[i])
        problem (&c, true, "ERROR cluster %" G_GUINT64_FORMAT " refcount=%" G_GUINT64_FORMAT
                 " reference=%u", i, rc, c.refs[i]);
      if (c.refs[i] > 0)
        result->allocated_clusters++;
    }
  result->total_clusters = (img->size + s->cluster_size - 1) >> s->cluster_bits;
  g_mutex_unlock (&s->lock);
  g_free (c.refs);
  return true;
}
