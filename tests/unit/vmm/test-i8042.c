/* test-i8042.c: the keyboard controller as Linux's i8042 driver probes it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/i8042.h"

typedef struct {
  VmmBus *pio;
  VmmI8042 *kbc;
  unsigned resets;
  unsigned kbd_irqs, aux_irqs;
} Fixture;

static void
irq_set (void *opaque, unsigned gsi, gboolean level)
{
  Fixture *f = opaque;

  if (level)
    {
      if (gsi == 1)
        f->kbd_irqs++;
      else
        f->aux_irqs++;
    }
}

static void
on_reset (void *opaque)
{
  Fixture *f = opaque;

  f->resets++;
}

static void
setup (Fixture *f, gconstpointer data)
{
  VmmIrqLine kbd = { irq_set, f, 1 }, aux = { irq_set, f, 12 };

  f->pio = vmm_bus_new ("pio");
  f->kbc = vmm_i8042_new (&kbd, &aux, on_reset, f);
  g_assert_cmpint (vmm_i8042_register (f->kbc, f->pio), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  vmm_i8042_free (f->kbc);
  vmm_bus_free (f->pio);
}

static uint8_t
rd (Fixture *f, uint16_t port)
{
  uint8_t v;

  vmm_bus_read (f->pio, port, &v, 1);
  return v;
}

static void
wr (Fixture *f, uint16_t port, uint8_t v)
{
  vmm_bus_write (f->pio, port, &v, 1);
}

static void
test_self_tests (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  wr (f, 0x64, 0xaa);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0x01);
  g_assert_cmphex (rd (f, 0x60), ==, 0x55);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  wr (f, 0x64, 0xab);
  g_assert_cmphex (rd (f, 0x60), ==, 0x00);
  wr (f, 0x64, 0xa9);
  g_assert_cmphex (rd (f, 0x60), ==, 0x00);
  g_assert_cmpuint (f->resets, ==, 0);
}

static void
test_command_byte (Fixture *f, gconstpointer data)
{
  wr (f, 0x64, 0x20);
  g_assert_cmphex (rd (f, 0x60), ==, 0x45);
  wr (f, 0x64, 0x60);
  wr (f, 0x60, 0x74);
  wr (f, 0x64, 0xa8);
  wr (f, 0x64, 0x20);
  g_assert_cmphex (rd (f, 0x60), ==, 0x54);
  /* Loopback through the aux port is flagged as aux data. */
  wr (f, 0x64, 0xd3);
  wr (f, 0x60, 0x5a);
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x21);
  g_assert_cmphex (rd (f, 0x60), ==, 0x5a);
  g_assert_cmpuint (f->aux_irqs, ==, 0); /* AUXINT off in 0x54 */
}

static void
test_keyboard_identify (Fixture *f, gconstpointer data)
{
  wr (f, 0x60, 0xf2);
  g_assert_cmpuint (f->kbd_irqs, ==, 1);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
  g_assert_cmphex (rd (f, 0x60), ==, 0xab);
  g_assert_cmphex (rd (f, 0x60), ==, 0x83);
  g_assert_cmpuint (f->kbd_irqs, ==, 3);
  wr (f, 0x60, 0xed);
  wr (f, 0x60, 0x07);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
  wr (f, 0x60, 0xff);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
  g_assert_cmphex (rd (f, 0x60), ==, 0xaa);
  /* Nothing left: reading again gives no new byte. */
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
}

static void
test_aux_no_mouse (Fixture *f, gconstpointer data)
{
  unsigned irqs;

  /* AUXINT on, aux port enabled, as Linux leaves it after probing. */
  wr (f, 0x64, 0x60);
  wr (f, 0x60, 0x47);
  wr (f, 0x64, 0xa8);
  irqs = f->aux_irqs;
  /* GET ID to the mouse: nothing there, so the controller times out and
   * hands back 0xfe as aux data with the timeout bit, on IRQ 12. */
  wr (f, 0x64, 0xd4);
  wr (f, 0x60, 0xf2);
  g_assert_cmpuint (f->aux_irqs, ==, irqs + 1);
  g_assert_cmpuint (f->kbd_irqs, ==, 0);
  g_assert_cmphex (rd (f, 0x64) & 0x61, ==, 0x61);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfe);
  /* The status bits went with the byte. */
  g_assert_cmphex (rd (f, 0x64) & 0x61, ==, 0);
  /* A byte for the keyboard right after is plain keyboard data. */
  wr (f, 0x60, 0xf2);
  g_assert_cmphex (rd (f, 0x64) & 0x61, ==, 0x01);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
}

static void
test_reset_line (Fixture *f, gconstpointer data)
{
  /* Pulsing bits that do not include the reset line does nothing. */
  wr (f, 0x64, 0xfd);
  g_assert_cmpuint (f->resets, ==, 0);
  wr (f, 0x64, 0xfe);
  g_assert_cmpuint (f->resets, ==, 1);
  /* Writing the output port with bit 0 clear also resets. */
  wr (f, 0x64, 0xd1);
  wr (f, 0x60, 0x02);
  g_assert_cmpuint (f->resets, ==, 2);
  wr (f, 0x64, 0xd1);
  wr (f, 0x60, 0x03);
  g_assert_cmpuint (f->resets, ==, 2);
}

static void
test_output_overflow (Fixture *f, gconstpointer data)
{
  /* A guest that never reads cannot grow the queue without bound. */
  for (unsigned i = 0; i < 100; i++)
    wr (f, 0x60, 0xf2);
  for (unsigned i = 0; i < 16; i++)
    {
      g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0x01);
      (void) rd (f, 0x60);
    }
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
}

static void
test_keys (Fixture *f, gconstpointer data)
{
  unsigned irqs = f->kbd_irqs;

  /* A plain key, then a prefixed one (Right Ctrl), press and release. */
  vmm_i8042_key (f->kbc, 0x1e, TRUE);
  g_assert_cmpuint (f->kbd_irqs, ==, irqs + 1);
  g_assert_cmphex (rd (f, 0x60), ==, 0x1e);
  vmm_i8042_key (f->kbc, 0x1e, FALSE);
  g_assert_cmphex (rd (f, 0x60), ==, 0x9e);
  vmm_i8042_key (f->kbc, 0xe01d, FALSE);
  g_assert_cmphex (rd (f, 0x60), ==, 0xe0);
  g_assert_cmphex (rd (f, 0x60), ==, 0x9d);
  /* Pause sends its whole sequence on press, nothing on release. */
  vmm_i8042_key (f->kbc, VMM_I8042_SCANCODE_PAUSE, TRUE);
  vmm_i8042_key (f->kbc, VMM_I8042_SCANCODE_PAUSE, FALSE);
  g_assert_cmphex (rd (f, 0x60), ==, 0xe1);
  g_assert_cmphex (rd (f, 0x60), ==, 0x1d);
  g_assert_cmphex (rd (f, 0x60), ==, 0x45);
  g_assert_cmphex (rd (f, 0x60), ==, 0xe1);
  g_assert_cmphex (rd (f, 0x60), ==, 0x9d);
  g_assert_cmphex (rd (f, 0x60), ==, 0xc5);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  /* Codes the table cannot have are ignored. */
  vmm_i8042_key (f->kbc, 0x1234, TRUE);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  /* Nothing while the guest disabled the keyboard (command 0xad). */
  wr (f, 0x64, 0xad);
  vmm_i8042_key (f->kbc, 0x1e, TRUE);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  wr (f, 0x64, 0xae);
  /* A full buffer drops whole keys, never half a sequence. */
  for (unsigned i = 0; i < 20; i++)
    vmm_i8042_key (f->kbc, 0xe01d, TRUE);
  for (unsigned i = 0; i < 8; i++)
    {
      g_assert_cmphex (rd (f, 0x60), ==, 0xe0);
      g_assert_cmphex (rd (f, 0x60), ==, 0x1d);
    }
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/vmm/i8042/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("self-tests", test_self_tests);
  ADD ("command-byte", test_command_byte);
  ADD ("keyboard-identify", test_keyboard_identify);
  ADD ("aux-no-mouse", test_aux_no_mouse);
  ADD ("reset-line", test_reset_line);
  ADD ("output-overflow", test_output_overflow);
  ADD ("keys", test_keys);
#undef ADD
  return g_test_run ();
}
