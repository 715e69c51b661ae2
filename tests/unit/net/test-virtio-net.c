/* test-virtio-net.c: the virtio-net model driven by the virtio test
 * driver (rings in a memory buffer) over a fake back-end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net-harness.h"
#include "net-frames.h"
#include "vireo-vmm.h"

#include <errno.h>
#include <string.h>

#define HDR VMM_VIRTIO_NET_HDR_LEN
#define WAIT_MS 5000
#define BASE_FEATURES (NH_F_VERSION_1 | NH_F_EVENT_IDX | NH_F_MRG_RXBUF | NH_F_GUEST_CSUM)

static void
fill_pattern (uint8_t *p, size_t len, uint8_t seed)
{
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t) (seed + i * 7);
}

static void
test_config (void)
{
  Nh nh;
  uint64_t f;

  nh_init (&nh, 0, 9000);
  f = vtd_device_features (nh.vtd);
  g_assert_true (f & (1ULL << VIRTIO_NET_F_MAC));
  g_assert_true (f & (1ULL << VIRTIO_NET_F_STATUS));
  g_assert_true (f & NH_F_MRG_RXBUF);
  g_assert_true (f & NH_F_GUEST_CSUM);
  g_assert_true (f & (1ULL << VIRTIO_NET_F_MTU));
  g_assert_true (f & NH_F_VERSION_1);
  g_assert_true (f & NH_F_CSUM);
  /* The fake back-end takes TSO frames. */
  g_assert_true (f & NH_F_HOST_TSO4);
  /* Nothing we would have to implement and do not. */
  g_assert_false (f & (1ULL << VIRTIO_NET_F_HOST_TSO6));
  g_assert_false (f & (1ULL << VIRTIO_NET_F_HOST_UFO));
  g_assert_false (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4));
  g_assert_false (f & (1ULL << VIRTIO_NET_F_CTRL_VQ));
  g_assert_false (f & (1ULL << VIRTIO_NET_F_MQ));

  for (unsigned i = 0; i < 6; i++)
    g_assert_cmphex (vtd_config_read (nh.vtd, i, 1), ==, nh_mac[i]);
  g_assert_cmphex (vtd_config_read (nh.vtd, 6, 2), ==, VIRTIO_NET_S_LINK_UP);
  g_assert_cmpuint (vtd_config_read (nh.vtd, 8, 2), ==, 1);
  g_assert_cmpuint (vtd_config_read (nh.vtd, 10, 2), ==, 9000);
  /* The MAC is not writable without the control queue. */
  vtd_config_write (nh.vtd, 0, 0xff, 1);
  g_assert_cmphex (vtd_config_read (nh.vtd, 0, 1), ==, nh_mac[0]);
  nh_clear (&nh);

  /* Without an MTU there is no MTU feature. */
  nh_init (&nh, 0, 0);
  g_assert_false (vtd_device_features (nh.vtd) & (1ULL << VIRTIO_NET_F_MTU));
  nh_clear (&nh);
}

static void
test_bad_config (void)
{
  VmmVirtioNetConfig config = { .mac = { 0x01, 2, 3, 4, 5, 6 } };
  VmmVirtioDeviceDesc desc;
  g_autoptr (GError) error = NULL;

  g_assert_null (vmm_virtio_net_create (&config, NULL, &desc, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "multicast"));
}

static void
test_mac_from_seed (void)
{
  uint8_t a[6], b[6], c[6];

  vmm_net_mac_from_seed ("0f7e3bd2-5a6c-4d8e-9f10-111213141516", a);
  vmm_net_mac_from_seed ("0f7e3bd2-5a6c-4d8e-9f10-111213141516", b);
  vmm_net_mac_from_seed ("another machine", c);
  g_assert_cmpmem (a, 6, b, 6);
  g_assert_true (memcmp (a, c, 6) != 0);
  g_assert_cmphex (a[0] & 3, ==, 2);
  g_assert_cmphex (c[0] & 3, ==, 2);
}

/* A frame from the guest: the header, then the frame split over
 * @nseg descriptors. */
static void
send_guest_frame (Nh *nh, const uint8_t *frame, size_t len, unsigned nseg, const void *hdr)
{
  VtdBuf bufs[8];
  uint64_t h = vtd_alloc (nh->vtd, HDR, 8), d = vtd_alloc (nh->vtd, len, 8);
  size_t per = len / nseg, off = 0;

  memcpy (vtd_ptr (nh->vtd, h), hdr, HDR);
  memcpy (vtd_ptr (nh->vtd, d), frame, len);
  bufs[0] = (VtdBuf) { h, HDR, FALSE };
  for (unsigned i = 0; i < nseg; i++)
    {
      size_t l = i + 1 == nseg ? len - off : per;
      bufs[1 + i] = (VtdBuf) { d + off, (uint32_t) l, FALSE };
      off += l;
    }
  vtd_add_chain (nh->vtd, NH_TXQ, bufs, 1 + nseg, FALSE);
  vtd_kick (nh->vtd, NH_TXQ);
}

static void
test_tx (void)
{
  Nh nh;
  uint8_t frame[1514], hdr[HDR] = { 0 };
  uint32_t id, len;
  g_autoptr (GBytes) sent = NULL, sent2 = NULL;

  nh_init (&nh, BASE_FEATURES, 0);
  fill_pattern (frame, sizeof frame, 1);
  send_guest_frame (&nh, frame, sizeof frame, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, 0);
  g_assert_true (nh_wait_sent (&nh, 1, WAIT_MS));
  sent = nh_sent (&nh, 0);
  g_assert_cmpmem (g_bytes_get_data (sent, NULL), g_bytes_get_size (sent), frame, sizeof frame);

  /* The same over several segments (the driver's scatter-gather). */
  fill_pattern (frame, 60, 9);
  send_guest_frame (&nh, frame, 60, 4, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_true (nh_wait_sent (&nh, 2, WAIT_MS));
  sent2 = nh_sent (&nh, 1);
  g_assert_cmpmem (g_bytes_get_data (sent2, NULL), g_bytes_get_size (sent2), frame, 60);
  g_assert_cmpuint (nh_stats (&nh).tx_frames, ==, 2);
  g_assert_cmpuint (vtd_msi_count (nh.vtd), >=, 1);
  nh_clear (&nh);
}

/* Malformed transmit chains are given back and counted; nothing reaches
 * the back-end, and the device keeps working. */
static void
test_tx_malformed (void)
{
  Nh nh;
  uint8_t frame[64] = { 0 }, hdr[HDR] = { 0 };
  uint32_t id, len;
  uint64_t short_hdr;
  VtdBuf buf;
  VmmVirtioNetStats stats;

  nh_init (&nh, BASE_FEATURES, 0);

  /* Header too short: 8 bytes in all. */
  short_hdr = vtd_alloc (nh.vtd, 8, 8);
  buf = (VtdBuf) { short_hdr, 8, FALSE };
  vtd_add_chain (nh.vtd, NH_TXQ, &buf, 1, FALSE);
  vtd_kick (nh.vtd, NH_TXQ);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));

  /* GSO we never offered. */
  hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
  send_guest_frame (&nh, frame, sizeof frame, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  hdr[1] = 0;

  /* A frame shorter than an ethernet header. */
  send_guest_frame (&nh, frame, 10, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));

  /* Only writable buffers: no header at all. */
  buf = (VtdBuf) { vtd_alloc (nh.vtd, 64, 8), 64, TRUE };
  vtd_add_chain (nh.vtd, NH_TXQ, &buf, 1, FALSE);
  vtd_kick (nh.vtd, NH_TXQ);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, 0);

  stats = nh_stats (&nh);
  g_assert_cmpuint (stats.tx_bad_header, ==, 3);
  g_assert_cmpuint (stats.tx_bad_size, ==, 1);
  g_assert_cmpuint (nh_sent_count (&nh), ==, 0);

  /* Still working. */
  send_guest_frame (&nh, frame, sizeof frame, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_true (nh_wait_sent (&nh, 1, WAIT_MS));
  g_assert_false (vtd_status (nh.vtd) & 0x40);
  nh_clear (&nh);
}

/* A full back-end leaves frames in the ring; tx_resume sends them. */
static void
test_tx_backpressure (void)
{
  Nh nh;
  uint8_t frame[100], hdr[HDR] = { 0 };
  uint32_t id, len;

  nh_init (&nh, BASE_FEATURES, 0);
  fill_pattern (frame, sizeof frame, 3);
  nh_set_full (&nh, TRUE);
  send_guest_frame (&nh, frame, sizeof frame, 1, hdr);
  g_assert_false (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, 200));
  g_assert_cmpuint (nh_sent_count (&nh), ==, 0);
  g_assert_cmpuint (nh_stats (&nh).tx_waits, >=, 1);

  nh_set_full (&nh, FALSE);
  nh_tx_resume (&nh);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_true (nh_wait_sent (&nh, 1, WAIT_MS));
  nh_clear (&nh);
}

/* A TCP/IPv4 frame as a driver with CSUM hands it over: the checksum
 * field holds the pseudo-header sum, csum_start/csum_offset say where. */
static size_t
partial_tcp_frame (uint8_t *f, size_t payload_len, uint8_t *hdr, uint16_t *correct)
{
  g_autofree uint8_t *payload = g_malloc (payload_len);
  uint8_t *tcp = f + ETH_HLEN_ + IP_HLEN_;
  uint32_t src = frames_ip ("10.0.2.15"), dst = frames_ip ("10.0.2.2");
  uint32_t tcp_len = (uint32_t) (20 + payload_len), pseudo;
  size_t len;

  fill_pattern (payload, payload_len, 7);
  len = frames_tcp (f, broadcast_mac, src, 40000, dst, 80, 1, 2, 0x18, payload, payload_len);
  *correct = frames_get16 (tcp + 16);
  pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + tcp_len;
  while (pseudo >> 16)
    pseudo = (pseudo & 0xffff) + (pseudo >> 16);
  frames_put16 (tcp + 16, (uint16_t) pseudo);

  memset (hdr, 0, HDR);
  hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  hdr[6] = ETH_HLEN_ + IP_HLEN_;        /* csum_start, little-endian */
  hdr[8] = 16;                          /* csum_offset */
  return len;
}

static void
test_tx_csum_tso (void)
{
  Nh nh;
  g_autofree uint8_t *frame = g_malloc (VMM_NET_MAX_FRAME);
  uint8_t hdr[HDR];
  uint16_t correct;
  uint32_t id, len;
  size_t flen;
  g_autoptr (GBytes) sent = NULL, sent_tso = NULL;
  const uint8_t *d;

  nh_init (&nh, BASE_FEATURES | NH_F_CSUM | NH_F_HOST_TSO4, 0);

  /* Checksum offload on an ordinary frame. */
  flen = partial_tcp_frame (frame, 1000, hdr, &correct);
  send_guest_frame (&nh, frame, flen, 3, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_true (nh_wait_sent (&nh, 1, WAIT_MS));
  sent = nh_sent (&nh, 0);
  d = g_bytes_get_data (sent, NULL);
  g_assert_cmpuint (g_bytes_get_size (sent), ==, flen);
  g_assert_cmphex (frames_get16 (d + ETH_HLEN_ + IP_HLEN_ + 16), ==, correct);
  /* Everything else as the guest wrote it. */
  g_assert_cmpmem (d, ETH_HLEN_ + IP_HLEN_ + 16, frame, ETH_HLEN_ + IP_HLEN_ + 16);
  g_assert_cmpmem (d + ETH_HLEN_ + IP_HLEN_ + 18, flen - (ETH_HLEN_ + IP_HLEN_ + 18),
                   frame + ETH_HLEN_ + IP_HLEN_ + 18, flen - (ETH_HLEN_ + IP_HLEN_ + 18));

  /* A TSO frame: 30000 bytes of payload go to the back-end whole. */
  flen = partial_tcp_frame (frame, 30000, hdr, &correct);
  hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
  hdr[4] = 1460 & 0xff;                 /* gso_size */
  hdr[5] = 1460 >> 8;
  hdr[2] = ETH_HLEN_ + IP_HLEN_ + 20;   /* hdr_len */
  send_guest_frame (&nh, frame, flen, 5, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_true (nh_wait_sent (&nh, 2, WAIT_MS));
  sent_tso = nh_sent (&nh, 1);
  d = g_bytes_get_data (sent_tso, NULL);
  g_assert_cmpuint (g_bytes_get_size (sent_tso), ==, flen);
  g_assert_cmphex (frames_get16 (d + ETH_HLEN_ + IP_HLEN_ + 16), ==, correct);

  /* TSO without NEEDS_CSUM, and a checksum field past the frame's end. */
  hdr[0] = 0;
  send_guest_frame (&nh, frame, flen, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  flen = partial_tcp_frame (frame, 10, hdr, &correct);
  hdr[6] = 0xf0;
  hdr[7] = 0xff;
  send_guest_frame (&nh, frame, flen, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  hdr[6] = (uint8_t) (flen - 1);
  hdr[7] = 0;
  hdr[8] = 0;
  send_guest_frame (&nh, frame, flen, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (nh_stats (&nh).tx_bad_header, ==, 3);
  g_assert_cmpuint (nh_sent_count (&nh), ==, 2);
  nh_clear (&nh);

  /* The same TSO frame when TSO was not negotiated. */
  nh_init (&nh, BASE_FEATURES | NH_F_CSUM, 0);
  flen = partial_tcp_frame (frame, 3000, hdr, &correct);
  hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
  send_guest_frame (&nh, frame, flen, 1, hdr);
  g_assert_true (vtd_wait_used (nh.vtd, NH_TXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (nh_stats (&nh).tx_bad_header, ==, 1);
  g_assert_cmpuint (nh_sent_count (&nh), ==, 0);
  nh_clear (&nh);
}

static uint64_t
post_rx (Nh *nh, uint32_t len, gboolean writable)
{
  uint64_t gpa = vtd_alloc (nh->vtd, len, 8);
  VtdBuf buf = { gpa, len, writable };

  vtd_add_chain (nh->vtd, NH_RXQ, &buf, 1, FALSE);
  return gpa;
}

static void
test_rx (void)
{
  Nh nh;
  uint8_t frame[100];
  uint64_t gpa;
  uint32_t id, len;
  const struct virtio_net_hdr_mrg_rxbuf *hdr;

  nh_init (&nh, BASE_FEATURES, 0);
  gpa = post_rx (&nh, 2048, TRUE);
  vtd_kick (nh.vtd, NH_RXQ);
  fill_pattern (frame, sizeof frame, 5);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, sizeof frame);
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, HDR + sizeof frame);
  hdr = vtd_ptr (nh.vtd, gpa);
  g_assert_cmpuint (le16toh (hdr->num_buffers), ==, 1);
  g_assert_cmphex (hdr->hdr.flags, ==, VIRTIO_NET_HDR_F_DATA_VALID);
  g_assert_cmpuint (hdr->hdr.gso_type, ==, VIRTIO_NET_HDR_GSO_NONE);
  g_assert_cmpmem ((uint8_t *) vtd_ptr (nh.vtd, gpa) + HDR, sizeof frame, frame, sizeof frame);
  g_assert_cmpuint (nh_stats (&nh).rx_frames, ==, 1);
  nh_clear (&nh);

  /* Without GUEST_CSUM the guest checks the checksums itself. */
  nh_init (&nh, NH_F_VERSION_1 | NH_F_MRG_RXBUF, 0);
  gpa = post_rx (&nh, 2048, TRUE);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, sizeof frame);
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  hdr = vtd_ptr (nh.vtd, gpa);
  g_assert_cmphex (hdr->hdr.flags, ==, 0);
  nh_clear (&nh);
}

/* A frame over several mergeable buffers, the first of them posted
 * before the frame came and kept while the rest was missing. */
static void
test_rx_mergeable (void)
{
  Nh nh;
  uint8_t frame[150], out[150];
  uint64_t gpa[3];
  uint32_t id, len[3];
  const struct virtio_net_hdr_mrg_rxbuf *hdr;
  size_t off = 0;

  nh_init (&nh, BASE_FEATURES, 0);
  fill_pattern (frame, sizeof frame, 11);
  gpa[0] = post_rx (&nh, 64, TRUE);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, 0);
  g_assert_cmpuint (vtd_used_pending (nh.vtd, NH_RXQ), ==, 0);
  g_assert_cmpuint (nh_stats (&nh).rx_no_buffers, ==, 1);

  /* The driver adds buffers and kicks: the device asks the back-end. */
  gpa[1] = post_rx (&nh, 64, TRUE);
  gpa[2] = post_rx (&nh, 64, TRUE);
  vtd_kick (nh.vtd, NH_RXQ);
  {
    gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
    while (g_atomic_int_get (&nh.be->rx_resumes) < 2 && g_get_monotonic_time () < end)
      g_usleep (200);
    /* One at start, one for the kick. */
    g_assert_cmpint (g_atomic_int_get (&nh.be->rx_resumes), >=, 2);
  }
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, sizeof frame);
  for (unsigned i = 0; i < 3; i++)
    g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len[i], WAIT_MS));
  g_assert_cmpuint (len[0], ==, 64);
  g_assert_cmpuint (len[1], ==, 64);
  g_assert_cmpuint (len[2], ==, HDR + sizeof frame - 128);
  hdr = vtd_ptr (nh.vtd, gpa[0]);
  g_assert_cmpuint (le16toh (hdr->num_buffers), ==, 3);
  memcpy (out, (uint8_t *) vtd_ptr (nh.vtd, gpa[0]) + HDR, 64 - HDR);
  off = 64 - HDR;
  memcpy (out + off, vtd_ptr (nh.vtd, gpa[1]), 64);
  off += 64;
  memcpy (out + off, vtd_ptr (nh.vtd, gpa[2]), sizeof frame - off);
  g_assert_cmpmem (out, sizeof out, frame, sizeof frame);
  nh_clear (&nh);
}

/* Read-only and header-less receive buffers are returned unused; the
 * frame goes into the next good one. */
static void
test_rx_bad_buffers (void)
{
  Nh nh;
  uint8_t frame[80];
  uint64_t good;
  uint32_t id, len;
  VmmVirtioNetStats stats;

  nh_init (&nh, BASE_FEATURES, 0);
  fill_pattern (frame, sizeof frame, 2);
  post_rx (&nh, 2048, FALSE);
  post_rx (&nh, 8, TRUE);
  good = post_rx (&nh, 2048, TRUE);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, sizeof frame);
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, 0);
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, 0);
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, HDR + sizeof frame);
  g_assert_cmpmem ((uint8_t *) vtd_ptr (nh.vtd, good) + HDR, sizeof frame, frame, sizeof frame);
  stats = nh_stats (&nh);
  g_assert_cmpuint (stats.rx_bad_buffer, ==, 2);
  g_assert_cmpuint (stats.rx_frames, ==, 1);
  nh_clear (&nh);
}

/* Without mergeable buffers a frame must fit one buffer. */
static void
test_rx_too_small (void)
{
  Nh nh;
  uint8_t frame[150];
  uint64_t gpa;
  uint32_t id, len;

  nh_init (&nh, NH_F_VERSION_1 | NH_F_EVENT_IDX, 0);
  fill_pattern (frame, sizeof frame, 4);
  gpa = post_rx (&nh, 64, TRUE);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, -EMSGSIZE);
  g_assert_cmpuint (nh_stats (&nh).rx_too_big, ==, 1);
  g_assert_cmpuint (vtd_used_pending (nh.vtd, NH_RXQ), ==, 0);
  /* The buffer was kept for a frame that fits. */
  g_assert_cmpint (nh_receive (&nh, frame, 40), ==, 40);
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, HDR + 40);
  g_assert_cmpuint (le16toh (((struct virtio_net_hdr_mrg_rxbuf *) vtd_ptr (nh.vtd, gpa))->num_buffers),
                    ==, 1);
  nh_clear (&nh);

  /* With mergeable buffers, a frame larger than the whole ring. */
  nh_init (&nh, BASE_FEATURES, 0);
  for (unsigned i = 0; i < vtd_queue_size (nh.vtd, NH_RXQ); i++)
    post_rx (&nh, 16, TRUE);
  {
    g_autofree uint8_t *big = g_malloc0 (9000);
    g_assert_cmpint (nh_receive (&nh, big, 9000), ==, -EMSGSIZE);
  }
  g_assert_cmpuint (nh_stats (&nh).rx_too_big, ==, 1);
  g_assert_cmpint (nh_receive (&nh, frame, 20), ==, 20);
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  g_assert_true (vtd_wait_used (nh.vtd, NH_RXQ, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, HDR + 20 - 16);
  nh_clear (&nh);
}

static void
test_rx_reset (void)
{
  Nh nh;
  uint8_t frame[60] = { 0 };

  nh_init (&nh, 0, 0);
  /* Before the driver is ready, frames are refused. */
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, -ENETDOWN);
  g_assert_true (vtd_init (nh.vtd, BASE_FEATURES, 0, TRUE));
  post_rx (&nh, 64, TRUE);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, 0);
  /* A reset with a chain in the stash: it is dropped, not pushed. */
  vtd_bar_write (nh.vtd, 0x14, 0, 1);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, -ENETDOWN);
  g_assert_true (vtd_init (nh.vtd, BASE_FEATURES, 0, TRUE));
  post_rx (&nh, 2048, TRUE);
  g_assert_cmpint (nh_receive (&nh, frame, sizeof frame), ==, sizeof frame);
  nh_clear (&nh);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/virtio-net/config", test_config);
  g_test_add_func ("/net/virtio-net/bad-config", test_bad_config);
  g_test_add_func ("/net/virtio-net/mac-from-seed", test_mac_from_seed);
  g_test_add_func ("/net/virtio-net/tx", test_tx);
  g_test_add_func ("/net/virtio-net/tx-malformed", test_tx_malformed);
  g_test_add_func ("/net/virtio-net/tx-backpressure", test_tx_backpressure);
  g_test_add_func ("/net/virtio-net/tx-csum-tso", test_tx_csum_tso);
  g_test_add_func ("/net/virtio-net/rx", test_rx);
  g_test_add_func ("/net/virtio-net/rx-mergeable", test_rx_mergeable);
  g_test_add_func ("/net/virtio-net/rx-bad-buffers", test_rx_bad_buffers);
  g_test_add_func ("/net/virtio-net/rx-too-small", test_rx_too_small);
  g_test_add_func ("/net/virtio-net/rx-reset", test_rx_reset);
  return g_test_run ();
}
