/* rtc.c: the MC146818 CMOS real-time clock.
 *
 * The time registers are computed from the host's clock at each read, plus
 * an offset the guest sets by writing them, so the clock never drifts and
 * needs no timer. Interrupts (alarm, periodic, update) are not generated:
 * Linux uses the clock only to read the time at boot.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/rtc.h"
#include "x86/layout.h"

#include <string.h>
#include <time.h>

/* UIP is set this long before each update, per the data sheet. */
#define UIP_WINDOW_US 244

struct _VmmRtc {
  GMutex lock;
  VmmClockFn clock;
  void *clock_opaque;
  gint64 offset_s;
  uint8_t index;
  uint8_t nvram[VMM_CMOS_SIZE];
};

static gint64
host_clock (void *opaque)
{
  return g_get_real_time ();
}

static void
reset_locked (VmmRtc *rtc)
{
  rtc->nvram[VMM_CMOS_REG_A] = 0x26; /* 32.768 kHz divider, 1024 Hz rate */
  rtc->nvram[VMM_CMOS_REG_B] = VMM_CMOS_B_24H;
  rtc->nvram[VMM_CMOS_REG_C] = 0;
  rtc->nvram[VMM_CMOS_REG_D] = 0x80; /* valid RAM and time */
  rtc->index = 0;
}

VmmRtc *
vmm_rtc_new (VmmClockFn clock, void *clock_opaque)
{
  VmmRtc *rtc = g_new0 (VmmRtc, 1);

  g_mutex_init (&rtc->lock);
  rtc->clock = clock != NULL ? clock : host_clock;
  rtc->clock_opaque = clock_opaque;
  reset_locked (rtc);
  return rtc;
}

void
vmm_rtc_free (VmmRtc *rtc)
{
  if (rtc == NULL)
    return;
  g_mutex_clear (&rtc->lock);
  g_free (rtc);
}

void
vmm_rtc_reset (VmmRtc *rtc)
{
  g_mutex_lock (&rtc->lock);
  reset_locked (rtc);
  g_mutex_unlock (&rtc->lock);
}

void
vmm_rtc_set_nvram (VmmRtc *rtc, uint8_t index, uint8_t value)
{
  g_return_if_fail (index < VMM_CMOS_SIZE);
  g_mutex_lock (&rtc->lock);
  rtc->nvram[index] = value;
  g_mutex_unlock (&rtc->lock);
}

static uint8_t
to_bcd (unsigned v)
{
  return (uint8_t) (((v / 10) % 10) << 4 | (v % 10));
}

static unsigned
from_bcd (uint8_t v)
{
  return (v >> 4) * 10 + (v & 0x0f);
}

static gboolean
binary_mode (const VmmRtc *rtc)
{
  return (rtc->nvram[VMM_CMOS_REG_B] & VMM_CMOS_B_DM_BIN) != 0;
}

static uint8_t
encode (const VmmRtc *rtc, unsigned v)
{
  return binary_mode (rtc) ? (uint8_t) v : to_bcd (v);
}

static unsigned
decode (const VmmRtc *rtc, uint8_t v)
{
  return binary_mode (rtc) ? v : from_bcd (v);
}

static void
guest_time (const VmmRtc *rtc, struct tm *tm, gint64 *usec_in_second)
{
  gint64 now = rtc->clock (rtc->clock_opaque);
  time_t t = (time_t) (now / G_USEC_PER_SEC + rtc->offset_s);

  gmtime_r (&t, tm);
  if (usec_in_second != NULL)
    *usec_in_second = now % G_USEC_PER_SEC;
}

static uint8_t
encode_hours (const VmmRtc *rtc, int hour)
{
  unsigned h;

  if (rtc->nvram[VMM_CMOS_REG_B] & VMM_CMOS_B_24H)
    return encode (rtc, (unsigned) hour);
  h = hour % 12 == 0 ? 12 : (unsigned) (hour % 12);
  return (uint8_t) (encode (rtc, h) | (hour >= 12 ? 0x80 : 0));
}

static int
decode_hours (const VmmRtc *rtc, uint8_t v)
{
  int h;

  if (rtc->nvram[VMM_CMOS_REG_B] & VMM_CMOS_B_24H)
    return (int) decode (rtc, v);
  h = (int) decode (rtc, v & 0x7f) % 12;
  return (v & 0x80) ? h + 12 : h;
}

static uint8_t
read_reg (VmmRtc *rtc, uint8_t index)
{
  struct tm tm;
  gint64 usec;
  uint8_t v;

  switch (index)
    {
    case VMM_CMOS_SECONDS: case VMM_CMOS_MINUTES: case VMM_CMOS_HOURS:
    case VMM_CMOS_WEEKDAY: case VMM_CMOS_DAY: case VMM_CMOS_MONTH:
    case VMM_CMOS_YEAR: case VMM_CMOS_CENTURY:
      guest_time (rtc, &tm, NULL);
      switch (index)
        {
        case VMM_CMOS_SECONDS: return encode (rtc, (unsigned) tm.tm_sec);
        case VMM_CMOS_MINUTES: return encode (rtc, (unsigned) tm.tm_min);
        case VMM_CMOS_HOURS: return encode_hours (rtc, tm.tm_hour);
        case VMM_CMOS_WEEKDAY: return encode (rtc, (unsigned) tm.tm_wday + 1);
        case VMM_CMOS_DAY: return encode (rtc, (unsigned) tm.tm_mday);
        case VMM_CMOS_MONTH: return encode (rtc, (unsigned) tm.tm_mon + 1);
        case VMM_CMOS_YEAR: return encode (rtc, (unsigned) (tm.tm_year % 100));
        default: return encode (rtc, (unsigned) (1900 + tm.tm_year) / 100);
        }
    case VMM_CMOS_REG_A:
      v = rtc->nvram[VMM_CMOS_REG_A] & 0x7f;
      guest_time (rtc, &tm, &usec);
      if (!(rtc->nvram[VMM_CMOS_REG_B] & VMM_CMOS_B_SET)
          && usec >= G_USEC_PER_SEC - UIP_WINDOW_US)
        v |= VMM_CMOS_A_UIP;
      return v;
    case VMM_CMOS_REG_C:
      /* Reading C acknowledges interrupts; none are ever raised. */
      v = rtc->nvram[VMM_CMOS_REG_C];
      rtc->nvram[VMM_CMOS_REG_C] = 0;
      return v;
    default:
      return rtc->nvram[index];
    }
}

static void
write_time_field (VmmRtc *rtc, uint8_t index, uint8_t v)
{
  struct tm tm;
  time_t t;
  gint64 now_s = rtc->clock (rtc->clock_opaque) / G_USEC_PER_SEC;
  int year;

  guest_time (rtc, &tm, NULL);
  switch (index)
    {
    case VMM_CMOS_SECONDS: tm.tm_sec = (int) decode (rtc, v); break;
    case VMM_CMOS_MINUTES: tm.tm_min = (int) decode (rtc, v); break;
    case VMM_CMOS_HOURS: tm.tm_hour = decode_hours (rtc, v); break;
    case VMM_CMOS_DAY: tm.tm_mday = (int) decode (rtc, v); break;
    case VMM_CMOS_MONTH: tm.tm_mon = (int) decode (rtc, v) - 1; break;
    case VMM_CMOS_YEAR:
      year = 1900 + tm.tm_year;
      tm.tm_year = (year / 100) * 100 + (int) decode (rtc, v) % 100 - 1900;
      break;
    case VMM_CMOS_CENTURY:
      tm.tm_year = (int) decode (rtc, v) * 100 + tm.tm_year % 100 - 1900;
      break;
    default:
      /* The weekday follows from the date. */
      return;
    }
  /* Garbage from the guest normalises to some date, never a failure. */
  t = timegm (&tm);
  if (t != (time_t) -1)
    rtc->offset_s = (gint64) t - now_s;
}

static void
write_reg (VmmRtc *rtc, uint8_t index, uint8_t v)
{
  switch (index)
    {
    case VMM_CMOS_SECONDS: case VMM_CMOS_MINUTES: case VMM_CMOS_HOURS:
    case VMM_CMOS_WEEKDAY: case VMM_CMOS_DAY: case VMM_CMOS_MONTH:
    case VMM_CMOS_YEAR: case VMM_CMOS_CENTURY:
      write_time_field (rtc, index, v);
      break;
    case VMM_CMOS_REG_A:
      rtc->nvram[index] = v & 0x7f;
      break;
    case VMM_CMOS_REG_C: case VMM_CMOS_REG_D:
      break;
    default:
      rtc->nvram[index] = v;
      break;
    }
}

static void
rtc_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmRtc *rtc = opaque;

  g_mutex_lock (&rtc->lock);
  /* The index register is write-only; reads of it float. */
  data[0] = offset == 0 ? 0xff : read_reg (rtc, rtc->index);
  g_mutex_unlock (&rtc->lock);
}

static void
rtc_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmRtc *rtc = opaque;

  g_mutex_lock (&rtc->lock);
  if (offset == 0)
    rtc->index = data[0] & 0x7f;
  else
    write_reg (rtc, rtc->index, data[0]);
  g_mutex_unlock (&rtc->lock);
}

static const VmmBusOps rtc_ops = {
  .read = rtc_read,
  .write = rtc_write,
};

int
vmm_rtc_register (VmmRtc *rtc, VmmBus *pio)
{
  return vmm_bus_register (pio, VMM_PORT_CMOS, 2, VMM_BUS_W1, &rtc_ops, rtc);
}
