/* acpi-dsdt.c: the DSDT of Vireo's PC, as AML.
 *
 * What Linux needs from it: the PCI root bridge with its windows and
 * interrupt routing, the legacy devices it should not probe blindly, the
 * motherboard resources that make it trust ECAM, processor devices for the
 * MADT's CPUs, and \_S5 for ACPI power-off.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "acpi-private.h"


#include "aml.h"
#include "layout.h"

#define DSDT_REVISION        2     /* 64-bit integers */
#define PCI_SLOTS            32
#define PCI_PINS             4
#define I8042_PORT_LEN       1
#define CMOS_PORT_LEN        2
#define COM_PORT_LEN         8
#define PCI_CONFIG_PORT_LEN  8
/* The PM block spans PM1a_EVT up to the end of GPE0. */
#define PM_BLOCK_LEN         (VMM_PORT_GPE0 + VMM_PORT_GPE0_LEN - VMM_PORT_PM_BASE)

static void
name_eisaid (VmmAml *aml, const char *name, const char *id)
{
  vmm_aml_name (aml, name);
  vmm_aml_eisaid (aml, id);
}

static void
name_integer (VmmAml *aml, const char *name, uint64_t value)
{
  vmm_aml_name (aml, name);
  vmm_aml_integer (aml, value);
}

static void
build_cpus (VmmAml *aml, const VmmAcpiConfig *cfg)
{
  /* _UID matches the MADT's ACPI processor UID. */
  for (unsigned i = 0; i < cfg->n_cpus; i++)
    {
      char name[5];

      g_snprintf (name, sizeof name, "C%03X", i);
      vmm_aml_begin_device (aml, name);
      vmm_aml_name (aml, "_HID");
      vmm_aml_string (aml, "ACPI0007");
      name_integer (aml, "_UID", i);
      vmm_aml_end (aml);
    }
}

static void
build_pci_crs (VmmAml *aml, const VmmAcpiConfig *cfg)
{
  vmm_aml_name (aml, "_CRS");
  vmm_aml_begin_resource_template (aml);
  /* As in the MCFG: the root bus is the only one (see build_mcfg). */
  vmm_aml_res_bus_window (aml, 0, VMM_PCI_LAST_BUS);
  /* The configuration ports are the bridge's own; everything else in I/O
   * space is forwarded to the bus. */
  vmm_aml_res_io (aml, VMM_PORT_PCI_CONFIG, PCI_CONFIG_PORT_LEN);
  vmm_aml_res_io_window (aml, 0x0000, VMM_PORT_PCI_CONFIG - 1);
  vmm_aml_res_io_window (aml, VMM_PORT_PCI_CONFIG + PCI_CONFIG_PORT_LEN, 0xffff);
  vmm_aml_res_mem32_window (aml, (uint32_t) VMM_PCI_MMIO32_BASE,
                            (uint32_t) (VMM_PCI_MMIO32_BASE + VMM_PCI_MMIO32_SIZE - 1));
  vmm_aml_res_mem64_window (aml, cfg->pci_mmio64_base,
                            cfg->pci_mmio64_base + VMM_PCI_MMIO64_SIZE - 1);
  vmm_aml_end (aml);
}

static void
build_pci_prt (VmmAml *aml)
{
  /* Straight to IOAPIC GSIs (source 0), no link devices: the guest runs
   * in APIC mode only. */
  vmm_aml_name (aml, "_PRT");
  vmm_aml_begin_package (aml);
  for (unsigned slot = 0; slot < PCI_SLOTS; slot++)
    for (unsigned pin = 0; pin < PCI_PINS; pin++)
      {
        vmm_aml_begin_package (aml);
        vmm_aml_integer (aml, ((uint64_t) slot << 16) | 0xffff);  /* any function */
        vmm_aml_integer (aml, pin);
        vmm_aml_integer (aml, 0);
        vmm_aml_integer (aml, vmm_acpi_pci_gsi (slot, pin));
        vmm_aml_end (aml);
      }
  vmm_aml_end (aml);
}

/* A fixed ISA-style device: I/O ports and an IRQ. */
static void
build_isa_device (VmmAml *aml, const char *name, const char *hid, unsigned uid,
                  const uint16_t *ports, const uint8_t *port_lens, unsigned n_ports, int irq)
{
  vmm_aml_begin_device (aml, name);
  name_eisaid (aml, "_HID", hid);
  name_integer (aml, "_UID", uid);
  vmm_aml_name (aml, "_CRS");
  vmm_aml_begin_resource_template (aml);
  for (unsigned i = 0; i < n_ports; i++)
    vmm_aml_res_io (aml, ports[i], port_lens[i]);
  if (irq >= 0)
    vmm_aml_res_irq (aml, (unsigned) irq);
  vmm_aml_end (aml);
  vmm_aml_end (aml);
}

static void
build_legacy_devices (VmmAml *aml)
{
  static const uint16_t com1_ports[] = { VMM_PORT_COM1 };
  static const uint8_t com1_lens[] = { COM_PORT_LEN };
  static const uint16_t kbd_ports[] = { VMM_PORT_I8042_DATA, VMM_PORT_I8042_CMD };
  static const uint8_t kbd_lens[] = { I8042_PORT_LEN, I8042_PORT_LEN };
  static const uint16_t rtc_ports[] = { VMM_PORT_CMOS };
  static const uint8_t rtc_lens[] = { CMOS_PORT_LEN };

  build_isa_device (aml, "COM1", "PNP0501", 1, com1_ports, com1_lens, 1, VMM_IRQ_COM1);
  build_isa_device (aml, "PS2K", "PNP0303", 0, kbd_ports, kbd_lens, 2, VMM_IRQ_I8042_KBD);
  /* The mouse shares the controller's ports: only its IRQ is its own. */
  build_isa_device (aml, "PS2M", "PNP0F13", 0, NULL, NULL, 0, VMM_IRQ_I8042_AUX);
  build_isa_device (aml, "RTC", "PNP0B00", 0, rtc_ports, rtc_lens, 1, VMM_IRQ_RTC);
}

static void
build_motherboard_resources (VmmAml *aml, const VmmAcpiConfig *cfg)
{
  /* Ports and memory that belong to no device the OS drives: reserving
   * them keeps PCI resource allocation away, and Linux accepts the MCFG's
   * ECAM window only when it is reserved here (or in e820). */
  vmm_aml_begin_device (aml, "MRES");
  name_eisaid (aml, "_HID", "PNP0C02");
  name_integer (aml, "_UID", 0);
  vmm_aml_name (aml, "_CRS");
  vmm_aml_begin_resource_template (aml);
  vmm_aml_res_io (aml, VMM_PORT_PM_BASE, PM_BLOCK_LEN);
  vmm_aml_res_io (aml, VMM_PORT_RESET_CONTROL, 1);
  if (cfg->has_ecam)
    vmm_aml_res_mem32_fixed (aml, (uint32_t) VMM_PCI_ECAM_BASE, (uint32_t) VMM_PCI_ECAM_SIZE);
  vmm_aml_end (aml);
  vmm_aml_end (aml);
}

GByteArray *
vmm_acpi_build_dsdt (const VmmAcpiConfig *cfg)
{
  g_autoptr(VmmAml) aml = vmm_aml_new ();
  GByteArray *dsdt = vmm_acpi_table_new ("DSDT", DSDT_REVISION);
  g_autoptr(GByteArray) body = NULL;

  vmm_aml_begin_scope (aml, "\\_SB");
  build_cpus (aml, cfg);

  vmm_aml_begin_device (aml, "PCI0");
  name_eisaid (aml, "_HID", "PNP0A08");
  name_eisaid (aml, "_CID", "PNP0A03");
  name_integer (aml, "_SEG", 0);
  name_integer (aml, "_UID", 0);
  name_integer (aml, "_BBN", 0);
  build_pci_crs (aml, cfg);
  build_pci_prt (aml);
  build_legacy_devices (aml);
  build_motherboard_resources (aml, cfg);
  vmm_aml_end (aml);   /* PCI0 */

  vmm_aml_end (aml);   /* \_SB */

  /* \_S5: the SLP_TYP values for PM1a_CNT and PM1b_CNT, then reserved. */
  vmm_aml_name (aml, "\\_S5");
  vmm_aml_begin_package (aml);
  vmm_aml_integer (aml, VMM_ACPI_SLP_TYP_S5);
  vmm_aml_integer (aml, VMM_ACPI_SLP_TYP_S5);
  vmm_aml_integer (aml, 0);
  vmm_aml_integer (aml, 0);
  vmm_aml_end (aml);

  body = vmm_aml_finish (g_steal_pointer (&aml));
  g_byte_array_append (dsdt, body->data, body->len);
  return dsdt;
}
