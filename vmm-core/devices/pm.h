/* pm.h: the ACPI fixed-hardware power-management block.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"
#include "irq.h"
#include "devices/rtc.h"

/* Offsets inside the block at VMM_PORT_PM_BASE. */
#define VMM_PM1_STS      0x00
#define VMM_PM1_EN       0x02
#define VMM_PM1_CNT      0x04
#define VMM_PM_TMR       0x08
#define VMM_PM_GPE0_STS  0x20
#define VMM_PM_GPE0_EN   0x28
#define VMM_PM_BLOCK_LEN 0x30

#define VMM_PM1_TMR      0x0001
#define VMM_PM1_GBL      0x0020
#define VMM_PM1_PWRBTN   0x0100
#define VMM_PM1_SLPBTN   0x0200
#define VMM_PM1_RTC      0x0400
#define VMM_PM1_WAK      0x8000

#define VMM_PM1_CNT_SCI_EN   0x0001
#define VMM_PM1_CNT_SLP_TYP  0x1c00
#define VMM_PM1_CNT_SLP_EN   0x2000

#define VMM_PM_TIMER_HZ 3579545
#define VMM_PM_TIMER_MASK 0xffffffu

/* Called when the guest enters S5. Called with the block's lock held. */
typedef void (*VmmPowerOffFn) (void *opaque);

typedef struct _VmmPm VmmPm;

/* @clock gives a monotonic time in microseconds (NULL: the host's
 * monotonic clock) and drives the PM timer. */
VmmPm *vmm_pm_new          (const VmmIrqLine *sci, VmmClockFn clock, void *clock_opaque,
                            VmmPowerOffFn poweroff, void *poweroff_opaque);
void   vmm_pm_free         (VmmPm *pm);
void   vmm_pm_reset        (VmmPm *pm);
/* A press of the power button: PWRBTN_STS, and an SCI when enabled. */
void   vmm_pm_power_button (VmmPm *pm);
int    vmm_pm_register     (VmmPm *pm, VmmBus *pio, uint16_t base);
