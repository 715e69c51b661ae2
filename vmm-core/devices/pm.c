/* pm.c: the ACPI fixed-hardware power-management block.
 *
 * PM1a event (status + enable) and control registers, the PM timer and a
 * GPE0 block, laid out as the FADT describes them. There is no SMM to hand
 * ACPI mode over from, so the block starts, and stays, in ACPI mode (SCI_EN
 * set) and every enabled event raises the SCI, a level-triggered line.
 * The timer's overflow status is not modelled: it needs a host timer and
 * Linux does not use it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/pm.h"
#include "x86/layout.h"

#include <string.h>

#define PM1_EVENTS (VMM_PM1_TMR | VMM_PM1_GBL | VMM_PM1_PWRBTN | VMM_PM1_SLPBTN | VMM_PM1_RTC)
#define GPE0_BYTES 8

struct _VmmPm {
  GMutex lock;
  VmmIrqLine sci;
  gboolean sci_level;
  VmmClockFn clock;
  void *clock_opaque;
  gint64 epoch_us;
  VmmPowerOffFn poweroff;
  void *poweroff_opaque;

  uint16_t sts, en, cnt;
  uint8_t gpe_sts[GPE0_BYTES], gpe_en[GPE0_BYTES];
};

static gint64
monotonic_clock (void *opaque)
{
  return g_get_monotonic_time ();
}

static void
update_sci (VmmPm *pm)
{
  gboolean level = (pm->sts & pm->en & PM1_EVENTS) != 0;

  for (unsigned i = 0; i < GPE0_BYTES; i++)
    level = level || (pm->gpe_sts[i] & pm->gpe_en[i]) != 0;
  if (level != pm->sci_level)
    {
      pm->sci_level = level;
      vmm_irq_set (&pm->sci, level);
    }
}

static void
reset_locked (VmmPm *pm)
{
  pm->sts = 0;
  pm->en = 0;
  pm->cnt = VMM_PM1_CNT_SCI_EN;
  memset (pm->gpe_sts, 0, sizeof pm->gpe_sts);
  memset (pm->gpe_en, 0, sizeof pm->gpe_en);
  update_sci (pm);
}

VmmPm *
vmm_pm_new (const VmmIrqLine *sci, VmmClockFn clock, void *clock_opaque,
            VmmPowerOffFn poweroff, void *poweroff_opaque)
{
  VmmPm *pm = g_new0 (VmmPm, 1);

  g_mutex_init (&pm->lock);
  if (sci != NULL)
    pm->sci = *sci;
  pm->clock = clock != NULL ? clock : monotonic_clock;
  pm->clock_opaque = clock_opaque;
  pm->epoch_us = pm->clock (pm->clock_opaque);
  pm->poweroff = poweroff;
  pm->poweroff_opaque = poweroff_opaque;
  reset_locked (pm);
  return pm;
}

void
vmm_pm_free (VmmPm *pm)
{
  if (pm == NULL)
    return;
  g_mutex_clear (&pm->lock);
  g_free (pm);
}

void
vmm_pm_reset (VmmPm *pm)
{
  g_mutex_lock (&pm->lock);
  reset_locked (pm);
  g_mutex_unlock (&pm->lock);
}

void
vmm_pm_power_button (VmmPm *pm)
{
  g_mutex_lock (&pm->lock);
  pm->sts |= VMM_PM1_PWRBTN;
  update_sci (pm);
  g_mutex_unlock (&pm->lock);
}

static uint32_t
timer_value (VmmPm *pm)
{
  gint64 us = pm->clock (pm->clock_opaque) - pm->epoch_us;
  guint64 ticks;

  if (us < 0)
    us = 0;
  /* Split so the product cannot overflow however long the host runs. */
  ticks = (guint64) (us / G_USEC_PER_SEC) * VMM_PM_TIMER_HZ
        + (guint64) (us % G_USEC_PER_SEC) * VMM_PM_TIMER_HZ / G_USEC_PER_SEC;
  /* A 24-bit timer: the FADT does not set TMR_VAL_EXT, so the upper byte
   * reads as zero. */
  return (uint32_t) ticks & VMM_PM_TIMER_MASK;
}

static uint8_t
read_byte (VmmPm *pm, unsigned off, uint32_t tmr)
{
  switch (off)
    {
    case VMM_PM1_STS: case VMM_PM1_STS + 1:
      return (uint8_t) (pm->sts >> (8 * (off - VMM_PM1_STS)));
    case VMM_PM1_EN: case VMM_PM1_EN + 1:
      return (uint8_t) (pm->en >> (8 * (off - VMM_PM1_EN)));
    case VMM_PM1_CNT: case VMM_PM1_CNT + 1:
      /* SLP_EN is write-only and reads as zero. */
      return (uint8_t) ((pm->cnt & ~VMM_PM1_CNT_SLP_EN) >> (8 * (off - VMM_PM1_CNT)));
    case VMM_PM_TMR: case VMM_PM_TMR + 1: case VMM_PM_TMR + 2: case VMM_PM_TMR + 3:
      return (uint8_t) (tmr >> (8 * (off - VMM_PM_TMR)));
    default:
      if (off >= VMM_PM_GPE0_STS && off < VMM_PM_GPE0_STS + GPE0_BYTES)
        return pm->gpe_sts[off - VMM_PM_GPE0_STS];
      if (off >= VMM_PM_GPE0_EN && off < VMM_PM_GPE0_EN + GPE0_BYTES)
        return pm->gpe_en[off - VMM_PM_GPE0_EN];
      return 0xff;
    }
}

/* Returns TRUE when the write asked for S5. */
static gboolean
write_byte (VmmPm *pm, unsigned off, uint8_t v)
{
  unsigned shift;

  switch (off)
    {
    case VMM_PM1_STS: case VMM_PM1_STS + 1:
      /* Write one to clear. */
      shift = 8 * (off - VMM_PM1_STS);
      pm->sts &= (uint16_t) ~((unsigned) v << shift);
      return FALSE;
    case VMM_PM1_EN: case VMM_PM1_EN + 1:
      shift = 8 * (off - VMM_PM1_EN);
      pm->en = (uint16_t) ((pm->en & ~(0xffu << shift)) | ((unsigned) v << shift));
      pm->en &= PM1_EVENTS;
      return FALSE;
    case VMM_PM1_CNT: case VMM_PM1_CNT + 1:
      shift = 8 * (off - VMM_PM1_CNT);
      pm->cnt = (uint16_t) ((pm->cnt & ~(0xffu << shift)) | ((unsigned) v << shift));
      /* SCI_EN is fixed: there is no legacy (SMI) mode to return to. */
      pm->cnt |= VMM_PM1_CNT_SCI_EN;
      if (pm->cnt & VMM_PM1_CNT_SLP_EN)
        {
          unsigned typ = (pm->cnt & VMM_PM1_CNT_SLP_TYP) >> 10;
          pm->cnt &= ~VMM_PM1_CNT_SLP_EN;
          /* Only S5 exists; other sleep states are not offered in the DSDT
           * and are ignored. */
          return typ == VMM_ACPI_SLP_TYP_S5;
        }
      return FALSE;
    default:
      if (off >= VMM_PM_GPE0_STS && off < VMM_PM_GPE0_STS + GPE0_BYTES)
        pm->gpe_sts[off - VMM_PM_GPE0_STS] &= (uint8_t) ~v;
      else if (off >= VMM_PM_GPE0_EN && off < VMM_PM_GPE0_EN + GPE0_BYTES)
        pm->gpe_en[off - VMM_PM_GPE0_EN] = v;
      return FALSE;
    }
}

static void
pm_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmPm *pm = opaque;
  uint32_t tmr;

  g_mutex_lock (&pm->lock);
  tmr = timer_value (pm);
  for (unsigned i = 0; i < len; i++)
    data[i] = read_byte (pm, (unsigned) offset + i, tmr);
  g_mutex_unlock (&pm->lock);
}

static void
pm_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmPm *pm = opaque;
  gboolean off = FALSE;

  g_mutex_lock (&pm->lock);
  for (unsigned i = 0; i < len; i++)
    off = write_byte (pm, (unsigned) offset + i, data[i]) || off;
  update_sci (pm);
  if (off && pm->poweroff != NULL)
    pm->poweroff (pm->poweroff_opaque);
  g_mutex_unlock (&pm->lock);
}

static const VmmBusOps pm_ops = {
  .read = pm_read,
  .write = pm_write,
};

int
vmm_pm_register (VmmPm *pm, VmmBus *pio, uint16_t base)
{
  return vmm_bus_register (pio, base, VMM_PM_BLOCK_LEN, VMM_BUS_W1 | VMM_BUS_W2 | VMM_BUS_W4,
                           &pm_ops, pm);
}
