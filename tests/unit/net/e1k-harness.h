/* e1k-harness.h: the e1000e model on a fake platform (guest RAM, an
 * interrupt line and MSI recorded) and a fake back-end, driven through
 * its registers as a driver would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "net/e1000e-private.h"
#include "devices/pci.h"

#include <glib.h>

#define EH_RAM_SIZE   (1u << 20)
#define EH_GSI        5
#define EH_RX_RING    0x1000u     /* descriptor rings and buffers in guest RAM */
#define EH_TX_RING    0x2000u
#define EH_RX_BUFS    0x10000u
#define EH_TX_BUFS    0x40000u

typedef struct {
  VmmNetBackend parent;
  const VmmNetPeerOps *peer;
  void *peer_opaque;
  GPtrArray *sent;          /* GBytes */
  gboolean full;
  unsigned rx_resumes;
} EhBackend;

typedef struct {
  VmmPlatform platform;
  uint8_t *ram;
  VmmPciDevice *dev;
  VmmE1000e *e;
  EhBackend *be;            /* owned by the device */
  gboolean irq_level;
  unsigned irq_edges;       /* rising edges of INTx */
  unsigned msi_count;
  uint32_t last_msi_data;
} Eh;

void     eh_init  (Eh *h, gboolean rx_csum_valid);
void     eh_clear (Eh *h);
uint32_t eh_rd    (Eh *h, uint32_t reg);
void     eh_wr    (Eh *h, uint32_t reg, uint32_t v);
/* Frames from the guest, and frames to it as the back-end would. */
ssize_t  eh_receive (Eh *h, const void *frame, size_t len);
/* Enables MSI-X with vector v's message data 0x100 + v. */
void     eh_enable_msix (Eh *h);

static const uint8_t eh_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
