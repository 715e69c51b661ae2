/* rtc.h: the MC146818 CMOS real-time clock and its NVRAM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"

/* Wall-clock time in microseconds since the Unix epoch (UTC). */
typedef gint64 (*VmmClockFn) (void *opaque);

#define VMM_CMOS_SIZE 128

#define VMM_CMOS_SECONDS  0x00
#define VMM_CMOS_MINUTES  0x02
#define VMM_CMOS_HOURS    0x04
#define VMM_CMOS_WEEKDAY  0x06
#define VMM_CMOS_DAY      0x07
#define VMM_CMOS_MONTH    0x08
#define VMM_CMOS_YEAR     0x09
#define VMM_CMOS_REG_A    0x0a
#define VMM_CMOS_REG_B    0x0b
#define VMM_CMOS_REG_C    0x0c
#define VMM_CMOS_REG_D    0x0d
#define VMM_CMOS_CENTURY  0x32

#define VMM_CMOS_A_UIP    0x80
#define VMM_CMOS_B_SET    0x80
#define VMM_CMOS_B_DM_BIN 0x04
#define VMM_CMOS_B_24H    0x02

typedef struct _VmmRtc VmmRtc;

/* @clock may be NULL for the host's real time. */
VmmRtc *vmm_rtc_new       (VmmClockFn clock, void *clock_opaque);
void    vmm_rtc_free      (VmmRtc *rtc);
/* Status registers back to power-on values; NVRAM and the guest's clock
 * offset survive, as on a PC with its CMOS battery. */
void    vmm_rtc_reset     (VmmRtc *rtc);
/* Firmware-visible NVRAM bytes (memory sizes and the like). */
void    vmm_rtc_set_nvram (VmmRtc *rtc, uint8_t index, uint8_t value);
/* Index port 0x70 (bit 7 masks NMI) and data port 0x71. */
int     vmm_rtc_register  (VmmRtc *rtc, VmmBus *pio);
