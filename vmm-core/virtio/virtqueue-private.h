/* virtqueue-private.h: the transport's side of a split virtqueue.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "guest-mem.h"
#include "virtio/virtqueue.h"

#include <glib.h>
#include <stdint.h>

/* Called (without the queue lock) when the guest should be interrupted for
 * @vq, and when a malformed chain means the device needs a reset. */
typedef struct {
  void (*interrupt) (void *opaque, VmmVirtqueue *vq);
  void (*broken)    (void *opaque, VmmVirtqueue *vq);
} VmmVirtqueueHooks;

struct _VmmVirtqueue {
  GMutex lock;
  unsigned index;
  uint16_t max_size;
  const VmmGuestMem *mem;
  const VmmVirtqueueHooks *hooks;
  void *opaque;

  /* What the driver programmed (through the transport). */
  uint16_t size;
  uint64_t desc_gpa, avail_gpa, used_gpa;
  gboolean enabled;

  /* Set up by vmm_virtq_start. */
  gboolean running;
  gboolean event_idx, indirect;
  uint8_t *desc;            /* size * 16 bytes */
  uint8_t *avail;           /* 6 + 2 * size bytes */
  uint8_t *used;            /* 6 + 8 * size bytes */
  uint16_t last_avail;
  uint16_t used_idx;
  uint16_t signalled_used;
  gboolean signalled_valid;
  gboolean kicks_disabled;
  gboolean pushed;           /* something pushed since the last interrupt */
  uint32_t generation;

  struct iovec *scratch;    /* max_size segments, for walking a chain */
};

void vmm_virtq_init    (VmmVirtqueue *vq, unsigned index, uint16_t max_size,
                        const VmmGuestMem *mem, const VmmVirtqueueHooks *hooks, void *opaque);
void vmm_virtq_clear   (VmmVirtqueue *vq);
/* Back to the state after init: nothing programmed, not running; elements
 * still held by the device are dropped when pushed. */
void vmm_virtq_reset   (VmmVirtqueue *vq);
/* Validates what the driver programmed (size a power of two, rings inside
 * guest RAM and aligned) and starts handing out chains. Returns 0 or
 * -EINVAL. */
int  vmm_virtq_start   (VmmVirtqueue *vq, gboolean event_idx, gboolean indirect);
