/* iov.c: copying between segment lists and flat buffers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio/iov.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

static size_t
iov_copy (const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len, int to_buf)
{
  size_t done = 0;

  for (unsigned i = 0; i < n && done < len; i++)
    {
      size_t seg = iov[i].iov_len, chunk;

      if (offset >= seg)
        {
          offset -= seg;
          continue;
        }
      chunk = MIN (seg - offset, len - done);
      if (to_buf)
        memcpy ((uint8_t *) buf + done, (uint8_t *) iov[i].iov_base + offset, chunk);
      else
        memcpy ((uint8_t *) iov[i].iov_base + offset, (const uint8_t *) buf + done, chunk);
      done += chunk;
      offset = 0;
    }
  return done;
}

size_t
vmm_iov_to_buf (const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len)
{
  return iov_copy (iov, n, offset, buf, len, 1);
}

size_t
vmm_iov_from_buf (const struct iovec *iov, unsigned n, size_t offset, const void *buf, size_t len)
{
  return iov_copy (iov, n, offset, (void *) buf, len, 0);
}

size_t
vmm_iov_size (const struct iovec *iov, unsigned n)
{
  size_t total = 0;

  for (unsigned i = 0; i < n; i++)
    total += iov[i].iov_len;
  return total;
}

unsigned
vmm_iov_slice (const struct iovec *iov, unsigned n, size_t offset, size_t len,
               struct iovec *dst, unsigned dst_n)
{
  unsigned used = 0;

  for (unsigned i = 0; i < n && len > 0 && used < dst_n; i++)
    {
      size_t seg = iov[i].iov_len, chunk;

      if (offset >= seg)
        {
          offset -= seg;
          continue;
        }
      chunk = MIN (seg - offset, len);
      dst[used].iov_base = (uint8_t *) iov[i].iov_base + offset;
      dst[used].iov_len = chunk;
      used++;
      len -= chunk;
      offset = 0;
    }
  return used;
}
