/* pci-host.h: the host bridge at 00:00.0.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "devices/pci.h"

#define VMM_PCI_HOST_PCIEXBAR 0x60   /* 64-bit: ECAM base, length, enable */

/* The q35 host bridge's identity (8086:29c0, class 0600, subsystem
 * 1af4:1100), which firmware written for QEMU's q35 expects, and its
 * PCIEXBAR, which moves the bus's ECAM window: at power-on enabled at
 * VMM_PCI_ECAM_BASE, 256 MiB, where vmm_pci_bus_register() must have put
 * it. */
VmmPciDevice *vmm_pci_host_bridge_new (void);
