/* xhci-ring.c: the consumer side of TRB rings (command and transfer rings,
 * xHCI 4.9.2).
 *
 * A TRB is copied out of guest memory once and only the copy is looked at.
 * Link TRBs are followed here so that callers never see one; a chain of
 * links that never reaches a real TRB is cut off after XHCI_LINK_MAX, and
 * rings without any link are bounded by the callers' per-doorbell budgets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "usb/xhci-private.h"

#include <errno.h>

void
xhci_ring_set (XhciRing *ring, uint64_t ptr)
{
  ring->dequeue = ptr & ~0xfULL;
  ring->ccs = (ptr & 1) != 0;
}

int
xhci_ring_fetch (VmmXhci *x, XhciRing *ring, XhciTrb *trb, uint64_t *addr)
{
  for (unsigned links = 0; links <= XHCI_LINK_MAX; links++)
    {
      uint8_t t[16];

      if (vmm_guest_mem_read (&x->platform->mem, ring->dequeue, t, sizeof t) < 0)
        return -EFAULT;
      trb->param = vmm_le_get (t, 8);
      trb->status = (uint32_t) vmm_le_get (t + 8, 4);
      trb->control = (uint32_t) vmm_le_get (t + 12, 4);
      if (((trb->control & TRB_C) != 0) != ring->ccs)
        return 0;
      if (TRB_TYPE (trb->control) != TRB_LINK)
        {
          *addr = ring->dequeue;
          return 1;
        }
      ring->dequeue = trb->param & ~0xfULL;
      if (trb->control & TRB_TC)
        ring->ccs = !ring->ccs;
    }
  return -ELOOP;
}
