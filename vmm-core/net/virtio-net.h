/* virtio-net.h: the virtio network card (virtio 1.x over PCI).
 *
 * One receive and one transmit queue, a MAC address in the configuration
 * space, the link always up, mergeable receive buffers, checksum
 * validation skipped in the guest when the back-end vouches for the
 * checksums it produces, transmit checksum offload, and TCP segmentation
 * offload (IPv4) when the back-end takes whole TSO frames.
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
  unsigned mtu;         /* the link's IP MTU told to the guest, 0 for 1500 */
} VmmVirtioNetConfig;

/* Creates the PCI function. It takes @backend in every case (freed with
 * the device, or at once on failure). Add the result with vmm_pci_bus_add. */
VmmPciDevice *vmm_virtio_net_new (VmmPlatform *platform, const VmmVirtioNetConfig *config,
                                  VmmNetBackend *backend, GError **error);

/* A locally administered unicast MAC derived from @seed (a machine's
 * UUID): the same machine keeps its address, and so its DHCP lease. */
void          vmm_net_mac_from_seed (const char *seed, uint8_t mac[6]);
