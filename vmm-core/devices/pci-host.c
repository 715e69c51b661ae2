/* pci-host.c: the host bridge at 00:00.0 (q35's MCH; see lpc-ich9.h for
 * why the machine is a q35).
 *
 * Of the MCH's registers only PCIEXBAR is modelled: it places the ECAM
 * window. Firmware writes it (SeaBIOS and OVMF both choose 0xb0000000,
 * 256 MiB, where the machine's ACPI MCFG puts it); it starts out enabled
 * there so that a kernel booted without firmware finds ECAM too. A guest
 * that moves it elsewhere keeps a working ECAM at the new place, but the
 * MCFG table keeps naming the old one, as the tables are built once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/pci-host.h"
#include "x86/layout.h"

#define PCIEXBAR_EN        0x1u
#define PCIEXBAR_LEN_SHIFT 1
#define PCIEXBAR_LEN_MASK  0x3u
/* Base bits 35:26; how many of the low ones count depends on the length. */
#define PCIEXBAR_BASE_MASK 0xffc000000ULL

static uint64_t
pciexbar (const VmmPciDevice *dev)
{
  return vmm_le_get (dev->cfg + VMM_PCI_HOST_PCIEXBAR, 8);
}

/* Where ECAM should decode, and how large: 256, 128 or 64 MiB; the
 * fourth length encoding is reserved and decodes nothing. */
static uint64_t
ecam_target (uint64_t reg, uint64_t *size)
{
  unsigned len = (unsigned) (reg >> PCIEXBAR_LEN_SHIFT) & PCIEXBAR_LEN_MASK;

  if (!(reg & PCIEXBAR_EN) || len == PCIEXBAR_LEN_MASK)
    return VMM_PCI_BAR_UNMAPPED;
  *size = (256ULL << 20) >> len;
  return reg & PCIEXBAR_BASE_MASK & ~(*size - 1);
}

static void
update_ecam (VmmPciDevice *dev)
{
  uint64_t size = 0, base = ecam_target (pciexbar (dev), &size);

  if (dev->bus != NULL && vmm_pci_bus_move_ecam (dev->bus, base, size) < 0)
    g_debug ("PCIEXBAR: ECAM at 0x%" G_GINT64_MODIFIER "x collides with another device; off",
             base);
}

static void
host_config_written (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque)
{
  if (offset < VMM_PCI_HOST_PCIEXBAR + 8 && offset + len > VMM_PCI_HOST_PCIEXBAR)
    update_ecam (dev);
}

static void
host_reset (VmmPciDevice *dev, void *opaque)
{
  update_ecam (dev);
}

static const VmmPciDeviceOps host_ops = {
  .config_written = host_config_written,
  .reset = host_reset,
};

VmmPciDevice *
vmm_pci_host_bridge_new (void)
{
  VmmPciDevice *dev = vmm_pci_device_new (0x8086, 0x29c0, 0x060000, 0);

  vmm_pci_device_set_subsystem (dev, 0x1af4, 0x1100);
  /* A host bridge decodes memory unconditionally; its command register
   * only records what the guest wrote to the master/memory bits. */
  dev->cfg[VMM_PCI_COMMAND] = 0x06;
  vmm_le_put (dev->cfg + VMM_PCI_HOST_PCIEXBAR, 8, VMM_PCI_ECAM_BASE | PCIEXBAR_EN);
  vmm_le_put (dev->wmask + VMM_PCI_HOST_PCIEXBAR, 8,
              PCIEXBAR_BASE_MASK | PCIEXBAR_LEN_MASK << PCIEXBAR_LEN_SHIFT | PCIEXBAR_EN);
  vmm_pci_device_set_ops (dev, &host_ops, NULL);
  return dev;
}
