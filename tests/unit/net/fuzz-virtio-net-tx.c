/* fuzz-virtio-net-tx.c: arbitrary transmit chains into virtio-net.
 *
 * The input is a chain: a segment count, then per segment a length and
 * whether it is device-writable, then the bytes of the readable segments
 * (header included, so every header field is the fuzzer's). Readable
 * segments are laid out first, as the virtqueue code requires of any
 * chain it hands out. Every chain must come back as used, and whatever
 * reaches the back-end must be exactly the bytes behind the header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net-harness.h"

#include <string.h>

#define MAX_SEGS 8
#define DATA_SIZE (MAX_SEGS * 16384)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static Nh nh;
static uint64_t area;
static gboolean ready;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  VtdBuf bufs[MAX_SEGS];
  unsigned n, n_read = 0;
  size_t pos = 1, off = 0, out_len = 0;
  uint8_t expect[DATA_SIZE];
  uint32_t id, len;

  if (!ready)
    {
      nh_init (&nh, NH_F_VERSION_1 | NH_F_EVENT_IDX | NH_F_MRG_RXBUF | NH_F_GUEST_CSUM
               | NH_F_CSUM | NH_F_HOST_TSO4, 0);
      area = vtd_alloc (nh.vtd, DATA_SIZE, 16);
      ready = TRUE;
    }
  if (size < 1)
    return 0;
  n = 1 + data[0] % MAX_SEGS;
  if (size < 1 + 3 * (size_t) n)
    return 0;

  /* Readable segments first, then writable ones. */
  for (int pass = 0; pass < 2; pass++)
    for (unsigned i = 0; i < n; i++)
      {
        const uint8_t *d = data + 1 + 3 * i;
        uint32_t l = (uint32_t) (d[0] | d[1] << 8) % 16384;
        gboolean w = d[2] & 1;

        if (w != (pass == 1))
          continue;
        bufs[n_read++] = (VtdBuf) { area + off, l, w };
        off += l;
      }
  pos = 1 + 3 * (size_t) n;

  memset (vtd_ptr (nh.vtd, area), 0, DATA_SIZE);
  for (unsigned i = 0; i < n; i++)
    if (!bufs[i].write)
      {
        size_t take = MIN ((size_t) bufs[i].len, size - pos);
        memcpy (vtd_ptr (nh.vtd, bufs[i].gpa), data + pos, take);
        memcpy (expect + out_len, data + pos, take);
        memset (expect + out_len + take, 0, bufs[i].len - take);
        pos += take;
        out_len += bufs[i].len;
      }

  nh_sent_reset (&nh);
  vtd_add_chain (nh.vtd, NH_TXQ, bufs, n, FALSE);
  vtd_kick (nh.vtd, NH_TXQ);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, 5000));
  g_assert_cmpuint (len, ==, 0);

  if (nh_sent_count (&nh) > 0)
    {
      g_autoptr (GBytes) frame = nh_sent (&nh, 0);
      uint8_t *want = expect + VMM_VIRTIO_NET_HDR_LEN;
      size_t want_len = out_len - VMM_VIRTIO_NET_HDR_LEN;

      g_assert_cmpuint (nh_sent_count (&nh), ==, 1);
      g_assert_cmpuint (out_len, >=, VMM_VIRTIO_NET_HDR_LEN + VMM_NET_MIN_FRAME);
      g_assert_cmpuint (g_bytes_get_size (frame), ==, want_len);
      if (expect[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM)
        {
          /* The device filled in the checksum field: take its value, and
           * check that the range sums up as a receiver would verify it,
           * the driver's partial sum (the field's old value) standing in
           * for the pseudo-header. */
          size_t start = (size_t) (expect[6] | expect[7] << 8);
          size_t field = start + (size_t) (expect[8] | expect[9] << 8);
          const uint8_t *got = g_bytes_get_data (frame, NULL);
          uint32_t sum;

          g_assert_cmpuint (field + 2, <=, want_len);
          sum = (uint32_t) (want[field] << 8 | want[field + 1]);
          want[field] = got[field];
          want[field + 1] = got[field + 1];
          /* A field at an odd distance from csum_start straddles two
           * 16-bit words: garbage from the guest, with no sum to verify. */
          if ((field - start) % 2 == 0)
            {
              for (size_t i = start; i < want_len; i += 2)
                sum += (uint32_t) (got[i] << 8 | (i + 1 < want_len ? got[i + 1] : 0));
              while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
              g_assert_cmphex (sum, ==, 0xffff);
            }
        }
      g_assert_cmpmem (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), want, want_len);
    }
  g_assert_false (vtd_status (nh.vtd) & 0x40);
  return 0;
}
