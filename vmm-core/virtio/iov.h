/* iov.h: copying between an element's segments and flat buffers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stddef.h>
#include <sys/uio.h>

/* Copy at most @len bytes starting @offset bytes into @iov; return the
 * number of bytes copied (short when the segments end first). */
size_t vmm_iov_to_buf   (const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len);
size_t vmm_iov_from_buf (const struct iovec *iov, unsigned n, size_t offset, const void *buf, size_t len);
size_t vmm_iov_size     (const struct iovec *iov, unsigned n);
/* Fills @dst with the part of @iov from @offset on, at most @len bytes;
 * returns the number of segments used (at most @dst_n). */
unsigned vmm_iov_slice  (const struct iovec *iov, unsigned n, size_t offset, size_t len,
                         struct iovec *dst, unsigned dst_n);
