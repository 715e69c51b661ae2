/* fuzz-virtqueue.c: arbitrary guest memory under a split virtqueue; the
 * chain walker must never read outside it, loop, or hand out a segment
 * that is not inside guest RAM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio/virtqueue-private.h"

#include <stdint.h>
#include <string.h>

#define RAM_SIZE 0x10000

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean broken;

static void
on_broken (void *opaque, VmmVirtqueue *vq)
{
  broken = TRUE;
}

static const VmmVirtqueueHooks hooks = { .broken = on_broken };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static uint8_t *ram;
  VmmGuestMem mem;
  VmmVirtqueue vq;
  VmmVirtqElem *elem;
  uint16_t qsize;

  if (size < 4)
    return 0;
  if (ram == NULL)
    ram = g_malloc (RAM_SIZE);
  memset (ram, 0, RAM_SIZE);
  memcpy (ram, data + 4, MIN (size - 4, (size_t) RAM_SIZE));
  qsize = (uint16_t) (1u << (data[0] % 9));   /* 1 .. 256 */

  vmm_guest_mem_init (&mem);
  vmm_guest_mem_add (&mem, 0, RAM_SIZE, ram);
  vmm_virtq_init (&vq, 0, 256, &mem, &hooks, NULL);
  vq.size = qsize;
  vq.desc_gpa = 0;
  vq.avail_gpa = 0x1000 + (data[1] & 0x0e);
  vq.used_gpa = 0x2000;
  broken = FALSE;
  if (vmm_virtq_start (&vq, data[2] & 1, data[2] & 2) == 0)
    {
      for (unsigned i = 0; i < 512 && vmm_virtq_pop (&vq, &elem) > 0; i++)
        {
          for (unsigned s = 0; s < elem->n_out + elem->n_in; s++)
            {
              const uint8_t *p = elem->iov[s].iov_base;
              g_assert (p >= ram && p + elem->iov[s].iov_len <= ram + RAM_SIZE);
            }
          vmm_virtq_push (&vq, elem, (uint32_t) (data[3] * 16u));
        }
      vmm_virtq_notify (&vq);
    }
  vmm_virtq_clear (&vq);
  return 0;
}
