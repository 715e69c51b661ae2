/* virtio-rng.h: the virtio entropy device, fed from the host's getrandom().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "platform.h"
#include "devices/pci.h"

#include <glib.h>
#include <stdint.h>

typedef struct {
  /* Bytes per second the guest may take, 0 for no limit. A guest reading
   * /dev/hwrng in a loop otherwise drains the host pool as fast as it
   * asks. */
  uint64_t max_bytes_per_sec;
} VmmVirtioRngConfig;

/* Creates the PCI function. Add the result with vmm_pci_bus_add. */
VmmPciDevice *vmm_virtio_rng_new (VmmPlatform *platform, const VmmVirtioRngConfig *config,
                                  GError **error);
