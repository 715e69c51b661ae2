/* virtio-net-private.h: the virtio-net model without its transport, for
 * virtio-net-pci.c and the unit tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "net/virtio-net.h"
#include "virtio/virtio.h"

#include <linux/virtio_net.h>

/* virtio 1.x always uses the 12-byte header (num_buffers included). */
#define VMM_VIRTIO_NET_HDR_LEN ((unsigned) sizeof (struct virtio_net_hdr_mrg_rxbuf))
/* mac[6], status, max_virtqueue_pairs, mtu */
#define VMM_VIRTIO_NET_CONFIG_SIZE 12u

enum {
  VMM_VIRTIO_NET_RXQ,
  VMM_VIRTIO_NET_TXQ,
  VMM_VIRTIO_NET_N_QUEUES,
};

typedef struct {
  uint64_t tx_frames;       /* handed to the back-end */
  uint64_t tx_bad_header;   /* chain shorter than the header, or GSO we did not offer */
  uint64_t tx_bad_size;     /* frame shorter than an ethernet header or too long */
  uint64_t tx_waits;        /* the back-end was full: the ring waited */
  uint64_t rx_frames;       /* delivered to the guest */
  uint64_t rx_bad_buffer;   /* read-only or header-sized-less buffers returned unused */
  uint64_t rx_too_big;      /* frames that fit no buffer the guest gave */
  uint64_t rx_no_buffers;   /* times the guest had no buffer: the back-end waited */
} VmmVirtioNetStats;

typedef struct _VmmVirtioNet VmmVirtioNet;

/* The device without its transport: @desc receives the description to
 * hand to vmm_virtio_pci_new (or a test transport). Takes @backend on
 * success. */
VmmVirtioNet *vmm_virtio_net_create (const VmmVirtioNetConfig *config, VmmNetBackend *backend,
                                     VmmVirtioDeviceDesc *desc, GError **error);
/* Connects the device to its transport. Returns 0 or -errno. */
int           vmm_virtio_net_attach (VmmVirtioNet *net, VmmVirtio *vio);
/* Frees a device that never reached a transport, back-end included. */
void          vmm_virtio_net_free   (VmmVirtioNet *net);
void          vmm_virtio_net_get_stats (VmmVirtioNet *net, VmmVirtioNetStats *stats);
