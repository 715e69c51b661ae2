/* raw.c: a raw image is the guest's disk byte for byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-private.h"

static int
raw_read (VmmImage *img, void *buf, uint64_t offset, size_t len)
{
  return vmm_image_pread_full (img->fd, buf, len, offset);
}

static int
raw_write (VmmImage *img, const void *buf, uint64_t offset, size_t len)
{
  return vmm_image_pwrite_full (img->fd, buf, len, offset);
}

static int
raw_flush (VmmImage *img)
{
  return fdatasync (img->fd) < 0 ? -errno : 0;
}

static int
write_zero_buffer (VmmImage *img, uint64_t offset, uint64_t len)
{
  g_autofree uint8_t *zeros = g_malloc0 (MIN (len, 1u << 20));

  while (len > 0)
    {
      size_t n = (size_t) MIN (len, 1u << 20);
      int r = vmm_image_pwrite_full (img->fd, zeros, n, offset);

      if (r < 0)
        return r;
      offset += n;
      len -= n;
    }
  return 0;
}

static int
raw_write_zeroes (VmmImage *img, uint64_t offset, uint64_t len)
{
  /* Filesystems without ZERO_RANGE (tmpfs before 6.x, NFS) still get
   * zeros, just by writing them. */
  if (fallocate (img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t) offset,
                 (off_t) len) == 0)
    return 0;
  return write_zero_buffer (img, offset, len);
}

static int
raw_discard (VmmImage *img, uint64_t offset, uint64_t len)
{
  /* Punching a hole both frees the space and reads back zeros; where the
   * filesystem cannot, the guest only asked for a hint. */
  (void) fallocate (img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) offset,
                    (off_t) len);
  return 0;
}

static const VmmImageOps raw_ops = {
  .read = raw_read,
  .write = raw_write,
  .flush = raw_flush,
  .discard = raw_discard,
  .write_zeroes = raw_write_zeroes,
};

bool
vmm_raw_open (VmmImage *img, GError **error)
{
  struct stat st;

  if (fstat (img->fd, &st) < 0)
    {
      int e = errno;

      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "Cannot stat %s: %s",
                   img->path, g_strerror (e));
      return false;
    }
  img->ops = &raw_ops;
  img->size = (uint64_t) st.st_size;
  return true;
}
