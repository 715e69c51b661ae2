/* guest-mem.c: bounds-checked access to guest RAM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "guest-mem.h"

#include <errno.h>
#include <string.h>

void
vmm_guest_mem_init (VmmGuestMem *mem)
{
  memset (mem, 0, sizeof *mem);
}

int
vmm_guest_mem_add (VmmGuestMem *mem, uint64_t gpa, uint64_t size, void *host)
{
  if (size == 0 || host == NULL || gpa + size < gpa)
    return -EINVAL;
  for (unsigned i = 0; i < mem->n_regions; i++)
    {
      const VmmGuestMemRegion *r = &mem->region[i];
      if (gpa < r->gpa + r->size && r->gpa < gpa + size)
        return -EINVAL;
    }
  if (mem->n_regions == VMM_GUEST_MEM_MAX_REGIONS)
    return -ENOSPC;
  mem->region[mem->n_regions++] = (VmmGuestMemRegion) { gpa, size, host };
  return 0;
}

void *
vmm_guest_mem_ptr (const VmmGuestMem *mem, uint64_t gpa, uint64_t len)
{
  for (unsigned i = 0; i < mem->n_regions; i++)
    {
      const VmmGuestMemRegion *r = &mem->region[i];
      /* Written so that no sum can wrap: gpa - r->gpa is only formed once
       * gpa >= r->gpa. */
      if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
        return r->host + (gpa - r->gpa);
    }
  return NULL;
}

int
vmm_guest_mem_read (const VmmGuestMem *mem, uint64_t gpa, void *buf, size_t len)
{
  const void *p = vmm_guest_mem_ptr (mem, gpa, len);

  if (p == NULL)
    return -EFAULT;
  memcpy (buf, p, len);
  return 0;
}

int
vmm_guest_mem_write (const VmmGuestMem *mem, uint64_t gpa, const void *buf, size_t len)
{
  void *p = vmm_guest_mem_ptr (mem, gpa, len);

  if (p == NULL)
    return -EFAULT;
  memcpy (p, buf, len);
  return 0;
}
