/* virtio-blk.h: a virtio block device (virtio 1.x, 5.2) over an image.
 *
 * Read, write, flush, get-id, discard and write-zeroes, one virtqueue per
 * vCPU by default, read-only disks. Requests run in the block engine
 * (block-engine.h) off the vCPU threads; the device's I/O thread pops
 * requests and pushes completions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "block/block-engine.h"
#include "devices/pci.h"
#include "platform.h"
#include "storage/image.h"

#define VMM_VIRTIO_BLK_SERIAL_LEN 20

typedef struct {
  unsigned           num_queues;  /* 0: one; the machine passes its vCPU count */
  uint16_t           queue_size;  /* 0: 256; a power of two up to 1024 */
  bool               read_only;   /* also read-only when the image is */
  const char        *serial;      /* what GET_ID returns (20 bytes kept), or NULL */
  VmmBlockEngineKind engine;      /* AUTO unless testing the fallbacks */
} VmmVirtioBlkConfig;

/* Creates the PCI function of a virtio-blk disk over @image. On success
 * the device owns @image and closes it when the PCI device is destroyed;
 * add the device to the bus with vmm_pci_bus_add. */
VmmPciDevice *vmm_virtio_blk_new (VmmPlatform *platform, VmmImage *image,
                                  const VmmVirtioBlkConfig *cfg, GError **error);
