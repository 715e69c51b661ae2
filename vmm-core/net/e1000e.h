/* e1000e.h: an Intel 82574L gigabit network card (e1000e), for guests
 * whose installers carry no virtio drivers (Windows ships a driver for
 * this card in the box).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "net/net-backend.h"
#include "platform.h"
#include "devices/pci.h"

#include <glib.h>
#include <stdint.h>

typedef struct {
  uint8_t mac[6];       /* a unicast address; see vmm_net_mac_from_seed */
} VmmE1000eConfig;

/* Creates the PCI function. It takes @backend in every case (freed with
 * the device, or at once on failure). Add the result with vmm_pci_bus_add. */
VmmPciDevice *vmm_e1000e_new (VmmPlatform *platform, const VmmE1000eConfig *config,
                              VmmNetBackend *backend, GError **error);
