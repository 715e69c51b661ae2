/* xhci-transfer.c: transfer rings: control transfers on endpoint 0 and
 * interrupt IN endpoints (xHCI 4.10, 4.11.2).
 *
 * A Transfer Descriptor is gathered whole (its TRBs copied out, every
 * buffer checked against guest RAM, the total bounded) before anything
 * happens, and the ring's dequeue pointer only moves once it completed. A
 * TD the guest has not finished writing is left for the next doorbell; an
 * interrupt IN TD for which the device has nothing stays pending until the
 * device's wakeup hook runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/xhci-private.h"

#include <errno.h>
#include <string.h>

#define TD_BUDGET     32
#define TRB_LEN(s)    ((s) & 0x1ffff)

typedef struct {
  XhciTrb trb;
  uint64_t addr;
} TdTrb;

typedef struct {
  TdTrb t[XHCI_TD_MAX];
  unsigned n;
  unsigned data_first;      /* index of the first data TRB, n when none */
  unsigned status;          /* control: index of the status stage TRB */
  uint64_t total;           /* bytes the data TRBs describe */
  gboolean dir_in;
  XhciRing after;           /* the ring once the TD is consumed */
} Td;

typedef struct {
  VmmXhci *x;
  unsigned slotid;
  unsigned dci;
} EpRef;

static void
transfer_event (const EpRef *r, uint64_t param, unsigned cc, uint32_t len, uint32_t trb_status,
                gboolean ed)
{
  XhciTrb ev = { .param = param, .status = (cc << 24) | (len & 0xffffff),
                 .control = (TRB_EV_TRANSFER << 10) | (r->dci << 16) | (r->slotid << 24)
                            | (ed ? TRB_EV_ED : 0) };

  xhci_event (r->x, trb_status >> 22, &ev);
}

/* Stops the endpoint on an error: the driver sees the event, then resets
 * the endpoint and moves its dequeue pointer past the bad TD. */
static void
halt (const EpRef *r, uint64_t trb_addr, unsigned cc)
{
  r->x->slot[r->slotid].ep[r->dci].state = EP_HALTED;
  xhci_ep_save (r->x, r->slotid, r->dci);
  transfer_event (r, trb_addr, cc, 0, 0, FALSE);
}

/* No-Op TRBs are what a driver turns cancelled TRBs into (keeping their
 * chain bits), so they may sit anywhere a data TRB may. */
static gboolean
is_data_trb (unsigned type)
{
  return type == TRB_NORMAL || type == TRB_DATA || type == TRB_EVENT_DATA || type == TRB_NOOP;
}

/* Appends one TRB and everything chained to it. 1: done, 0: not all
 * written yet, -EFAULT/-ELOOP/-E2BIG: a broken ring. */
static int
gather_chain (VmmXhci *x, Td *td)
{
  for (;;)
    {
      TdTrb *t;
      int r;

      if (td->n >= XHCI_TD_MAX)
        return -E2BIG;
      t = &td->t[td->n];
      r = xhci_ring_fetch (x, &td->after, &t->trb, &t->addr);
      if (r <= 0)
        return r;
      td->after.dequeue = t->addr + 16;
      td->n++;
      if (!(t->trb.control & TRB_CH))
        return 1;
    }
}

/* Checks the data TRBs from td->data_first up to @end: types, lengths and
 * buffers. Returns the index of a bad TRB or -1. */
static int
check_data (VmmXhci *x, Td *td, unsigned end)
{
  td->total = 0;
  for (unsigned i = td->data_first; i < end; i++)
    {
      const XhciTrb *t = &td->t[i].trb;
      unsigned type = TRB_TYPE (t->control);
      uint32_t len = TRB_LEN (t->status);

      if (!is_data_trb (type) || (i > td->data_first && type == TRB_DATA))
        return (int) i;
      if (type == TRB_EVENT_DATA || type == TRB_NOOP)
        continue;
      if (t->control & TRB_IDT)
        {
          if (td->dir_in || len > 8)
            return (int) i;
        }
      else if (len > 0 && vmm_guest_mem_ptr (&x->platform->mem, t->param, len) == NULL)
        return (int) i;
      td->total += len;
      if (td->total > XHCI_XFER_MAX)
        return (int) i;
    }
  return -1;
}

static void
post_ioc (const EpRef *r, const TdTrb *t)
{
  if (t->trb.control & TRB_IOC)
    transfer_event (r, TRB_TYPE (t->trb.control) == TRB_EVENT_DATA ? t->trb.param : t->addr,
                    CC_SUCCESS, 0, t->trb.status, TRB_TYPE (t->trb.control) == TRB_EVENT_DATA);
}

/* Moves @buf (@n bytes) to or from the data TRBs and posts the events they
 * ask for. */
static void
complete_data (const EpRef *r, Td *td, unsigned end, uint8_t *buf, uint64_t n)
{
  const VmmGuestMem *mem = &r->x->platform->mem;
  uint64_t done = 0, edtla = 0;
  gboolean short_seen = FALSE;

  for (unsigned i = td->data_first; i < end; i++)
    {
      const TdTrb *t = &td->t[i];
      uint32_t len = TRB_LEN (t->trb.status);
      uint64_t chunk;

      if (TRB_TYPE (t->trb.control) == TRB_NOOP)
        {
          post_ioc (r, t);
          continue;
        }
      if (TRB_TYPE (t->trb.control) == TRB_EVENT_DATA)
        {
          if (t->trb.control & TRB_IOC)
            transfer_event (r, t->trb.param, short_seen ? CC_SHORT_PACKET : CC_SUCCESS,
                            (uint32_t) edtla, t->trb.status, TRUE);
          edtla = 0;
          continue;
        }
      if (short_seen)
        continue;
      chunk = MIN ((uint64_t) len, n - done);
      if (td->dir_in && chunk > 0)
        vmm_guest_mem_write (mem, t->trb.param, buf + done, chunk);
      done += chunk;
      edtla += chunk;
      if (chunk < len)
        {
          short_seen = TRUE;
          if (t->trb.control & (TRB_ISP | TRB_IOC))
            transfer_event (r, t->addr, CC_SHORT_PACKET, (uint32_t) (len - chunk),
                            t->trb.status, FALSE);
        }
      else if (t->trb.control & TRB_IOC)
        transfer_event (r, t->addr, CC_SUCCESS, 0, t->trb.status, FALSE);
    }
}

/* Copies an OUT data stage into @buf. */
static void
collect_out (VmmXhci *x, Td *td, unsigned end, uint8_t *buf)
{
  uint64_t at = 0;

  for (unsigned i = td->data_first; i < end; i++)
    {
      const XhciTrb *t = &td->t[i].trb;
      uint32_t len = TRB_LEN (t->status);

      if (TRB_TYPE (t->control) == TRB_EVENT_DATA || TRB_TYPE (t->control) == TRB_NOOP)
        continue;
      if (t->control & TRB_IDT)
        vmm_le_put (buf + at, len, t->param);
      else if (len > 0)
        vmm_guest_mem_read (&x->platform->mem, t->param, buf + at, len);
      at += len;
    }
}

/* A TD the driver cancelled by turning it into No-Ops: consumed, with the
 * events its IOC bits ask for. */
static gboolean
noop_td (const EpRef *r, XhciEndpoint *ep, Td *td)
{
  for (unsigned i = 0; i < td->n; i++)
    if (TRB_TYPE (td->t[i].trb.control) != TRB_NOOP)
      return FALSE;
  ep->ring = td->after;
  for (unsigned i = 0; i < td->n; i++)
    post_ioc (r, &td->t[i]);
  return TRUE;
}

/* One control TD. Returns TRUE when it was consumed (or the endpoint
 * halted), FALSE when the guest has not finished writing it. */
static gboolean
control_td (const EpRef *r, VmmUsbDevice *dev, XhciEndpoint *ep)
{
  VmmXhci *x = r->x;
  g_autofree uint8_t *buf = NULL;
  VmmUsbSetup setup;
  Td td = { .after = ep->ring };
  unsigned type, len;
  int bad, got;

  if ((got = gather_chain (x, &td)) <= 0)
    goto incomplete;
  if (noop_td (r, ep, &td))
    return TRUE;
  if (TRB_TYPE (td.t[0].trb.control) != TRB_SETUP || !(td.t[0].trb.control & TRB_IDT)
      || TRB_LEN (td.t[0].trb.status) != 8 || td.n != 1)
    {
      halt (r, td.t[0].addr, CC_TRB_ERROR);
      return TRUE;
    }
  td.data_first = 1;
  if ((got = gather_chain (x, &td)) <= 0)
    goto incomplete;
  type = TRB_TYPE (td.t[1].trb.control);
  if (type == TRB_DATA)
    {
      td.status = td.n;
      if ((got = gather_chain (x, &td)) <= 0)
        goto incomplete;
    }
  else
    td.status = 1;
  if (TRB_TYPE (td.t[td.status].trb.control) != TRB_STATUS)
    {
      halt (r, td.t[td.status].addr, CC_TRB_ERROR);
      return TRUE;
    }

  setup.bmRequestType = (uint8_t) td.t[0].trb.param;
  setup.bRequest = (uint8_t) (td.t[0].trb.param >> 8);
  setup.wValue = (uint16_t) (td.t[0].trb.param >> 16);
  setup.wIndex = (uint16_t) (td.t[0].trb.param >> 32);
  setup.wLength = (uint16_t) (td.t[0].trb.param >> 48);
  td.dir_in = (setup.bmRequestType & VMM_USB_DIR_IN) != 0;
  if (td.status > 1 && ((td.t[1].trb.control & TRB_DIR_IN) != 0) != td.dir_in)
    {
      halt (r, td.t[1].addr, CC_TRB_ERROR);
      return TRUE;
    }
  bad = check_data (x, &td, td.status);
  if (bad >= 0)
    {
      halt (r, td.t[bad].addr, CC_TRB_ERROR);
      return TRUE;
    }

  len = (unsigned) MIN (td.total, (uint64_t) setup.wLength);
  buf = g_malloc0 (MAX (td.total, 1));
  if (!td.dir_in)
    collect_out (x, &td, td.status, buf);
  got = dev->ops->control (dev, &setup, buf, len);
  if (got < 0 || (unsigned) got > len)
    {
      /* A stall: reported on the data stage if there is one. */
      halt (r, td.t[td.status > 1 ? 1 : td.status].addr, CC_STALL);
      return TRUE;
    }
  ep->ring = td.after;
  post_ioc (r, &td.t[0]);
  complete_data (r, &td, td.status, buf, td.dir_in ? (uint64_t) got : td.total);
  for (unsigned i = td.status; i < td.n; i++)
    post_ioc (r, &td.t[i]);
  return TRUE;

incomplete:
  if (got < 0)
    {
      halt (r, td.after.dequeue, CC_TRB_ERROR);
      return TRUE;
    }
  return FALSE;
}

/* One interrupt IN TD. Returns TRUE when it was consumed (or the endpoint
 * halted), FALSE when it waits for the guest or for data. */
static gboolean
interrupt_in_td (const EpRef *r, VmmUsbDevice *dev, XhciEndpoint *ep)
{
  VmmXhci *x = r->x;
  uint8_t buf[1024];
  Td td = { .after = ep->ring, .dir_in = TRUE };
  int got, bad;

  got = gather_chain (x, &td);
  if (got == 0)
    return FALSE;
  if (got < 0)
    {
      halt (r, td.after.dequeue, CC_TRB_ERROR);
      return TRUE;
    }
  if (noop_td (r, ep, &td))
    return TRUE;
  bad = check_data (x, &td, td.n);
  if (bad < 0 && TRB_TYPE (td.t[0].trb.control) != TRB_NORMAL)
    bad = 0;
  if (bad >= 0)
    {
      halt (r, td.t[bad].addr, CC_TRB_ERROR);
      return TRUE;
    }
  /* A TD with no room takes no report: it completes as an empty packet
   * rather than swallowing one. */
  if (td.total == 0)
    got = 0;
  else
    got = dev->ops->data_in (dev, r->dci / 2, buf, (unsigned) MIN (td.total, sizeof buf));
  if (got < 0)
    return FALSE;
  ep->ring = td.after;
  complete_data (r, &td, td.n, buf, (uint64_t) MIN ((unsigned) got, sizeof buf));
  return TRUE;
}

static void
run_endpoint (VmmXhci *x, unsigned slotid, unsigned dci)
{
  XhciSlot *s = &x->slot[slotid];
  XhciEndpoint *ep = &s->ep[dci];
  EpRef r = { x, slotid, dci };
  VmmUsbDevice *dev = xhci_port_device (x, s->port);

  if (dev == NULL)
    return;
  for (unsigned n = 0; n < TD_BUDGET && ep->state == EP_RUNNING
       && !(x->usbsts & USBSTS_HCH); n++)
    {
      gboolean consumed;

      if (ep->type == EP_TYPE_CONTROL)
        consumed = control_td (&r, dev, ep);
      else if (ep->type == EP_TYPE_INT_IN)
        consumed = interrupt_in_td (&r, dev, ep);
      else
        {
          /* Our devices have no other endpoints: a transfer there is
           * answered with a stall. */
          halt (&r, ep->ring.dequeue, CC_STALL);
          consumed = TRUE;
        }
      if (!consumed)
        break;
    }
}

void
xhci_ep_doorbell (VmmXhci *x, unsigned slotid, unsigned dci)
{
  XhciSlot *s = &x->slot[slotid];
  XhciEndpoint *ep = &s->ep[dci];

  if (!s->enabled || s->state == SLOT_ENABLED)
    return;
  /* Ringing a stopped endpoint's doorbell restarts it (4.6.9). */
  if (ep->state == EP_STOPPED)
    ep->state = EP_RUNNING;
  if (ep->state != EP_RUNNING)
    return;
  run_endpoint (x, slotid, dci);
}

/* An interrupt IN TD waiting for its device is a TD in progress: Stop
 * Endpoint ends it with a Stopped - Length Invalid event on its first TRB
 * (nothing was transferred), which is how a driver learns where the ring
 * stopped before it cancels or reuses the TD (4.6.9); Linux takes it and
 * leaves the TD queued. Control TDs complete within their doorbell, so
 * endpoint 0 never has one in progress. */
void
xhci_ep_stop_event (VmmXhci *x, unsigned slotid, unsigned dci)
{
  XhciEndpoint *ep = &x->slot[slotid].ep[dci];
  XhciRing ring = ep->ring;
  EpRef r = { x, slotid, dci };
  XhciTrb trb;
  uint64_t addr;

  if (ep->type != EP_TYPE_INT_IN || xhci_ring_fetch (x, &ring, &trb, &addr) != 1)
    return;
  /* Links before the TD are consumed, so the context's dequeue pointer
   * names the TRB the event does. */
  ep->ring = ring;
  transfer_event (&r, addr, CC_STOPPED_LENGTH_INVALID, 0, trb.status, FALSE);
}

void
xhci_device_wakeup (void *opaque, VmmUsbDevice *dev, unsigned epnum)
{
  VmmXhci *x = opaque;
  unsigned dci = epnum * 2 + 1;

  if (epnum < 1 || dci >= XHCI_N_DCI)
    return;
  g_mutex_lock (&x->lock);
  for (unsigned i = 1; i <= XHCI_MAX_SLOTS; i++)
    {
      XhciSlot *s = &x->slot[i];
      if (s->enabled && s->state == SLOT_CONFIGURED && xhci_port_device (x, s->port) == dev
          && s->ep[dci].state == EP_RUNNING && s->ep[dci].type == EP_TYPE_INT_IN)
        run_endpoint (x, i, dci);
    }
  g_mutex_unlock (&x->lock);
}
