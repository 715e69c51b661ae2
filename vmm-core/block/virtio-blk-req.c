/* virtio-blk-req.c: checking a virtio-blk request (virtio 1.x, 5.2.6)
 * before anything touches the disk.
 *
 * The element's segments are guest memory the driver may rewrite while
 * we look: every header is copied out once and checked in the copy. The
 * layout does not depend on how the driver split the buffers (any layout
 * is allowed since virtio 1.0): the header is the first 16 readable bytes,
 * the status the last writable byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <endian.h>
#include <string.h>

#include "block/virtio-blk-private.h"
#include "virtio/iov.h"

#define SECTOR 512u
#define HEADER_LEN 16u
#define RANGE_LEN 16u

static void
done (VmmVirtioBlkParsed *out, uint8_t status)
{
  out->verdict = VMM_VIRTIO_BLK_DONE;
  out->status = status;
}

/* [sector, sector + bytes) lies on the disk; bytes is a multiple of 512. */
static bool
in_range (const VmmVirtioBlkLimits *lim, uint64_t sector, uint64_t bytes)
{
  return sector <= lim->capacity && bytes / SECTOR <= lim->capacity - sector;
}

/* Discard and write-zeroes carry one range: we offer max_*_seg = 1, so a
 * driver sending more broke the limit it was given. */
static uint8_t
parse_range (const VmmVirtioBlkLimits *lim, const VmmVirtqElem *elem, uint32_t type,
             VmmVirtioBlkParsed *out)
{
  struct virtio_blk_discard_write_zeroes range;
  uint64_t sector;
  uint32_t num, flags, max;

  if (lim->read_only || elem->out_len != HEADER_LEN + RANGE_LEN
      || vmm_iov_to_buf (elem->iov, elem->n_out, HEADER_LEN, &range, sizeof range) != sizeof range)
    return VIRTIO_BLK_S_IOERR;
  sector = le64toh (range.sector);
  num = le32toh (range.num_sectors);
  flags = le32toh (range.flags);
  if (type == VIRTIO_BLK_T_DISCARD)
    {
      /* 5.2.6.2: discard takes no flags, unmap included. */
      if (flags != 0)
        return VIRTIO_BLK_S_UNSUPP;
      max = lim->max_discard_sectors;
      out->op = VMM_BLOCK_OP_DISCARD;
    }
  else
    {
      if (flags & ~(uint32_t) VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
        return VIRTIO_BLK_S_UNSUPP;
      max = lim->max_write_zeroes_sectors;
      out->op = VMM_BLOCK_OP_WRITE_ZEROES;
    }
  if (num > max || !in_range (lim, sector, (uint64_t) num * SECTOR))
    return VIRTIO_BLK_S_IOERR;
  out->offset = sector * SECTOR;
  out->len = (uint64_t) num * SECTOR;
  return VIRTIO_BLK_S_OK;
}

/* Fills @out for a READ/WRITE/FLUSH/DISCARD/WRITE_ZEROES to run and
 * returns OK, or returns the status to answer with at once (setting
 * *@answered for a GET_ID, which is complete with OK). */
static uint8_t
parse_request (const VmmVirtioBlkLimits *lim, const VmmVirtqElem *elem, struct iovec *data,
               VmmVirtioBlkParsed *out, bool *answered)
{
  struct virtio_blk_outhdr hdr;
  const struct iovec *in_iov = elem->iov + elem->n_out;
  uint64_t sector, len;
  uint32_t type;

  if (elem->out_len < HEADER_LEN
      || vmm_iov_to_buf (elem->iov, elem->n_out, 0, &hdr, sizeof hdr) != sizeof hdr)
    return VIRTIO_BLK_S_IOERR;
  type = le32toh (hdr.type);
  sector = le64toh (hdr.sector);

  switch (type)
    {
    case VIRTIO_BLK_T_IN:
      len = elem->in_len - 1;
      if (len % SECTOR != 0 || !in_range (lim, sector, len))
        return VIRTIO_BLK_S_IOERR;
      out->op = VMM_BLOCK_OP_READ;
      out->n_data = vmm_iov_slice (in_iov, elem->n_in, 0, len, data, elem->n_in);
      out->data_written = (uint32_t) len;
      break;

    case VIRTIO_BLK_T_OUT:
      len = elem->out_len - HEADER_LEN;
      if (lim->read_only || len % SECTOR != 0 || !in_range (lim, sector, len))
        return VIRTIO_BLK_S_IOERR;
      out->op = VMM_BLOCK_OP_WRITE;
      out->n_data = vmm_iov_slice (elem->iov, elem->n_out, HEADER_LEN, len, data, elem->n_out);
      break;

    case VIRTIO_BLK_T_FLUSH:
      out->op = VMM_BLOCK_OP_FLUSH;
      return VIRTIO_BLK_S_OK;

    case VIRTIO_BLK_T_GET_ID:
      {
        /* NUL-padded, unterminated at 20 bytes; a shorter buffer gets
         * what fits. */
        size_t n = (size_t) MIN (elem->in_len - 1, (uint64_t) VMM_VIRTIO_BLK_SERIAL_LEN);

        vmm_iov_from_buf (in_iov, elem->n_in, 0, lim->serial, n);
        out->data_written = (uint32_t) n;
        *answered = true;
        return VIRTIO_BLK_S_OK;
      }

    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
      return parse_range (lim, elem, type, out);

    default:
      return VIRTIO_BLK_S_UNSUPP;
    }

  out->offset = sector * SECTOR;
  out->len = len;
  return VIRTIO_BLK_S_OK;
}

void
vmm_virtio_blk_parse (const VmmVirtioBlkLimits *lim, const VmmVirtqElem *elem,
                      struct iovec *data, VmmVirtioBlkParsed *out)
{
  bool answered = false;
  uint8_t status;

  memset (out, 0, sizeof *out);
  if (elem->in_len == 0)
    {
      /* Nowhere to say anything: the request goes back untouched. */
      out->verdict = VMM_VIRTIO_BLK_DROP;
      return;
    }
  status = parse_request (lim, elem, data, out, &answered);
  if (answered)
    {
      done (out, status);
      return;
    }
  if (status != VIRTIO_BLK_S_OK)
    {
      out->n_data = 0;
      out->data_written = 0;
      done (out, status);
      return;
    }
  out->verdict = VMM_VIRTIO_BLK_IO;
}

void
vmm_virtio_blk_put_status (const VmmVirtqElem *elem, uint8_t status)
{
  if (elem->in_len > 0)
    vmm_iov_from_buf (elem->iov + elem->n_out, elem->n_in, elem->in_len - 1, &status, 1);
}
