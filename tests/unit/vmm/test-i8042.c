/* test-i8042.c: the keyboard controller as Linux's i8042 driver probes it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/i8042.h"
#include "devices/ps2-mouse.h"

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

/* Sends a byte to the mouse the way Linux does (0xd4, then the byte). */
static void
aux_wr (Fixture *f, uint8_t v)
{
  wr (f, 0x64, 0xd4);
  wr (f, 0x60, v);
}

/* The next byte, which must be aux data. */
static uint8_t
aux_rd (Fixture *f)
{
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x21);
  return rd (f, 0x60);
}

static void
enable_aux (Fixture *f)
{
  /* AUXINT on, aux port enabled, as Linux leaves it after probing. */
  wr (f, 0x64, 0x60);
  wr (f, 0x60, 0x47);
  wr (f, 0x64, 0xa8);
}

static void
test_aux_mouse (Fixture *f, gconstpointer data)
{
  unsigned irqs;

  enable_aux (f);
  irqs = f->aux_irqs;
  /* Reset: acknowledged, self test passed, ID 0, one IRQ 12 per byte and
   * none on IRQ 1; the timeout bit (0x40) is never set. */
  aux_wr (f, 0xff);
  g_assert_cmpuint (f->aux_irqs, ==, irqs + 1);
  g_assert_cmphex (rd (f, 0x64) & 0x61, ==, 0x21);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
  g_assert_cmpuint (f->aux_irqs, ==, irqs + 2);
  g_assert_cmphex (aux_rd (f), ==, 0xaa);
  g_assert_cmphex (aux_rd (f), ==, 0x00);
  g_assert_cmpuint (f->aux_irqs, ==, irqs + 3);
  g_assert_cmpuint (f->kbd_irqs, ==, 0);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);

  /* A byte for the keyboard right after is plain keyboard data. */
  wr (f, 0x60, 0xf2);
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x01);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x01);
  g_assert_cmphex (rd (f, 0x60), ==, 0xab);
  g_assert_cmphex (rd (f, 0x60), ==, 0x83);

  /* Reporting on; motion becomes a 3-byte packet on IRQ 12. */
  aux_wr (f, 0xf4);
  g_assert_cmphex (aux_rd (f), ==, 0xfa);
  irqs = f->aux_irqs;
  vmm_i8042_mouse_event (f->kbc, 3, 2, 0, VMM_PS2_MOUSE_BUTTON_LEFT);
  g_assert_cmpuint (f->aux_irqs, ==, irqs + 1);
  g_assert_cmphex (aux_rd (f), ==, 0x29);   /* left, always-1, Y negative */
  g_assert_cmphex (aux_rd (f), ==, 0x03);
  g_assert_cmphex (aux_rd (f), ==, 0xfe);   /* -2: the mouse counts up */
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
}

static void
test_aux_disabled (Fixture *f, gconstpointer data)
{
  enable_aux (f);
  aux_wr (f, 0xf4);
  g_assert_cmphex (aux_rd (f), ==, 0xfa);
  /* A disabled aux port (0xa7) holds the mouse's bytes back... */
  wr (f, 0x64, 0xa7);
  vmm_i8042_mouse_event (f->kbc, 1, 0, 0, 0);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  /* ...the keyboard still gets through... */
  vmm_i8042_key (f->kbc, 0x1e, TRUE);
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x01);
  g_assert_cmphex (rd (f, 0x60), ==, 0x1e);
  /* ...and enabling it (0xa8) lets them out, with IRQ 12. */
  wr (f, 0x64, 0xa8);
  g_assert_cmphex (aux_rd (f), ==, 0x08);
  g_assert_cmphex (aux_rd (f), ==, 0x01);
  g_assert_cmphex (aux_rd (f), ==, 0x00);
  /* The command byte's bit 5 is the same switch. */
  wr (f, 0x64, 0x60);
  wr (f, 0x60, 0x67);
  vmm_i8042_mouse_event (f->kbc, 0, 0, 0, VMM_PS2_MOUSE_BUTTON_RIGHT);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  wr (f, 0x64, 0x60);
  wr (f, 0x60, 0x47);
  g_assert_cmphex (aux_rd (f), ==, 0x0a);
}

static void
test_aux_irq_enable (Fixture *f, gconstpointer data)
{
  unsigned irqs = f->aux_irqs;

  /* AUXINT off (the reset command byte): the reply waits silently... */
  aux_wr (f, 0xf2);
  g_assert_cmpuint (f->aux_irqs, ==, irqs);
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x21);
  /* ...and interrupts once the guest turns AUXINT on. */
  wr (f, 0x64, 0x60);
  wr (f, 0x60, 0x47);
  g_assert_cmpuint (f->aux_irqs, ==, irqs + 1);
  g_assert_cmphex (rd (f, 0x60), ==, 0xfa);
  g_assert_cmpuint (f->aux_irqs, ==, irqs + 2);
  g_assert_cmphex (aux_rd (f), ==, 0x00);
}

static void
test_aux_latch (Fixture *f, gconstpointer data)
{
  enable_aux (f);
  aux_wr (f, 0xf4);
  g_assert_cmphex (aux_rd (f), ==, 0xfa);
  vmm_i8042_mouse_event (f->kbc, 1, 0, 0, 0);
  /* The status says aux; a key typed before the data read must not take
   * the mouse byte's place. */
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x21);
  vmm_i8042_key (f->kbc, 0x1e, TRUE);
  g_assert_cmphex (rd (f, 0x60), ==, 0x08);
  /* Then the key (the keyboard's side goes first), then the rest of the
   * packet: each byte with its own port's status. */
  g_assert_cmphex (rd (f, 0x64) & 0x21, ==, 0x01);
  g_assert_cmphex (rd (f, 0x60), ==, 0x1e);
  g_assert_cmphex (aux_rd (f), ==, 0x01);
  g_assert_cmphex (aux_rd (f), ==, 0x00);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
}

/* One psmouse command (libps2's ps2_command): the byte, then its ACK (or
 * NAK) and @n answer bytes, all there at once; returns the first answer
 * byte, or the NAK/error byte. */
static uint8_t
ps2_cmd (Fixture *f, uint8_t cmd, unsigned n, uint8_t *answer)
{
  uint8_t ack;

  aux_wr (f, cmd);
  ack = aux_rd (f);
  if (ack != 0xfa)
    {
      g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
      return ack;
    }
  for (unsigned i = 0; i < n; i++)
    answer[i] = aux_rd (f);
  /* Nothing more: a driver waiting for more would time out. */
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  return n > 0 ? answer[0] : ack;
}

static void
ps2_arg (Fixture *f, uint8_t cmd, uint8_t arg)
{
  uint8_t none[1];

  g_assert_cmphex (ps2_cmd (f, cmd, 0, none), ==, 0xfa);
  g_assert_cmphex (ps2_cmd (f, arg, 0, none), ==, 0xfa);
}

/* What Linux 6.1's psmouse sends while it probes a mouse, protocol by
 * protocol: every command is answered at once (no driver timeout, which
 * is what made an empty aux port cost 411 ms of boot), none of the
 * touchpad signatures matches, and the mouse ends up an Explorer. */
static void
test_aux_linux_probe (Fixture *f, gconstpointer data)
{
  static const uint8_t thinkps[] = { 20, 60, 40, 20, 20, 60, 40, 20, 20 };
  uint8_t a[4];

  enable_aux (f);
  /* psmouse_probe: GETID, RESET_DIS. */
  g_assert_cmphex (ps2_cmd (f, 0xf2, 1, a), ==, 0x00);
  ps2_cmd (f, 0xf6, 0, a);
  /* ThinkingMouse: rates 10, resolution 0, a rate sequence, ID 2? */
  ps2_arg (f, 0xf3, 10);
  ps2_arg (f, 0xe8, 0);
  for (unsigned i = 0; i < G_N_ELEMENTS (thinkps); i++)
    ps2_arg (f, 0xf3, thinkps[i]);
  g_assert_cmphex (ps2_cmd (f, 0xf2, 1, a), !=, 0x02);
  /* Synaptics: four resolution bytes, then status; 0x47 in the middle. */
  for (unsigned i = 0; i < 4; i++)
    ps2_arg (f, 0xe8, 0);
  ps2_cmd (f, 0xe9, 3, a);
  g_assert_cmphex (a[1], !=, 0x47);
  /* ALPS and Elantech: three 1:1 scalings, then status. */
  ps2_cmd (f, 0xf6, 0, a);
  for (unsigned i = 0; i < 3; i++)
    ps2_cmd (f, 0xe6, 0, a);
  ps2_cmd (f, 0xe9, 3, a);
  g_assert_false (a[0] == 0x3c && a[1] == 0x03);          /* Elantech */
  g_assert_cmphex (a[1], !=, 0x00);                        /* ALPS wants 0 */
  /* Genius: resolution 3, three 1:1 scalings, status 00 33 55? */
  ps2_arg (f, 0xe8, 3);
  for (unsigned i = 0; i < 3; i++)
    ps2_cmd (f, 0xe6, 0, a);
  ps2_cmd (f, 0xe9, 3, a);
  g_assert_false (a[0] == 0x00 && a[1] == 0x33 && a[2] == 0x55);
  /* Logitech PS/2++: the same with resolution 0; buttons in byte 2. */
  ps2_arg (f, 0xe8, 0);
  for (unsigned i = 0; i < 3; i++)
    ps2_cmd (f, 0xe6, 0, a);
  ps2_cmd (f, 0xe9, 3, a);
  g_assert_cmphex (a[1], ==, 0);
  /* TrackPoint: read secondary ID, a command a mouse does not know: a
   * NAK (and an error for the retry), at once. */
  g_assert_cmphex (ps2_cmd (f, 0xe1, 2, a), ==, 0xfe);
  g_assert_cmphex (ps2_cmd (f, 0xe1, 2, a), ==, 0xfc);
  /* Finger Sensing Pad: register reads through odd "rates". */
  g_assert_cmphex (ps2_cmd (f, 0xf3, 0, a), ==, 0xfa);
  g_assert_cmphex (ps2_cmd (f, 0x66, 0, a), ==, 0xfe);
  /* Back to defaults, reset, then the IntelliMouse knocks. */
  ps2_cmd (f, 0xf6, 0, a);
  ps2_cmd (f, 0xff, 2, a);
  g_assert_cmphex (a[0], ==, 0xaa);
  g_assert_cmphex (a[1], ==, 0x00);
  ps2_arg (f, 0xf3, 200);
  ps2_arg (f, 0xf3, 100);
  ps2_arg (f, 0xf3, 80);
  g_assert_cmphex (ps2_cmd (f, 0xf2, 1, a), ==, 0x03);
  ps2_arg (f, 0xf3, 200);
  ps2_arg (f, 0xf3, 200);
  ps2_arg (f, 0xf3, 80);
  g_assert_cmphex (ps2_cmd (f, 0xf2, 1, a), ==, 0x04);
  /* psmouse_initialize and activate: rate, resolution, 1:1, enable. */
  ps2_arg (f, 0xf3, 100);
  ps2_arg (f, 0xe8, 3);
  ps2_cmd (f, 0xe6, 0, a);
  ps2_cmd (f, 0xf4, 0, a);
  /* And the 4-byte packets flow. */
  vmm_i8042_mouse_event (f->kbc, -1, 0, 1, VMM_PS2_MOUSE_BUTTON_EXTRA);
  g_assert_cmphex (aux_rd (f), ==, 0x18);
  g_assert_cmphex (aux_rd (f), ==, 0xff);
  g_assert_cmphex (aux_rd (f), ==, 0x00);
  g_assert_cmphex (aux_rd (f), ==, 0x21);
}

static void
test_aux_reset (Fixture *f, gconstpointer data)
{
  enable_aux (f);
  aux_wr (f, 0xf4);
  g_assert_cmphex (aux_rd (f), ==, 0xfa);
  vmm_i8042_mouse_event (f->kbc, 1, 0, 0, 0);
  /* A machine reset leaves a quiet mouse: nothing queued, reporting off. */
  vmm_i8042_reset (f->kbc);
  enable_aux (f);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
  vmm_i8042_mouse_event (f->kbc, 1, 0, 0, 0);
  g_assert_cmphex (rd (f, 0x64) & 0x01, ==, 0);
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
  /* The output buffer plus a 16-byte queue. */
  for (unsigned i = 0; i < 17; i++)
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
  ADD ("aux-mouse", test_aux_mouse);
  ADD ("aux-disabled", test_aux_disabled);
  ADD ("aux-irq-enable", test_aux_irq_enable);
  ADD ("aux-latch", test_aux_latch);
  ADD ("aux-reset", test_aux_reset);
  ADD ("aux-linux-probe", test_aux_linux_probe);
  ADD ("reset-line", test_reset_line);
  ADD ("output-overflow", test_output_overflow);
  ADD ("keys", test_keys);
#undef ADD
  return g_test_run ();
}
