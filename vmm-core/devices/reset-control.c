/* reset-control.c: the PC's reset control register at port 0xcf9.
 *
 * Setting RST_CPU resets the machine; this is the FADT's reset register
 * (value 0x06) and one of Linux's reboot methods.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "devices/reset-control.h"
#include "x86/layout.h"

struct _VmmResetControl {
  GMutex lock;
  uint8_t value;
  VmmResetFn reset;
  void *opaque;
};

VmmResetControl *
vmm_reset_control_new (VmmResetFn reset, void *opaque)
{
  VmmResetControl *rc = g_new0 (VmmResetControl, 1);

  g_mutex_init (&rc->lock);
  rc->reset = reset;
  rc->opaque = opaque;
  return rc;
}

void
vmm_reset_control_free (VmmResetControl *rc)
{
  if (rc == NULL)
    return;
  g_mutex_clear (&rc->lock);
  g_free (rc);
}

void
vmm_reset_control_reset (VmmResetControl *rc)
{
  g_mutex_lock (&rc->lock);
  rc->value = 0;
  g_mutex_unlock (&rc->lock);
}

static void
rc_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmResetControl *rc = opaque;

  g_mutex_lock (&rc->lock);
  data[0] = rc->value;
  g_mutex_unlock (&rc->lock);
}

static void
rc_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmResetControl *rc = opaque;

  g_mutex_lock (&rc->lock);
  rc->value = data[0] & (VMM_RCR_SYS_RST | VMM_RCR_FULL_RST);
  if ((data[0] & VMM_RCR_RST_CPU) && rc->reset != NULL)
    rc->reset (rc->opaque);
  g_mutex_unlock (&rc->lock);
}

static const VmmBusOps rc_ops = {
  .read = rc_read,
  .write = rc_write,
};

int
vmm_reset_control_register (VmmResetControl *rc, VmmBus *pio)
{
  return vmm_bus_register (pio, VMM_PORT_RESET_CONTROL, 1, VMM_BUS_W1, &rc_ops, rc);
}
