/* test-ps2-mouse.c: the PS/2 mouse's command protocol and packets, driven
 * the way Linux's psmouse and a hostile guest drive it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/ps2-mouse.h"

typedef struct {
  VmmPs2Mouse *m;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->m = vmm_ps2_mouse_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  vmm_ps2_mouse_free (f->m);
}

/* Sends @cmd and checks that exactly @n bytes came back, as given. */
static void
expect (Fixture *f, uint8_t cmd, unsigned n, const uint8_t *want)
{
  uint8_t b;

  vmm_ps2_mouse_write (f->m, cmd);
  for (unsigned i = 0; i < n; i++)
    {
      g_assert_true (vmm_ps2_mouse_read (f->m, &b));
      g_assert_cmphex (b, ==, want[i]);
    }
  g_assert_false (vmm_ps2_mouse_pending (f->m));
}

#define EXPECT(f, cmd, ...) \
  do { \
    static const uint8_t want_[] = { __VA_ARGS__ }; \
    expect (f, cmd, sizeof want_, want_); \
  } while (0)

/* Reads what is queued (at most @max bytes) into @out. */
static unsigned
drain (Fixture *f, uint8_t *out, unsigned max)
{
  unsigned n = 0;

  while (n < max && vmm_ps2_mouse_read (f->m, &out[n]))
    n++;
  return n;
}

static void
set_rate (Fixture *f, uint8_t rate)
{
  EXPECT (f, 0xf3, 0xfa);
  EXPECT (f, rate, 0xfa);
}

static void
test_reset (Fixture *f, gconstpointer data)
{
  g_assert_false (vmm_ps2_mouse_pending (f->m));
  EXPECT (f, 0xff, 0xfa, 0xaa, 0x00);
  EXPECT (f, 0xf2, 0xfa, 0x00);
  /* Power-on status: stream mode, reporting off, 1:1, 4 counts/mm, 100/s. */
  EXPECT (f, 0xe9, 0xfa, 0x00, 0x02, 100);
}

static void
test_knock_sequences (Fixture *f, gconstpointer data)
{
  /* The Explorer sequence first does nothing to a standard mouse. */
  set_rate (f, 200);
  set_rate (f, 200);
  set_rate (f, 80);
  EXPECT (f, 0xf2, 0xfa, 0x00);
  /* 200 100 80: IntelliMouse, as psmouse's intellimouse_detect asks. */
  set_rate (f, 200);
  set_rate (f, 100);
  set_rate (f, 80);
  EXPECT (f, 0xf2, 0xfa, 0x03);
  /* Then 200 200 80: Explorer. */
  set_rate (f, 200);
  set_rate (f, 200);
  set_rate (f, 80);
  EXPECT (f, 0xf2, 0xfa, 0x04);
  g_assert_cmpuint (vmm_ps2_mouse_id (f->m), ==, VMM_PS2_MOUSE_ID_EXPLORER);
  /* The last rate set is the one in effect. */
  EXPECT (f, 0xe9, 0xfa, 0x00, 0x02, 80);
  /* Set defaults keeps the ID; reset goes back to a standard mouse. */
  EXPECT (f, 0xf6, 0xfa);
  EXPECT (f, 0xf2, 0xfa, 0x04);
  EXPECT (f, 0xff, 0xfa, 0xaa, 0x00);
  EXPECT (f, 0xf2, 0xfa, 0x00);
  /* An interrupted sequence counts from where it stands. */
  set_rate (f, 200);
  set_rate (f, 10);
  set_rate (f, 100);
  set_rate (f, 80);
  EXPECT (f, 0xf2, 0xfa, 0x00);
}

static void
test_standard_packets (Fixture *f, gconstpointer data)
{
  uint8_t p[16];

  /* Nothing before reporting is on, and nothing kept for later. */
  vmm_ps2_mouse_event (f->m, 5, 5, 0, VMM_PS2_MOUSE_BUTTON_LEFT);
  g_assert_false (vmm_ps2_mouse_pending (f->m));
  EXPECT (f, 0xf4, 0xfa);
  /* Already pressed when reporting started: not news. */
  vmm_ps2_mouse_event (f->m, 0, 0, 0, VMM_PS2_MOUSE_BUTTON_LEFT);
  g_assert_false (vmm_ps2_mouse_pending (f->m));

  /* Right 10, up 5 (the host says -5 down): both positive. */
  vmm_ps2_mouse_event (f->m, 10, -5, 0, VMM_PS2_MOUSE_BUTTON_LEFT);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 3);
  g_assert_cmphex (p[0], ==, 0x09);
  g_assert_cmphex (p[1], ==, 10);
  g_assert_cmphex (p[2], ==, 5);
  /* Left 256, down 1: the sign bits carry the ninth bit. */
  vmm_ps2_mouse_event (f->m, -256, 1, 0, VMM_PS2_MOUSE_BUTTON_RIGHT | VMM_PS2_MOUSE_BUTTON_MIDDLE);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 3);
  g_assert_cmphex (p[0], ==, 0x08 | 0x10 | 0x20 | 0x06);
  g_assert_cmphex (p[1], ==, 0x00);
  g_assert_cmphex (p[2], ==, 0xff);
  /* A button change alone is a packet. */
  vmm_ps2_mouse_event (f->m, 0, 0, 0, 0);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 3);
  g_assert_cmphex (p[0], ==, 0x08);
  g_assert_cmphex (p[1], ==, 0);
  g_assert_cmphex (p[2], ==, 0);
  /* The wheel and buttons 4/5 do not exist on a standard mouse. */
  vmm_ps2_mouse_event (f->m, 0, 0, 3, VMM_PS2_MOUSE_BUTTON_SIDE);
  g_assert_false (vmm_ps2_mouse_pending (f->m));
}

static void
test_large_motion (Fixture *f, gconstpointer data)
{
  uint8_t p[3];
  int32_t sum = 0;
  unsigned packets = 0;

  EXPECT (f, 0xf4, 0xfa);
  /* 600 right: more than one packet carries, split without loss. */
  vmm_ps2_mouse_event (f->m, 600, 0, 0, 0);
  while (drain (f, p, 3) == 3)
    {
      g_assert_cmphex (p[0] & 0xc0, ==, 0);
      sum += p[1] - ((p[0] << 4) & 0x100);
      packets++;
    }
  g_assert_cmpint (sum, ==, 600);
  g_assert_cmpuint (packets, ==, 3);

  /* Far more than the counters hold: what went out is the saturated
   * count, and the first packet says motion was lost. */
  sum = 0;
  packets = 0;
  vmm_ps2_mouse_event (f->m, -100000, 0, 0, 0);
  while (drain (f, p, 3) == 3)
    {
      g_assert_cmphex (p[0] & 0x40, ==, packets == 0 ? 0x40 : 0);
      g_assert_cmphex (p[0] & 0x80, ==, 0);
      sum += p[1] - ((p[0] << 4) & 0x100);
      packets++;
    }
  g_assert_cmpint (sum, ==, -2047);
  /* Extremes of int32 do not overflow anything. */
  vmm_ps2_mouse_event (f->m, INT32_MIN, INT32_MIN, INT32_MIN, 0);
  vmm_ps2_mouse_event (f->m, INT32_MAX, INT32_MAX, INT32_MAX, 0);
  while (drain (f, p, 3) == 3)
    ;
  g_assert_false (vmm_ps2_mouse_pending (f->m));
}

static void
test_no_false_reconnect (Fixture *f, gconstpointer data)
{
  uint8_t p[3];

  /* Right button, saturated downwards motion, no X: the first packet
   * would be 0xaa 0x00, which psmouse takes for a replugged mouse. */
  EXPECT (f, 0xf4, 0xfa);
  vmm_ps2_mouse_event (f->m, 0, 100000, 0, VMM_PS2_MOUSE_BUTTON_RIGHT);
  g_assert_cmpuint (drain (f, p, 3), ==, 3);
  g_assert_cmphex (p[0], ==, 0x2a);
  g_assert_cmphex (p[1], ==, 0x00);
  g_assert_cmphex (p[2], ==, 0x00);    /* -256 */
}

static void
test_intellimouse_packets (Fixture *f, gconstpointer data)
{
  uint8_t p[16];

  set_rate (f, 200);
  set_rate (f, 100);
  set_rate (f, 80);
  EXPECT (f, 0xf4, 0xfa);
  /* Four bytes; the wheel counts down as positive, as on the wire. */
  vmm_ps2_mouse_event (f->m, 1, 0, 3, 0);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 4);
  g_assert_cmphex (p[0], ==, 0x08);
  g_assert_cmphex (p[1], ==, 1);
  g_assert_cmphex (p[3], ==, 3);
  /* -20 steps: -8 at most per packet, none lost. */
  vmm_ps2_mouse_event (f->m, 0, 0, -20, 0);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 12);
  g_assert_cmphex (p[3], ==, 0xf8);
  g_assert_cmphex (p[7], ==, 0xf8);
  g_assert_cmphex (p[11], ==, 0xfc);
  /* Buttons 4/5 have no bit here: no packet for them. */
  vmm_ps2_mouse_event (f->m, 0, 0, 0, VMM_PS2_MOUSE_BUTTON_SIDE);
  g_assert_false (vmm_ps2_mouse_pending (f->m));
}

static void
test_explorer_packets (Fixture *f, gconstpointer data)
{
  uint8_t p[16];

  set_rate (f, 200);
  set_rate (f, 100);
  set_rate (f, 80);
  set_rate (f, 200);
  set_rate (f, 200);
  set_rate (f, 80);
  EXPECT (f, 0xf4, 0xfa);
  /* Wheel in the low nibble, buttons 4 and 5 in bits 4 and 5. */
  vmm_ps2_mouse_event (f->m, 0, 0, -1, VMM_PS2_MOUSE_BUTTON_SIDE);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 4);
  g_assert_cmphex (p[3], ==, 0x1f);
  vmm_ps2_mouse_event (f->m, 0, 0, 2, VMM_PS2_MOUSE_BUTTON_EXTRA);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 4);
  g_assert_cmphex (p[3], ==, 0x22);
  vmm_ps2_mouse_event (f->m, 0, 0, 0, 0);
  g_assert_cmpuint (drain (f, p, sizeof p), ==, 4);
  g_assert_cmphex (p[3], ==, 0x00);
}

static void
test_settings_and_status (Fixture *f, gconstpointer data)
{
  EXPECT (f, 0xe8, 0xfa);
  EXPECT (f, 0x03, 0xfa);
  set_rate (f, 40);
  EXPECT (f, 0xe7, 0xfa);
  EXPECT (f, 0xf4, 0xfa);
  vmm_ps2_mouse_event (f->m, 0, 0, 0, VMM_PS2_MOUSE_BUTTON_LEFT | VMM_PS2_MOUSE_BUTTON_RIGHT);
  (void) drain (f, (uint8_t[16]) { 0 }, 16);
  /* Enabled, 2:1, left and right held (bits 2 and 0), 8 counts/mm, 40/s. */
  EXPECT (f, 0xe9, 0xfa, 0x35, 0x03, 40);
  EXPECT (f, 0xe6, 0xfa);
  EXPECT (f, 0xf5, 0xfa);
  EXPECT (f, 0xf0, 0xfa);
  EXPECT (f, 0xe9, 0xfa, 0x45, 0x03, 40);
  /* Set defaults: stream, disabled, 1:1, 4 counts/mm, 100/s. */
  EXPECT (f, 0xf6, 0xfa);
  EXPECT (f, 0xe9, 0xfa, 0x05, 0x02, 100);
}

static void
test_scaling (Fixture *f, gconstpointer data)
{
  static const int in[] = { 1, 2, 3, 4, 5, 6, -3, -10, 200 };
  static const int out[] = { 1, 1, 3, 6, 9, 12, -3, -20, 255 };
  uint8_t p[3];

  EXPECT (f, 0xe7, 0xfa);
  EXPECT (f, 0xf4, 0xfa);
  for (unsigned i = 0; i < G_N_ELEMENTS (in); i++)
    {
      vmm_ps2_mouse_event (f->m, in[i], 0, 0, 0);
      g_assert_cmpuint (drain (f, p, 3), ==, 3);
      g_assert_cmpint (p[1] - ((p[0] << 4) & 0x100), ==, out[i]);
    }
}

static void
test_remote_mode (Fixture *f, gconstpointer data)
{
  EXPECT (f, 0xf0, 0xfa);
  /* No stream, but the motion waits for a read. */
  vmm_ps2_mouse_event (f->m, 4, 0, 0, 0);
  vmm_ps2_mouse_event (f->m, 3, -2, 0, VMM_PS2_MOUSE_BUTTON_MIDDLE);
  g_assert_false (vmm_ps2_mouse_pending (f->m));
  EXPECT (f, 0xeb, 0xfa, 0x0c, 0x07, 0x02);
  /* Read again: no motion, the button still held. */
  EXPECT (f, 0xeb, 0xfa, 0x0c, 0x00, 0x00);
  /* Back to stream mode, reporting still off: nothing. */
  EXPECT (f, 0xea, 0xfa);
  vmm_ps2_mouse_event (f->m, 3, 0, 0, 0);
  g_assert_false (vmm_ps2_mouse_pending (f->m));
}

static void
test_wrap_mode (Fixture *f, gconstpointer data)
{
  EXPECT (f, 0xee, 0xfa);
  /* Echoed, not obeyed. */
  EXPECT (f, 0x12, 0x12);
  EXPECT (f, 0xf4, 0xf4);
  EXPECT (f, 0xf2, 0xf2);
  vmm_ps2_mouse_event (f->m, 3, 0, 0, 0);
  g_assert_false (vmm_ps2_mouse_pending (f->m));
  EXPECT (f, 0xec, 0xfa);
  EXPECT (f, 0xf2, 0xfa, 0x00);
  /* Reset gets out of wrap mode too. */
  EXPECT (f, 0xee, 0xfa);
  EXPECT (f, 0xff, 0xfa, 0xaa, 0x00);
  EXPECT (f, 0x12, 0xfe);
}

static void
test_bad_bytes (Fixture *f, gconstpointer data)
{
  /* Unknown commands: resend, then error for a second one in a row. */
  EXPECT (f, 0x00, 0xfe);
  EXPECT (f, 0xe1, 0xfc);
  EXPECT (f, 0x5a, 0xfc);
  /* A good command clears the count. */
  EXPECT (f, 0xf2, 0xfa, 0x00);
  EXPECT (f, 0xe2, 0xfe);
  EXPECT (f, 0xf2, 0xfa, 0x00);
  /* A rate that does not exist: refused, the old rate stays, and the
   * next byte is a command again. */
  EXPECT (f, 0xf3, 0xfa);
  EXPECT (f, 0x07, 0xfe);
  EXPECT (f, 0xf2, 0xfa, 0x00);
  EXPECT (f, 0xe9, 0xfa, 0x00, 0x02, 100);
  /* A resolution beyond 3. */
  EXPECT (f, 0xe8, 0xfa);
  EXPECT (f, 0x04, 0xfe);
  EXPECT (f, 0xe9, 0xfa, 0x00, 0x02, 100);
  /* A command byte where the argument should be is a bad argument... */
  EXPECT (f, 0xf3, 0xfa);
  EXPECT (f, 0xf4, 0xfe);
  g_assert_cmpuint (vmm_ps2_mouse_id (f->m), ==, VMM_PS2_MOUSE_ID_STANDARD);
  /* ...except reset, which always works. */
  EXPECT (f, 0xe8, 0xfa);
  EXPECT (f, 0xff, 0xfa, 0xaa, 0x00);
}

static void
test_command_flushes_stream (Fixture *f, gconstpointer data)
{
  uint8_t p[3];

  EXPECT (f, 0xf4, 0xfa);
  vmm_ps2_mouse_event (f->m, 7, 0, 0, 0);
  g_assert_true (vmm_ps2_mouse_pending (f->m));
  /* The host talks: the unsent packet goes, the answer comes alone. */
  EXPECT (f, 0xf5, 0xfa);
  /* Resend repeats the last thing sent: here the acknowledgement. */
  EXPECT (f, 0xfe, 0xfa);
  EXPECT (f, 0xf4, 0xfa);
  vmm_ps2_mouse_event (f->m, -7, 0, 0, 0);
  g_assert_cmpuint (drain (f, p, 3), ==, 3);
  /* And here the packet. */
  EXPECT (f, 0xfe, 0x18, 0xf9, 0x00);
}

static void
test_unread_bounded (Fixture *f, gconstpointer data)
{
  uint8_t p[64];
  int32_t sum = 0;

  /* A guest that reads late: whole packets, and all the motion that the
   * counters could hold. */
  EXPECT (f, 0xf4, 0xfa);
  for (int i = 0; i < 1000; i++)
    vmm_ps2_mouse_event (f->m, 1, 0, 0, 0);
  while (drain (f, p, 3) == 3)
    {
      g_assert_cmphex (p[0], ==, 0x08);
      sum += p[1];
    }
  g_assert_cmpint (sum, ==, 1000);
  /* Wrap mode echoing a flood. */
  EXPECT (f, 0xee, 0xfa);
  for (int i = 0; i < 100; i++)
    vmm_ps2_mouse_write (f->m, 0x01);
  g_assert_cmpuint (drain (f, p, sizeof p), <=, 16);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/vmm/ps2-mouse/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("reset", test_reset);
  ADD ("knock-sequences", test_knock_sequences);
  ADD ("standard-packets", test_standard_packets);
  ADD ("large-motion", test_large_motion);
  ADD ("no-false-reconnect", test_no_false_reconnect);
  ADD ("intellimouse-packets", test_intellimouse_packets);
  ADD ("explorer-packets", test_explorer_packets);
  ADD ("settings-and-status", test_settings_and_status);
  ADD ("scaling", test_scaling);
  ADD ("remote-mode", test_remote_mode);
  ADD ("wrap-mode", test_wrap_mode);
  ADD ("bad-bytes", test_bad_bytes);
  ADD ("command-flushes-stream", test_command_flushes_stream);
  ADD ("unread-bounded", test_unread_bounded);
#undef ADD
  return g_test_run ();
}
