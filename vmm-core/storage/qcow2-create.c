/* qcow2-create.c: writing a new, empty qcow2 (version 3) image.
 *
 * Layout: header cluster, refcount table, refcount blocks, L1 table. The
 * refcount table is sized for the fully allocated image up front, so that
 * it only has to grow (qcow2-refcount.c) when snapshots or repeated
 * reallocation push the file past that.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "qcow2-private.h"

#define CREATE_HEADER_LEN 112 /* v3 header + compression type, padded */
#define CREATE_REFCOUNT_ORDER 4

static bool
probe_backing (const char *path, const char *backing, const char **format, uint64_t *size,
               GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *full = g_path_is_absolute (backing) ? g_strdup (backing)
                                                       : g_build_filename (dir, backing, NULL);
  VmmImageFormat fmt = VMM_IMAGE_FORMAT_AUTO;
  g_autoptr(VmmImage) img = NULL;

  if (*format != NULL && !vmm_image_format_parse (*format, &fmt))
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "Unknown backing format \"%s\" (use raw or qcow2)", *format);
      return false;
    }
  img = vmm_image_open (full, fmt, true, error);
  if (img == NULL)
    return false;
  *format = vmm_image_format_name (img->format);
  if (*size == 0)
    *size = img->size;
  return true;
}

static uint64_t
div_up (uint64_t a, uint64_t b)
{
  return (a + b - 1) / b;
}

bool
vmm_image_create_qcow2 (const char *path, uint64_t size, uint32_t cluster_size,
                        const char *backing_file, const char *backing_format, GError **error)
{
  uint64_t cs = cluster_size ? cluster_size : 65536;
  unsigned bits = (unsigned) g_bit_storage (cs) - 1;
  uint64_t rbe, l1_size, l1c, rtc = 1, rbc = 1, total, l2_reach;
  g_autofree uint8_t *hdr = NULL;
  g_autofree uint8_t *rt = NULL;
  g_autofree uint8_t *blocks = NULL;
  size_t pos, name_len = backing_file ? strlen (backing_file) : 0;
  int fd, r = 0;

  if ((cs & (cs - 1)) != 0 || bits < QCOW2_MIN_CLUSTER_BITS || bits > QCOW2_MAX_CLUSTER_BITS)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                   "Cluster size must be a power of two from 512 to 2097152");
      return false;
    }
  if (backing_file != NULL
      && (name_len == 0 || name_len > QCOW2_MAX_BACKING_NAME
          || !probe_backing (path, backing_file, &backing_format, &size, error)))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                     "Backing file name must be 1 to %d bytes", QCOW2_MAX_BACKING_NAME);
      return false;
    }
  size = qcow2_align_up (size, 512);
  l2_reach = cs * (cs / 8);
  l1_size = MAX (1, div_up (size, l2_reach));
  if (size > INT64_MAX / 2 || l1_size * 8 > QCOW2_MAX_L1_BYTES)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                   "Disk size too large for a cluster size of %" G_GUINT64_FORMAT, cs);
      return false;
    }
  l1c = div_up (l1_size * 8, cs);
  rbe = cs * 8 / (1u << CREATE_REFCOUNT_ORDER);

  /* Iterate to a fixed point: the metadata counts itself. */
  for (unsigned i = 0; i < 8; i++)
    {
      uint64_t full;

      total = 1 + rtc + rbc + l1c;
      rbc = div_up (total, rbe);
      full = total + div_up (size, cs) + l1_size;
      rtc = MIN (div_up (div_up (full, rbe) * 8, cs), QCOW2_MAX_REFTABLE_BYTES / cs);
      rtc = MAX (rtc, div_up (rbc * 8, cs));
    }
  total = 1 + rtc + rbc + l1c;
  if (div_up (total, rbe) > rbc || rbc * 8 > rtc * cs)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                   "Disk size too large for a cluster size of %" G_GUINT64_FORMAT, cs);
      return false;
    }

  hdr = g_malloc0 (cs);
  qcow2_put_be32 (hdr, QCOW2_MAGIC);
  qcow2_put_be32 (hdr + 4, 3);
  qcow2_put_be32 (hdr + 20, bits);
  qcow2_put_be64 (hdr + 24, size);
  qcow2_put_be32 (hdr + 36, (uint32_t) l1_size);
  qcow2_put_be64 (hdr + 40, (1 + rtc + rbc) * cs);
  qcow2_put_be64 (hdr + 48, cs);
  qcow2_put_be32 (hdr + 56, (uint32_t) rtc);
  qcow2_put_be32 (hdr + 96, CREATE_REFCOUNT_ORDER);
  qcow2_put_be32 (hdr + 100, CREATE_HEADER_LEN);
  pos = CREATE_HEADER_LEN;
  if (backing_file != NULL)
    {
      size_t flen = strlen (backing_format);

      qcow2_put_be32 (hdr + pos, QCOW2_EXT_BACKING_FORMAT);
      qcow2_put_be32 (hdr + pos + 4, (uint32_t) flen);
      memcpy (hdr + pos + 8, backing_format, flen);
      pos += 8 + qcow2_align_up (flen, 8);
    }
  pos += 8; /* end of extensions: type 0, length 0 */
  if (backing_file != NULL)
    {
      if (pos + name_len > cs)
        {
          g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                       "Backing file name too long for a cluster size of %" G_GUINT64_FORMAT, cs);
          return false;
        }
      memcpy (hdr + pos, backing_file, name_len);
      qcow2_put_be64 (hdr + 8, pos);
      qcow2_put_be32 (hdr + 16, (uint32_t) name_len);
    }

  rt = g_malloc0 (rtc * cs);
  for (uint64_t i = 0; i < rbc; i++)
    qcow2_put_be64 (rt + i * 8, (1 + rtc + i) * cs);
  blocks = g_malloc0 (rbc * cs);
  for (uint64_t c = 0; c < total; c++)
    blocks[c * 2 + 1] = 1; /* 16-bit big-endian refcount of 1 */

  fd = vmm_image_create_file (path, error);
  if (fd < 0)
    return false;
  /* The L1 table is all zeros: extending the file provides it. */
  if (ftruncate (fd, (off_t) (total * cs)) < 0)
    r = -errno;
  if (r == 0)
    r = vmm_image_pwrite_full (fd, hdr, cs, 0);
  if (r == 0)
    r = vmm_image_pwrite_full (fd, rt, rtc * cs, cs);
  if (r == 0)
    r = vmm_image_pwrite_full (fd, blocks, rbc * cs, (1 + rtc) * cs);
  if (r == 0 && fsync (fd) < 0)
    r = -errno;
  close (fd);
  if (r < 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot write %s: %s", path,
                   g_strerror (-r));
      unlink (path);
      return false;
    }
  return true;
}
