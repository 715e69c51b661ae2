/* virtio-rng-private.h: the virtio-rng model without its transport, for
 * the unit tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "net/virtio-rng.h"
#include "virtio/virtio.h"

typedef struct {
  uint64_t bytes;           /* random bytes given to the guest */
  uint64_t requests;        /* chains answered */
  uint64_t bad_requests;    /* chains without a writable buffer */
  uint64_t throttled;       /* times the rate limit made the guest wait */
} VmmVirtioRngStats;

typedef struct _VmmVirtioRng VmmVirtioRng;

/* The device without its transport: @desc receives the description to
 * hand to vmm_virtio_pci_new (or a test transport). */
VmmVirtioRng *vmm_virtio_rng_create (const VmmVirtioRngConfig *config, VmmVirtioDeviceDesc *desc,
                                     GError **error);
/* Connects the device to its transport. Returns 0 or -errno. */
int           vmm_virtio_rng_attach (VmmVirtioRng *rng, VmmVirtio *vio);
/* Frees a device that never reached a transport. */
void          vmm_virtio_rng_free   (VmmVirtioRng *rng);
void          vmm_virtio_rng_get_stats (VmmVirtioRng *rng, VmmVirtioRngStats *stats);
