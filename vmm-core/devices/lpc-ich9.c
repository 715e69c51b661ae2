/* lpc-ich9.c: the ICH9 LPC bridge at 00:1f.0 (see lpc-ich9.h for why).
 *
 * Only what firmware and guests use is modelled: the IDs, PMBASE and
 * ACPI_CNTL (which move the PM block), the PIRQ routing registers, and
 * RCBA. The PIRQ registers keep what firmware writes and nothing more:
 * the machine wires each INTx pin to a fixed GSI, which its ACPI _PRT
 * names. RCBA keeps its base and enable bit, as OVMF programs them;
 * nothing reads the chipset registers behind it, so none are modelled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/lpc-ich9.h"

#include <string.h>

#define LPC_VENDOR       0x8086
#define LPC_DEVICE       0x2918
#define LPC_REVISION     0x02
#define LPC_CLASS        0x060100      /* bridge, PCI-to-ISA */
#define HEADER_MULTIFN   0x80
#define PIRQ_DISABLED    0x80          /* IRQEN: not routed to the PIC */
#define PIRQ_WRITABLE    0x8f
#define ACPI_CNTL_WRITABLE (VMM_LPC_ACPI_EN | 0x07)  /* ACPI_EN, SCI_IRQ_SEL */

typedef struct {
  VmmPm *pm;
  VmmBus *pio;
  int64_t mapped;               /* where the PM block decodes, or -1 */
} Lpc;

static void
put32 (uint8_t *p, uint32_t v)
{
  vmm_le_put (p, 4, v);
}

/* Where the PM block should decode: PMBASE's I/O base while ACPI_EN is
 * set, nowhere otherwise. */
static int64_t
pm_target (const VmmPciDevice *dev)
{
  uint32_t base = (uint32_t) vmm_le_get (dev->cfg + VMM_LPC_PMBASE, 4) & VMM_LPC_PMBASE_MASK;

  if (!(dev->cfg[VMM_LPC_ACPI_CNTL] & VMM_LPC_ACPI_EN))
    return -1;
  return base;
}

/* Moves the PM block where config space says. A base the guest put on
 * top of another device's ports leaves the block off, as on hardware
 * where the decode would collide; a later write can put it back. */
static void
update_pm (VmmPciDevice *dev, Lpc *lpc)
{
  int64_t want = pm_target (dev);

  if (want == lpc->mapped)
    return;
  if (lpc->mapped >= 0)
    vmm_bus_unregister (lpc->pio, (uint64_t) lpc->mapped, lpc->pm);
  lpc->mapped = -1;
  if (want < 0)
    return;
  if (vmm_pm_register (lpc->pm, lpc->pio, (uint16_t) want) == 0)
    lpc->mapped = want;
  else
    g_debug ("LPC: PM block at 0x%x collides with another device; not decoding",
             (unsigned) want);
}

static void
lpc_config_written (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque)
{
  update_pm (dev, opaque);
}

/* The machine's reset restored config space, and with it PMBASE and
 * ACPI_EN: the block goes back to its power-on place. */
static void
lpc_reset (VmmPciDevice *dev, void *opaque)
{
  update_pm (dev, opaque);
}

static void
lpc_destroy (VmmPciDevice *dev, void *opaque)
{
  Lpc *lpc = opaque;

  if (lpc->mapped >= 0)
    vmm_bus_unregister (lpc->pio, (uint64_t) lpc->mapped, lpc->pm);
  g_free (lpc);
}

static const VmmPciDeviceOps lpc_ops = {
  .config_written = lpc_config_written,
  .reset = lpc_reset,
  .destroy = lpc_destroy,
};

VmmPciDevice *
vmm_lpc_ich9_new (VmmPm *pm, VmmBus *pio, uint16_t pm_base)
{
  VmmPciDevice *dev;
  Lpc *lpc;

  g_return_val_if_fail (pm != NULL && pio != NULL, NULL);
  g_return_val_if_fail ((pm_base & ~VMM_LPC_PMBASE_MASK) == 0, NULL);

  dev = vmm_pci_device_new (LPC_VENDOR, LPC_DEVICE, LPC_CLASS, LPC_REVISION);
  vmm_pci_device_set_subsystem (dev, 0x1af4, 0x1100);
  /* Firmware scans the other functions of slot 31 (QEMU's AHCI and
   * SMBus live there); absent ones read all-ones. */
  dev->cfg[VMM_PCI_HEADER_TYPE] = HEADER_MULTIFN;

  put32 (dev->cfg + VMM_LPC_PMBASE, pm_base | VMM_LPC_PMBASE_RTE);
  vmm_le_put (dev->wmask + VMM_LPC_PMBASE, 2, VMM_LPC_PMBASE_MASK);
  dev->cfg[VMM_LPC_ACPI_CNTL] = VMM_LPC_ACPI_EN;
  dev->wmask[VMM_LPC_ACPI_CNTL] = ACPI_CNTL_WRITABLE;
  for (unsigned i = 0; i < 4; i++)
    {
      dev->cfg[VMM_LPC_PIRQA_ROUT + i] = PIRQ_DISABLED;
      dev->wmask[VMM_LPC_PIRQA_ROUT + i] = PIRQ_WRITABLE;
      dev->cfg[VMM_LPC_PIRQE_ROUT + i] = PIRQ_DISABLED;
      dev->wmask[VMM_LPC_PIRQE_ROUT + i] = PIRQ_WRITABLE;
    }
  put32 (dev->wmask + VMM_LPC_RCBA, VMM_LPC_RCBA_MASK | VMM_LPC_RCBA_EN);

  lpc = g_new0 (Lpc, 1);
  lpc->pm = pm;
  lpc->pio = pio;
  lpc->mapped = -1;
  vmm_pci_device_set_ops (dev, &lpc_ops, lpc);
  update_pm (dev, lpc);
  if (lpc->mapped != pm_base)
    {
      vmm_pci_device_free (dev);
      return NULL;
    }
  return dev;
}
