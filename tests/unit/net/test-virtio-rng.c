/* test-virtio-rng.c: the entropy device under the virtio test driver.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/virtio-rng-private.h"
#include "virtio-test-driver.h"

#include <string.h>

#define WAIT_MS 5000
#define F_VERSION_1 (1ULL << 32)
#define F_EVENT_IDX (1ULL << 29)

typedef struct {
  Vtd *vtd;
  VmmVirtioRng *rng;
} Rh;

static void
rh_init (Rh *rh, uint64_t rate)
{
  VmmVirtioRngConfig config = { .max_bytes_per_sec = rate };
  VmmVirtioDeviceDesc desc;
  g_autoptr (GError) error = NULL;

  rh->rng = vmm_virtio_rng_create (&config, &desc, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (desc.device_id, ==, 4);
  rh->vtd = vtd_new (&desc);
  g_assert_cmpint (vmm_virtio_rng_attach (rh->rng, vtd_virtio (rh->vtd)), ==, 0);
  g_assert_true (vtd_init (rh->vtd, F_VERSION_1 | F_EVENT_IDX, 0, TRUE));
}

static uint64_t
post (Rh *rh, uint32_t len, gboolean writable)
{
  uint64_t gpa = vtd_alloc (rh->vtd, len, 8);
  VtdBuf buf = { gpa, len, writable };

  vtd_add_chain (rh->vtd, 0, &buf, 1, FALSE);
  vtd_kick (rh->vtd, 0);
  return gpa;
}

static gboolean
all_zero (const uint8_t *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (p[i] != 0)
      return FALSE;
  return TRUE;
}

static void
test_fill (void)
{
  Rh rh;
  static const uint32_t sizes[] = { 32, 256, 4096 };
  uint64_t gpa[3];
  uint32_t id, len;
  VmmVirtioRngStats stats;

  rh_init (&rh, 0);
  for (unsigned i = 0; i < 3; i++)
    {
      gpa[i] = post (&rh, sizes[i], TRUE);
      g_assert_true (vtd_wait_used (rh.vtd, 0, &id, &len, WAIT_MS));
      g_assert_cmpuint (len, ==, sizes[i]);
      g_assert_false (all_zero (vtd_ptr (rh.vtd, gpa[i]), sizes[i]));
    }
  /* Two fills are not the same bytes. */
  g_assert_true (memcmp (vtd_ptr (rh.vtd, gpa[0]), vtd_ptr (rh.vtd, gpa[1]), 32) != 0);

  /* A request without a writable buffer gets nothing. */
  post (&rh, 64, FALSE);
  g_assert_true (vtd_wait_used (rh.vtd, 0, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, ==, 0);

  vmm_virtio_rng_get_stats (rh.rng, &stats);
  g_assert_cmpuint (stats.bytes, ==, 32 + 256 + 4096);
  g_assert_cmpuint (stats.requests, ==, 3);
  g_assert_cmpuint (stats.bad_requests, ==, 1);
  vtd_free (rh.vtd);
}

static void
test_rate_limit (void)
{
  Rh rh;
  uint32_t id, len;
  gint64 start, elapsed;
  uint64_t total = 0;
  unsigned requests = 0;
  VmmVirtioRngStats stats;

  rh_init (&rh, 1000);
  /* The bucket starts with one second's worth. */
  start = g_get_monotonic_time ();
  post (&rh, 4096, TRUE);
  g_assert_true (vtd_wait_used (rh.vtd, 0, &id, &len, WAIT_MS));
  g_assert_cmpuint (len, >=, 1000);
  total += len;

  /* Then a guest asking in a loop gets what the rate allows, however
   * often it asks: every request gets at least one byte, eventually. */
  do
    {
      post (&rh, 256, TRUE);
      g_assert_true (vtd_wait_used (rh.vtd, 0, &id, &len, WAIT_MS));
      g_assert_cmpuint (len, >=, 1);
      total += len;
      requests++;
      elapsed = g_get_monotonic_time () - start;
    }
  while (elapsed < 400 * 1000);

  g_test_message ("%u requests, %" G_GUINT64_FORMAT " bytes in %" G_GINT64_FORMAT " us",
                  requests, total, elapsed);
  g_assert_cmpuint (total, <=, 1000 + (uint64_t) elapsed * 1000 / G_USEC_PER_SEC + 256);
  vmm_virtio_rng_get_stats (rh.rng, &stats);
  g_assert_cmpuint (stats.throttled, >=, 1);
  g_assert_cmpuint (stats.bytes, ==, total);
  vtd_free (rh.vtd);
}

/* A reset while throttled: the timer finds the device stopped. */
static void
test_reset_while_throttled (void)
{
  Rh rh;
  uint32_t id, len;

  rh_init (&rh, 100);
  post (&rh, 100, TRUE);
  g_assert_true (vtd_wait_used (rh.vtd, 0, &id, &len, WAIT_MS));
  post (&rh, 64, TRUE);
  g_usleep (20 * 1000);
  vtd_bar_write (rh.vtd, 0x14, 0, 1);
  g_usleep (700 * 1000);
  g_assert_true (vtd_init (rh.vtd, F_VERSION_1, 0, TRUE));
  vtd_free (rh.vtd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/virtio-rng/fill", test_fill);
  g_test_add_func ("/net/virtio-rng/rate-limit", test_rate_limit);
  g_test_add_func ("/net/virtio-rng/reset-while-throttled", test_reset_while_throttled);
  return g_test_run ();
}
