/* test-lpc.c: the ICH9 LPC bridge at 00:1f.0: its identity, and PMBASE
 * and ACPI_CNTL moving the ACPI PM block, absurd values included.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "bus.h"
#include "devices/lpc-ich9.h"
#include "devices/pci.h"
#include "devices/pci-host.h"
#include "devices/pm.h"
#include "x86/layout.h"

typedef struct {
  VmmBus *pio, *mmio;
  VmmPciBus *pci;
  VmmPm *pm;
  gint64 now_us;
  unsigned poweroffs;
} Fixture;

static gint64
fake_clock (void *opaque)
{
  Fixture *f = opaque;

  return f->now_us;
}

static void
sci_set (void *opaque, unsigned gsi, gboolean level)
{
}

static void
on_poweroff (void *opaque)
{
  Fixture *f = opaque;

  f->poweroffs++;
}

/* Something else on the I/O bus, to put the PM block on top of. */
static void
other_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  memset (data, 0x5a, len);
}

static void
other_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
}

static const VmmBusOps other_ops = { other_read, other_write };

static void
setup (Fixture *f, gconstpointer data)
{
  VmmIrqLine sci = { sci_set, f, VMM_IRQ_SCI };
  VmmPciDevice *lpc;

  f->now_us = 1000000;
  f->pio = vmm_bus_new ("pio");
  f->mmio = vmm_bus_new ("mmio");
  f->pci = vmm_pci_bus_new ();
  f->pm = vmm_pm_new (&sci, fake_clock, f, on_poweroff, f);
  g_assert_cmpint (vmm_pci_bus_register (f->pci, f->pio, f->mmio, VMM_PCI_ECAM_BASE,
                                         VMM_PCI_ECAM_SIZE), ==, 0);
  g_assert_cmpint (vmm_bus_register (f->pio, 0x510, 12, VMM_BUS_WANY, &other_ops, f), ==, 0);
  g_assert_cmpint (vmm_pci_bus_add (f->pci, VMM_PCI_DEVFN (0, 0), vmm_pci_host_bridge_new ()), ==, 0);
  lpc = vmm_lpc_ich9_new (f->pm, f->pio, VMM_PORT_PM_BASE);
  g_assert_nonnull (lpc);
  g_assert_cmpint (vmm_pci_bus_add (f->pci, VMM_LPC_DEVFN, lpc), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  vmm_pci_bus_free (f->pci);
  vmm_pm_free (f->pm);
  vmm_bus_free (f->pio);
  vmm_bus_free (f->mmio);
}

static uint32_t
cfg_read (Fixture *f, unsigned fn, unsigned reg, unsigned len)
{
  uint8_t buf[4] = { 0 };

  vmm_pci_bus_config_read (f->pci, 0, VMM_PCI_DEVFN (0x1f, fn), reg, buf, len);
  return (uint32_t) vmm_le_get (buf, len);
}

static void
cfg_write (Fixture *f, unsigned reg, unsigned len, uint32_t v)
{
  uint8_t buf[4];

  vmm_le_put (buf, len, v);
  vmm_pci_bus_config_write (f->pci, 0, VMM_LPC_DEVFN, reg, buf, len);
}

/* The PM timer at @base + 8, if the block decodes there: one second of
 * the fake clock later it has counted 3579545 ticks (24 bits). */
static gboolean
pm_at (Fixture *f, uint16_t base)
{
  uint8_t a[4] = { 0 }, b[4] = { 0 };

  if (!vmm_bus_read (f->pio, base + VMM_PM_TMR, a, 4))
    return FALSE;
  f->now_us += G_USEC_PER_SEC;
  if (!vmm_bus_read (f->pio, base + VMM_PM_TMR, b, 4))
    return FALSE;
  return ((vmm_le_get (b, 4) - vmm_le_get (a, 4)) & VMM_PM_TIMER_MASK)
         == (VMM_PM_TIMER_HZ & VMM_PM_TIMER_MASK);
}

static void
test_identity (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (cfg_read (f, 0, 0x00, 4), ==, 0x29188086);
  g_assert_cmphex (cfg_read (f, 0, 0x08, 4), ==, 0x06010002);
  g_assert_cmphex (cfg_read (f, 0, 0x2c, 4), ==, 0x11001af4);
  g_assert_cmphex (cfg_read (f, 0, 0x0e, 1), ==, 0x80);
  g_assert_cmphex (cfg_read (f, 0, 0x3d, 1), ==, 0);
  /* The other functions of slot 31 do not exist. */
  g_assert_cmphex (cfg_read (f, 2, 0x00, 4), ==, 0xffffffff);
  /* IDs are read-only. */
  cfg_write (f, 0x00, 4, 0);
  g_assert_cmphex (cfg_read (f, 0, 0x00, 4), ==, 0x29188086);
}

static void
test_power_on (Fixture *f, gconstpointer data)
{
  /* Where the ACPI tables say, before any firmware ran. */
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_PMBASE, 4), ==, VMM_PORT_PM_BASE | 1);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_ACPI_CNTL, 1), ==, VMM_LPC_ACPI_EN);
  g_assert_true (pm_at (f, VMM_PORT_PM_BASE));
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_PIRQA_ROUT, 4), ==, 0x80808080);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_PIRQE_ROUT, 4), ==, 0x80808080);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_RCBA, 4), ==, 0);
}

/* What SeaBIOS and OVMF write, and a move elsewhere. */
static void
test_pmbase_moves_block (Fixture *f, gconstpointer data)
{
  uint8_t s5[2];

  cfg_write (f, VMM_LPC_PMBASE, 4, 0xb000 | 1);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_PMBASE, 4), ==, 0xb001);
  g_assert_true (pm_at (f, 0xb000));
  g_assert_false (pm_at (f, VMM_PORT_PM_BASE));
  /* The block at its new place is the real one: S5 powers off. */
  vmm_le_put (s5, 2, (VMM_ACPI_SLP_TYP_S5 << 10) | VMM_PM1_CNT_SLP_EN);
  g_assert_true (vmm_bus_write (f->pio, 0xb000 + VMM_PM1_CNT, s5, 2));
  g_assert_cmpuint (f->poweroffs, ==, 1);

  /* ACPI_EN off: nowhere. On again: back at PMBASE. */
  cfg_write (f, VMM_LPC_ACPI_CNTL, 1, 0);
  g_assert_false (pm_at (f, 0xb000));
  cfg_write (f, VMM_LPC_ACPI_CNTL, 1, VMM_LPC_ACPI_EN);
  g_assert_true (pm_at (f, 0xb000));

  /* A machine reset puts it back where it was at power-on. */
  vmm_pci_bus_reset (f->pci);
  g_assert_true (pm_at (f, VMM_PORT_PM_BASE));
  g_assert_false (pm_at (f, 0xb000));
}

static void
test_absurd_values (Fixture *f, gconstpointer data)
{
  uint8_t b[4];

  /* Reserved bits stay put: the base is 128-byte aligned, below 64 KiB,
   * and the I/O indicator reads as one. */
  cfg_write (f, VMM_LPC_PMBASE, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_PMBASE, 4), ==, 0xff81);
  g_assert_true (pm_at (f, 0xff80));
  cfg_write (f, VMM_LPC_PMBASE, 4, 0x12345678);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_PMBASE, 4), ==, 0x5601);
  g_assert_true (pm_at (f, 0x5600));
  /* Byte writes to either half. */
  cfg_write (f, VMM_LPC_PMBASE + 1, 1, 0x07);
  g_assert_true (pm_at (f, 0x0700));

  /* On top of another device: the block does not decode, the device
   * keeps its ports, and a sane base brings the block back. */
  cfg_write (f, VMM_LPC_PMBASE, 4, 0x500);
  g_assert_false (pm_at (f, 0x500));
  g_assert_true (vmm_bus_read (f->pio, 0x510, b, 1));
  g_assert_cmphex (b[0], ==, 0x5a);
  cfg_write (f, VMM_LPC_PMBASE, 4, 0x600);
  g_assert_true (pm_at (f, 0x600));

  /* Port 0: a base of zero is still a base. */
  cfg_write (f, VMM_LPC_PMBASE, 4, 0);
  g_assert_true (pm_at (f, 0));
  cfg_write (f, VMM_LPC_PMBASE, 4, 0x600);

  /* ACPI_CNTL keeps ACPI_EN and SCI_IRQ_SEL only. */
  cfg_write (f, VMM_LPC_ACPI_CNTL, 1, 0xff);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_ACPI_CNTL, 1), ==, 0x87);
  /* RCBA: base (16 KiB aligned) and enable. */
  cfg_write (f, VMM_LPC_RCBA, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_RCBA, 4), ==, 0xffffc001);
  cfg_write (f, VMM_LPC_RCBA, 4, 0xfed1c001);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_RCBA, 4), ==, 0xfed1c001);
  /* PIRQ routing: IRQEN and the IRQ number. */
  cfg_write (f, VMM_LPC_PIRQA_ROUT, 4, 0xffffffff);
  g_assert_cmphex (cfg_read (f, 0, VMM_LPC_PIRQA_ROUT, 4), ==, 0x8f8f8f8f);
  g_assert_true (pm_at (f, 0x600));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/vmm/lpc/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("identity", test_identity);
  ADD ("power-on", test_power_on);
  ADD ("pmbase-moves-block", test_pmbase_moves_block);
  ADD ("absurd-values", test_absurd_values);
#undef ADD
  return g_test_run ();
}
