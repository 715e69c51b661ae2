/* irq.h: an interrupt line from a device model to the machine.
 *
 * Device models raise lines through this indirection so that unit tests can
 * drive them without KVM and observe the line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

typedef void (*VmmIrqSetFn) (void *opaque, unsigned gsi, gboolean level);

typedef struct {
  VmmIrqSetFn set;
  void *opaque;
  unsigned gsi;
} VmmIrqLine;

static inline void
vmm_irq_set (const VmmIrqLine *line, gboolean level)
{
  if (line->set != NULL)
    line->set (line->opaque, line->gsi, level);
}

/* An edge-triggered ISA interrupt: the in-kernel PIC/IOAPIC latch the rising
 * edge, so the line is dropped again at once. */
static inline void
vmm_irq_pulse (const VmmIrqLine *line)
{
  vmm_irq_set (line, TRUE);
  vmm_irq_set (line, FALSE);
}
