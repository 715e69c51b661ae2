/* test-virtio-net-slirp.c: virtio-net on the real libslirp back-end, as
 * the machine puts them together: the back-end attached to the card's
 * I/O thread, frames through the rings both ways.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/slirp.h"
#include "net/virtio-net-private.h"
#include "virtio-test-driver.h"

#include "net-frames.h"

#include <string.h>

#define HDR VMM_VIRTIO_NET_HDR_LEN
#define WAIT_MS 10000
#define F_VERSION_1 (1ULL << 32)
#define F_EVENT_IDX (1ULL << 29)

static void
test_dhcp_through_rings (void)
{
  VmmNetSlirpConfig scfg = { 0 };
  VmmVirtioNetConfig ncfg = { .mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
  g_autoptr (GError) error = NULL;
  VmmNetBackend *be = vmm_net_slirp_new (&scfg, &error);
  VmmVirtioDeviceDesc desc;
  VmmVirtioNet *net;
  Vtd *vtd;
  uint64_t rx[8], tx_hdr, tx_frame;
  uint8_t frame[1024];
  size_t len = frames_dhcp_discover (frame, 0xfeed);
  VtdBuf bufs[2];
  uint32_t id, used_len, yiaddr = 0;
  gboolean offered = FALSE;
  VmmVirtioNetStats stats;

  g_assert_no_error (error);
  net = vmm_virtio_net_create (&ncfg, be, &desc, &error);
  g_assert_no_error (error);
  vtd = vtd_new (&desc);
  g_assert_cmpint (vmm_virtio_net_attach (net, vtd_virtio (vtd)), ==, 0);
  g_assert_true (vtd_init (vtd, F_VERSION_1 | F_EVENT_IDX | (1ULL << VIRTIO_NET_F_MRG_RXBUF)
                                | (1ULL << VIRTIO_NET_F_GUEST_CSUM), 0, TRUE));

  for (unsigned i = 0; i < G_N_ELEMENTS (rx); i++)
    {
      VtdBuf b;

      rx[i] = vtd_alloc (vtd, 2048, 8);
      b = (VtdBuf) { rx[i], 2048, TRUE };
      vtd_add_chain (vtd, VMM_VIRTIO_NET_RXQ, &b, 1, FALSE);
    }
  vtd_kick (vtd, VMM_VIRTIO_NET_RXQ);

  tx_hdr = vtd_alloc (vtd, HDR, 8);
  tx_frame = vtd_alloc (vtd, len, 8);
  memcpy (vtd_ptr (vtd, tx_frame), frame, len);
  bufs[0] = (VtdBuf) { tx_hdr, HDR, FALSE };
  bufs[1] = (VtdBuf) { tx_frame, (uint32_t) len, FALSE };
  vtd_add_chain (vtd, VMM_VIRTIO_NET_TXQ, bufs, 2, FALSE);
  vtd_kick (vtd, VMM_VIRTIO_NET_TXQ);
  g_assert_true (vtd_wait_used (vtd, VMM_VIRTIO_NET_TXQ, &id, &used_len, WAIT_MS));

  /* The offer lands in one of the receive buffers (IPv6 router
   * advertisements may come first). */
  while (!offered && vtd_wait_used (vtd, VMM_VIRTIO_NET_RXQ, &id, &used_len, WAIT_MS))
    {
      const uint8_t *b;
      struct virtio_net_hdr_mrg_rxbuf hdr;

      /* One descriptor per chain, laid out from 0: the head is the index. */
      g_assert_cmpuint (id, <, G_N_ELEMENTS (rx));
      b = vtd_ptr (vtd, rx[id]);
      g_assert_cmpuint (used_len, >, HDR);
      memcpy (&hdr, b, sizeof hdr);
      g_assert_cmpuint (le16toh (hdr.num_buffers), ==, 1);
      offered = frames_dhcp_type (b + HDR, used_len - HDR, &yiaddr) == 2;
    }
  g_assert_true (offered);
  g_assert_cmphex (yiaddr, ==, frames_ip ("10.0.2.15"));

  vmm_virtio_net_get_stats (net, &stats);
  g_assert_cmpuint (stats.tx_frames, ==, 1);
  g_assert_cmpuint (stats.rx_frames, >=, 1);
  vtd_free (vtd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/virtio-net-slirp/dhcp-through-rings", test_dhcp_through_rings);
  return g_test_run ();
}
