/* serial.c: a 16550A UART.
 *
 * Transmission is instantaneous: a byte written to THR goes to the sink (or,
 * in loopback, to the receive FIFO) at once, so THR and the shift register
 * are always empty afterwards and the TX FIFO never fills.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/serial.h"

#include <string.h>

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI  0x04
#define IER_EDSSI 0x08

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80

/* Host input waiting for room in the receive FIFO. */
#define BACKLOG_MAX (64 * 1024)

struct _VmmSerial {
  GMutex lock;
  VmmIrqLine irq;
  gboolean irq_level;
  VmmSerialOutFn out;
  void *out_opaque;

  uint16_t divisor;
  uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
  /* THR became empty and IER.ETBEI asked to hear about it; reading IIR while
   * this is the reported source, or writing THR, clears it. */
  gboolean thr_ipending;

  uint8_t rx[VMM_UART_FIFO_SIZE];
  unsigned rx_head, rx_count;
  GByteArray *backlog;
};

static gboolean
fifo_enabled (const VmmSerial *s)
{
  return (s->fcr & FCR_ENABLE) != 0;
}

static unsigned
rx_capacity (const VmmSerial *s)
{
  return fifo_enabled (s) ? VMM_UART_FIFO_SIZE : 1;
}

static unsigned
rx_trigger (const VmmSerial *s)
{
  static const unsigned levels[4] = { 1, 4, 8, 14 };

  return fifo_enabled (s) ? levels[s->fcr >> 6] : 1;
}

static uint8_t
compute_iir (const VmmSerial *s)
{
  uint8_t fifo_bits = fifo_enabled (s) ? 0xc0 : 0;

  if ((s->ier & IER_ELSI) && (s->lsr & (VMM_UART_LSR_OE | VMM_UART_LSR_BI)))
    return fifo_bits | VMM_UART_IIR_RLSI;
  if ((s->ier & IER_ERBFI) && s->rx_count > 0)
    {
      /* Without a character timer, data below the trigger level is reported
       * as a timeout straight away, which is what a driver waits for. */
      if (s->rx_count >= rx_trigger (s))
        return fifo_bits | VMM_UART_IIR_RDI;
      return fifo_bits | VMM_UART_IIR_CTI;
    }
  if ((s->ier & IER_ETBEI) && s->thr_ipending)
    return fifo_bits | VMM_UART_IIR_THRI;
  if ((s->ier & IER_EDSSI) && (s->msr & 0x0f))
    return fifo_bits | VMM_UART_IIR_MSI;
  return fifo_bits | VMM_UART_IIR_NONE;
}

static void
update_irq (VmmSerial *s)
{
  gboolean level = (compute_iir (s) & VMM_UART_IIR_NONE) == 0;

  if (level != s->irq_level)
    {
      s->irq_level = level;
      vmm_irq_set (&s->irq, level);
    }
}

static void
rx_push (VmmSerial *s, uint8_t byte)
{
  if (s->rx_count >= rx_capacity (s))
    {
      s->lsr |= VMM_UART_LSR_OE;
      return;
    }
  s->rx[(s->rx_head + s->rx_count) % VMM_UART_FIFO_SIZE] = byte;
  s->rx_count++;
  s->lsr |= VMM_UART_LSR_DR;
}

/* Move queued host input into the FIFO. In loopback the line is
 * disconnected from the host, so input waits. */
static void
refill_from_backlog (VmmSerial *s)
{
  unsigned n = 0;

  if (s->mcr & MCR_LOOP)
    return;
  while (n < s->backlog->len && s->rx_count < rx_capacity (s))
    rx_push (s, s->backlog->data[n++]);
  if (n > 0)
    g_byte_array_remove_range (s->backlog, 0, n);
}

static uint8_t
rx_pop (VmmSerial *s)
{
  uint8_t byte;

  if (s->rx_count == 0)
    return 0;
  byte = s->rx[s->rx_head];
  s->rx_head = (s->rx_head + 1) % VMM_UART_FIFO_SIZE;
  s->rx_count--;
  refill_from_backlog (s);
  if (s->rx_count == 0)
    s->lsr &= ~VMM_UART_LSR_DR;
  return byte;
}

static void
rx_clear (VmmSerial *s)
{
  s->rx_head = 0;
  s->rx_count = 0;
  s->lsr &= ~VMM_UART_LSR_DR;
}

/* The modem inputs: in loopback they follow the modem outputs; otherwise a
 * terminal is always present and ready. */
static void
update_msr (VmmSerial *s)
{
  uint8_t old = s->msr, now;

  if (s->mcr & MCR_LOOP)
    now = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0)
        | ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
  else
    now = MSR_DCD | MSR_DSR | MSR_CTS;

  if ((now ^ old) & MSR_CTS)
    s->msr |= MSR_DCTS;
  if ((now ^ old) & MSR_DSR)
    s->msr |= MSR_DDSR;
  if ((now ^ old) & MSR_DCD)
    s->msr |= MSR_DDCD;
  /* Trailing edge of RI only. */
  if ((old & MSR_RI) && !(now & MSR_RI))
    s->msr |= MSR_TERI;
  s->msr = (s->msr & 0x0f) | now;
}

static void
reset_locked (VmmSerial *s)
{
  s->divisor = 12; /* 9600 baud */
  s->ier = 0;
  s->lcr = 0x03;
  s->mcr = 0;
  s->fcr = 0;
  s->scr = 0;
  s->lsr = VMM_UART_LSR_THRE | VMM_UART_LSR_TEMT;
  s->msr = 0;
  update_msr (s);
  s->msr &= 0xf0;
  s->thr_ipending = FALSE;
  rx_clear (s);
  refill_from_backlog (s);
  update_irq (s);
}

VmmSerial *
vmm_serial_new (const VmmIrqLine *irq, VmmSerialOutFn out, void *out_opaque)
{
  VmmSerial *s = g_new0 (VmmSerial, 1);

  g_mutex_init (&s->lock);
  if (irq != NULL)
    s->irq = *irq;
  s->out = out;
  s->out_opaque = out_opaque;
  s->backlog = g_byte_array_new ();
  reset_locked (s);
  return s;
}

void
vmm_serial_free (VmmSerial *s)
{
  if (s == NULL)
    return;
  g_byte_array_unref (s->backlog);
  g_mutex_clear (&s->lock);
  g_free (s);
}

void
vmm_serial_reset (VmmSerial *s)
{
  g_mutex_lock (&s->lock);
  reset_locked (s);
  g_mutex_unlock (&s->lock);
}

void
vmm_serial_receive (VmmSerial *s, const uint8_t *data, size_t len)
{
  size_t room;

  g_mutex_lock (&s->lock);
  room = BACKLOG_MAX - MIN (s->backlog->len, BACKLOG_MAX);
  g_byte_array_append (s->backlog, data, (guint) MIN (len, room));
  refill_from_backlog (s);
  update_irq (s);
  g_mutex_unlock (&s->lock);
}

static uint8_t
read_reg (VmmSerial *s, unsigned reg)
{
  uint8_t v;

  switch (reg)
    {
    case VMM_UART_RBR:
      if (s->lcr & LCR_DLAB)
        return s->divisor & 0xff;
      return rx_pop (s);
    case VMM_UART_IER:
      if (s->lcr & LCR_DLAB)
        return s->divisor >> 8;
      return s->ier;
    case VMM_UART_IIR:
      v = compute_iir (s);
      if ((v & 0x0f) == VMM_UART_IIR_THRI)
        s->thr_ipending = FALSE;
      return v;
    case VMM_UART_LCR:
      return s->lcr;
    case VMM_UART_MCR:
      return s->mcr;
    case VMM_UART_LSR:
      v = s->lsr;
      if (fifo_enabled (s) && (s->lsr & (VMM_UART_LSR_OE | VMM_UART_LSR_BI)))
        v |= 0x80;
      s->lsr &= ~(VMM_UART_LSR_OE | VMM_UART_LSR_BI);
      return v;
    case VMM_UART_MSR:
      v = s->msr;
      s->msr &= 0xf0;
      return v;
    case VMM_UART_SCR:
    default:
      return s->scr;
    }
}

static void
transmit (VmmSerial *s, uint8_t byte)
{
  if (s->mcr & MCR_LOOP)
    rx_push (s, byte);
  else if (s->out != NULL)
    s->out (s->out_opaque, &byte, 1);
  s->lsr |= VMM_UART_LSR_THRE | VMM_UART_LSR_TEMT;
  s->thr_ipending = TRUE;
}

static void
write_reg (VmmSerial *s, unsigned reg, uint8_t v)
{
  switch (reg)
    {
    case VMM_UART_RBR:
      if (s->lcr & LCR_DLAB)
        s->divisor = (s->divisor & 0xff00) | v;
      else
        transmit (s, v);
      break;
    case VMM_UART_IER:
      if (s->lcr & LCR_DLAB)
        {
          s->divisor = (uint16_t) ((s->divisor & 0x00ff) | (v << 8));
          break;
        }
      /* Enabling the THR interrupt while THR is empty raises it at once:
       * Linux's 8250 driver depends on that to start transmission. */
      if ((v & IER_ETBEI) && !(s->ier & IER_ETBEI) && (s->lsr & VMM_UART_LSR_THRE))
        s->thr_ipending = TRUE;
      s->ier = v & 0x0f;
      break;
    case VMM_UART_IIR:
      if ((v ^ s->fcr) & FCR_ENABLE)
        rx_clear (s);
      if (v & FCR_CLEAR_RX)
        rx_clear (s);
      s->fcr = v & 0xc1;
      refill_from_backlog (s);
      break;
    case VMM_UART_LCR:
      s->lcr = v;
      break;
    case VMM_UART_MCR:
      s->mcr = v & 0x1f;
      update_msr (s);
      refill_from_backlog (s);
      break;
    case VMM_UART_LSR:
    case VMM_UART_MSR:
      /* Read-only on a 16550A. */
      break;
    case VMM_UART_SCR:
    default:
      s->scr = v;
      break;
    }
}

static void
serial_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmSerial *s = opaque;

  g_mutex_lock (&s->lock);
  data[0] = read_reg (s, (unsigned) offset & 7);
  update_irq (s);
  g_mutex_unlock (&s->lock);
  memset (data + 1, 0xff, len - 1);
}

static void
serial_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmSerial *s = opaque;

  g_mutex_lock (&s->lock);
  write_reg (s, (unsigned) offset & 7, data[0]);
  update_irq (s);
  g_mutex_unlock (&s->lock);
}

const VmmBusOps vmm_serial_ops = {
  .read = serial_read,
  .write = serial_write,
};

int
vmm_serial_register (VmmSerial *s, VmmBus *pio, uint16_t base)
{
  return vmm_bus_register (pio, base, VMM_UART_NREGS, VMM_BUS_W1, &vmm_serial_ops, s);
}
