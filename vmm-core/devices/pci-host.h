/* pci-host.h: the host bridge at 00:00.0.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "devices/pci.h"

/* The q35 host bridge's identity (8086:29c0, class 0600, subsystem
 * 1af4:1100), which firmware written for QEMU's q35 expects. */
VmmPciDevice *vmm_pci_host_bridge_new (void);
