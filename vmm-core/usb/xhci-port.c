/* xhci-port.c: the root hub ports and their PORTSC registers (xHCI 4.19,
 * 5.4.8).
 *
 * Ports never power off (HCCPARAMS1.PPC = 0) and a device stays plugged
 * for the machine's life, so the state machine is short: a device shows
 * Current Connect Status with a Connect Status Change; the driver resets
 * the port, which enables it at the device's speed and reports Port Reset
 * Change; the link can be suspended (U3) and resumed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/xhci-private.h"

#include <errno.h>

static gboolean
is_usb3 (unsigned idx)
{
  return idx >= VMM_XHCI_USB2_PORTS;
}

static uint32_t
with_pls (uint32_t portsc, unsigned pls)
{
  return (portsc & ~PORTSC_PLS_MASK) | (pls << PORTSC_PLS_SHIFT);
}

static void
port_event (VmmXhci *x, unsigned idx)
{
  XhciTrb ev = { .param = (uint64_t) (idx + 1) << 24, .status = (uint32_t) CC_SUCCESS << 24,
                 .control = TRB_EV_PORT << 10 };

  x->usbsts |= USBSTS_PCD;
  xhci_event (x, 0, &ev);
}

void
xhci_ports_reset (VmmXhci *x)
{
  for (unsigned i = 0; i < XHCI_N_PORTS; i++)
    {
      XhciPort *p = &x->port[i];

      p->portsc = with_pls (PORTSC_PP, PLS_RXDETECT);
      if (p->dev == NULL)
        continue;
      p->dev->ops->reset (p->dev);
      p->portsc = with_pls (PORTSC_PP | PORTSC_CCS | PORTSC_CSC
                            | (p->dev->speed << PORTSC_SPEED_SHIFT), PLS_POLLING);
    }
}

uint32_t
xhci_portsc_read (VmmXhci *x, unsigned idx)
{
  return x->port[idx].portsc;
}

static void
port_reset (VmmXhci *x, unsigned idx)
{
  XhciPort *p = &x->port[idx];

  if (p->dev == NULL)
    return;
  /* The reset completes at once: the device is back to its default state
   * and the port enabled at its speed. */
  p->dev->ops->reset (p->dev);
  p->portsc = with_pls (p->portsc | PORTSC_PED | PORTSC_PRC, PLS_U0) & ~PORTSC_PR;
  p->portsc = (p->portsc & ~(0xfu << PORTSC_SPEED_SHIFT)) | (p->dev->speed << PORTSC_SPEED_SHIFT);
  port_event (x, idx);
}

void
xhci_portsc_write (VmmXhci *x, unsigned idx, uint32_t v)
{
  XhciPort *p = &x->port[idx];
  uint32_t old = p->portsc;

  p->portsc &= ~(v & PORTSC_CHANGES);
  p->portsc = (p->portsc & ~PORTSC_WAKE_MASK) | (v & PORTSC_WAKE_MASK);
  /* Writing one to PED disables the port (USB 2 only). */
  if ((v & PORTSC_PED) && !is_usb3 (idx))
    p->portsc &= ~PORTSC_PED;
  if ((v & PORTSC_PR) || ((v & PORTSC_WPR) && is_usb3 (idx)))
    {
      port_reset (x, idx);
      return;
    }
  if ((v & PORTSC_LWS) && (old & PORTSC_PED))
    {
      unsigned pls = (v & PORTSC_PLS_MASK) >> PORTSC_PLS_SHIFT;
      unsigned cur = (old & PORTSC_PLS_MASK) >> PORTSC_PLS_SHIFT;

      if (pls == PLS_U3)
        p->portsc = with_pls (p->portsc, PLS_U3);
      else if ((pls == PLS_U0 || pls == PLS_RESUME) && (cur == PLS_U3 || cur == PLS_RESUME))
        {
          p->portsc = with_pls (p->portsc, PLS_U0) | PORTSC_PLC;
          port_event (x, idx);
        }
    }
}

int
xhci_port_attach (VmmXhci *x, unsigned port, VmmUsbDevice *dev)
{
  unsigned idx = port - 1;
  XhciPort *p = &x->port[idx];

  if (p->dev != NULL)
    return -EBUSY;
  p->dev = dev;
  dev->wakeup = xhci_device_wakeup;
  dev->wakeup_opaque = x;
  p->portsc = with_pls (PORTSC_PP | PORTSC_CCS | PORTSC_CSC | (dev->speed << PORTSC_SPEED_SHIFT),
                        PLS_POLLING);
  if (!(x->usbsts & USBSTS_HCH))
    port_event (x, idx);
  return 0;
}

VmmUsbDevice *
xhci_port_device (VmmXhci *x, unsigned port)
{
  if (port < 1 || port > XHCI_N_PORTS)
    return NULL;
  if (x->port[port - 1].dev == NULL || !(x->port[port - 1].portsc & PORTSC_PED))
    return NULL;
  return x->port[port - 1].dev;
}
