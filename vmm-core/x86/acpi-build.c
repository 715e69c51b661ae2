/* acpi-build.c: the fixed-format ACPI tables (RSDP, XSDT, FADT, FACS,
 * MADT, MCFG) and the set they form with the DSDT.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "acpi-private.h"

#include <gio/gio.h>
#include <string.h>

#include "byteorder.h"
#include "layout.h"

#define RSDP_CHECKSUM        8
#define RSDP_V1_SIZE         20
#define RSDP_XSDT_ADDRESS    24
#define RSDP_EXT_CHECKSUM    32
#define RSDP_SIZE            36
#define FADT_SIZE            276   /* ACPI 6.0 and later */
#define FACS_SIZE            64

/* FADT offsets (ACPI 6.x, 5.2.9). */
#define FADT_FIRMWARE_CTRL   36
#define FADT_DSDT            40
#define FADT_SCI_INT         46
#define FADT_PM1A_EVT_BLK    56
#define FADT_PM1A_CNT_BLK    64
#define FADT_PM_TMR_BLK      76
#define FADT_GPE0_BLK        80
#define FADT_PM1_EVT_LEN     88
#define FADT_PM1_CNT_LEN     89
#define FADT_PM_TMR_LEN      91
#define FADT_GPE0_BLK_LEN    92
#define FADT_P_LVL2_LAT      96
#define FADT_P_LVL3_LAT      98
#define FADT_IAPC_BOOT_ARCH  109
#define FADT_FLAGS           112
#define FADT_RESET_REG       116
#define FADT_RESET_VALUE     128
#define FADT_MINOR_REVISION  131
#define FADT_X_DSDT          140
#define FADT_X_PM1A_EVT_BLK  148
#define FADT_X_PM1A_CNT_BLK  172
#define FADT_X_PM_TMR_BLK    208
#define FADT_X_GPE0_BLK      220

/* FADT flags. */
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
/* Bit 4, PWR_BUTTON, stays clear: the power button is a fixed feature. */
#define FADT_F_SLP_BUTTON    (1u << 5)  /* set: no fixed-feature sleep button */
#define FADT_F_FIX_RTC       (1u << 6)  /* set: no RTC wake status in PM1 */
#define FADT_F_RESET_REG_SUP (1u << 10)

/* IAPC_BOOT_ARCH. */
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_8042           (1u << 1)

/* C2/C3 latencies above these limits mean "not supported". */
#define P_LVL2_LAT_NONE      0x0fff
#define P_LVL3_LAT_NONE      0xffff

/* Generic Address Structure. */
#define GAS_SYSTEM_IO        1
#define GAS_ACCESS_BYTE      1
#define GAS_ACCESS_WORD      2
#define GAS_ACCESS_DWORD     3

/* The values the reset register takes: a hard reset through the PCI
 * reset control register. */
#define RESET_VALUE          0x06

/* PM block lengths, from layout.h's port map. */
#define PM1_EVT_LEN          4
#define PM1_CNT_LEN          2
#define PM_TMR_LEN           4

/* MADT (5.2.12). */
#define MADT_PCAT_COMPAT     (1u << 0)
#define MADT_LAPIC           0
#define MADT_IOAPIC          1
#define MADT_ISO             2
#define MADT_LAPIC_NMI       4
#define MADT_LAPIC_ENABLED   (1u << 0)
#define MADT_ALL_PROCESSORS  0xff
/* MPS INTI flags: polarity in bits 0-1, trigger mode in bits 2-3. */
#define MPS_ACTIVE_HIGH      0x1
#define MPS_LEVEL            0xc

#define PCI_MMIO64_ALIGN     (1ull << 30)
#define PHYS_ADDR_LIMIT      (1ull << 52)

#define ISA_IRQ_PIT          0
#define GSI_PIT              2

static void
put_gas (uint8_t *p, uint8_t space, uint8_t bit_width, uint8_t access_size, uint64_t address)
{
  p[0] = space;
  p[1] = bit_width;
  p[2] = 0;
  p[3] = access_size;
  vmm_put_le64 (p + 4, address);
}

static GByteArray *
build_facs (void)
{
  GByteArray *facs = g_byte_array_new ();

  g_byte_array_set_size (facs, FACS_SIZE);
  memset (facs->data, 0, FACS_SIZE);
  memcpy (facs->data, "FACS", 4);
  facs->data[32] = 2;   /* version */
  return facs;
}

/* The FADT; its FACS and DSDT pointers are linked by the caller. */
static GByteArray *
build_fadt (void)
{
  GByteArray *fadt = vmm_acpi_table_new ("FACP", 6);
  uint8_t *f;

  g_byte_array_set_size (fadt, FADT_SIZE);
  f = fadt->data;
  memset (f + VMM_ACPI_HEADER_SIZE, 0, FADT_SIZE - VMM_ACPI_HEADER_SIZE);

  vmm_put_le16 (f + FADT_SCI_INT, VMM_IRQ_SCI);
  /* SMI_CMD stays 0: the machine is always in ACPI mode, there is no
   * legacy mode to switch from. */
  vmm_put_le32 (f + FADT_PM1A_EVT_BLK, VMM_PORT_PM1A_EVT);
  vmm_put_le32 (f + FADT_PM1A_CNT_BLK, VMM_PORT_PM1A_CNT);
  vmm_put_le32 (f + FADT_PM_TMR_BLK, VMM_PORT_PM_TMR);
  vmm_put_le32 (f + FADT_GPE0_BLK, VMM_PORT_GPE0);
  f[FADT_PM1_EVT_LEN] = PM1_EVT_LEN;
  f[FADT_PM1_CNT_LEN] = PM1_CNT_LEN;
  f[FADT_PM_TMR_LEN] = PM_TMR_LEN;
  f[FADT_GPE0_BLK_LEN] = VMM_PORT_GPE0_LEN;
  vmm_put_le16 (f + FADT_P_LVL2_LAT, P_LVL2_LAT_NONE);
  vmm_put_le16 (f + FADT_P_LVL3_LAT, P_LVL3_LAT_NONE);
  vmm_put_le16 (f + FADT_IAPC_BOOT_ARCH, BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_8042);
  /* PWR_BUTTON clear: the power button is the fixed-feature one in
   * PM1a_EVT, delivered over the SCI. */
  vmm_put_le32 (f + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON
                                | FADT_F_FIX_RTC | FADT_F_RESET_REG_SUP);
  put_gas (f + FADT_RESET_REG, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, VMM_PORT_RESET_CONTROL);
  f[FADT_RESET_VALUE] = RESET_VALUE;
  f[FADT_MINOR_REVISION] = 0;

  put_gas (f + FADT_X_PM1A_EVT_BLK, GAS_SYSTEM_IO, PM1_EVT_LEN * 8, GAS_ACCESS_WORD, VMM_PORT_PM1A_EVT);
  put_gas (f + FADT_X_PM1A_CNT_BLK, GAS_SYSTEM_IO, PM1_CNT_LEN * 8, GAS_ACCESS_WORD, VMM_PORT_PM1A_CNT);
  put_gas (f + FADT_X_PM_TMR_BLK, GAS_SYSTEM_IO, PM_TMR_LEN * 8, GAS_ACCESS_DWORD, VMM_PORT_PM_TMR);
  put_gas (f + FADT_X_GPE0_BLK, GAS_SYSTEM_IO, VMM_PORT_GPE0_LEN * 8, GAS_ACCESS_BYTE, VMM_PORT_GPE0);

  return fadt;
}

static void
put_madt_entry (GByteArray *madt, const uint8_t *entry)
{
  g_byte_array_append (madt, entry, entry[1]);
}

static GByteArray *
build_madt (const VmmAcpiConfig *cfg)
{
  GByteArray *madt = vmm_acpi_table_new ("APIC", 4);
  uint8_t fields[8] = { 0 };
  uint8_t ioapic[12] = { MADT_IOAPIC, 12, vmm_acpi_ioapic_id (cfg), 0 };
  uint8_t iso_pit[10] = { MADT_ISO, 10, 0, ISA_IRQ_PIT };
  uint8_t iso_sci[10] = { MADT_ISO, 10, 0, VMM_IRQ_SCI };
  uint8_t nmi[6] = { MADT_LAPIC_NMI, 6, MADT_ALL_PROCESSORS, 0, 0, 1 /* LINT1 */ };

  vmm_put_le32 (fields, (uint32_t) VMM_LAPIC_BASE);
  vmm_put_le32 (fields + 4, MADT_PCAT_COMPAT);
  g_byte_array_append (madt, fields, sizeof fields);

  /* Processor UIDs are the CPU indices; the DSDT's processor devices use
   * the same _UID. */
  for (unsigned i = 0; i < cfg->n_cpus; i++)
    {
      uint8_t lapic[8] = { MADT_LAPIC, 8, (uint8_t) i, (uint8_t) cfg->apic_ids[i] };

      vmm_put_le32 (lapic + 4, MADT_LAPIC_ENABLED);
      put_madt_entry (madt, lapic);
    }

  vmm_put_le32 (ioapic + 4, (uint32_t) VMM_IOAPIC_BASE);
  vmm_put_le32 (ioapic + 8, 0);   /* GSI base */
  put_madt_entry (madt, ioapic);

  /* The PIT's IRQ 0 is wired to IOAPIC pin 2, as on every PC; the SCI is
   * a level-triggered, active-high ISA interrupt. */
  vmm_put_le32 (iso_pit + 4, GSI_PIT);
  vmm_put_le16 (iso_pit + 8, 0);
  put_madt_entry (madt, iso_pit);
  vmm_put_le32 (iso_sci + 4, VMM_IRQ_SCI);
  vmm_put_le16 (iso_sci + 8, MPS_ACTIVE_HIGH | MPS_LEVEL);
  put_madt_entry (madt, iso_sci);

  put_madt_entry (madt, nmi);
  return madt;
}

static GByteArray *
build_mcfg (void)
{
  GByteArray *mcfg = vmm_acpi_table_new ("MCFG", 1);
  uint8_t body[8 + 16] = { 0 };

  /* 8 reserved bytes, then one allocation: segment 0, bus 0 only. The
   * machine has no bridges, so bus 0 is all there is, and saying so
   * matters: Linux takes the MCFG's last bus as pcibios_last_bus and
   * probes every bus up to it for peer host bridges, 32 vendor-ID reads
   * through ports 0xcf8/0xcfc per bus. Declaring buses 0-255 cost 16,000
   * port exits and 1.6 s of a 10 s boot in the lab (pci_subsys_init). The
   * ECAM window itself stays 256 MiB for firmware that maps it whole. */
  vmm_put_le64 (body + 8, VMM_PCI_ECAM_BASE);
  vmm_put_le16 (body + 16, 0);
  body[18] = 0;
  body[19] = VMM_PCI_LAST_BUS;
  g_byte_array_append (mcfg, body, sizeof body);
  return mcfg;
}

/* The XSDT with @n_entries entries, each linked by the caller. */
static GByteArray *
build_xsdt (guint n_entries)
{
  GByteArray *xsdt = vmm_acpi_table_new ("XSDT", 1);
  guint offset = xsdt->len;

  /* Each entry starts as offset 0 into its table. */
  g_byte_array_set_size (xsdt, offset + 8 * n_entries);
  memset (xsdt->data + offset, 0, 8 * n_entries);
  return xsdt;
}

/* The RSDP, with its checksums; its XSDT pointer is linked by the caller. */
static guint
add_rsdp (VmmAcpiTables *t)
{
  GByteArray *rsdp = g_byte_array_new ();
  uint8_t *r;
  guint index;

  g_byte_array_set_size (rsdp, RSDP_SIZE);
  r = rsdp->data;
  memset (r, 0, RSDP_SIZE);
  memcpy (r, "RSD PTR ", 8);
  memcpy (r + 9, "VIREO ", 6);
  r[15] = 2;                          /* revision: XSDT, no RSDT */
  vmm_put_le32 (r + 20, RSDP_SIZE);
  index = vmm_acpi_tables_add_blob (t, "etc/acpi/rsdp", rsdp, 16, VMM_ACPI_ZONE_FSEG);
  /* The first checksum covers the ACPI 1.0 part, the extended one all of
   * it, the first checksum byte included: order matters. */
  vmm_acpi_tables_add_checksum (t, index, RSDP_CHECKSUM, 0, RSDP_V1_SIZE);
  vmm_acpi_tables_add_checksum (t, index, RSDP_EXT_CHECKSUM, 0, RSDP_SIZE);
  return index;
}

static gboolean
validate (const VmmAcpiConfig *cfg, GError **error)
{
  gboolean used[256] = { FALSE };

  if (cfg->n_cpus < 1 || cfg->n_cpus > 255)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "ACPI tables describe 1 to 255 CPUs, not %u", cfg->n_cpus);
      return FALSE;
    }
  for (unsigned i = 0; i < cfg->n_cpus; i++)
    {
      uint32_t id = cfg->apic_ids[i];

      /* 0xff is the xAPIC broadcast ID. */
      if (id >= 0xff || used[id])
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "CPU %u has APIC ID %u, which is %s", i, id,
                       id >= 0xff ? "beyond what an xAPIC can address" : "already taken");
          return FALSE;
        }
      used[id] = TRUE;
    }
  /* Above 4 GiB, 1 GiB-aligned (large BARs fit), and with its end below
   * the 52 bits of physical address any x86-64 CPU can have. */
  if (cfg->pci_mmio64_base < VMM_HIGHMEM_BASE
      || cfg->pci_mmio64_base % PCI_MMIO64_ALIGN != 0
      || cfg->pci_mmio64_base > PHYS_ADDR_LIMIT - VMM_PCI_MMIO64_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The 64-bit PCI window at %#" G_GINT64_MODIFIER "x must lie above 4 GiB, "
                   "below 2^52 and be 1 GiB-aligned",
                   cfg->pci_mmio64_base);
      return FALSE;
    }
  return TRUE;
}

uint8_t
vmm_acpi_ioapic_id (const VmmAcpiConfig *cfg)
{
  gboolean used[256] = { FALSE };

  g_return_val_if_fail (cfg != NULL, 0);

  for (unsigned i = 0; i < cfg->n_cpus && i < 256; i++)
    if (cfg->apic_ids[i] < 256)
      used[cfg->apic_ids[i]] = TRUE;
  /* With at most 255 CPUs one of the 256 IDs is always free. */
  for (unsigned n = 0; n < 256; n++)
    {
      unsigned id = (cfg->n_cpus + n) % 256;

      if (!used[id])
        return (uint8_t) id;
    }
  return 0;
}

unsigned
vmm_acpi_pci_gsi (unsigned slot, unsigned pin)
{
  /* Eight GSIs for 32 slots x 4 pins: neighbouring slots start on
   * different GSIs so that single-function devices do not all share one. */
  return VMM_GSI_PCI_FIRST + ((slot + pin) % (VMM_IOAPIC_PINS - VMM_GSI_PCI_FIRST));
}

VmmAcpiTables *
vmm_acpi_build (const VmmAcpiConfig *cfg, GError **error)
{
  g_autoptr(VmmAcpiTables) t = NULL;
  guint rsdp, xsdt, fadt, facs, dsdt, madt, mcfg;
  guint n_xsdt = cfg && cfg->has_ecam ? 3 : 2;

  g_return_val_if_fail (cfg != NULL, NULL);
  g_return_val_if_fail (cfg->apic_ids != NULL || cfg->n_cpus == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!validate (cfg, error))
    return NULL;

  /* All blobs first (RSDP first, so placement puts it at the start), then
   * the pointers between them. */
  t = vmm_acpi_tables_new ();
  rsdp = add_rsdp (t);
  xsdt = vmm_acpi_tables_add_table (t, build_xsdt (n_xsdt));
  fadt = vmm_acpi_tables_add_table (t, build_fadt ());
  facs = vmm_acpi_tables_add_table (t, build_facs ());
  dsdt = vmm_acpi_tables_add_table (t, vmm_acpi_build_dsdt (cfg));
  madt = vmm_acpi_tables_add_table (t, build_madt (cfg));

  vmm_acpi_tables_add_pointer (t, rsdp, RSDP_XSDT_ADDRESS, 8, xsdt);
  vmm_acpi_tables_add_pointer (t, xsdt, VMM_ACPI_HEADER_SIZE + 0, 8, fadt);
  vmm_acpi_tables_add_pointer (t, xsdt, VMM_ACPI_HEADER_SIZE + 8, 8, madt);
  if (cfg->has_ecam)
    {
      mcfg = vmm_acpi_tables_add_table (t, build_mcfg ());
      vmm_acpi_tables_add_pointer (t, xsdt, VMM_ACPI_HEADER_SIZE + 16, 8, mcfg);
    }
  /* The FACS through the 32-bit field only: ACPI wants X_FIRMWARE_CTRL
   * zero when FIRMWARE_CTRL is set. The DSDT through both. */
  vmm_acpi_tables_add_pointer (t, fadt, FADT_FIRMWARE_CTRL, 4, facs);
  vmm_acpi_tables_add_pointer (t, fadt, FADT_DSDT, 4, dsdt);
  vmm_acpi_tables_add_pointer (t, fadt, FADT_X_DSDT, 8, dsdt);

  return g_steal_pointer (&t);
}
