/* fuzz-virtio-gpu.c: arbitrary control and cursor commands, with the
 * guest RAM they point into also under the fuzzer's control.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio-test-driver.h"
#include "gpu/virtio-gpu.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static VmmPciDevice *
make_gpu (VmmPlatform *platform, void *display, GError **error)
{
  return vmm_virtio_gpu_new (platform, display, error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static VmmDisplay *display;
  static Vtd *vtd;
  static uint64_t scratch, resp;

  if (vtd == NULL)
    {
      display = vmm_display_new ();
      vtd = vtd_new_from (make_gpu, display, 2);
      g_assert_true (vtd_init (vtd, (1ULL << 32) | 2, 0, TRUE));
      scratch = vtd_alloc (vtd, 64 * 1024, 4096);
      resp = vtd_alloc (vtd, 2048, 8);
    }
  /* Each input: a queue byte, then up to 4 commands of a length byte each,
   * all of them also copied into the scratch area guest addresses point at. */
  if (size < 2)
    return 0;
  memset (vtd_ptr (vtd, scratch), 0, 64 * 1024);
  memcpy (vtd_ptr (vtd, scratch), data, MIN (size, (size_t) 64 * 1024));
  for (size_t pos = 1; pos < size;)
    {
      size_t len = MIN ((size_t) data[pos] + 1, size - pos - 1);
      unsigned q = data[0] & 1;
      uint64_t req;
      VtdBuf bufs[2];

      if (len == 0)
        break;
      req = scratch + 32 * 1024 + (pos % 1024) * 16;
      memcpy (vtd_ptr (vtd, req), data + pos + 1, len);
      bufs[0] = (VtdBuf) { req, (uint32_t) len, FALSE };
      bufs[1] = (VtdBuf) { resp, 2048, TRUE };
      vtd_add_chain (vtd, q, bufs, q == 0 ? 2 : 1, FALSE);
      vtd_kick (vtd, q);
      if (!vtd_wait_used (vtd, q, NULL, NULL, 2000))
        g_error ("the device stopped answering");
      pos += len + 1;
    }
  return 0;
}
