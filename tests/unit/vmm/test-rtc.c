/* test-rtc.c: CMOS clock values and NVRAM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/rtc.h"

typedef struct {
  VmmBus *pio;
  VmmRtc *rtc;
  gint64 now_us;
} Fixture;

static gint64
fake_clock (void *opaque)
{
  Fixture *f = opaque;

  return f->now_us;
}

static gint64
utc_us (int y, int mo, int d, int h, int mi, int s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc (y, mo, d, h, mi, s);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static void
setup (Fixture *f, gconstpointer data)
{
  /* A Sunday. */
  f->now_us = utc_us (2026, 11, 22, 4, 13, 8) + 500000;
  f->pio = vmm_bus_new ("pio");
  f->rtc = vmm_rtc_new (fake_clock, f);
  g_assert_cmpint (vmm_rtc_register (f->rtc, f->pio), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  vmm_rtc_free (f->rtc);
  vmm_bus_free (f->pio);
}

static uint8_t
cmos_read (Fixture *f, uint8_t index)
{
  uint8_t v = index;

  vmm_bus_write (f->pio, 0x70, &v, 1);
  vmm_bus_read (f->pio, 0x71, &v, 1);
  return v;
}

static void
cmos_write (Fixture *f, uint8_t index, uint8_t v)
{
  vmm_bus_write (f->pio, 0x70, &index, 1);
  vmm_bus_write (f->pio, 0x71, &v, 1);
}

static void
test_bcd_time (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (cmos_read (f, VMM_CMOS_SECONDS), ==, 0x08);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_MINUTES), ==, 0x13);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_HOURS), ==, 0x04);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_WEEKDAY), ==, 0x01);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_DAY), ==, 0x22);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_MONTH), ==, 0x11);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_YEAR), ==, 0x26);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_CENTURY), ==, 0x20);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_B), ==, VMM_CMOS_B_24H);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_D), ==, 0x80);
  /* The clock follows the host's. */
  f->now_us += 61 * G_USEC_PER_SEC;
  g_assert_cmphex (cmos_read (f, VMM_CMOS_SECONDS), ==, 0x09);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_MINUTES), ==, 0x14);
}

static void
test_binary_and_12h (Fixture *f, gconstpointer data)
{
  cmos_write (f, VMM_CMOS_REG_B, VMM_CMOS_B_DM_BIN | VMM_CMOS_B_24H);
  g_assert_cmpuint (cmos_read (f, VMM_CMOS_MINUTES), ==, 13);
  g_assert_cmpuint (cmos_read (f, VMM_CMOS_DAY), ==, 22);
  g_assert_cmpuint (cmos_read (f, VMM_CMOS_CENTURY), ==, 20);

  f->now_us = utc_us (2026, 11, 22, 16, 0, 0);
  cmos_write (f, VMM_CMOS_REG_B, 0);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_HOURS), ==, 0x84);
  f->now_us = utc_us (2026, 11, 22, 0, 30, 0);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_HOURS), ==, 0x12);
  f->now_us = utc_us (2026, 11, 22, 12, 30, 0);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_HOURS), ==, 0x92);
}

static void
test_update_in_progress (Fixture *f, gconstpointer data)
{
  gint64 second = utc_us (2026, 11, 22, 4, 13, 8);

  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_A), ==, 0x26);
  f->now_us = second + 999900;
  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_A), ==, 0x80 | 0x26);
  /* UIP itself is read-only. */
  cmos_write (f, VMM_CMOS_REG_A, 0xa6);
  f->now_us = second + 100;
  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_A), ==, 0x26);
  /* While the guest holds SET, no updates happen. */
  cmos_write (f, VMM_CMOS_REG_B, VMM_CMOS_B_SET | VMM_CMOS_B_24H);
  f->now_us = second + 999900;
  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_A), ==, 0x26);
}

static void
test_guest_sets_time (Fixture *f, gconstpointer data)
{
  cmos_write (f, VMM_CMOS_MINUTES, 0x45);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_MINUTES), ==, 0x45);
  cmos_write (f, VMM_CMOS_YEAR, 0x30);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_YEAR), ==, 0x30);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_CENTURY), ==, 0x20);
  /* The offset sticks as host time goes on, and survives a reset. */
  f->now_us += 60 * G_USEC_PER_SEC;
  vmm_rtc_reset (f->rtc);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_MINUTES), ==, 0x46);
  /* Nonsense values normalise instead of failing. */
  cmos_write (f, VMM_CMOS_MONTH, 0x99);
  cmos_write (f, VMM_CMOS_HOURS, 0xff);
  (void) cmos_read (f, VMM_CMOS_MONTH);
  /* Status C and D are read-only; C clears on read. */
  cmos_write (f, VMM_CMOS_REG_D, 0x00);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_D), ==, 0x80);
  g_assert_cmphex (cmos_read (f, VMM_CMOS_REG_C), ==, 0x00);
}

static void
test_nvram (Fixture *f, gconstpointer data)
{
  uint8_t v;

  cmos_write (f, 0x40, 0xa5);
  g_assert_cmphex (cmos_read (f, 0x40), ==, 0xa5);
  /* Bit 7 of the index is the NMI mask, not part of the index. */
  g_assert_cmphex (cmos_read (f, 0x80 | 0x40), ==, 0xa5);
  cmos_write (f, 0x7f, 0x11);
  g_assert_cmphex (cmos_read (f, 0xff), ==, 0x11);
  vmm_rtc_set_nvram (f->rtc, 0x34, 0x77);
  g_assert_cmphex (cmos_read (f, 0x34), ==, 0x77);
  vmm_rtc_reset (f->rtc);
  g_assert_cmphex (cmos_read (f, 0x40), ==, 0xa5);
  /* The index port is write-only. */
  vmm_bus_read (f->pio, 0x70, &v, 1);
  g_assert_cmphex (v, ==, 0xff);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/vmm/rtc/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("bcd-time", test_bcd_time);
  ADD ("binary-12h", test_binary_and_12h);
  ADD ("update-in-progress", test_update_in_progress);
  ADD ("guest-sets-time", test_guest_sets_time);
  ADD ("nvram", test_nvram);
#undef ADD
  return g_test_run ();
}
