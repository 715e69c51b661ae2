/* test-serial.c: the 16550A register model, driven as a guest driver would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bus.h"
#include "devices/serial.h"

#define BASE 0x3f8

typedef struct {
  VmmBus *bus;
  VmmSerial *uart;
  GByteArray *out;
  gboolean irq;
} Fixture;

static void
irq_set (void *opaque, unsigned gsi, gboolean level)
{
  Fixture *f = opaque;

  g_assert_cmpuint (gsi, ==, 4);
  f->irq = level;
}

static void
out_fn (void *opaque, const uint8_t *data, size_t len)
{
  Fixture *f = opaque;

  g_byte_array_append (f->out, data, (guint) len);
}

static void
setup (Fixture *f, gconstpointer data)
{
  VmmIrqLine line = { irq_set, f, 4 };

  f->bus = vmm_bus_new ("pio");
  f->out = g_byte_array_new ();
  f->uart = vmm_serial_new (&line, out_fn, f);
  g_assert_cmpint (vmm_serial_register (f->uart, f->bus, BASE), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  vmm_serial_free (f->uart);
  vmm_bus_free (f->bus);
  g_byte_array_unref (f->out);
}

static uint8_t
rd (Fixture *f, unsigned reg)
{
  uint8_t v = 0;

  g_assert_true (vmm_bus_read (f->bus, BASE + reg, &v, 1));
  return v;
}

static void
wr (Fixture *f, unsigned reg, uint8_t v)
{
  g_assert_true (vmm_bus_write (f->bus, BASE + reg, &v, 1));
}

static void
test_reset_state (Fixture *f, gconstpointer data)
{
  g_assert_cmphex (rd (f, VMM_UART_LSR), ==, VMM_UART_LSR_THRE | VMM_UART_LSR_TEMT);
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, VMM_UART_IIR_NONE);
  g_assert_cmphex (rd (f, VMM_UART_IER), ==, 0);
  g_assert_cmphex (rd (f, VMM_UART_LCR), ==, 0x03);
  g_assert_false (f->irq);
}

static void
test_divisor_latch (Fixture *f, gconstpointer data)
{
  wr (f, VMM_UART_LCR, 0x83);
  wr (f, VMM_UART_RBR, 0x01);
  wr (f, VMM_UART_IER, 0x02);
  g_assert_cmphex (rd (f, VMM_UART_RBR), ==, 0x01);
  g_assert_cmphex (rd (f, VMM_UART_IER), ==, 0x02);
  /* Divisor writes are not data and do not enable interrupts. */
  g_assert_cmpuint (f->out->len, ==, 0);
  g_assert_false (f->irq);
  wr (f, VMM_UART_LCR, 0x03);
  g_assert_cmphex (rd (f, VMM_UART_IER), ==, 0x00);
  wr (f, VMM_UART_RBR, 'A');
  g_assert_cmpuint (f->out->len, ==, 1);
  g_assert_cmpint (f->out->data[0], ==, 'A');
  wr (f, VMM_UART_LCR, 0x83);
  g_assert_cmphex (rd (f, VMM_UART_RBR), ==, 0x01);
  g_assert_cmphex (rd (f, VMM_UART_IER), ==, 0x02);
}

static void
test_lsr_and_receive (Fixture *f, gconstpointer data)
{
  uint8_t x = 'x';

  vmm_serial_receive (f->uart, &x, 1);
  g_assert_cmphex (rd (f, VMM_UART_LSR) & VMM_UART_LSR_DR, ==, VMM_UART_LSR_DR);
  g_assert_cmpint (rd (f, VMM_UART_RBR), ==, 'x');
  g_assert_cmphex (rd (f, VMM_UART_LSR) & VMM_UART_LSR_DR, ==, 0);
  /* Reading an empty receiver gives nothing and changes nothing. */
  g_assert_cmpint (rd (f, VMM_UART_RBR), ==, 0);
  g_assert_cmphex (rd (f, VMM_UART_LSR), ==, VMM_UART_LSR_THRE | VMM_UART_LSR_TEMT);
}

static void
test_overrun (Fixture *f, gconstpointer data)
{
  /* Without FIFOs, a second byte before the first is read overruns. */
  wr (f, VMM_UART_MCR, 0x10);
  wr (f, VMM_UART_IER, 0x05);
  wr (f, VMM_UART_RBR, '1');
  wr (f, VMM_UART_RBR, '2');
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, VMM_UART_IIR_RLSI);
  g_assert_true (f->irq);
  g_assert_cmphex (rd (f, VMM_UART_LSR) & (VMM_UART_LSR_OE | VMM_UART_LSR_DR), ==,
                   VMM_UART_LSR_OE | VMM_UART_LSR_DR);
  /* Reading LSR cleared OE; the first byte survived. */
  g_assert_cmphex (rd (f, VMM_UART_LSR) & VMM_UART_LSR_OE, ==, 0);
  /* One byte reaches the trigger level of a FIFO-less UART. */
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, VMM_UART_IIR_RDI);
  g_assert_cmpint (rd (f, VMM_UART_RBR), ==, '1');
  g_assert_false (f->irq);
}

static void
test_fifo (Fixture *f, gconstpointer data)
{
  uint8_t in[20];

  for (unsigned i = 0; i < sizeof in; i++)
    in[i] = (uint8_t) ('a' + i);
  wr (f, VMM_UART_IIR, 0xc7); /* enable, clear, trigger at 14 */
  wr (f, VMM_UART_IER, 0x01);
  g_assert_false (f->irq);
  vmm_serial_receive (f->uart, in, sizeof in);
  g_assert_true (f->irq);
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, 0xc0 | VMM_UART_IIR_RDI);
  for (unsigned i = 0; i < sizeof in; i++)
    {
      /* The 16-byte FIFO refills from the queued input as it drains. */
      unsigned left = (unsigned) sizeof in - i;
      uint8_t iir = rd (f, VMM_UART_IIR);
      g_assert_cmphex (iir, ==, 0xc0 | (MIN (left, 16u) >= 14 ? VMM_UART_IIR_RDI : VMM_UART_IIR_CTI));
      g_assert_cmpint (rd (f, VMM_UART_RBR), ==, in[i]);
    }
  g_assert_false (f->irq);
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, 0xc0 | VMM_UART_IIR_NONE);

  /* Clearing the receive FIFO drops its contents. */
  vmm_serial_receive (f->uart, in, 4);
  wr (f, VMM_UART_IIR, 0xc3);
  g_assert_cmphex (rd (f, VMM_UART_LSR) & VMM_UART_LSR_DR, ==, 0);
  /* Turning the FIFOs off returns to one-byte buffering. */
  wr (f, VMM_UART_IIR, 0x00);
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, VMM_UART_IIR_NONE);
}

static void
test_thr_interrupt (Fixture *f, gconstpointer data)
{
  wr (f, VMM_UART_IER, 0x02);
  g_assert_true (f->irq);
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, VMM_UART_IIR_THRI);
  /* Reading IIR acknowledged it. */
  g_assert_false (f->irq);
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, VMM_UART_IIR_NONE);
  wr (f, VMM_UART_RBR, 'q');
  g_assert_true (f->irq);
  g_assert_cmphex (rd (f, VMM_UART_IIR), ==, VMM_UART_IIR_THRI);
  wr (f, VMM_UART_IER, 0x00);
  g_assert_false (f->irq);
}

static void
test_loopback (Fixture *f, gconstpointer data)
{
  uint8_t host = 'h';

  /* The probe Linux's 8250 driver does. */
  wr (f, VMM_UART_MCR, 0x10);
  g_assert_cmphex (rd (f, VMM_UART_MSR) & 0xf0, ==, 0x00);
  wr (f, VMM_UART_MCR, 0x1f);
  g_assert_cmphex (rd (f, VMM_UART_MSR) & 0xf0, ==, 0xf0);
  wr (f, VMM_UART_RBR, 'Z');
  g_assert_cmpuint (f->out->len, ==, 0);
  g_assert_cmpint (rd (f, VMM_UART_RBR), ==, 'Z');
  /* Host input waits while the line is looped back... */
  vmm_serial_receive (f->uart, &host, 1);
  g_assert_cmphex (rd (f, VMM_UART_LSR) & VMM_UART_LSR_DR, ==, 0);
  /* ...and arrives once it is not. */
  wr (f, VMM_UART_MCR, 0x0b);
  g_assert_cmpint (rd (f, VMM_UART_RBR), ==, 'h');
  /* Leaving loopback shows the terminal's lines, with their deltas. */
  g_assert_cmphex (rd (f, VMM_UART_MSR), ==, 0xb0 | 0x04);
  g_assert_cmphex (rd (f, VMM_UART_MSR), ==, 0xb0);
}

static void
test_scratch_and_bad_widths (Fixture *f, gconstpointer data)
{
  uint8_t w[4] = { 1, 2, 3, 4 }, r[4];

  wr (f, VMM_UART_SCR, 0x5a);
  g_assert_cmphex (rd (f, VMM_UART_SCR), ==, 0x5a);
  /* Only byte accesses reach the UART; wider ones float. */
  g_assert_false (vmm_bus_write (f->bus, BASE, w, 2));
  g_assert_false (vmm_bus_read (f->bus, BASE, r, 4));
  g_assert_cmphex (r[0] & r[1] & r[2] & r[3], ==, 0xff);
  g_assert_cmpuint (f->out->len, ==, 0);
  /* Past the eighth register is someone else's port. */
  g_assert_false (vmm_bus_read (f->bus, BASE + 8, r, 1));
}

static void
test_reset_keeps_input (Fixture *f, gconstpointer data)
{
  uint8_t host[3] = { 'a', 'b', 'c' };

  wr (f, VMM_UART_IER, 0x01);
  vmm_serial_receive (f->uart, host, 3);
  vmm_serial_reset (f->uart);
  g_assert_false (f->irq);
  g_assert_cmpint (rd (f, VMM_UART_RBR), ==, 'b');
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/vmm/serial/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("reset-state", test_reset_state);
  ADD ("divisor-latch", test_divisor_latch);
  ADD ("lsr-receive", test_lsr_and_receive);
  ADD ("overrun", test_overrun);
  ADD ("fifo", test_fifo);
  ADD ("thr-interrupt", test_thr_interrupt);
  ADD ("loopback", test_loopback);
  ADD ("scratch-bad-widths", test_scratch_and_bad_widths);
  ADD ("reset-keeps-input", test_reset_keeps_input);
#undef ADD
  return g_test_run ();
}
