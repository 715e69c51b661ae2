/* xhci-test-driver.h: an xHCI driver for unit tests. It owns a fake guest
 * RAM, plays the guest's side of the register interface, the command ring,
 * one event ring and transfer rings, and talks to the real controller
 * through its BAR ops.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "usb/xhci.h"

#include <glib.h>
#include <stdint.h>

#define XTD_RAM_SIZE (1u << 20)

typedef struct _Xtd Xtd;

typedef struct {
  uint64_t param;
  uint32_t status;
  uint32_t control;
} XtdTrb;

#define XTD_TYPE(t) (((t)->control >> 10) & 0x3f)
#define XTD_CC(t)   ((t)->status >> 24)
#define XTD_SLOT(t) ((t)->control >> 24)

typedef struct {
  uint64_t base;
  unsigned n;            /* TRBs, the last one being the link */
  unsigned enq;
  gboolean pcs;
} XtdRing;

Xtd      *xtd_new          (void);
void      xtd_free         (Xtd *xtd);
VmmXhci  *xtd_xhci         (Xtd *xtd);
VmmPciDevice *xtd_pci      (Xtd *xtd);
uint32_t  xtd_read         (Xtd *xtd, uint64_t offset);
void      xtd_write        (Xtd *xtd, uint64_t offset, uint32_t value);
uint32_t  xtd_op_read      (Xtd *xtd, uint64_t offset);
void      xtd_op_write     (Xtd *xtd, uint64_t offset, uint32_t value);
void      xtd_rt_write     (Xtd *xtd, uint64_t offset, uint32_t value);
uint32_t  xtd_rt_read      (Xtd *xtd, uint64_t offset);
void      xtd_doorbell     (Xtd *xtd, unsigned db, uint32_t value);
uint64_t  xtd_alloc        (Xtd *xtd, uint64_t len, uint64_t align);
void     *xtd_ptr          (Xtd *xtd, uint64_t gpa);
int       xtd_intx         (Xtd *xtd);
int       xtd_msi_count    (Xtd *xtd);

/* Resets and starts the controller: DCBAA, command ring, event ring. */
void      xtd_start        (Xtd *xtd);
/* Takes the next event, or returns FALSE when the ring has none. */
gboolean  xtd_event        (Xtd *xtd, XtdTrb *ev);
/* Writes a TRB at the ring's enqueue position with the producer cycle. */
uint64_t  xtd_ring_put     (Xtd *xtd, XtdRing *ring, uint64_t param, uint32_t status,
                            uint32_t control);
XtdRing   xtd_ring_new     (Xtd *xtd, unsigned n);
/* Queues a command, rings doorbell 0 and returns its completion event's
 * code; *slot gets the event's slot ID when not NULL. */
unsigned  xtd_command      (Xtd *xtd, uint64_t param, uint32_t control, unsigned *slot);
/* Resets a root port and consumes the port status change event. */
void      xtd_port_reset   (Xtd *xtd, unsigned port);

/* Enables a slot and addresses the device on @port; returns the slot ID. */
unsigned  xtd_address      (Xtd *xtd, unsigned port);
/* A control transfer on the slot's endpoint 0: returns the completion code
 * of the transfer and sets *actual to the bytes moved in the data stage. */
unsigned  xtd_control      (Xtd *xtd, unsigned slot, uint8_t type, uint8_t req, uint16_t value,
                            uint16_t index, uint16_t length, void *data, unsigned *actual);
/* Configures interrupt IN endpoint 1 (DCI 3). Returns the command's code. */
unsigned  xtd_configure_int_in (Xtd *xtd, unsigned slot, unsigned max_packet);
/* Queues one Normal TRB of @len bytes on DCI 3 and rings its doorbell.
 * Returns the buffer's guest address. */
uint64_t  xtd_queue_int_in (Xtd *xtd, unsigned slot, unsigned len);
/* The device context index 3 transfer ring of @slot. */
XtdRing  *xtd_int_ring     (Xtd *xtd, unsigned slot);
XtdRing  *xtd_ep0_ring     (Xtd *xtd, unsigned slot);
XtdRing  *xtd_cmd_ring     (Xtd *xtd);
uint64_t  xtd_dev_ctx      (Xtd *xtd, unsigned slot);
uint64_t  xtd_dcbaa        (Xtd *xtd);
