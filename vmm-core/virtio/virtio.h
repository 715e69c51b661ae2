/* virtio.h: the interface between a virtio device model and its transport.
 *
 * A device model (blk, net, rng, gpu, input) describes itself with a
 * VmmVirtioDeviceDesc and implements VmmVirtioDeviceOps; the transport
 * (virtio-pci.c: capabilities, common configuration, MSI-X, notification
 * doorbells) is written once for all of them. The transport owns the device
 * after creation and calls ops->destroy when the machine goes away.
 *
 * Threads: config_read/config_write/start/reset run on the vCPU thread that
 * touched the register. queue_notify runs on the device's I/O thread (one
 * per device, see vmm_virtio_ioloop) when the driver kicks a queue. reset
 * is called with no queue_notify running, and no queue_notify runs until the
 * next start; a device with threads of its own (an I/O engine) must have
 * them stop touching the queues before reset returns.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "guest-mem.h"
#include "ioloop.h"
#include "platform.h"
#include "virtio/virtqueue.h"
#include "devices/pci.h"

#include <glib.h>
#include <stdint.h>

#define VMM_VIRTIO_MAX_QUEUES     64
#define VMM_VIRTIO_MAX_QUEUE_SIZE 1024

/* Feature bits the transport itself offers and handles. */
#define VMM_VIRTIO_F_INDIRECT_DESC (1ULL << 28)
#define VMM_VIRTIO_F_EVENT_IDX     (1ULL << 29)
#define VMM_VIRTIO_F_VERSION_1     (1ULL << 32)

typedef struct _VmmVirtio VmmVirtio;

typedef struct {
  /* Device-specific configuration space (little-endian fields), at most
   * config_size bytes: @offset + @len never exceed it. */
  void (*config_read)  (void *dev, unsigned offset, uint8_t *data, unsigned len);
  void (*config_write) (void *dev, unsigned offset, const uint8_t *data, unsigned len);
  /* The driver set DRIVER_OK with @features negotiated. Return 0, or
   * -errno to have the device marked DEVICE_NEEDS_RESET. */
  int  (*start)        (void *dev, uint64_t features);
  /* The driver (status 0) or the machine reset the device. */
  void (*reset)        (void *dev);
  /* The driver made buffers available on @vq. */
  void (*queue_notify) (void *dev, VmmVirtqueue *vq);
  void (*destroy)      (void *dev);
} VmmVirtioDeviceOps;

typedef struct {
  const char *name;             /* for logs and the I/O thread's name */
  uint16_t device_id;           /* VIRTIO_ID_* from <linux/virtio_ids.h> */
  uint32_t pci_class;           /* class, subclass, prog-if */
  uint64_t features;            /* device-specific bits; the transport adds its own */
  unsigned n_queues;            /* 1 .. VMM_VIRTIO_MAX_QUEUES */
  uint16_t queue_size;          /* largest size offered, power of two <= 1024 */
  unsigned config_size;         /* bytes of device configuration */
  const VmmVirtioDeviceOps *ops;
  void *dev;                    /* passed to every op */
} VmmVirtioDeviceDesc;

/* Creates the PCI function for a device; on success the transport owns
 * @desc->dev (ops->destroy frees it with the PCI device). Add the returned
 * PCI device to the bus with vmm_pci_bus_add. */
VmmPciDevice *vmm_virtio_pci_new (VmmPlatform *platform, const VmmVirtioDeviceDesc *desc,
                                  VmmVirtio **out_vio, GError **error);

/* For device models. */
VmmVirtqueue      *vmm_virtio_queue          (VmmVirtio *vio, unsigned index);
const VmmGuestMem *vmm_virtio_guest_mem      (VmmVirtio *vio);
/* The device's I/O thread, for its own fds (io_uring, sockets). */
VmmIoLoop         *vmm_virtio_ioloop         (VmmVirtio *vio);
uint64_t           vmm_virtio_features       (VmmVirtio *vio);
/* The device configuration changed (capacity, link status, display size):
 * bumps config_generation and interrupts the guest. */
void               vmm_virtio_config_changed (VmmVirtio *vio);
/* Something the driver did cannot be recovered from without a reset. */
void               vmm_virtio_set_needs_reset (VmmVirtio *vio);
