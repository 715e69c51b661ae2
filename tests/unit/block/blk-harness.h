/* blk-harness.h: virtio-blk without KVM or PCI. A transport of our own
 * (the virtio.h functions a device calls, and an I/O loop that the test
 * thread runs by hand) plus a driver that lays split virtqueues out in a
 * guest-memory buffer, as the guest's virtio_blk would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/virtio-blk-private.h"
#include "virtio/virtqueue-private.h"

#define HARNESS_RAM_GPA  0x100000ull
#define HARNESS_RAM_SIZE (16u << 20)
/* Rings for queue q at HARNESS_RAM_GPA + q * HARNESS_RING_STRIDE; data
 * buffers are allocated above HARNESS_DATA_OFF. */
#define HARNESS_RING_STRIDE 0x10000ull
#define HARNESS_DATA_OFF    (4u << 20)

struct _VmmIoLoop {
  int      fd;
  VmmIoFn  fn;
  void    *opaque;
};

struct _VmmVirtio {
  VmmGuestMem   mem;
  VmmVirtqueue *vq;
  unsigned      n_queues;
  VmmIoLoop     loop;
  uint64_t      features;
  bool          needs_reset;
  unsigned      interrupts;
};

typedef struct {
  uint64_t gpa;
  uint32_t len;
  bool     write;      /* device-writable */
} HarnessSeg;

typedef struct {
  VmmVirtio           vio;
  VmmVirtioDeviceDesc desc;
  VmmVirtioBlk       *blk;
  uint8_t            *ram;
  uint64_t            data_next;   /* bump allocator for buffers, offset into ram */
  uint16_t           *next_desc;   /* per queue */
  uint16_t           *avail_idx;   /* per queue */
  uint16_t           *used_seen;   /* per queue */
} Harness;

/* Opens @path (raw or qcow2 by probing) and builds the device; asserts on
 * failure. The queues are started with EVENT_IDX off and INDIRECT on. */
Harness  *harness_new        (const char *path, const VmmVirtioBlkConfig *cfg);
/* Like harness_new, but returns NULL with @error when the device refuses. */
Harness  *harness_try_new    (const char *path, const VmmVirtioBlkConfig *cfg, GError **error);
void      harness_free       (Harness *h);

void     *harness_host       (Harness *h, uint64_t gpa);
/* A fresh buffer of @len bytes in guest RAM (4 KiB aligned). */
uint64_t  harness_alloc      (Harness *h, uint32_t len);
void      harness_reset_alloc (Harness *h);

/* Makes the chain available on queue @q (not kicked yet); returns its head. */
uint16_t  harness_add_chain  (Harness *h, unsigned q, const HarnessSeg *segs, unsigned n);
/* The same chain behind one indirect descriptor. */
uint16_t  harness_add_indirect (Harness *h, unsigned q, const HarnessSeg *segs, unsigned n);
/* The driver kicks queue @q: the device's queue_notify runs. */
void      harness_kick       (Harness *h, unsigned q);
/* Runs the I/O loop until @count more chains are used on @q (asserts
 * within 30 s). */
void      harness_wait_used  (Harness *h, unsigned q, unsigned count);
/* The next used entry on @q; FALSE when there is none. */
bool      harness_pop_used   (Harness *h, unsigned q, uint32_t *id, uint32_t *len);
/* Runs the loop once without blocking more than @timeout_ms. */
void      harness_poll       (Harness *h, int timeout_ms);
/* Driver reset then re-initialisation of every queue. */
void      harness_reset      (Harness *h);

/* A whole request: header, data (@len bytes at @data_gpa, split into
 * @nseg segments), status; returns the status byte (0xff if the device
 * wrote none) and the used length in *@used_len. */
uint8_t   harness_request    (Harness *h, unsigned q, uint32_t type, uint64_t sector,
                              uint64_t data_gpa, uint32_t len, unsigned nseg,
                              uint32_t *used_len);
/* Discard or write-zeroes of one range. */
uint8_t   harness_range      (Harness *h, unsigned q, uint32_t type, uint64_t sector,
                              uint32_t num, uint32_t flags);
