/* i8042.c: the PS/2 keyboard controller.
 *
 * Enough of the controller for Linux's i8042 driver to probe it (command
 * byte, self tests, port enable/disable, loopback writes) and a keyboard
 * that acknowledges commands, so that atkbd finds a keyboard without waiting
 * for timeouts, and types what the viewer sends (vmm_i8042_key).
 *
 * The aux port has a mouse (ps2-mouse.c) that answers every command at
 * once: a port that does not answer costs a probing driver a 200 ms wait
 * per try (two tries per command, and atkbd and psmouse both probe it).
 *
 * Like a real controller, this one has a one-byte output buffer that it
 * fills from the keyboard's side first (its own replies, keys) and from
 * the mouse while the aux port is enabled. The byte stays put from the
 * status read that announces it to the data read that takes it, so a key
 * arriving in between cannot be read with the mouse's status bit.
 *
 * Pulsing output-port bit 0 low (command 0xfe, or 0xd1 with bit 0 clear)
 * resets the machine, which is one of the ways Linux reboots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/i8042.h"
#include "devices/ps2-mouse.h"

#include "x86/layout.h"

#include <string.h>

#define STS_OBF     0x01
#define STS_IBF     0x02
#define STS_SYS     0x04
#define STS_CMD     0x08
#define STS_UNLOCK  0x10
#define STS_AUXDATA 0x20

#define CTR_KBDINT  0x01
#define CTR_AUXINT  0x02
#define CTR_SYS     0x04
#define CTR_KBDDIS  0x10
#define CTR_AUXDIS  0x20
#define CTR_XLATE   0x40

#define OUTQ_SIZE 16

struct _VmmI8042 {
  GMutex lock;
  VmmIrqLine kbd_irq, aux_irq;
  VmmResetFn reset;
  void *reset_opaque;

  uint8_t ctr;
  uint8_t status_cmd;     /* STS_CMD: the last write went to port 0x64 */
  uint8_t pending_cmd;    /* a controller command waiting for its data byte */
  uint8_t outport;
  uint8_t kbd_pending;    /* a keyboard command waiting for its argument */
  gboolean kbd_scanning;

  /* The controller's and keyboard's bytes waiting for the output buffer;
   * each keeps the status bits it is read with (STS_AUXDATA for the aux
   * loopback). */
  uint8_t outq[OUTQ_SIZE];
  uint8_t outq_sts[OUTQ_SIZE];
  unsigned out_head, out_count;

  /* The output buffer itself (STS_OBF). */
  gboolean obf;
  uint8_t ob, ob_sts;

  VmmPs2Mouse *mouse;
};

/* ISA edge interrupts: a pulse per byte made available, if the command
 * byte lets that port interrupt. */
static void
raise_irq (VmmI8042 *k)
{
  if (!k->obf)
    return;
  if (k->ob_sts & STS_AUXDATA)
    {
      if (k->ctr & CTR_AUXINT)
        vmm_irq_pulse (&k->aux_irq);
    }
  else if (k->ctr & CTR_KBDINT)
    vmm_irq_pulse (&k->kbd_irq);
}

/* Moves the next byte into an empty output buffer and announces it. */
static void
fill_output (VmmI8042 *k)
{
  uint8_t v;

  if (k->obf)
    return;
  if (k->out_count > 0)
    {
      k->ob = k->outq[k->out_head];
      k->ob_sts = k->outq_sts[k->out_head];
      k->out_head = (k->out_head + 1) % OUTQ_SIZE;
      k->out_count--;
    }
  else if (!(k->ctr & CTR_AUXDIS) && vmm_ps2_mouse_read (k->mouse, &v))
    {
      /* A disabled aux port holds the mouse's clock: it keeps its bytes. */
      k->ob = v;
      k->ob_sts = STS_AUXDATA;
    }
  else
    return;
  k->obf = TRUE;
  raise_irq (k);
}

static void
queue_byte_sts (VmmI8042 *k, uint8_t v, uint8_t sts)
{
  unsigned tail;

  if (k->out_count >= OUTQ_SIZE)
    return;
  tail = (k->out_head + k->out_count) % OUTQ_SIZE;
  k->outq[tail] = v;
  k->outq_sts[tail] = sts;
  k->out_count++;
}

static void
queue_byte (VmmI8042 *k, uint8_t v, gboolean aux)
{
  queue_byte_sts (k, v, aux ? STS_AUXDATA : 0);
}

static void
reset_locked (VmmI8042 *k)
{
  k->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
  k->status_cmd = 0;
  k->pending_cmd = 0;
  k->outport = 0x01 | 0x02; /* reset deasserted, A20 enabled */
  k->kbd_pending = 0;
  k->kbd_scanning = TRUE;
  k->out_head = 0;
  k->out_count = 0;
  k->obf = FALSE;
  vmm_ps2_mouse_reset (k->mouse);
}

VmmI8042 *
vmm_i8042_new (const VmmIrqLine *kbd_irq, const VmmIrqLine *aux_irq,
               VmmResetFn reset, void *reset_opaque)
{
  VmmI8042 *k = g_new0 (VmmI8042, 1);

  g_mutex_init (&k->lock);
  if (kbd_irq != NULL)
    k->kbd_irq = *kbd_irq;
  if (aux_irq != NULL)
    k->aux_irq = *aux_irq;
  k->reset = reset;
  k->reset_opaque = reset_opaque;
  k->mouse = vmm_ps2_mouse_new ();
  reset_locked (k);
  return k;
}

void
vmm_i8042_free (VmmI8042 *k)
{
  if (k == NULL)
    return;
  vmm_ps2_mouse_free (k->mouse);
  g_mutex_clear (&k->lock);
  g_free (k);
}

void
vmm_i8042_reset (VmmI8042 *k)
{
  g_mutex_lock (&k->lock);
  reset_locked (k);
  g_mutex_unlock (&k->lock);
}

static void
pulse_outport (VmmI8042 *k, uint8_t outport)
{
  /* Bit 0 is the CPU reset line, active low. */
  if (!(outport & 0x01) && k->reset != NULL)
    k->reset (k->reset_opaque);
}

/* A byte the guest sent to the keyboard itself. */
static void
keyboard_write (VmmI8042 *k, uint8_t v)
{
  if (k->kbd_pending != 0)
    {
      /* Argument of LEDs (0xed), typematic (0xf3) or scan-set (0xf0). */
      if (k->kbd_pending == 0xf0 && v == 0)
        {
          queue_byte (k, 0xfa, FALSE);
          queue_byte (k, 0x02, FALSE);
        }
      else
        queue_byte (k, 0xfa, FALSE);
      k->kbd_pending = 0;
      return;
    }

  switch (v)
    {
    case 0xed: case 0xf3: case 0xf0:
      k->kbd_pending = v;
      queue_byte (k, 0xfa, FALSE);
      break;
    case 0xee: /* echo */
      queue_byte (k, 0xee, FALSE);
      break;
    case 0xf2: /* identify: an MF2 keyboard */
      queue_byte (k, 0xfa, FALSE);
      queue_byte (k, 0xab, FALSE);
      queue_byte (k, 0x83, FALSE);
      break;
    case 0xf4:
      k->kbd_scanning = TRUE;
      queue_byte (k, 0xfa, FALSE);
      break;
    case 0xf5:
      k->kbd_scanning = FALSE;
      queue_byte (k, 0xfa, FALSE);
      break;
    case 0xff: /* reset and self test passed */
      queue_byte (k, 0xfa, FALSE);
      queue_byte (k, 0xaa, FALSE);
      break;
    default:
      queue_byte (k, 0xfa, FALSE);
      break;
    }
}

static void
data_write (VmmI8042 *k, uint8_t v)
{
  uint8_t cmd = k->pending_cmd;

  k->pending_cmd = 0;
  switch (cmd)
    {
    case 0x60:
      {
        uint8_t enabled = (uint8_t) (v & ~k->ctr);

        k->ctr = v;
        /* A byte already waiting interrupts once its port may. */
        if (k->obf && (enabled & ((k->ob_sts & STS_AUXDATA) ? CTR_AUXINT : CTR_KBDINT)))
          raise_irq (k);
      }
      break;
    case 0xd1:
      k->outport = v;
      pulse_outport (k, v);
      break;
    case 0xd2:
      queue_byte (k, v, FALSE);
      break;
    case 0xd3:
      queue_byte (k, v, TRUE);
      break;
    case 0xd4:
      vmm_ps2_mouse_write (k->mouse, v);
      break;
    default:
      keyboard_write (k, v);
      break;
    }
}

static void
command_write (VmmI8042 *k, uint8_t v)
{
  switch (v)
    {
    case 0x20:
      queue_byte (k, k->ctr, FALSE);
      break;
    case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
      k->pending_cmd = v;
      break;
    case 0xa7:
      k->ctr |= CTR_AUXDIS;
      break;
    case 0xa8:
      k->ctr &= ~CTR_AUXDIS;
      break;
    case 0xa9: /* aux interface test: passed */
    case 0xab: /* keyboard interface test: passed */
      queue_byte (k, 0x00, FALSE);
      break;
    case 0xaa: /* controller self test */
      queue_byte (k, 0x55, FALSE);
      break;
    case 0xad:
      k->ctr |= CTR_KBDDIS;
      break;
    case 0xae:
      k->ctr &= ~CTR_KBDDIS;
      break;
    case 0xc0: /* input port: keyboard not inhibited */
      queue_byte (k, 0x80, FALSE);
      break;
    case 0xd0:
      queue_byte (k, k->outport, FALSE);
      break;
    default:
      /* 0xf0-0xff pulse the low output-port bits that are clear in v. */
      if (v >= 0xf0)
        pulse_outport (k, (uint8_t) (v | 0xf0));
      break;
    }
}

static void
i8042_access_read (VmmI8042 *k, gboolean status_port, uint8_t *data, unsigned len)
{
  uint8_t v;

  g_mutex_lock (&k->lock);
  if (!status_port)
    {
      if (k->obf)
        {
          v = k->ob;
          k->obf = FALSE;
          fill_output (k);
        }
      else
        v = 0;
    }
  else
    {
      v = STS_UNLOCK | k->status_cmd;
      if (k->ctr & CTR_SYS)
        v |= STS_SYS;
      if (k->obf)
        v |= STS_OBF | k->ob_sts;
    }
  g_mutex_unlock (&k->lock);
  data[0] = v;
  memset (data + 1, 0xff, len - 1);
}

static void
i8042_access_write (VmmI8042 *k, gboolean command_port, const uint8_t *data)
{
  g_mutex_lock (&k->lock);
  if (!command_port)
    {
      k->status_cmd = 0;
      data_write (k, data[0]);
    }
  else
    {
      k->status_cmd = STS_CMD;
      command_write (k, data[0]);
    }
  fill_output (k);
  g_mutex_unlock (&k->lock);
}

void
vmm_i8042_key (VmmI8042 *k, uint16_t scancode, gboolean pressed)
{
  uint8_t bytes[6];
  unsigned n = 0;

  if (scancode == VMM_I8042_SCANCODE_PAUSE)
    {
      /* Pause has no release: the whole sequence comes on press. */
      static const uint8_t pause[6] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
      if (!pressed)
        return;
      memcpy (bytes, pause, sizeof pause);
      n = sizeof pause;
    }
  else
    {
      if ((scancode >> 8) == 0xe0)
        bytes[n++] = 0xe0;
      else if ((scancode >> 8) != 0)
        return;
      bytes[n++] = (uint8_t) ((scancode & 0x7f) | (pressed ? 0 : 0x80));
    }

  g_mutex_lock (&k->lock);
  /* Keys are set 1, which the controller hands over only while it
   * translates; a guest that turned translation off (none we know) gets
   * nothing rather than the wrong keys. A full buffer loses the key, as
   * a real controller's does. */
  if (k->kbd_scanning && !(k->ctr & CTR_KBDDIS) && (k->ctr & CTR_XLATE)
      && k->out_count + n <= OUTQ_SIZE)
    {
      for (unsigned i = 0; i < n; i++)
        queue_byte (k, bytes[i], FALSE);
      fill_output (k);
    }
  g_mutex_unlock (&k->lock);
}

void
vmm_i8042_mouse_event (VmmI8042 *k, int32_t dx, int32_t dy, int32_t dz, uint32_t buttons)
{
  g_return_if_fail (k != NULL);

  g_mutex_lock (&k->lock);
  vmm_ps2_mouse_event (k->mouse, dx, dy, dz, buttons);
  fill_output (k);
  g_mutex_unlock (&k->lock);
}

static void
data_port_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  i8042_access_read (opaque, FALSE, data, len);
}

static void
data_port_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  i8042_access_write (opaque, FALSE, data);
}

static void
cmd_port_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  i8042_access_read (opaque, TRUE, data, len);
}

static void
cmd_port_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  i8042_access_write (opaque, TRUE, data);
}

static const VmmBusOps data_port_ops = {
  .read = data_port_read,
  .write = data_port_write,
};

static const VmmBusOps cmd_port_ops = {
  .read = cmd_port_read,
  .write = cmd_port_write,
};

int
vmm_i8042_register (VmmI8042 *k, VmmBus *pio)
{
  int r = vmm_bus_register (pio, VMM_PORT_I8042_DATA, 1, VMM_BUS_W1, &data_port_ops, k);

  if (r < 0)
    return r;
  return vmm_bus_register (pio, VMM_PORT_I8042_CMD, 1, VMM_BUS_W1, &cmd_port_ops, k);
}
