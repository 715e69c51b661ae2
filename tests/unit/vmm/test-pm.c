/* test-pm.c: the ACPI PM block and the power button.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/pm.h"
#include "x86/layout.h"

typedef struct {
  VmmBus *pio;
  VmmPm *pm;
  gint64 now_us;
  gboolean sci;
  unsigned sci_edges;
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
  Fixture *f = opaque;

  g_assert_cmpuint (gsi, ==, VMM_IRQ_SCI);
  if (level && !f->sci)
    f->sci_edges++;
  f->sci = level;
}

static void
on_poweroff (void *opaque)
{
  Fixture *f = opaque;

  f->poweroffs++;
}

static void
setup (Fixture *f, gconstpointer data)
{
  VmmIrqLine sci = { sci_set, f, VMM_IRQ_SCI };

  f->now_us = 1000000;
  f->pio = vmm_bus_new ("pio");
  f->pm = vmm_pm_new (&sci, fake_clock, f, on_poweroff, f);
  g_assert_cmpint (vmm_pm_register (f->pm, f->pio, VMM_PORT_PM_BASE), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  vmm_pm_free (f->pm);
  vmm_bus_free (f->pio);
}

static uint32_t
rd (Fixture *f, unsigned off, unsigned len)
{
  uint8_t buf[4];

  g_assert_true (vmm_bus_read (f->pio, VMM_PORT_PM_BASE + off, buf, len));
  return (uint32_t) vmm_le_get (buf, len);
}

static void
wr (Fixture *f, unsigned off, unsigned len, uint32_t v)
{
  uint8_t buf[4];

  vmm_le_put (buf, len, v);
  g_assert_true (vmm_bus_write (f->pio, VMM_PORT_PM_BASE + off, buf, len));
}

static void
test_reset_values (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (rd (f, VMM_PM1_STS, 2), ==, 0);
  g_assert_cmphex (rd (f, VMM_PM1_EN, 2), ==, 0);
  g_assert_cmphex (rd (f, VMM_PM1_CNT, 2), ==, VMM_PM1_CNT_SCI_EN);
  g_assert_false (f->sci);
  /* Unused offsets in the block float. */
  g_assert_cmphex (rd (f, 0x10, 4), ==, 0xffffffff);
}

static void
test_timer (Fixture *f, gconstpointer data)
{
  uint32_t t0 = rd (f, VMM_PM_TMR, 4);

  g_assert_cmpuint (t0, ==, 0);
  f->now_us += 1000000;
  g_assert_cmpuint (rd (f, VMM_PM_TMR, 4), ==, VMM_PM_TIMER_HZ);
  f->now_us += 1;
  g_assert_cmpuint (rd (f, VMM_PM_TMR, 4), ==, VMM_PM_TIMER_HZ + 3);
  /* A month of uptime neither overflows nor loses precision. */
  f->now_us += (gint64) 30 * 86400 * G_USEC_PER_SEC;
  g_assert_cmpuint (rd (f, VMM_PM_TMR, 4), ==,
                    (uint32_t) ((guint64) (30 * 86400 + 1) * VMM_PM_TIMER_HZ + 3) & VMM_PM_TIMER_MASK);
  g_assert_cmpuint (rd (f, VMM_PM_TMR + 3, 1), ==, 0);
  /* Read-only. */
  wr (f, VMM_PM_TMR, 4, 0);
  g_assert_cmpuint (rd (f, VMM_PM_TMR, 4), !=, 0);
  /* The clock going backwards does not make the timer negative. */
  f->now_us = 0;
  g_assert_cmpuint (rd (f, VMM_PM_TMR, 4), ==, 0);
}

static void
test_power_button (Fixture *f, gconstpointer data)
{
  /* Pressed while the guest has not enabled it: status only. */
  vmm_pm_power_button (f->pm);
  g_assert_cmphex (rd (f, VMM_PM1_STS, 2), ==, VMM_PM1_PWRBTN);
  g_assert_false (f->sci);
  wr (f, VMM_PM1_EN, 2, VMM_PM1_PWRBTN);
  g_assert_true (f->sci);
  /* Write one to clear: writing zero changes nothing. */
  wr (f, VMM_PM1_STS, 2, 0);
  g_assert_true (f->sci);
  wr (f, VMM_PM1_STS, 2, VMM_PM1_PWRBTN);
  g_assert_false (f->sci);
  g_assert_cmphex (rd (f, VMM_PM1_STS, 2), ==, 0);
  /* Now enabled: the press raises the SCI at once. */
  vmm_pm_power_button (f->pm);
  g_assert_true (f->sci);
  g_assert_cmpuint (f->sci_edges, ==, 2);
  /* Byte access to the high status byte clears it too. */
  wr (f, VMM_PM1_STS + 1, 1, VMM_PM1_PWRBTN >> 8);
  g_assert_false (f->sci);
  /* 32-bit access covering STS and EN together. */
  vmm_pm_power_button (f->pm);
  g_assert_cmphex (rd (f, VMM_PM1_STS, 4), ==, VMM_PM1_PWRBTN | (VMM_PM1_PWRBTN << 16));
  wr (f, VMM_PM1_STS, 4, VMM_PM1_PWRBTN);
  g_assert_false (f->sci);
  g_assert_cmphex (rd (f, VMM_PM1_EN, 2), ==, 0);
  /* Reserved enable bits do not stick. */
  wr (f, VMM_PM1_EN, 2, 0xffff);
  g_assert_cmphex (rd (f, VMM_PM1_EN, 2), ==, 0x0721);
}

static void
test_sleep_s5 (Fixture *f, gconstpointer data)
{
  unsigned other = (VMM_ACPI_SLP_TYP_S5 + 1) & 7;

  /* SLP_TYP without SLP_EN: nothing happens. */
  wr (f, VMM_PM1_CNT, 2, (VMM_ACPI_SLP_TYP_S5 << 10) | VMM_PM1_CNT_SCI_EN);
  g_assert_cmpuint (f->poweroffs, ==, 0);
  /* Another sleep state is not offered and is ignored. */
  wr (f, VMM_PM1_CNT, 2, (other << 10) | VMM_PM1_CNT_SLP_EN | VMM_PM1_CNT_SCI_EN);
  g_assert_cmpuint (f->poweroffs, ==, 0);
  /* SLP_EN reads as zero; SCI_EN cannot be cleared. */
  g_assert_cmphex (rd (f, VMM_PM1_CNT, 2), ==, (other << 10) | VMM_PM1_CNT_SCI_EN);
  wr (f, VMM_PM1_CNT, 2, 0);
  g_assert_cmphex (rd (f, VMM_PM1_CNT, 2) & VMM_PM1_CNT_SCI_EN, ==, VMM_PM1_CNT_SCI_EN);
  /* S5 with SLP_EN: off. */
  wr (f, VMM_PM1_CNT, 2, (VMM_ACPI_SLP_TYP_S5 << 10) | VMM_PM1_CNT_SLP_EN);
  g_assert_cmpuint (f->poweroffs, ==, 1);
  /* The same through two byte writes, high byte last as a guest might. */
  wr (f, VMM_PM1_CNT, 1, 0x01);
  wr (f, VMM_PM1_CNT + 1, 1, (uint8_t) (((VMM_ACPI_SLP_TYP_S5 << 10) | VMM_PM1_CNT_SLP_EN) >> 8));
  g_assert_cmpuint (f->poweroffs, ==, 2);
}

static void
test_gpe0 (Fixture *f, gconstpointer data)
{
  wr (f, VMM_PM_GPE0_EN, 4, 0x12345678);
  g_assert_cmphex (rd (f, VMM_PM_GPE0_EN, 4), ==, 0x12345678);
  g_assert_cmphex (rd (f, VMM_PM_GPE0_EN + 4, 4), ==, 0);
  /* Status bits are set by hardware only; the guest can merely clear. */
  wr (f, VMM_PM_GPE0_STS, 4, 0xffffffff);
  g_assert_cmphex (rd (f, VMM_PM_GPE0_STS, 4), ==, 0);
  g_assert_false (f->sci);
  vmm_pm_reset (f->pm);
  g_assert_cmphex (rd (f, VMM_PM_GPE0_EN, 4), ==, 0);
}

static void
test_reset_clears (Fixture *f, gconstpointer data)
{
  wr (f, VMM_PM1_EN, 2, VMM_PM1_PWRBTN);
  vmm_pm_power_button (f->pm);
  g_assert_true (f->sci);
  vmm_pm_reset (f->pm);
  g_assert_false (f->sci);
  g_assert_cmphex (rd (f, VMM_PM1_STS, 2), ==, 0);
  g_assert_cmphex (rd (f, VMM_PM1_EN, 2), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/vmm/pm/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("reset-values", test_reset_values);
  ADD ("timer", test_timer);
  ADD ("power-button", test_power_button);
  ADD ("sleep-s5", test_sleep_s5);
  ADD ("gpe0", test_gpe0);
  ADD ("reset-clears", test_reset_clears);
#undef ADD
  return g_test_run ();
}
