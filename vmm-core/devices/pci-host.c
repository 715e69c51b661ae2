/* pci-host.c: the host bridge at 00:00.0.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/pci-host.h"

VmmPciDevice *
vmm_pci_host_bridge_new (void)
{
  VmmPciDevice *dev = vmm_pci_device_new (0x8086, 0x29c0, 0x060000, 0);

  vmm_pci_device_set_subsystem (dev, 0x1af4, 0x1100);
  /* A host bridge decodes memory unconditionally; its command register
   * only records what the guest wrote to the master/memory bits. */
  dev->cfg[VMM_PCI_COMMAND] = 0x06;
  return dev;
}
