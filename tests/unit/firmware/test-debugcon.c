/* test-debugcon.c: the debug console port on a bus: byte writes reach the
 * sink, reads answer the probe value, wider accesses are not claimed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>

#include "firmware/debugcon.h"

static void
on_out (void *opaque, const uint8_t *data, size_t len)
{
  g_string_append_len (opaque, (const char *) data, (gssize) len);
}

static void
test_debugcon (void)
{
  g_autoptr(GString) log = g_string_new (NULL);
  VmmBus *pio = vmm_bus_new ("pio");
  VmmDebugcon *d = vmm_debugcon_new (on_out, log);
  uint8_t b, w[2] = { 'x', 'y' };

  g_assert_cmpint (vmm_debugcon_register (d, pio, VMM_DEBUGCON_PORT), ==, 0);
  for (const char *p = "SeaBIOS"; *p; p++)
    g_assert_true (vmm_bus_write (pio, VMM_DEBUGCON_PORT, (const uint8_t *) p, 1));
  g_assert_false (vmm_bus_write (pio, VMM_DEBUGCON_PORT, w, 2));
  g_assert_cmpstr (log->str, ==, "SeaBIOS");
  g_assert_true (vmm_bus_read (pio, VMM_DEBUGCON_PORT, &b, 1));
  g_assert_cmphex (b, ==, VMM_DEBUGCON_READBACK);
  vmm_bus_free (pio);
  vmm_debugcon_free (d);
}

/* Without a sink the probe finds no console, so firmware does not log
 * byte by byte into nothing; writes are still taken and dropped. */
static void
test_debugcon_no_sink (void)
{
  VmmBus *pio = vmm_bus_new ("pio");
  VmmDebugcon *d = vmm_debugcon_new (NULL, NULL);
  uint8_t b;

  g_assert_cmpint (vmm_debugcon_register (d, pio, VMM_DEBUGCON_PORT), ==, 0);
  g_assert_true (vmm_bus_read (pio, VMM_DEBUGCON_PORT, &b, 1));
  g_assert_cmphex (b, ==, 0xff);
  g_assert_true (vmm_bus_write (pio, VMM_DEBUGCON_PORT, (const uint8_t *) "S", 1));
  vmm_bus_free (pio);
  vmm_debugcon_free (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/debugcon/log", test_debugcon);
  g_test_add_func ("/debugcon/no-sink", test_debugcon_no_sink);
  return g_test_run ();
}
