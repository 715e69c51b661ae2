/* virtio-blk-private.h: the pieces of virtio-blk that unit tests and the
 * fuzzer drive without a PCI transport.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <linux/virtio_blk.h>

#include "block/virtio-blk.h"
#include "virtio/virtio.h"

/* The device configuration space we expose: up to (not including) the
 * secure-erase fields, which we do not offer. */
#define VMM_VIRTIO_BLK_CONFIG_SIZE 60u

/* What a request is checked against. */
typedef struct {
  uint64_t capacity;                 /* 512-byte sectors */
  bool     read_only;
  uint32_t max_discard_sectors;
  uint32_t max_write_zeroes_sectors;
  uint8_t  serial[VMM_VIRTIO_BLK_SERIAL_LEN];
} VmmVirtioBlkLimits;

typedef enum {
  VMM_VIRTIO_BLK_DONE,   /* answered at once: status (if any) is in @status */
  VMM_VIRTIO_BLK_IO,     /* run @op over the data segments, then answer */
  VMM_VIRTIO_BLK_DROP,   /* no status byte to answer in: push with 0 bytes */
} VmmVirtioBlkVerdict;

typedef struct {
  VmmVirtioBlkVerdict verdict;
  uint8_t             status;        /* VIRTIO_BLK_S_* for DONE */
  VmmBlockOp          op;
  uint64_t            offset;        /* bytes */
  uint64_t            len;           /* bytes (data length for READ/WRITE) */
  unsigned            n_data;        /* segments written to @data */
  uint32_t            data_written;  /* bytes the device writes on success, before the status */
} VmmVirtioBlkParsed;

/* Validates the request in @elem and works out what to do. @data (room
 * for @elem's n_out + n_in segments) receives the data segments of a
 * READ or WRITE. GET_ID is answered here, copying the serial into the
 * element's writable segments. */
void vmm_virtio_blk_parse         (const VmmVirtioBlkLimits *lim, const VmmVirtqElem *elem,
                                   struct iovec *data, VmmVirtioBlkParsed *out);
/* Writes @status into the element's last writable byte. */
void vmm_virtio_blk_put_status    (const VmmVirtqElem *elem, uint8_t status);

typedef struct _VmmVirtioBlk VmmVirtioBlk;

/* The device without its transport: @desc receives the description to
 * hand to vmm_virtio_pci_new (or a test transport). Takes @image on
 * success. */
VmmVirtioBlk *vmm_virtio_blk_create (VmmImage *image, const VmmVirtioBlkConfig *cfg,
                                     VmmVirtioDeviceDesc *desc, GError **error);
/* Connects the device to its transport: completions are then collected
 * on the transport's I/O thread. */
int           vmm_virtio_blk_attach (VmmVirtioBlk *blk, VmmVirtio *vio);
/* Frees a device that never reached a transport; the caller keeps the
 * image. */
void          vmm_virtio_blk_free_keep_image (VmmVirtioBlk *blk);
/* The device will not close its image when destroyed. */
void          vmm_virtio_blk_detach_image    (VmmVirtioBlk *blk);
