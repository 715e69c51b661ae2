/* guest-mem.h: bounds-checked access to guest RAM for device models.
 *
 * Every address a device reads from the guest (descriptor tables, DMA
 * lists, TRBs) goes through here, so that no guest value can make the
 * monitor touch memory outside guest RAM. RAM is a few disjoint regions
 * (below the PCI hole, above 4 GiB); an access must lie entirely inside one
 * region, because adjacent guest-physical addresses in different regions are
 * not adjacent in the host.
 *
 * The guest may change its memory while a device reads it: copy a
 * structure out once (vmm_guest_mem_read) and validate the copy, never
 * validate in place and read again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VMM_GUEST_MEM_MAX_REGIONS 4

typedef struct {
  uint64_t gpa;
  uint64_t size;
  uint8_t *host;
} VmmGuestMemRegion;

typedef struct {
  VmmGuestMemRegion region[VMM_GUEST_MEM_MAX_REGIONS];
  unsigned n_regions;
} VmmGuestMem;

void  vmm_guest_mem_init  (VmmGuestMem *mem);
/* Returns 0, -EINVAL (empty, wrapping or overlapping) or -ENOSPC. */
int   vmm_guest_mem_add   (VmmGuestMem *mem, uint64_t gpa, uint64_t size, void *host);

/* The host address of [gpa, gpa + len), or NULL unless the whole range is
 * guest RAM in one region. A zero-length range is valid anywhere inside a
 * region or at its end. */
void *vmm_guest_mem_ptr   (const VmmGuestMem *mem, uint64_t gpa, uint64_t len);

/* Copy between guest RAM and a host buffer. Return 0 or -EFAULT (nothing
 * copied). */
int   vmm_guest_mem_read  (const VmmGuestMem *mem, uint64_t gpa, void *buf, size_t len);
int   vmm_guest_mem_write (const VmmGuestMem *mem, uint64_t gpa, const void *buf, size_t len);
