/* xhci-cmd.c: the command ring and the slot and endpoint contexts it
 * manipulates (xHCI 4.6).
 *
 * Contexts are 32 bytes (HCCPARAMS1.CSZ = 0). The device context of slot
 * n is where DCBAA entry n points: the slot context, then endpoint contexts
 * by device context index. An input context has an input control context
 * in front. Every context is read into a local copy, checked, and the
 * controller's own state (XhciSlot) is what transfers use afterwards; the
 * output context is only written back for the driver to read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/xhci-private.h"

#include <string.h>

#define CTX_SIZE      32
#define DEV_CTX_SIZE  (CTX_SIZE * XHCI_N_DCI)
#define CC_TRANSACTION 4

typedef struct {
  uint32_t d[8];
} Ctx;

static int
ctx_read (VmmXhci *x, uint64_t gpa, Ctx *c)
{
  uint8_t b[CTX_SIZE];

  if (vmm_guest_mem_read (&x->platform->mem, gpa, b, sizeof b) < 0)
    return -1;
  for (unsigned i = 0; i < 8; i++)
    c->d[i] = (uint32_t) vmm_le_get (b + 4 * i, 4);
  return 0;
}

static void
ctx_write (VmmXhci *x, uint64_t gpa, const Ctx *c)
{
  uint8_t b[CTX_SIZE];

  for (unsigned i = 0; i < 8; i++)
    vmm_le_put (b + 4 * i, 4, c->d[i]);
  /* The address was validated when the slot was addressed; a failure here
   * only loses the driver's copy. */
  if (vmm_guest_mem_write (&x->platform->mem, gpa, b, sizeof b) < 0)
    g_debug ("xhci: output context at 0x%" G_GINT64_MODIFIER "x is gone", gpa);
}

void
xhci_slots_reset (VmmXhci *x)
{
  memset (x->slot, 0, sizeof x->slot);
}

void
xhci_ep_save (VmmXhci *x, unsigned slotid, unsigned dci)
{
  XhciSlot *s = &x->slot[slotid];
  XhciEndpoint *ep = &s->ep[dci];
  Ctx c;

  if (s->ctx == 0 || ctx_read (x, s->ctx + CTX_SIZE * dci, &c) < 0)
    return;
  c.d[0] = (c.d[0] & ~7u) | ep->state;
  c.d[2] = (uint32_t) ep->ring.dequeue | (ep->ring.ccs ? 1 : 0);
  c.d[3] = (uint32_t) (ep->ring.dequeue >> 32);
  ctx_write (x, s->ctx + CTX_SIZE * dci, &c);
}

static void
slot_save (VmmXhci *x, XhciSlot *s, unsigned slotid, const Ctx *in)
{
  Ctx c = *in;

  c.d[3] = ((uint32_t) s->state << 27) | (s->state >= SLOT_ADDRESSED ? slotid : 0);
  ctx_write (x, s->ctx, &c);
}

/* Loads an endpoint from an input endpoint context. */
static unsigned
ep_load (XhciEndpoint *ep, const Ctx *c, unsigned dci)
{
  unsigned type = (c->d[1] >> 3) & 7;
  uint64_t deq = c->d[2] | ((uint64_t) c->d[3] << 32);

  /* Endpoint 0 is the only control endpoint; odd indexes are IN. */
  if (type == 0 || (dci == 1) != (type == EP_TYPE_CONTROL)
      || (dci > 1 && ((dci & 1) != 0) != (type >= 4)) || (deq & ~0xfULL) == 0)
    return CC_PARAMETER;
  ep->type = type;
  ep->max_packet = c->d[1] >> 16;
  xhci_ring_set (&ep->ring, deq);
  ep->state = EP_RUNNING;
  return CC_SUCCESS;
}

static unsigned
cmd_enable_slot (VmmXhci *x, unsigned *slotid)
{
  unsigned max = MIN (x->config & 0xff, (unsigned) XHCI_MAX_SLOTS);

  for (unsigned i = 1; i <= max; i++)
    if (!x->slot[i].enabled)
      {
        memset (&x->slot[i], 0, sizeof x->slot[i]);
        x->slot[i].enabled = TRUE;
        x->slot[i].state = SLOT_ENABLED;
        *slotid = i;
        return CC_SUCCESS;
      }
  return CC_NO_SLOTS;
}

static unsigned
cmd_address_device (VmmXhci *x, unsigned slotid, const XhciTrb *trb)
{
  XhciSlot *s = &x->slot[slotid];
  uint64_t in = trb->param & ~0xfULL;
  uint8_t e[8];
  uint64_t out;
  Ctx ctl, sc, ep0;
  unsigned port, cc;
  gboolean bsr = (trb->control & TRB_BSR) != 0;
  XhciEndpoint ep = { 0 };

  if (s->state == SLOT_CONFIGURED || (s->state == SLOT_ADDRESSED))
    return CC_CONTEXT_STATE;
  if (s->state == SLOT_DEFAULT && bsr)
    return CC_CONTEXT_STATE;
  if (ctx_read (x, in, &ctl) < 0 || ctx_read (x, in + CTX_SIZE, &sc) < 0
      || ctx_read (x, in + 2 * CTX_SIZE, &ep0) < 0)
    return CC_TRB_ERROR;
  if (ctl.d[0] != 0 || ctl.d[1] != 3)
    return CC_PARAMETER;
  if (vmm_guest_mem_read (&x->platform->mem, x->dcbaap + 8ULL * slotid, e, sizeof e) < 0)
    return CC_TRB_ERROR;
  out = vmm_le_get (e, 8) & ~0x3fULL;
  if (out == 0 || vmm_guest_mem_ptr (&x->platform->mem, out, DEV_CTX_SIZE) == NULL)
    return CC_TRB_ERROR;
  port = (sc.d[1] >> 16) & 0xff;
  if (port < 1 || port > XHCI_N_PORTS || xhci_port_device (x, port) == NULL)
    return CC_TRANSACTION;
  cc = ep_load (&ep, &ep0, 1);
  if (cc != CC_SUCCESS)
    return cc;

  s->ctx = out;
  s->port = port;
  s->state = bsr ? SLOT_DEFAULT : SLOT_ADDRESSED;
  for (unsigned i = 2; i < XHCI_N_DCI; i++)
    s->ep[i].state = EP_DISABLED;
  s->ep[1] = ep;
  slot_save (x, s, slotid, &sc);
  ep0.d[0] = (ep0.d[0] & ~7u) | EP_RUNNING;
  ctx_write (x, out + CTX_SIZE, &ep0);
  return CC_SUCCESS;
}

static void
update_slot_state (VmmXhci *x, XhciSlot *s, unsigned slotid, const Ctx *in_slot)
{
  Ctx sc;
  unsigned last = 1;

  for (unsigned i = 2; i < XHCI_N_DCI; i++)
    if (s->ep[i].state != EP_DISABLED)
      last = i;
  s->state = last > 1 ? SLOT_CONFIGURED : SLOT_ADDRESSED;
  if (in_slot != NULL)
    sc = *in_slot;
  else if (ctx_read (x, s->ctx, &sc) < 0)
    return;
  if (in_slot == NULL)
    sc.d[0] = (sc.d[0] & ~(0x1fu << 27)) | ((uint32_t) last << 27);
  slot_save (x, s, slotid, &sc);
}

static unsigned
cmd_configure_ep (VmmXhci *x, unsigned slotid, const XhciTrb *trb)
{
  XhciSlot *s = &x->slot[slotid];
  uint64_t in = trb->param & ~0xfULL;
  XhciEndpoint eps[XHCI_N_DCI];
  Ctx ctl, sc, ec[XHCI_N_DCI];

  if (s->state != SLOT_ADDRESSED && s->state != SLOT_CONFIGURED)
    return CC_CONTEXT_STATE;
  if (trb->control & TRB_DC)
    {
      for (unsigned i = 2; i < XHCI_N_DCI; i++)
        if (s->ep[i].state != EP_DISABLED)
          {
            s->ep[i].state = EP_DISABLED;
            xhci_ep_save (x, slotid, i);
          }
      update_slot_state (x, s, slotid, NULL);
      return CC_SUCCESS;
    }
  if (ctx_read (x, in, &ctl) < 0 || ctx_read (x, in + CTX_SIZE, &sc) < 0)
    return CC_TRB_ERROR;
  if ((ctl.d[0] & 3) != 0 || (ctl.d[1] & 2) != 0)
    return CC_PARAMETER;
  /* Check every added endpoint before changing anything: the command
   * succeeds or fails as a whole. */
  memcpy (eps, s->ep, sizeof eps);
  for (unsigned i = 2; i < XHCI_N_DCI; i++)
    {
      if (ctl.d[0] & (1u << i))
        eps[i].state = EP_DISABLED;
      if (!(ctl.d[1] & (1u << i)))
        continue;
      if (ctx_read (x, in + CTX_SIZE * (i + 1), &ec[i]) < 0)
        return CC_TRB_ERROR;
      if (ep_load (&eps[i], &ec[i], i) != CC_SUCCESS)
        return CC_PARAMETER;
    }
  memcpy (s->ep, eps, sizeof eps);
  for (unsigned i = 2; i < XHCI_N_DCI; i++)
    {
      if (ctl.d[1] & (1u << i))
        {
          ec[i].d[0] = (ec[i].d[0] & ~7u) | EP_RUNNING;
          ctx_write (x, s->ctx + CTX_SIZE * i, &ec[i]);
        }
      else if (ctl.d[0] & (1u << i))
        xhci_ep_save (x, slotid, i);
    }
  update_slot_state (x, s, slotid, (ctl.d[1] & 1) ? &sc : NULL);
  return CC_SUCCESS;
}

static unsigned
cmd_evaluate_ctx (VmmXhci *x, unsigned slotid, const XhciTrb *trb)
{
  XhciSlot *s = &x->slot[slotid];
  uint64_t in = trb->param & ~0xfULL;
  Ctx ctl, c, out;

  if (s->state == SLOT_ENABLED)
    return CC_CONTEXT_STATE;
  if (ctx_read (x, in, &ctl) < 0)
    return CC_TRB_ERROR;
  if ((ctl.d[1] & ~3u) != 0 || ctl.d[0] != 0)
    return CC_PARAMETER;
  if (ctl.d[1] & 1)
    {
      if (ctx_read (x, in + CTX_SIZE, &c) < 0 || ctx_read (x, s->ctx, &out) < 0)
        return CC_TRB_ERROR;
      /* Max Exit Latency and the Interrupter Target are what may change. */
      out.d[1] = (out.d[1] & ~0xffffu) | (c.d[1] & 0xffff);
      out.d[2] = (out.d[2] & ~(0x3ffu << 22)) | (c.d[2] & (0x3ffu << 22));
      ctx_write (x, s->ctx, &out);
    }
  if (ctl.d[1] & 2)
    {
      if (ctx_read (x, in + 2 * CTX_SIZE, &c) < 0 || ctx_read (x, s->ctx + CTX_SIZE, &out) < 0)
        return CC_TRB_ERROR;
      out.d[1] = (out.d[1] & 0xffff) | (c.d[1] & 0xffff0000u);
      s->ep[1].max_packet = c.d[1] >> 16;
      ctx_write (x, s->ctx + CTX_SIZE, &out);
    }
  return CC_SUCCESS;
}

static unsigned
cmd_endpoint (VmmXhci *x, unsigned slotid, const XhciTrb *trb, unsigned type)
{
  XhciSlot *s = &x->slot[slotid];
  unsigned dci = TRB_EP (trb->control);
  XhciEndpoint *ep;

  if (dci < 1 || dci >= XHCI_N_DCI || s->state == SLOT_ENABLED)
    return CC_TRB_ERROR;
  ep = &s->ep[dci];
  if (ep->state == EP_DISABLED)
    return CC_EP_NOT_ENABLED;
  switch (type)
    {
    case TRB_RESET_EP:
      if (ep->state != EP_HALTED)
        return CC_CONTEXT_STATE;
      ep->state = EP_STOPPED;
      break;
    case TRB_STOP_EP:
      if (ep->state != EP_RUNNING)
        return CC_CONTEXT_STATE;
      xhci_ep_stop_event (x, slotid, dci);
      ep->state = EP_STOPPED;
      break;
    case TRB_SET_TR_DEQ:
      if (ep->state != EP_STOPPED && ep->state != EP_ERROR)
        return CC_CONTEXT_STATE;
      if ((trb->param & ~0xfULL) == 0)
        return CC_PARAMETER;
      xhci_ring_set (&ep->ring, trb->param);
      break;
    default:
      return CC_TRB_ERROR;
    }
  xhci_ep_save (x, slotid, dci);
  return CC_SUCCESS;
}

static unsigned
cmd_reset_device (VmmXhci *x, unsigned slotid)
{
  XhciSlot *s = &x->slot[slotid];
  VmmUsbDevice *dev;
  Ctx sc;

  if (s->state == SLOT_ENABLED || s->state == SLOT_DEFAULT)
    return CC_CONTEXT_STATE;
  /* The output context says so too (4.6.11): a driver that reads it
   * after the reset finds the endpoints beyond 0 disabled. */
  for (unsigned i = 2; i < XHCI_N_DCI; i++)
    if (s->ep[i].state != EP_DISABLED)
      {
        s->ep[i].state = EP_DISABLED;
        xhci_ep_save (x, slotid, i);
      }
  s->state = SLOT_DEFAULT;
  dev = xhci_port_device (x, s->port);
  if (dev != NULL)
    dev->ops->reset (dev);
  if (ctx_read (x, s->ctx, &sc) == 0)
    {
      sc.d[0] = (sc.d[0] & ~(0x1fu << 27)) | (1u << 27);
      slot_save (x, s, slotid, &sc);
    }
  return CC_SUCCESS;
}

/* Get Port Bandwidth (4.6.15): the Port Bandwidth Context, a reserved
 * byte and then one byte per root port, the percentage of the port's bus
 * time still free for periodic transfers of the given speed. Our devices'
 * interrupt endpoints move a few bytes every few milliseconds, so each
 * port reports the whole periodic share its USB version allows (80% of a
 * USB 2 microframe, 90% of a USB 3 bus interval) for speeds it carries,
 * and 0 for speeds it cannot carry. Only the root hub exists: asking
 * about a hub's slot is a parameter error. */
static unsigned
cmd_get_port_bandwidth (VmmXhci *x, const XhciTrb *trb, unsigned *slotid)
{
  uint8_t ctx[(1 + XHCI_N_PORTS + 3) & ~3u] = { 0 };
  unsigned speed = (trb->control >> 16) & 0xf;

  *slotid = TRB_SLOT (trb->control);
  /* Protocol speed IDs: 1 full, 2 low, 3 high, 4 SuperSpeed. */
  if (*slotid != 0 || speed < 1 || speed > 4)
    return CC_PARAMETER;
  for (unsigned p = 1; p <= XHCI_N_PORTS; p++)
    {
      gboolean usb3 = p > VMM_XHCI_USB2_PORTS;

      ctx[p] = usb3 ? (speed == 4 ? 90 : 0) : (speed < 4 ? 80 : 0);
    }
  if (vmm_guest_mem_write (&x->platform->mem, trb->param & ~0xfULL, ctx, sizeof ctx) < 0)
    return CC_TRB_ERROR;
  return CC_SUCCESS;
}

static unsigned
run_command (VmmXhci *x, const XhciTrb *trb, unsigned *slotid)
{
  unsigned type = TRB_TYPE (trb->control);

  if (type == TRB_ENABLE_SLOT)
    return cmd_enable_slot (x, slotid);
  if (type == TRB_GET_PORT_BW)
    return cmd_get_port_bandwidth (x, trb, slotid);
  if (type == TRB_NOOP_CMD)
    return CC_SUCCESS;
  if (type < TRB_DISABLE_SLOT || type > TRB_RESET_DEV)
    return CC_TRB_ERROR;
  *slotid = TRB_SLOT (trb->control);
  if (*slotid < 1 || *slotid > XHCI_MAX_SLOTS || !x->slot[*slotid].enabled)
    return CC_SLOT_NOT_ENABLED;
  switch (type)
    {
    case TRB_DISABLE_SLOT:
      memset (&x->slot[*slotid], 0, sizeof x->slot[*slotid]);
      return CC_SUCCESS;
    case TRB_ADDRESS_DEV:
      return cmd_address_device (x, *slotid, trb);
    case TRB_CONFIG_EP:
      return cmd_configure_ep (x, *slotid, trb);
    case TRB_EVAL_CTX:
      return cmd_evaluate_ctx (x, *slotid, trb);
    case TRB_RESET_DEV:
      return cmd_reset_device (x, *slotid);
    default:
      return cmd_endpoint (x, *slotid, trb, type);
    }
}

void
xhci_cmd_doorbell (VmmXhci *x)
{
  x->crr = TRUE;
  for (unsigned n = 0; n < XHCI_CMD_BUDGET && x->crr; n++)
    {
      XhciTrb trb, ev;
      uint64_t addr;
      unsigned slotid = 0, cc;
      int r = xhci_ring_fetch (x, &x->cmd, &trb, &addr);

      if (r == 0)
        break;
      if (r < 0)
        {
          xhci_host_error (x);
          break;
        }
      cc = run_command (x, &trb, &slotid);
      x->cmd.dequeue = addr + 16;
      ev = (XhciTrb) { .param = addr, .status = cc << 24,
                       .control = (TRB_EV_CMD << 10) | (slotid << 24) };
      xhci_event (x, 0, &ev);
    }
}
