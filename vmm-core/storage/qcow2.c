/* qcow2.c: opening a qcow2 image (header, extensions, tables, backing
 * file) and the read path. Format: QEMU's docs/interop/qcow2.txt.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "qcow2-private.h"

bool
vmm_qcow2_probe (const uint8_t *buf, size_t len)
{
  return len >= 8 && qcow2_be32 (buf) == QCOW2_MAGIC
         && (qcow2_be32 (buf + 4) == 2 || qcow2_be32 (buf + 4) == 3);
}

static bool
invalid (GError **error, const char *path, const char *what)
{
  g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID, "%s is not a valid qcow2 image: %s",
               path, what);
  return false;
}

/* ---- L2 cache ---------------------------------------------------------- */

int
qcow2_get_l2 (Qcow2State *s, uint64_t l2_offset, Qcow2L2Slot **slot)
{
  Qcow2L2Slot *victim = &s->l2_cache[0];
  int r;

  for (unsigned i = 0; i < s->l2_slots; i++)
    {
      Qcow2L2Slot *c = &s->l2_cache[i];

      if (c->offset == l2_offset && l2_offset != 0)
        {
          c->stamp = ++s->l2_stamp;
          *slot = c;
          return 0;
        }
      if (victim->offset != 0 && (c->offset == 0 || c->stamp < victim->stamp))
        victim = c;
    }

  if (!qcow2_cluster_ok (s, l2_offset) || l2_offset + s->cluster_size > s->file_size)
    return -EIO;
  if (victim->dirty)
    {
      r = qcow2_l2_writeback (s);
      if (r < 0)
        return r;
    }
  victim->offset = 0;
  r = vmm_image_pread_full (s->fd, victim->table, s->cluster_size, l2_offset);
  if (r < 0)
    return r;
  victim->offset = l2_offset;
  victim->stamp = ++s->l2_stamp;
  *slot = victim;
  return 0;
}

/* The L2 cache is write-back: new mappings reach the file only here, and
 * only after a flush has made the data and refcounts they point to
 * durable. Until then a crash loses the unflushed writes (which the guest
 * had not flushed either) and leaks their clusters; it never leaves an
 * entry pointing at unwritten data or an uncounted cluster. */
int
qcow2_l2_writeback (Qcow2State *s)
{
  bool synced = false;
  int r;

  for (unsigned i = 0; i < s->l2_slots; i++)
    {
      Qcow2L2Slot *c = &s->l2_cache[i];

      if (!c->dirty)
        continue;
      if (!synced && fdatasync (s->fd) < 0)
        return -errno;
      synced = true;
      r = vmm_image_pwrite_full (s->fd, c->table, s->cluster_size, c->offset);
      if (r < 0)
        return r;
      c->dirty = false;
    }
  return 0;
}

int
qcow2_lookup (Qcow2State *s, uint64_t offset, uint64_t *entry)
{
  uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
  uint64_t l2_index = (offset >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
  uint64_t l2_offset;
  Qcow2L2Slot *slot;
  int r;

  *entry = 0;
  if (l1_index >= s->l1_size)
    return -EIO;
  l2_offset = s->l1[l1_index] & QCOW2_OFFSET_MASK;
  if (l2_offset == 0)
    return 0;
  r = qcow2_get_l2 (s, l2_offset, &slot);
  if (r < 0)
    return r;
  *entry = GUINT64_FROM_BE (slot->table[l2_index]);
  return 0;
}

/* ---- reading ----------------------------------------------------------- */

int
qcow2_compressed_range (Qcow2State *s, uint64_t entry, uint64_t *host, uint64_t *len)
{
  unsigned x = 62 - (s->cluster_bits - 8);
  uint64_t off = entry & ((1ull << x) - 1);
  uint64_t sectors = ((entry >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;

  /* The count is of 512-byte sectors from the one holding @off, so the
   * data may end up to 511 bytes short of the last one. */
  *host = off;
  *len = sectors * 512 - (off & 511);
  if (off < s->cluster_size || off >= s->file_size || qcow2_is_metadata (s, off)
      || qcow2_is_metadata (s, off + *len - 1))
    return -EIO;
  return 0;
}

static int
read_compressed (Qcow2State *s, uint64_t entry)
{
  uint64_t host, len;
  z_stream z = { 0 };
  int r, zr;

  if (s->zbuf_valid && s->zbuf_entry == entry)
    return 0;
  s->zbuf_valid = false;
  r = qcow2_compressed_range (s, entry, &host, &len);
  if (r < 0)
    return r;
  /* Past end of file reads as zeros: QEMU ends files mid-sector. */
  r = vmm_image_pread_full (s->fd, s->zin, len, host);
  if (r < 0)
    return r;

  /* Raw deflate with a 4 KiB window, as QEMU writes it. The output must be
   * exactly one cluster; zlib bounds both buffers itself. */
  if (inflateInit2 (&z, -12) != Z_OK)
    return -ENOMEM;
  z.next_in = s->zin;
  z.avail_in = (uInt) len;
  z.next_out = s->zbuf;
  z.avail_out = (uInt) s->cluster_size;
  zr = inflate (&z, Z_FINISH);
  inflateEnd (&z);
  if ((zr != Z_STREAM_END && zr != Z_BUF_ERROR) || z.avail_out != 0)
    return -EIO;
  s->zbuf_entry = entry;
  s->zbuf_valid = true;
  return 0;
}

static int
read_backing (Qcow2State *s, uint8_t *buf, uint64_t offset, size_t len)
{
  uint64_t bsize = s->backing ? vmm_image_get_size (s->backing) : 0;
  size_t n = offset < bsize ? (size_t) MIN (len, bsize - offset) : 0;

  memset (buf + n, 0, len - n);
  return n > 0 ? vmm_image_read (s->backing, buf, offset, n) : 0;
}

int
qcow2_read_cluster_part (Qcow2State *s, uint64_t virtual_size, uint8_t *buf, uint64_t offset,
                         size_t len)
{
  uint64_t in_cluster = offset & (s->cluster_size - 1);
  uint64_t entry, host;
  int r;

  r = qcow2_lookup (s, offset, &entry);
  if (r < 0)
    return r;

  if (entry & QCOW2_OFLAG_COMPRESSED)
    {
      r = read_compressed (s, entry);
      if (r == 0)
        memcpy (buf, s->zbuf + in_cluster, len);
      return r;
    }
  if (entry & QCOW2_L2_RESERVED)
    return -EIO;
  if (s->version >= 3 && (entry & QCOW2_OFLAG_ZERO))
    {
      memset (buf, 0, len);
      return 0;
    }
  host = entry & QCOW2_OFFSET_MASK;
  if (host == 0)
    return read_backing (s, buf, offset, len);
  if (!qcow2_cluster_ok (s, host) || qcow2_is_metadata (s, host))
    return -EIO;
  return vmm_image_pread_full (s->fd, buf, len, host + in_cluster);
}

/* The host offset of a plain allocated cluster that may be read directly,
 * or 0 for anything else (compressed, zero, unallocated, or invalid: the
 * per-cluster path deals with those). */
static uint64_t
plain_host (Qcow2State *s, uint64_t entry)
{
  uint64_t host = entry & QCOW2_OFFSET_MASK;

  if ((entry & (QCOW2_OFLAG_COMPRESSED | QCOW2_L2_RESERVED))
      || (s->version >= 3 && (entry & QCOW2_OFLAG_ZERO)) || host == 0
      || !qcow2_cluster_ok (s, host) || qcow2_is_metadata (s, host))
    return 0;
  return host;
}

static int
qcow2_read (VmmImage *img, void *buf, uint64_t offset, size_t len)
{
  Qcow2State *s = img->priv;
  uint8_t *p = buf;
  int r = 0;

  g_mutex_lock (&s->lock);
  while (len > 0 && r == 0)
    {
      uint64_t in_cluster = offset & (s->cluster_size - 1);
      size_t n = (size_t) MIN (len, s->cluster_size - in_cluster);
      uint64_t entry, host;

      r = qcow2_lookup (s, offset, &entry);
      host = r == 0 ? plain_host (s, entry) : 0;
      if (host == 0)
        {
          r = qcow2_read_cluster_part (s, img->size, p, offset, n);
        }
      else
        {
          /* Clusters allocated one after another (a sequential write, a
           * converted image) are read with one pread. */
          while (n < len)
            {
              uint64_t next;
              size_t more = (size_t) MIN (len - n, s->cluster_size);

              if (qcow2_lookup (s, offset + n, &next) < 0
                  || plain_host (s, next) != host + in_cluster + n)
                break;
              n += more;
            }
          r = vmm_image_pread_full (s->fd, p, n, host + in_cluster);
        }
      p += n;
      offset += n;
      len -= n;
    }
  g_mutex_unlock (&s->lock);
  return r;
}

/* ---- open -------------------------------------------------------------- */

static char *
feature_name (const uint8_t *table, size_t table_len, unsigned type, unsigned bit)
{
  for (size_t i = 0; i + 48 <= table_len; i += 48)
    if (table[i] == type && table[i + 1] == bit)
      {
        g_autofree char *name = g_strndup ((const char *) table + i + 2, 46);

        if (g_utf8_validate (name, -1, NULL))
          return g_steal_pointer (&name);
      }
  return g_strdup_printf ("unknown feature bit %u", bit);
}

static bool
check_incompat (VmmImage *img, Qcow2State *s, const uint8_t *ftable, size_t ftable_len,
                uint8_t compression_type, GError **error)
{
  uint64_t known = QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_COMPRESSION;
  g_autoptr(GString) names = NULL;

  if (s->incompat & QCOW2_INCOMPAT_DATA_FILE)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s keeps its data in an external file, which Vireo does not support",
                   img->path);
      return false;
    }
  if ((s->incompat & QCOW2_INCOMPAT_COMPRESSION) && compression_type != 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s uses compression type %u; Vireo reads only zlib-compressed qcow2",
                   img->path, compression_type);
      return false;
    }
  if ((s->incompat & ~known) == 0)
    return true;

  names = g_string_new (NULL);
  for (unsigned bit = 0; bit < 64; bit++)
    if ((s->incompat & ~known) & (1ull << bit))
      {
        g_autofree char *name = feature_name (ftable, ftable_len, 0, bit);

        g_string_append_printf (names, "%s%s", names->len ? ", " : "", name);
      }
  g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
               "%s uses qcow2 features Vireo does not support: %s", img->path, names->str);
  return false;
}

/* Header extensions follow the header up to the end of the first cluster
 * (or the backing file name, which QEMU stores after them). */
static bool
parse_extensions (VmmImage *img, Qcow2State *s, const uint8_t *hdr, size_t hdr_len,
                  uint64_t backing_offset, uint8_t compression_type, GError **error)
{
  size_t pos = s->header_length;
  size_t end = hdr_len;
  const uint8_t *ftable = NULL;
  size_t ftable_len = 0;

  if (backing_offset > pos && backing_offset < end)
    end = (size_t) backing_offset;
  while (pos + 8 <= end)
    {
      uint32_t type = qcow2_be32 (hdr + pos);
      uint32_t len = qcow2_be32 (hdr + pos + 4);

      pos += 8;
      if (type == QCOW2_EXT_END)
        break;
      if (len > end - pos)
        return invalid (error, img->path, "a header extension runs past the header");
      if (type == QCOW2_EXT_BACKING_FORMAT)
        {
          g_free (s->backing_format);
          s->backing_format = g_strndup ((const char *) hdr + pos, len);
        }
      else if (type == QCOW2_EXT_FEATURE_TABLE)
        {
          ftable = hdr + pos;
          ftable_len = len;
        }
      pos += qcow2_align_up (len, 8);
    }
  return check_incompat (img, s, ftable, ftable_len, compression_type, error);
}

static bool
read_table (VmmImage *img, Qcow2State *s, uint64_t offset, uint64_t entries, uint64_t **table,
            const char *what, GError **error)
{
  g_autofree char *msg = NULL;
  int r;

  if (entries == 0)
    {
      *table = NULL;
      return true;
    }
  if ((offset & (s->cluster_size - 1)) != 0 || offset == 0)
    {
      msg = g_strdup_printf ("the %s is not cluster-aligned", what);
      return invalid (error, img->path, msg);
    }
  if (offset > s->file_size || entries * 8 > s->file_size - offset)
    {
      msg = g_strdup_printf ("the %s lies past the end of the file", what);
      return invalid (error, img->path, msg);
    }
  *table = g_new (uint64_t, entries);
  r = vmm_image_pread_full (s->fd, *table, entries * 8, offset);
  if (r < 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot read %s: %s",
                   img->path, g_strerror (-r));
      return false;
    }
  for (uint64_t i = 0; i < entries; i++)
    (*table)[i] = GUINT64_FROM_BE ((*table)[i]);
  qcow2_mark_metadata (s, offset, entries * 8);
  return true;
}

/* The snapshot table is only walked far enough to know where it and the
 * snapshots' L1 and L2 tables are, so that no data cluster may point into
 * them; snapshots are otherwise left alone (the active L1 table is what
 * the guest sees; writes copy what a snapshot shares). */
static bool
mark_snapshot_tables (VmmImage *img, Qcow2State *s, uint64_t l1_offset, uint32_t l1_size,
                      GError **error)
{
  g_autofree uint64_t *l1 = NULL;

  if ((uint64_t) l1_size * 8 > QCOW2_MAX_L1_BYTES)
    return invalid (error, img->path, "a snapshot L1 table is too large");
  /* read_table checks the bounds and marks the table itself. */
  if (!read_table (img, s, l1_offset, l1_size, &l1, "snapshot L1 table", error))
    return false;
  for (uint32_t i = 0; i < l1_size; i++)
    if (l1[i] & QCOW2_OFFSET_MASK)
      qcow2_mark_metadata (s, l1[i] & QCOW2_OFFSET_MASK, s->cluster_size);
  return true;
}

static bool
scan_snapshots (VmmImage *img, Qcow2State *s, GError **error)
{
  uint64_t pos = s->snapshots_offset;

  if (s->nb_snapshots == 0)
    return true;
  if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
    return invalid (error, img->path, "too many snapshots");
  if (!qcow2_cluster_ok (s, pos))
    return invalid (error, img->path, "the snapshot table is misplaced");
  for (uint32_t i = 0; i < s->nb_snapshots; i++)
    {
      uint8_t h[40];
      uint64_t len;

      if (pos > s->file_size || s->file_size - pos < sizeof h
          || vmm_image_pread_full (s->fd, h, sizeof h, pos) < 0)
        return invalid (error, img->path, "the snapshot table lies past the end of the file");
      len = 40 + (uint64_t) qcow2_be32 (h + 36) + qcow2_be16 (h + 12) + qcow2_be16 (h + 14);
      pos += qcow2_align_up (len, 8);
      if (!mark_snapshot_tables (img, s, qcow2_be64 (h), qcow2_be32 (h + 8), error))
        return false;
    }
  if (pos > s->file_size)
    return invalid (error, img->path, "the snapshot table lies past the end of the file");
  qcow2_mark_metadata (s, s->snapshots_offset, pos - s->snapshots_offset);
  return true;
}

static bool
open_backing (VmmImage *img, Qcow2State *s, VmmImageChain *chain, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  VmmImageFormat fmt = VMM_IMAGE_FORMAT_AUTO;
  g_autoptr(GError) local = NULL;

  if (s->backing_format != NULL && !vmm_image_format_parse (s->backing_format, &fmt))
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s has a backing file of format \"%s\", which Vireo does not support",
                   img->path, s->backing_format);
      return false;
    }
  if (g_path_is_absolute (s->backing_file))
    path = g_strdup (s->backing_file);
  else
    {
      dir = g_path_get_dirname (img->path);
      path = g_build_filename (dir, s->backing_file, NULL);
    }
  img->backing = vmm_image_open_chain (path, fmt, true, chain, &local);
  if (img->backing == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "Backing file of %s: ",
                                  img->path);
      return false;
    }
  s->backing = img->backing;
  return true;
}

static void
qcow2_free_state (Qcow2State *s)
{
  for (unsigned i = 0; i < QCOW2_L2_CACHE_MAX; i++)
    g_free (s->l2_cache[i].table);
  g_free (s->l1);
  g_free (s->rt);
  g_free (s->backing_file);
  g_free (s->backing_format);
  g_clear_pointer (&s->metadata, g_hash_table_unref);
  g_free (s->zbuf);
  g_free (s->zin);
  g_mutex_clear (&s->lock);
  g_free (s);
}

static void
qcow2_close (VmmImage *img)
{
  Qcow2State *s = img->priv;

  if (s == NULL)
    return;
  if (!img->read_only)
    {
      if (qcow2_l2_writeback (s) < 0)
        g_warning ("%s: mappings written since the last flush are lost", img->path);
      (void) fdatasync (img->fd);
    }
  qcow2_free_state (s);
  img->priv = NULL;
}

static void
qcow2_info (VmmImage *img, VmmImageInfo *info)
{
  Qcow2State *s = img->priv;

  info->cluster_size = (uint32_t) s->cluster_size;
  info->version = s->version;
  info->refcount_bits = 1u << s->refcount_order;
  info->dirty = (s->incompat & QCOW2_INCOMPAT_DIRTY) != 0;
  info->corrupt = (s->incompat & QCOW2_INCOMPAT_CORRUPT) != 0;
  info->lazy_refcounts = (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0;
  info->nb_snapshots = s->nb_snapshots;
  info->backing_file = s->backing_file;
  info->backing_format = s->backing_format;
}

static const VmmImageOps qcow2_ops = {
  .read = qcow2_read,
  .write = qcow2_write,
  .flush = qcow2_flush,
  .discard = qcow2_write_zeroes,
  .write_zeroes = qcow2_write_zeroes,
  .close = qcow2_close,
  .info = qcow2_info,
  .check = qcow2_check,
};

/* Refuses, for writing, what would need repair or would be silently
 * damaged: we keep refcounts exact on every write instead of using lazy
 * refcounts, so a dirty image (left by QEMU with lazy refcounts) would need
 * its refcounts rebuilt first; that is qemu-img's job. */
static bool
check_writable (VmmImage *img, Qcow2State *s, GError **error)
{
  uint8_t zero[8] = { 0 };

  if (s->incompat & QCOW2_INCOMPAT_DIRTY)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s was not closed cleanly (its refcounts may be stale); "
                   "run \"qemu-img check -r all %s\" before using it", img->path, img->path);
      return false;
    }
  if (s->incompat & QCOW2_INCOMPAT_CORRUPT)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s is marked corrupt; run \"qemu-img check -r all %s\" to repair it",
                   img->path, img->path);
      return false;
    }
  /* Auto-clear features (persistent bitmaps) describe data we are about to
   * change without maintaining them: the spec says a writer that does not
   * know them clears the bits, which tells QEMU they are stale. */
  if (s->version >= 3 && s->autoclear != 0)
    {
      if (vmm_image_pwrite_full (s->fd, zero, 8, QCOW2_HDR_AUTOCLEAR) < 0
          || fdatasync (s->fd) < 0)
        {
          g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot write %s",
                       img->path);
          return false;
        }
      s->autoclear = 0;
    }
  return true;
}

static bool
parse_header (VmmImage *img, Qcow2State *s, const uint8_t *h, size_t hlen, uint64_t *backing_off,
              uint32_t *backing_len, GError **error)
{
  uint64_t size, l2_reach;
  uint8_t compression_type = 0;

  if (hlen < QCOW2_V2_HEADER_LEN || qcow2_be32 (h) != QCOW2_MAGIC)
    return invalid (error, img->path, "no qcow2 header");
  s->version = qcow2_be32 (h + 4);
  if (s->version != 2 && s->version != 3)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s is qcow2 version %u; Vireo supports versions 2 and 3", img->path,
                   s->version);
      return false;
    }
  *backing_off = qcow2_be64 (h + 8);
  *backing_len = qcow2_be32 (h + 16);
  s->cluster_bits = qcow2_be32 (h + 20);
  if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS || s->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
    return invalid (error, img->path, "cluster size out of range (512 B to 2 MiB)");
  s->cluster_size = 1ull << s->cluster_bits;
  hlen = (size_t) MIN (hlen, s->cluster_size);
  s->l2_bits = s->cluster_bits - 3;
  size = qcow2_be64 (h + 24);
  if (qcow2_be32 (h + 32) != 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s is encrypted, which Vireo does not support", img->path);
      return false;
    }
  s->l1_size = qcow2_be32 (h + 36);
  s->l1_offset = qcow2_be64 (h + 40);
  s->rt_offset = qcow2_be64 (h + 48);
  s->rt_clusters = qcow2_be32 (h + 56);
  s->nb_snapshots = qcow2_be32 (h + 60);
  s->snapshots_offset = qcow2_be64 (h + 64);
  s->refcount_order = 4;
  s->header_length = QCOW2_V2_HEADER_LEN;
  if (s->version >= 3)
    {
      if (hlen < QCOW2_V3_HEADER_LEN)
        return invalid (error, img->path, "truncated header");
      s->incompat = qcow2_be64 (h + 72);
      s->compat = qcow2_be64 (h + 80);
      s->autoclear = qcow2_be64 (h + 88);
      s->refcount_order = qcow2_be32 (h + 96);
      s->header_length = qcow2_be32 (h + 100);
      if (s->header_length < QCOW2_V3_HEADER_LEN || s->header_length > hlen
          || s->header_length % 8 != 0)
        return invalid (error, img->path, "bad header length");
      if (s->header_length > QCOW2_V3_HEADER_LEN)
        compression_type = h[104];
    }
  if (s->refcount_order > 6)
    return invalid (error, img->path, "refcount width out of range");
  s->rb_bits = s->cluster_bits + 3 - s->refcount_order;

  if ((uint64_t) s->l1_size * 8 > QCOW2_MAX_L1_BYTES)
    return invalid (error, img->path, "the L1 table is too large");
  l2_reach = 1ull << (s->cluster_bits + s->l2_bits);
  if (size > INT64_MAX || size > (uint64_t) s->l1_size * l2_reach)
    return invalid (error, img->path, "the L1 table is too small for the disk size");
  img->size = size;
  if (s->rt_clusters == 0 || (uint64_t) s->rt_clusters * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES)
    return invalid (error, img->path, "bad refcount table size");
  s->rt_size = ((uint64_t) s->rt_clusters * s->cluster_size) / 8;

  if (*backing_off != 0)
    {
      if (*backing_len == 0 || *backing_len > QCOW2_MAX_BACKING_NAME || *backing_off >= hlen
          || *backing_len > hlen - *backing_off)
        return invalid (error, img->path, "bad backing file name");
    }
  return parse_extensions (img, s, h, hlen, *backing_off, compression_type, error);
}

bool
vmm_qcow2_open (VmmImage *img, VmmImageChain *chain, GError **error)
{
  Qcow2State *s = g_new0 (Qcow2State, 1);
  g_autofree uint8_t *h = NULL;
  uint64_t backing_off;
  uint32_t backing_len;
  struct stat st;
  size_t hlen;

  g_mutex_init (&s->lock);
  s->fd = img->fd;
  s->metadata = g_hash_table_new (g_direct_hash, g_direct_equal);
  img->priv = s;
  img->ops = &qcow2_ops;

  if (fstat (img->fd, &st) < 0)
    return invalid (error, img->path, g_strerror (errno));
  s->file_size = (uint64_t) st.st_size;
  /* The header, its extensions and the backing name live in cluster 0;
   * read the largest possible cluster or the whole (shorter) file. */
  hlen = (size_t) MIN (s->file_size, 1ull << QCOW2_MAX_CLUSTER_BITS);
  h = g_malloc0 (MAX (hlen, 1));
  if (vmm_image_pread_full (img->fd, h, hlen, 0) < 0)
    return invalid (error, img->path, "cannot read the header");
  if (!parse_header (img, s, h, hlen, &backing_off, &backing_len, error))
    return false;

  if (!read_table (img, s, s->l1_offset, s->l1_size, &s->l1, "L1 table", error)
      || !read_table (img, s, s->rt_offset, s->rt_size, &s->rt, "refcount table", error))
    return false;
  for (uint32_t i = 0; i < s->l1_size; i++)
    if (s->l1[i] & QCOW2_OFFSET_MASK)
      qcow2_mark_metadata (s, s->l1[i] & QCOW2_OFFSET_MASK, s->cluster_size);
  for (uint64_t i = 0; i < s->rt_size; i++)
    if (s->rt[i] & QCOW2_OFFSET_MASK)
      qcow2_mark_metadata (s, s->rt[i] & QCOW2_OFFSET_MASK, s->cluster_size);
  if (!scan_snapshots (img, s, error))
    return false;

  s->l2_slots = (unsigned) CLAMP (QCOW2_L2_CACHE_BYTES / s->cluster_size, 4, QCOW2_L2_CACHE_MAX);
  for (unsigned i = 0; i < s->l2_slots; i++)
    s->l2_cache[i].table = g_malloc (s->cluster_size);
  s->zbuf = g_malloc (s->cluster_size);
  s->zin = g_malloc (s->cluster_size * 2);

  if (!img->read_only && !check_writable (img, s, error))
    return false;
  if (backing_off != 0)
    {
      s->backing_file = g_strndup ((const char *) h + backing_off, backing_len);
      if (strlen (s->backing_file) != backing_len)
        return invalid (error, img->path, "the backing file name contains a NUL byte");
      if (!open_backing (img, s, chain, error))
        return false;
    }
  return true;
}
