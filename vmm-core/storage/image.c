/* image.c: opening, locking and format probing; dispatch to the drivers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-private.h"
#include "qcow2-private.h"

G_DEFINE_QUARK (vmm-image-error-quark, vmm_image_error)

const char *
vmm_image_format_name (VmmImageFormat format)
{
  switch (format)
    {
    case VMM_IMAGE_FORMAT_RAW:
      return "raw";
    case VMM_IMAGE_FORMAT_QCOW2:
      return "qcow2";
    case VMM_IMAGE_FORMAT_AUTO:
    default:
      return "auto";
    }
}

bool
vmm_image_format_parse (const char *name, VmmImageFormat *format)
{
  if (g_strcmp0 (name, "raw") == 0)
    *format = VMM_IMAGE_FORMAT_RAW;
  else if (g_strcmp0 (name, "qcow2") == 0)
    *format = VMM_IMAGE_FORMAT_QCOW2;
  else
    return false;
  return true;
}

int
vmm_image_pread_full (int fd, void *buf, size_t len, uint64_t offset)
{
  uint8_t *p = buf;

  while (len > 0)
    {
      ssize_t n = pread (fd, p, len, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      if (n == 0)
        {
          memset (p, 0, len);
          return 0;
        }
      p += n;
      len -= (size_t) n;
      offset += (uint64_t) n;
    }
  return 0;
}

int
vmm_image_pwrite_full (int fd, const void *buf, size_t len, uint64_t offset)
{
  const uint8_t *p = buf;

  while (len > 0)
    {
      ssize_t n = pwrite (fd, p, len, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      if (n == 0)
        return -EIO;
      p += n;
      len -= (size_t) n;
      offset += (uint64_t) n;
    }
  return 0;
}

/* An OFD lock belongs to this open file description, not to the process, so
 * two images in one process (two VMs) exclude each other just as two
 * processes do, and closing an unrelated fd on the same file keeps it. */
static bool
lock_image (int fd, const char *path, bool read_only, GError **error)
{
  struct flock fl = {
    .l_type = read_only ? F_RDLCK : F_WRLCK,
    .l_whence = SEEK_SET,
    .l_start = 0,
    .l_len = 0,
  };

  if (fcntl (fd, F_OFD_SETLK, &fl) == 0)
    return true;
  if (errno == EAGAIN || errno == EACCES)
    g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_LOCKED,
                 "%s is in use by another program", path);
  else
    g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED,
                 "Cannot lock %s: %s", path, g_strerror (errno));
  return false;
}

static VmmImageFormat
probe_format (int fd)
{
  uint8_t buf[8];

  if (vmm_image_pread_full (fd, buf, sizeof buf, 0) == 0 && vmm_qcow2_probe (buf, sizeof buf))
    return VMM_IMAGE_FORMAT_QCOW2;
  return VMM_IMAGE_FORMAT_RAW;
}

VmmImage *
vmm_image_open_chain (const char *path, VmmImageFormat format, bool read_only,
                      VmmImageChain *chain, GError **error)
{
  g_autoptr(VmmImage) img = NULL;
  struct stat st;
  bool ok;

  if (chain->depth > VMM_IMAGE_MAX_CHAIN)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                   "Backing chain of %s is longer than %d images", path, VMM_IMAGE_MAX_CHAIN);
      return NULL;
    }

  img = g_new0 (VmmImage, 1);
  img->fd = -1;
  img->path = g_strdup (path);
  img->read_only = read_only;
  img->fd = open (path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (img->fd < 0)
    {
      int e = errno;

      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot open %s: %s", path,
                   g_strerror (e));
      return NULL;
    }
  if (fstat (img->fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      /* Block devices would need their own size and flush handling. */
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED,
                   "%s is not a regular file", path);
      return NULL;
    }
  for (unsigned i = 0; i < chain->depth; i++)
    if (chain->dev[i] == st.st_dev && chain->ino[i] == st.st_ino)
      {
        g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                     "Backing chain loops: %s is its own backing file", path);
        return NULL;
      }
  chain->dev[chain->depth] = st.st_dev;
  chain->ino[chain->depth] = st.st_ino;

  if (!lock_image (img->fd, path, read_only, error))
    return NULL;

  img->format = format == VMM_IMAGE_FORMAT_AUTO ? probe_format (img->fd) : format;
  if (img->format == VMM_IMAGE_FORMAT_QCOW2)
    {
      chain->depth++;
      ok = vmm_qcow2_open (img, chain, error);
      chain->depth--;
    }
  else
    ok = vmm_raw_open (img, error);
  if (!ok)
    return NULL;
  return g_steal_pointer (&img);
}

VmmImage *
vmm_image_open (const char *path, VmmImageFormat format, bool read_only, GError **error)
{
  VmmImageChain chain = { 0 };

  g_return_val_if_fail (path != NULL, NULL);
  return vmm_image_open_chain (path, format, read_only, &chain, error);
}

void
vmm_image_close (VmmImage *img)
{
  if (img == NULL)
    return;
  if (img->ops != NULL && img->ops->close != NULL)
    img->ops->close (img);
  g_clear_pointer (&img->backing, vmm_image_close);
  if (img->fd >= 0)
    close (img->fd);
  g_free (img->path);
  g_free (img);
}

/* Requests past the end are refused here, once, for every driver. */
static int
check_range (VmmImage *img, uint64_t offset, uint64_t len)
{
  if (offset > img->size || len > img->size - offset)
    return -EINVAL;
  return 0;
}

int
vmm_image_read (VmmImage *img, void *buf, uint64_t offset, size_t len)
{
  int r = check_range (img, offset, len);

  if (r < 0 || len == 0)
    return r;
  return img->ops->read (img, buf, offset, len);
}

int
vmm_image_write (VmmImage *img, const void *buf, uint64_t offset, size_t len)
{
  int r = check_range (img, offset, len);

  if (img->read_only)
    return -EROFS;
  if (r < 0 || len == 0)
    return r;
  return img->ops->write (img, buf, offset, len);
}

int
vmm_image_flush (VmmImage *img)
{
  if (img->read_only)
    return 0;
  return img->ops->flush (img);
}

int
vmm_image_discard (VmmImage *img, uint64_t offset, uint64_t len)
{
  int r = check_range (img, offset, len);

  if (img->read_only)
    return -EROFS;
  if (r < 0 || len == 0)
    return r;
  return img->ops->discard (img, offset, len);
}

int
vmm_image_write_zeroes (VmmImage *img, uint64_t offset, uint64_t len)
{
  int r = check_range (img, offset, len);

  if (img->read_only)
    return -EROFS;
  if (r < 0 || len == 0)
    return r;
  return img->ops->write_zeroes (img, offset, len);
}

uint64_t
vmm_image_get_size (VmmImage *img)
{
  return img->size;
}

bool
vmm_image_is_read_only (VmmImage *img)
{
  return img->read_only;
}

const char *
vmm_image_get_path (VmmImage *img)
{
  return img->path;
}

int
vmm_image_get_fd (VmmImage *img)
{
  return img->fd;
}

VmmImageFormat
vmm_image_get_format (VmmImage *img)
{
  return img->format;
}

/* A qcow2 cluster that data can go to directly: allocated, not
 * compressed, not a zero cluster, inside the file and not metadata; for a
 * write also owned by this image alone (COPIED), as qcow2-write.c would
 * write it in place. */
static bool
qcow2_direct_entry (Qcow2State *s, uint64_t entry, bool write, uint64_t *host)
{
  *host = entry & QCOW2_OFFSET_MASK;
  if ((entry & (QCOW2_OFLAG_COMPRESSED | QCOW2_L2_RESERVED)) || *host == 0
      || (s->version >= 3 && (entry & QCOW2_OFLAG_ZERO)) || (write && !(entry & QCOW2_OFLAG_COPIED)))
    return false;
  return qcow2_cluster_ok (s, *host) && *host + s->cluster_size <= s->file_size
         && !qcow2_is_metadata (s, *host);
}

static int
qcow2_map (VmmImage *img, uint64_t offset, uint64_t len, bool write, uint64_t *host_offset)
{
  Qcow2State *s = img->priv;
  uint64_t in_cluster = offset & (s->cluster_size - 1);
  uint64_t pos = offset - in_cluster, end = offset + len, first = 0, expect = 0;
  int r = 1;

  g_mutex_lock (&s->lock);
  for (; pos < end && r == 1; pos += s->cluster_size)
    {
      uint64_t entry, host;
      int lr = qcow2_lookup (s, pos, &entry);

      if (lr < 0)
        {
          r = lr;
          break;
        }
      if (!qcow2_direct_entry (s, entry, write, &host) || (expect != 0 && host != expect))
        r = 0;
      if (expect == 0)
        first = host;
      expect = host + s->cluster_size;
    }
  g_mutex_unlock (&s->lock);
  if (r == 1)
    *host_offset = first + in_cluster;
  return r;
}

int
vmm_image_map (VmmImage *img, uint64_t offset, uint64_t len, bool write, uint64_t *host_offset)
{
  int r = check_range (img, offset, len);

  if (r < 0 || len == 0 || (write && img->read_only))
    return r < 0 ? r : 0;
  if (img->format == VMM_IMAGE_FORMAT_RAW)
    {
      *host_offset = offset;
      return 1;
    }
  return qcow2_map (img, offset, len, write, host_offset);
}

int
vmm_image_alloc (VmmImage *img, uint64_t offset, uint64_t len, VmmImageAlloc *alloc)
{
  int r = check_range (img, offset, len);

  if (r < 0 || len == 0 || img->read_only || img->format != VMM_IMAGE_FORMAT_QCOW2)
    return r < 0 ? r : 0;
  return qcow2_alloc_begin (img, offset, len, alloc);
}

int
vmm_image_alloc_commit (VmmImage *img, VmmImageAlloc *alloc, int result)
{
  g_return_val_if_fail (img->format == VMM_IMAGE_FORMAT_QCOW2, -EINVAL);
  return qcow2_alloc_commit (img, alloc, result);
}

VmmImage *
vmm_image_get_backing (VmmImage *img)
{
  return img->backing;
}

void
vmm_image_get_info (VmmImage *img, VmmImageInfo *info)
{
  memset (info, 0, sizeof *info);
  info->format = img->format;
  info->virtual_size = img->size;
  if (img->ops->info != NULL)
    img->ops->info (img, info);
}

bool
vmm_image_check (VmmImage *img, VmmImageCheck *result,
                 void (*report) (void *opaque, const char *line), void *opaque, GError **error)
{
  memset (result, 0, sizeof *result);
  if (img->ops->check == NULL)
    return true;
  return img->ops->check (img, result, report, opaque, error);
}

int
vmm_image_create_file (const char *path, GError **error)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  int e;

  if (fd < 0)
    {
      e = errno;
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot create %s: %s", path,
                   g_strerror (e));
      return -1;
    }
  /* Truncate only once the lock is ours: the file may be the disk of a
   * running machine. */
  if (!lock_image (fd, path, false, error))
    {
      close (fd);
      return -1;
    }
  if (ftruncate (fd, 0) < 0)
    {
      e = errno;
      close (fd);
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot truncate %s: %s",
                   path, g_strerror (e));
      return -1;
    }
  return fd;
}

bool
vmm_image_create_raw (const char *path, uint64_t size, GError **error)
{
  int fd = vmm_image_create_file (path, error);
  int e;

  if (fd < 0)
    return false;
  if (size > INT64_MAX || ftruncate (fd, (off_t) size) < 0 || fsync (fd) < 0)
    {
      e = size > INT64_MAX ? EFBIG : errno;
      close (fd);
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot size %s: %s", path,
                   g_strerror (e));
      return false;
    }
  close (fd);
  return true;
}
