/* virtqueue.h: split virtqueues as a device model sees them.
 *
 * A device pops descriptor chains as elements (the chain turned into host
 * iovecs: device-readable segments first, then device-writable ones),
 * handles them, and pushes each one back with the number of bytes it wrote.
 * Every address and length in a chain has been checked against guest RAM
 * before the device sees it; a malformed chain (a loop, an address outside
 * RAM, a readable segment after a writable one, nested or malformed
 * indirect tables, too many descriptors) is never handed out: pop fails and
 * the transport marks the device DEVICE_NEEDS_RESET.
 *
 * Locking: pop, push and notify on one queue may be called from different
 * threads (an I/O thread pops, a completion thread pushes); the queue
 * serializes them. After the driver or the machine resets the device, a
 * stale element may still be pushed: the push is dropped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct _VmmVirtqueue VmmVirtqueue;

typedef struct {
  uint16_t head;          /* the chain's first descriptor, for the used ring */
  uint32_t generation;    /* the queue generation the element came from */
  unsigned n_out;         /* device-readable segments: iov[0 .. n_out) */
  unsigned n_in;          /* device-writable segments: iov[n_out .. n_out + n_in) */
  uint64_t out_len;       /* total bytes in the readable segments */
  uint64_t in_len;        /* total bytes in the writable segments */
  struct iovec iov[];
} VmmVirtqElem;

/* Takes the next available chain. Returns 1 and sets *@elem, 0 when the
 * queue is empty or not running, or -EINVAL for a malformed chain (the
 * device has then been marked as needing a reset; stop using the queue). */
int      vmm_virtq_pop       (VmmVirtqueue *vq, VmmVirtqElem **elem);
/* Returns @elem to the driver as used, with @written bytes written into its
 * writable segments, and frees it. Does not interrupt the guest: call
 * vmm_virtq_notify once after a batch. */
void     vmm_virtq_push      (VmmVirtqueue *vq, VmmVirtqElem *elem, uint32_t written);
/* Pushes @n elements and makes them visible to the driver at once (one
 * used->idx update): a frame spread over several receive buffers must not
 * be seen half there by a driver that polls. */
void     vmm_virtq_push_batch (VmmVirtqueue *vq, VmmVirtqElem **elems, const uint32_t *written,
                               unsigned n);
/* Interrupts the guest if the driver asked for it (EVENT_IDX, or the
 * NO_INTERRUPT flag) and something was pushed since the last notify. */
void     vmm_virtq_notify    (VmmVirtqueue *vq);
/* Kick suppression: while a device drains a queue it may ask the driver
 * not to kick. enable returns TRUE when chains became available in the
 * meantime, so the caller must drain again rather than sleep. */
void     vmm_virtq_disable_kicks (VmmVirtqueue *vq);
gboolean vmm_virtq_enable_kicks  (VmmVirtqueue *vq);
/* The queue's index within its device, and its size (0 when not set up). */
unsigned vmm_virtq_index     (const VmmVirtqueue *vq);
unsigned vmm_virtq_size      (const VmmVirtqueue *vq);

void     vmm_virtq_elem_free (VmmVirtqElem *elem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmVirtqElem, vmm_virtq_elem_free)
