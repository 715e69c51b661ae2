/* xhci-event.c: interrupters, their event rings and the runtime
 * registers (xHCI 4.9.4, 5.5).
 *
 * An event ring is a list of segments the guest describes in its Event
 * Ring Segment Table; we are the producer. Each entry is read afresh from
 * guest memory when the producer enters it, and validated, so a table the
 * guest rewrites or points outside RAM gives a Host System Error rather
 * than a write somewhere else.
 *
 * Interrupts: an event sets Event Handler Busy and Interrupt Pending and
 * fires the interrupter's MSI-X vector (or INTx). While EHB is set no
 * further interrupt is sent; when the guest clears EHB through ERDP and
 * events remain past its dequeue pointer, the interrupt fires again, so an
 * event that arrives while the driver drains the ring is never lost.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/xhci-private.h"

#include <string.h>

#define IMAN_IP   (1u << 0)
#define IMAN_IE   (1u << 1)
#define ERDP_EHB  (1ULL << 3)
#define SEG_MIN   16
#define SEG_MAX   4096

void
xhci_intr_reset (VmmXhci *x)
{
  for (unsigned i = 0; i < XHCI_N_INTRS; i++)
    x->intr[i] = (XhciIntr) { .imod = 4000, .pcs = TRUE };
}

/* Segment @seg of the table: 0 and its base and size, or -1. */
static int
read_segment (VmmXhci *x, XhciIntr *in, unsigned seg, uint64_t *base, uint32_t *size)
{
  uint8_t e[16];

  if (seg >= in->erstsz
      || vmm_guest_mem_read (&x->platform->mem, in->erstba + 16ULL * seg, e, sizeof e) < 0)
    return -1;
  *base = vmm_le_get (e, 8) & ~0x3fULL;
  *size = (uint32_t) vmm_le_get (e + 8, 2);
  if (*size < SEG_MIN || *size > SEG_MAX
      || vmm_guest_mem_ptr (&x->platform->mem, *base, (uint64_t) *size * 16) == NULL)
    return -1;
  return 0;
}

static void
intr_raise (VmmXhci *x, unsigned i)
{
  XhciIntr *in = &x->intr[i];

  if (in->erdp & ERDP_EHB)
    return;
  in->erdp |= ERDP_EHB;
  in->iman |= IMAN_IP;
  x->usbsts |= USBSTS_EINT;
  if (!(x->usbcmd & USBCMD_INTE) || !(in->iman & IMAN_IE))
    return;
  if (vmm_msix_enabled (x->msix))
    vmm_msix_notify (x->msix, i);
  else
    xhci_update_intx (x);
}

/* The enqueue address (the guest address of the next event slot) or 0 when
 * the ring is unusable. */
static uint64_t
enqueue_addr (VmmXhci *x, XhciIntr *in)
{
  uint64_t base;
  uint32_t size;

  if (read_segment (x, in, in->seg, &base, &size) < 0 || in->idx >= size)
    return 0;
  return base + 16ULL * in->idx;
}

/* Moves the producer one slot on; returns the new slot's address or 0. */
static uint64_t
advance (VmmXhci *x, XhciIntr *in)
{
  uint64_t base;
  uint32_t size;

  if (read_segment (x, in, in->seg, &base, &size) < 0)
    return 0;
  if (++in->idx >= size)
    {
      in->idx = 0;
      if (++in->seg >= in->erstsz)
        {
          in->seg = 0;
          in->pcs = !in->pcs;
        }
    }
  return enqueue_addr (x, in);
}

static int
put_trb (VmmXhci *x, uint64_t addr, const XhciTrb *ev, gboolean pcs)
{
  uint8_t t[16];

  vmm_le_put (t, 8, ev->param);
  vmm_le_put (t + 8, 4, ev->status);
  vmm_le_put (t + 12, 4, (ev->control & ~TRB_C) | (pcs ? TRB_C : 0));
  return vmm_guest_mem_write (&x->platform->mem, addr, t, sizeof t);
}

void
xhci_event (VmmXhci *x, unsigned intr, const XhciTrb *ev)
{
  XhciIntr *in;
  uint64_t addr, next;
  XhciIntr peek;

  if (intr >= XHCI_N_INTRS)
    intr = 0;
  in = &x->intr[intr];
  if (in->full || in->erstsz == 0 || (x->usbsts & USBSTS_HCH))
    return;
  addr = enqueue_addr (x, in);
  peek = *in;
  next = addr != 0 ? advance (x, &peek) : 0;
  if (addr == 0 || next == 0)
    {
      xhci_host_error (x);
      return;
    }
  if (next == (in->erdp & ~0xfULL))
    {
      /* One slot left: it reports the overflow and the ring stops until
       * the driver moves its dequeue pointer (xHCI 4.9.4). */
      XhciTrb full = { .status = (uint32_t) CC_EVENT_RING_FULL << 24,
                       .control = TRB_EV_HOST << 10 };
      if (put_trb (x, addr, &full, in->pcs) < 0)
        {
          xhci_host_error (x);
          return;
        }
    }
  else if (put_trb (x, addr, ev, in->pcs) < 0)
    {
      xhci_host_error (x);
      return;
    }
  *in = peek;
  in->full = next == (in->erdp & ~0xfULL);
  intr_raise (x, intr);
}

void
xhci_runtime_read (VmmXhci *x, uint64_t off, uint8_t *data, unsigned len)
{
  uint32_t v = 0;

  if (off == 0)
    v = (uint32_t) ((g_get_monotonic_time () - x->start_time) * 8 / 1000) & 0x3fff;
  else if (off >= 0x20 && off < 0x20 + 32ULL * XHCI_N_INTRS)
    {
      XhciIntr *in = &x->intr[(off - 0x20) / 32];
      switch (off & 0x1f)
        {
        case 0x00: v = in->iman; break;
        case 0x04: v = in->imod; break;
        case 0x08: v = in->erstsz; break;
        case 0x10: v = (uint32_t) in->erstba; break;
        case 0x14: v = (uint32_t) (in->erstba >> 32); break;
        case 0x18: v = (uint32_t) in->erdp; break;
        case 0x1c: v = (uint32_t) (in->erdp >> 32); break;
        default: break;
        }
    }
  memset (data, 0, len);
  vmm_le_put (data, MIN (len, 4u), v);
}

static void
write_erdp (VmmXhci *x, unsigned i, gboolean high, uint32_t v)
{
  XhciIntr *in = &x->intr[i];
  uint64_t enq;

  if (high)
    {
      in->erdp = (in->erdp & 0xffffffffULL) | ((uint64_t) v << 32);
      return;
    }
  /* EHB is write-one-to-clear; the segment index and pointer are the
   * driver's. */
  in->erdp = (in->erdp & (0xffffffff00000000ULL | ERDP_EHB)) | (v & ~0xfu) | (v & 7);
  if (v & ERDP_EHB)
    in->erdp &= ~ERDP_EHB;
  enq = enqueue_addr (x, in);
  if (in->full && enq != (in->erdp & ~0xfULL))
    in->full = FALSE;
  else if (in->full)
    return;
  if (!(in->erdp & ERDP_EHB) && enq != 0 && enq != (in->erdp & ~0xfULL))
    intr_raise (x, i);
}

void
xhci_runtime_write (VmmXhci *x, uint64_t off, uint64_t v, unsigned len)
{
  XhciIntr *in;
  unsigned i;

  if (off < 0x20 || off >= 0x20 + 32ULL * XHCI_N_INTRS)
    return;
  i = (unsigned) ((off - 0x20) / 32);
  in = &x->intr[i];
  switch (off & 0x1f)
    {
    case 0x00:
      in->iman = (in->iman & ~(IMAN_IE | (v & IMAN_IP))) | (v & IMAN_IE);
      xhci_update_intx (x);
      break;
    case 0x04:
      in->imod = (uint32_t) v;
      break;
    case 0x08:
      in->erstsz = MIN ((uint32_t) v & 0xffff, 1u << XHCI_ERST_MAX);
      break;
    case 0x10:
    case 0x14:
      if ((off & 0x1f) == 0x10)
        in->erstba = (in->erstba & ~0xffffffffULL) | (v & ~0x3fULL & 0xffffffffULL);
      else
        in->erstba = (in->erstba & 0xffffffffULL) | (v << 32);
      /* Writing the table base (re)starts the ring at its first slot. */
      in->seg = in->idx = 0;
      in->pcs = TRUE;
      in->full = FALSE;
      break;
    case 0x18:
    case 0x1c:
      write_erdp (x, i, (off & 0x1f) == 0x1c, (uint32_t) v);
      break;
    default:
      break;
    }
}
