/* fuzz-virtio-blk.c: arbitrary request chains into virtio-blk.
 *
 * The input describes up to 16 chains: for each, its segments (length,
 * direction, a few placed outside guest RAM, some behind an indirect
 * table) and the bytes the driver put in the readable ones, so headers,
 * types, sectors and discard ranges are all the fuzzer's. The device runs
 * them on a raw or a qcow2 disk; a reset then drains whatever is in flight.
 * Sanitizers catch the failures; the only rule checked here is that the
 * device never claims to have written more than the chain offered.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <glib/gstdio.h>
#include <string.h>

#include "blk-harness.h"

#define MAX_CHAINS 16
#define MAX_SEGS   8
#define MAX_SEG_LEN 8192u

static Harness *harness[2];

static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vireo-fuzz-blk-XXXXXX", &error);
  g_autofree char *raw = g_build_filename (dir, "disk.raw", NULL);
  g_autofree char *qcow2 = g_build_filename (dir, "disk.qcow2", NULL);
  VmmVirtioBlkConfig cfg = { .num_queues = 1, .queue_size = 64, .serial = "fuzz" };

  g_assert_no_error (error);
  g_assert_true (vmm_image_create_raw (raw, 1 << 20, &error));
  g_assert_true (vmm_image_create_qcow2 (qcow2, 1 << 20, 4096, NULL, NULL, &error));
  harness[0] = harness_new (raw, &cfg);
  harness[1] = harness_new (qcow2, &cfg);
  /* The open images keep the files; the names can go now. */
  g_unlink (raw);
  g_unlink (qcow2);
  g_rmdir (dir);
}

typedef struct {
  const uint8_t *p;
  size_t left;
} Input;

static uint8_t
take8 (Input *in)
{
  uint8_t v = 0;

  if (in->left > 0)
    {
      v = *in->p++;
      in->left--;
    }
  return v;
}

static uint16_t
take16 (Input *in)
{
  uint16_t lo = take8 (in);

  return (uint16_t) (lo | take8 (in) << 8);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Input in = { data, size };
  Harness *h;
  HarnessSeg segs[MAX_SEGS];
  unsigned chains = 0;
  uint32_t id, len;

  if (harness[0] == NULL)
    setup ();
  h = harness[take8 (&in) & 1];
  harness_reset_alloc (h);

  while (in.left > 0 && chains < MAX_CHAINS && !h->vio.needs_reset)
    {
      uint8_t head = take8 (&in);
      unsigned n = (head & 7) + 1;
      bool indirect = (head & 0x80) != 0;

      for (unsigned i = 0; i < n; i++)
        {
          uint16_t l = take16 (&in);
          uint8_t f = take8 (&in);
          uint32_t seg_len = l % (MAX_SEG_LEN + 1);

          segs[i].write = (f & 1) != 0;
          segs[i].len = seg_len;
          segs[i].gpa = harness_alloc (h, MAX (seg_len, 1));
          if (f & 2)
            segs[i].gpa = (f & 4) ? 0x1000 : HARNESS_RAM_GPA + HARNESS_RAM_SIZE - 8;
          if (f & 8)
            segs[i].len = 0xfffffff0u;
          if (!segs[i].write && !(f & 0xa))
            {
              size_t c = MIN ((size_t) seg_len, in.left);

              memcpy (harness_host (h, segs[i].gpa), in.p, c);
              in.p += c;
              in.left -= c;
            }
        }
      if (indirect)
        harness_add_indirect (h, 0, segs, n);
      else
        harness_add_chain (h, 0, segs, n);
      chains++;
      if (chains % 4 == 0)
        harness_kick (h, 0);
    }
  harness_kick (h, 0);
  harness_poll (h, 0);

  /* The reset waits for every request in flight. */
  h->desc.ops->reset (h->desc.dev);
  while (harness_pop_used (h, 0, &id, &len))
    g_assert_cmpuint (len, <=, (uint32_t) (MAX_SEGS * MAX_SEG_LEN));
  harness_reset (h);
  return 0;
}
