/* debugcon.c: the firmware debug console port.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "firmware/debugcon.h"

struct _VmmDebugcon {
  VmmDebugconFn out;
  void *opaque;
};

VmmDebugcon *
vmm_debugcon_new (VmmDebugconFn out, void *opaque)
{
  VmmDebugcon *d = g_new0 (VmmDebugcon, 1);

  d->out = out;
  d->opaque = opaque;
  return d;
}

void
vmm_debugcon_free (VmmDebugcon *d)
{
  g_free (d);
}

/* Firmware probes the port and logs only where it answers. Nobody reads
 * a log without a sink, and every byte of it is a port exit: SeaBIOS's
 * is some 3,000 on a CD boot, seconds in the nested lab. So without a
 * sink the port reads as absent. */
static void
debugcon_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmDebugcon *d = opaque;

  data[0] = d->out != NULL ? VMM_DEBUGCON_READBACK : 0xff;
}

/* No lock: the sink serialises if it must; firmware logs from one CPU. */
static void
debugcon_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmDebugcon *d = opaque;

  if (d->out != NULL)
    d->out (d->opaque, data, 1);
}

static const VmmBusOps debugcon_ops = {
  .read = debugcon_read,
  .write = debugcon_write,
};

int
vmm_debugcon_register (VmmDebugcon *d, VmmBus *pio, uint16_t port)
{
  return vmm_bus_register (pio, port, 1, VMM_BUS_W1, &debugcon_ops, d);
}
