/* virtio-test-driver.h: a virtio driver for unit tests.
 *
 * It plays the guest: guest RAM is a host buffer, the PCI function's BAR
 * is driven through its bus ops, rings are laid out in that RAM as a Linux
 * driver would, and interrupts land in counters. Device models under test
 * (blk, net, rng, gpu) are created with the real PCI transport on top of a
 * fake platform, so the transport is exercised by every device test too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "virtio/virtio.h"

#include <glib.h>
#include <stdint.h>

#define VTD_RAM_SIZE (16u << 20)

typedef struct {
  uint64_t gpa;
  uint32_t len;
  gboolean write;      /* device-writable */
} VtdBuf;

typedef struct _Vtd Vtd;

/* Creates the device's PCI function on a fake platform with VTD_RAM_SIZE
 * bytes of guest RAM at guest-physical 0. */
Vtd          *vtd_new           (const VmmVirtioDeviceDesc *desc);
/* The same for a device model whose constructor makes its own PCI
 * function on a platform (virtio-gpu's, virtio-net's). vtd_virtio() is
 * then NULL. */
typedef VmmPciDevice *(*VtdCtor) (VmmPlatform *platform, void *data, GError **error);
Vtd          *vtd_new_from      (VtdCtor ctor, void *data, unsigned n_queues);
void          vtd_free          (Vtd *vtd);
VmmVirtio    *vtd_virtio        (Vtd *vtd);
VmmPlatform  *vtd_platform      (Vtd *vtd);

/* Register access to the BAR (offsets inside it). */
uint64_t      vtd_bar_read      (Vtd *vtd, uint64_t offset, unsigned len);
void          vtd_bar_write     (Vtd *vtd, uint64_t offset, uint64_t value, unsigned len);
uint64_t      vtd_config_read   (Vtd *vtd, unsigned offset, unsigned len);
void          vtd_config_write  (Vtd *vtd, unsigned offset, uint64_t value, unsigned len);
uint8_t       vtd_status        (Vtd *vtd);
uint64_t      vtd_device_features (Vtd *vtd);

/* The whole initialisation (4.1.5.1 / 3.1.1): reset, ACKNOWLEDGE, DRIVER,
 * features, FEATURES_OK, queues of @queue_size (0: the device's maximum)
 * with rings in guest RAM, one MSI-X vector per queue when @msix, and
 * DRIVER_OK. Returns FALSE if the device refused the features. */
gboolean      vtd_init          (Vtd *vtd, uint64_t features, unsigned queue_size, gboolean msix);

/* Guest RAM. */
uint64_t      vtd_alloc         (Vtd *vtd, uint64_t len, uint64_t align);
void         *vtd_ptr           (Vtd *vtd, uint64_t gpa);

/* Chains. add_chain writes descriptors (direct, or one indirect table
 * when @indirect) and publishes the head; returns the head index. */
uint16_t      vtd_add_chain     (Vtd *vtd, unsigned q, const VtdBuf *bufs, unsigned n, gboolean indirect);
/* Raw access for malformed cases: write descriptor @idx of queue @q and
 * publish @head in the avail ring. */
void          vtd_write_desc    (Vtd *vtd, unsigned q, unsigned idx, uint64_t addr, uint32_t len,
                                 uint16_t flags, uint16_t next);
void          vtd_publish       (Vtd *vtd, unsigned q, uint16_t head);
void          vtd_kick          (Vtd *vtd, unsigned q);
/* Waits (up to @timeout_ms) for the next used entry of @q. */
gboolean      vtd_wait_used     (Vtd *vtd, unsigned q, uint32_t *id, uint32_t *len, unsigned timeout_ms);
/* Used entries not yet consumed by vtd_wait_used. */
unsigned      vtd_used_pending  (Vtd *vtd, unsigned q);
/* Waits until the status has @bits (NEEDS_RESET after a bad chain). */
gboolean      vtd_wait_status   (Vtd *vtd, uint8_t bits, unsigned timeout_ms);

/* Interrupts seen: MSIs (any vector) and the INTx line. */
unsigned      vtd_msi_count     (Vtd *vtd);
gboolean      vtd_intx_level    (Vtd *vtd);
/* Driver-side notification controls for EVENT_IDX tests. */
void          vtd_set_used_event (Vtd *vtd, unsigned q, uint16_t value);
uint16_t      vtd_avail_event   (Vtd *vtd, unsigned q);
uint16_t      vtd_queue_size    (Vtd *vtd, unsigned q);
