/* net-harness.h: virtio-net under the virtio test driver, with a fake
 * back-end that records what the guest sends and lets the test deliver
 * frames as a back-end thread would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "net/virtio-net-private.h"
#include "virtio-test-driver.h"

#include <glib.h>

#define NH_RXQ VMM_VIRTIO_NET_RXQ
#define NH_TXQ VMM_VIRTIO_NET_TXQ

#define NH_F_VERSION_1 (1ULL << 32)
#define NH_F_EVENT_IDX (1ULL << 29)
#define NH_F_MRG_RXBUF (1ULL << VIRTIO_NET_F_MRG_RXBUF)
#define NH_F_GUEST_CSUM (1ULL << VIRTIO_NET_F_GUEST_CSUM)
#define NH_F_CSUM (1ULL << VIRTIO_NET_F_CSUM)
#define NH_F_HOST_TSO4 (1ULL << VIRTIO_NET_F_HOST_TSO4)

typedef struct {
  VmmNetBackend parent;
  GMutex lock;
  const VmmNetPeerOps *peer;
  void *peer_opaque;
  GPtrArray *sent;          /* GBytes, the frames the guest sent */
  gint full;                /* can_send says no */
  gint rx_resumes;
  VmmIoLoop *loop;          /* where the NIC attached us */
} NhBackend;

typedef struct {
  Vtd *vtd;
  VmmVirtioNet *net;
  NhBackend *be;            /* owned by the device */
} Nh;

/* A device with @mac, initialised by the driver with @features. */
void     nh_init     (Nh *nh, uint64_t features, unsigned mtu);
void     nh_clear    (Nh *nh);
/* Delivers a frame as the back-end's thread would; returns what the
 * device's receive callback returned. */
ssize_t  nh_receive  (Nh *nh, const void *frame, size_t len);
/* Frames the guest sent so far. */
unsigned nh_sent_count (Nh *nh);
GBytes  *nh_sent     (Nh *nh, unsigned i);
/* Forgets the frames sent so far. */
void     nh_sent_reset (Nh *nh);
/* Waits until the back-end saw @n frames. */
gboolean nh_wait_sent (Nh *nh, unsigned n, unsigned timeout_ms);
void     nh_set_full (Nh *nh, gboolean full);
/* What a back-end does when room comes back. */
void     nh_tx_resume (Nh *nh);
VmmVirtioNetStats nh_stats (Nh *nh);

static const uint8_t nh_mac[6] = { 0x5a, 0x11, 0x22, 0x33, 0x44, 0x55 };
