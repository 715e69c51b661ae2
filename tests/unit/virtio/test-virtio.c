/* test-virtio.c: the virtqueue code and the PCI transport, driven by the
 * test driver against a small echo device (copies what the driver wrote
 * into the buffers the driver gave for the answer).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio-test-driver.h"
#include "virtio/iov.h"

#include <string.h>

#define F_VERSION_1 (1ULL << 32)
#define F_EVENT_IDX (1ULL << 29)
#define F_INDIRECT  (1ULL << 28)
#define F_ECHO_BIT0 (1ULL << 0)

#define STATUS_NEEDS_RESET 0x40
#define DESC_NEXT 1
#define DESC_WRITE 2
#define DESC_INDIRECT 4

typedef struct {
  VmmVirtio *vio;
  gboolean batch;          /* answer everything popped with one push */
  gint starts, resets, notifies;
  uint64_t features;
} Echo;

static void
echo_config_read (void *dev, unsigned offset, uint8_t *data, unsigned len)
{
  static const uint8_t cfg[8] = { 'e', 'c', 'h', 'o', 1, 2, 3, 4 };

  memcpy (data, cfg + offset, len);
}

static int
echo_start (void *dev, uint64_t features)
{
  Echo *e = dev;

  e->features = features;
  g_atomic_int_inc (&e->starts);
  return 0;
}

static void
echo_reset (void *dev)
{
  Echo *e = dev;

  g_atomic_int_inc (&e->resets);
}

static void
echo_notify (void *dev, VmmVirtqueue *vq)
{
  Echo *e = dev;
  VmmVirtqElem *elem;

  VmmVirtqElem *batch[64];
  uint32_t written[64];
  unsigned n_batch = 0;

  g_atomic_int_inc (&e->notifies);
  while (n_batch < G_N_ELEMENTS (batch) && vmm_virtq_pop (vq, &elem) > 0)
    {
      uint8_t buf[4096];
      size_t n = vmm_iov_to_buf (elem->iov, elem->n_out, 0, buf, MIN (sizeof buf, elem->out_len));
      size_t w = vmm_iov_from_buf (elem->iov + elem->n_out, elem->n_in, 0, buf, n);
      if (e->batch)
        {
          batch[n_batch] = elem;
          written[n_batch++] = (uint32_t) w;
        }
      else
        vmm_virtq_push (vq, elem, (uint32_t) w);
    }
  vmm_virtq_push_batch (vq, batch, written, n_batch);
  vmm_virtq_notify (vq);
}

static void
echo_destroy (void *dev)
{
  g_free (dev);
}

static const VmmVirtioDeviceOps echo_ops = {
  .config_read = echo_config_read,
  .start = echo_start,
  .reset = echo_reset,
  .queue_notify = echo_notify,
  .destroy = echo_destroy,
};

static Vtd *
echo_new (Echo **out, uint16_t queue_size)
{
  Echo *e = g_new0 (Echo, 1);
  VmmVirtioDeviceDesc desc = {
    .name = "echo", .device_id = 0x3f, .pci_class = 0xff0000, .features = F_ECHO_BIT0,
    .n_queues = 2, .queue_size = queue_size, .config_size = 8, .ops = &echo_ops, .dev = e,
  };
  Vtd *vtd = vtd_new (&desc);

  e->vio = vtd_virtio (vtd);
  if (out != NULL)
    *out = e;
  return vtd;
}

static void
round_trip (Vtd *vtd, gboolean indirect)
{
  uint64_t in = vtd_alloc (vtd, 64, 8), out = vtd_alloc (vtd, 64, 8);
  VtdBuf bufs[] = { { in, 5, FALSE }, { in + 5, 6, FALSE }, { out, 3, TRUE }, { out + 3, 61, TRUE } };
  uint32_t id, len;
  uint16_t head;

  memcpy (vtd_ptr (vtd, in), "hello world", 11);
  head = vtd_add_chain (vtd, 0, bufs, G_N_ELEMENTS (bufs), indirect);
  vtd_kick (vtd, 0);
  g_assert_true (vtd_wait_used (vtd, 0, &id, &len, 5000));
  g_assert_cmpuint (id, ==, head);
  g_assert_cmpuint (len, ==, 11);
  g_assert_cmpmem (vtd_ptr (vtd, out), 11, "hello world", 11);
}

static void
test_negotiate (void)
{
  Echo *e;
  Vtd *vtd = echo_new (&e, 256);

  g_assert_cmphex (vtd_device_features (vtd) & (F_VERSION_1 | F_EVENT_IDX | F_INDIRECT | F_ECHO_BIT0),
                   ==, F_VERSION_1 | F_EVENT_IDX | F_INDIRECT | F_ECHO_BIT0);
  g_assert_cmpuint (vtd_config_read (vtd, 0, 4), ==, 0x6f686365);
  g_assert_cmpuint (vtd_config_read (vtd, 4, 1), ==, 1);
  /* Without VERSION_1 a modern device refuses FEATURES_OK. */
  g_assert_false (vtd_init (vtd, F_ECHO_BIT0, 0, TRUE));
  /* Bits the device never offered are refused too. */
  g_assert_true (vtd_init (vtd, F_VERSION_1 | F_ECHO_BIT0, 0, TRUE));
  g_assert_cmphex (e->features, ==, F_VERSION_1 | F_ECHO_BIT0);
  g_assert_cmpint (e->starts, ==, 1);
  vtd_free (vtd);
}

static void
test_echo_msix (void)
{
  Vtd *vtd = echo_new (NULL, 256);

  g_assert_true (vtd_init (vtd, F_VERSION_1, 0, TRUE));
  round_trip (vtd, FALSE);
  g_assert_cmpuint (vtd_msi_count (vtd), >=, 1);
  g_assert_false (vtd_intx_level (vtd));
  /* Many requests in a row wrap the ring several times. */
  for (unsigned i = 0; i < 700; i++)
    round_trip (vtd, FALSE);
  vtd_free (vtd);
}

static void
test_echo_indirect_event_idx (void)
{
  Vtd *vtd = echo_new (NULL, 8);

  g_assert_true (vtd_init (vtd, F_VERSION_1 | F_INDIRECT | F_EVENT_IDX, 0, TRUE));
  for (unsigned i = 0; i < 40; i++)
    round_trip (vtd, TRUE);
  /* The device tells the driver where to kick next. */
  g_assert_cmpuint (vtd_avail_event (vtd, 0), ==, 40);
  vtd_free (vtd);
}

static void
test_event_idx_suppresses (void)
{
  Vtd *vtd = echo_new (NULL, 16);
  unsigned before;

  g_assert_true (vtd_init (vtd, F_VERSION_1 | F_EVENT_IDX, 0, TRUE));
  round_trip (vtd, FALSE);              /* the first push always interrupts */
  before = vtd_msi_count (vtd);
  vtd_set_used_event (vtd, 0, 100);     /* "interrupt me after the 101st" */
  round_trip (vtd, FALSE);
  round_trip (vtd, FALSE);
  g_assert_cmpuint (vtd_msi_count (vtd), ==, before);
  vtd_set_used_event (vtd, 0, 3);       /* the 4th used entry */
  round_trip (vtd, FALSE);
  g_assert_cmpuint (vtd_msi_count (vtd), ==, before + 1);
  vtd_free (vtd);
}

static void
test_push_batch (void)
{
  Echo *e;
  Vtd *vtd = echo_new (&e, 16);
  uint64_t in = vtd_alloc (vtd, 64, 8), out = vtd_alloc (vtd, 3 * 16, 8);
  uint16_t heads[3];
  uint32_t id, len;

  e->batch = TRUE;
  g_assert_true (vtd_init (vtd, F_VERSION_1, 0, TRUE));
  memcpy (vtd_ptr (vtd, in), "abcdefghi", 9);
  for (unsigned i = 0; i < 3; i++)
    {
      VtdBuf bufs[] = { { in + 3 * i, 3, FALSE }, { out + 16 * i, 16, TRUE } };
      heads[i] = vtd_add_chain (vtd, 0, bufs, 2, FALSE);
    }
  vtd_kick (vtd, 0);
  for (unsigned i = 0; i < 3; i++)
    {
      g_assert_true (vtd_wait_used (vtd, 0, &id, &len, 5000));
      g_assert_cmpuint (id, ==, heads[i]);
      g_assert_cmpuint (len, ==, 3);
      g_assert_cmpmem (vtd_ptr (vtd, out + 16 * i), 3, &"abcdefghi"[3 * i], 3);
    }
  vtd_free (vtd);
}

static void
test_intx (void)
{
  Vtd *vtd = echo_new (NULL, 64);

  g_assert_true (vtd_init (vtd, F_VERSION_1, 0, FALSE));
  round_trip (vtd, FALSE);
  g_assert_true (vtd_intx_level (vtd));
  g_assert_cmpuint (vtd_msi_count (vtd), ==, 0);
  /* Reading the ISR acknowledges and lowers the line. */
  g_assert_cmpuint (vtd_bar_read (vtd, 0x1000, 1), ==, 1);
  g_assert_false (vtd_intx_level (vtd));
  g_assert_cmpuint (vtd_bar_read (vtd, 0x1000, 1), ==, 0);
  vtd_free (vtd);
}

static void
test_msix_masked_pending (void)
{
  Vtd *vtd = echo_new (NULL, 64);
  unsigned before;

  g_assert_true (vtd_init (vtd, F_VERSION_1, 0, TRUE));
  /* Mask queue 0's vector (1): the interrupt waits in the PBA. */
  vtd_bar_write (vtd, 0x4000 + 16 + 12, 1, 4);
  before = vtd_msi_count (vtd);
  round_trip (vtd, FALSE);
  g_assert_cmpuint (vtd_msi_count (vtd), ==, before);
  g_assert_cmpuint (vtd_bar_read (vtd, 0x5000, 8) & 2, ==, 2);
  vtd_bar_write (vtd, 0x4000 + 16 + 12, 0, 4);
  g_assert_cmpuint (vtd_msi_count (vtd), ==, before + 1);
  g_assert_cmpuint (vtd_bar_read (vtd, 0x5000, 8) & 2, ==, 0);
  vtd_free (vtd);
}

static void
test_reset (void)
{
  Echo *e;
  Vtd *vtd = echo_new (&e, 64);

  g_assert_true (vtd_init (vtd, F_VERSION_1, 0, TRUE));
  round_trip (vtd, FALSE);
  vtd_bar_write (vtd, 0x14, 0, 1);
  g_assert_cmpuint (vtd_status (vtd), ==, 0);
  g_assert_cmpint (e->resets, >=, 1);
  /* Queue registers are back to their defaults. */
  vtd_bar_write (vtd, 0x16, 0, 2);
  g_assert_cmpuint (vtd_bar_read (vtd, 0x1c, 2), ==, 0);
  g_assert_cmpuint (vtd_bar_read (vtd, 0x1a, 2), ==, 0xffff);
  /* And the device works again after a new initialisation. */
  g_assert_true (vtd_init (vtd, F_VERSION_1, 0, TRUE));
  round_trip (vtd, FALSE);
  vtd_free (vtd);
}

/* ---- malformed chains: each must end in NEEDS_RESET, nothing else ---- */

typedef void (*BadChainFn) (Vtd *vtd);

static void
expect_needs_reset (BadChainFn fn, uint64_t features)
{
  Vtd *vtd = echo_new (NULL, 16);

  g_assert_true (vtd_init (vtd, F_VERSION_1 | features, 0, TRUE));
  fn (vtd);
  vtd_kick (vtd, 0);
  g_assert_true (vtd_wait_status (vtd, STATUS_NEEDS_RESET, 5000));
  g_assert_cmpuint (vtd_used_pending (vtd, 0), ==, 0);
  /* The driver recovers with a reset. */
  g_assert_true (vtd_init (vtd, F_VERSION_1 | features, 0, TRUE));
  round_trip (vtd, FALSE);
  vtd_free (vtd);
}

static void
bad_loop (Vtd *vtd)
{
  uint64_t b = vtd_alloc (vtd, 16, 8);
  vtd_write_desc (vtd, 0, 0, b, 8, DESC_NEXT, 1);
  vtd_write_desc (vtd, 0, 1, b, 8, DESC_NEXT, 0);
  vtd_publish (vtd, 0, 0);
}

static void
bad_outside_ram (Vtd *vtd)
{
  vtd_write_desc (vtd, 0, 0, VTD_RAM_SIZE - 4, 16, 0, 0);
  vtd_publish (vtd, 0, 0);
}

static void
bad_wrapping_address (Vtd *vtd)
{
  vtd_write_desc (vtd, 0, 0, UINT64_MAX - 3, 16, DESC_WRITE, 0);
  vtd_publish (vtd, 0, 0);
}

static void
bad_readable_after_writable (Vtd *vtd)
{
  uint64_t b = vtd_alloc (vtd, 16, 8);
  vtd_write_desc (vtd, 0, 0, b, 8, DESC_NEXT | DESC_WRITE, 1);
  vtd_write_desc (vtd, 0, 1, b + 8, 8, 0, 0);
  vtd_publish (vtd, 0, 0);
}

static void
bad_next_out_of_range (Vtd *vtd)
{
  uint64_t b = vtd_alloc (vtd, 16, 8);
  vtd_write_desc (vtd, 0, 0, b, 8, DESC_NEXT, 16);
  vtd_publish (vtd, 0, 0);
}

static void
bad_head_out_of_range (Vtd *vtd)
{
  vtd_publish (vtd, 0, 99);
}

static void
bad_avail_jump (Vtd *vtd)
{
  /* avail->idx 100 ahead of the device: more than the ring holds. */
  for (unsigned i = 0; i < 100; i++)
    vtd_publish (vtd, 0, 0);
}

static void
bad_nested_indirect (Vtd *vtd)
{
  uint64_t t1 = vtd_alloc (vtd, 16, 16), t2 = vtd_alloc (vtd, 16, 16), b = vtd_alloc (vtd, 8, 8);
  uint8_t *p = vtd_ptr (vtd, t1);
  uint16_t flags = DESC_INDIRECT;
  uint32_t len = 16;

  memcpy (p, &t2, 8);
  memcpy (p + 8, &len, 4);
  memcpy (p + 12, &flags, 2);
  memcpy (vtd_ptr (vtd, t2), &b, 8);
  vtd_write_desc (vtd, 0, 0, t1, 16, DESC_INDIRECT, 0);
  vtd_publish (vtd, 0, 0);
}

static void
bad_indirect_len (Vtd *vtd)
{
  uint64_t t = vtd_alloc (vtd, 32, 16);
  vtd_write_desc (vtd, 0, 0, t, 24, DESC_INDIRECT, 0);
  vtd_publish (vtd, 0, 0);
}

static void
bad_indirect_too_long (Vtd *vtd)
{
  /* 32 entries in a queue of 16: longer than any chain may be. */
  uint64_t t = vtd_alloc (vtd, 32 * 16, 16), b = vtd_alloc (vtd, 8, 8);
  for (unsigned i = 0; i < 32; i++)
    {
      uint8_t *p = vtd_ptr (vtd, t + 16 * i);
      uint32_t len = 8;
      uint16_t flags = i < 31 ? DESC_NEXT : 0, next = (uint16_t) (i + 1);
      memcpy (p, &b, 8);
      memcpy (p + 8, &len, 4);
      memcpy (p + 12, &flags, 2);
      memcpy (p + 14, &next, 2);
    }
  vtd_write_desc (vtd, 0, 0, t, 32 * 16, DESC_INDIRECT, 0);
  vtd_publish (vtd, 0, 0);
}

static void
test_bad_loop (void) { expect_needs_reset (bad_loop, 0); }
static void
test_bad_outside_ram (void) { expect_needs_reset (bad_outside_ram, 0); }
static void
test_bad_wrapping (void) { expect_needs_reset (bad_wrapping_address, 0); }
static void
test_bad_order (void) { expect_needs_reset (bad_readable_after_writable, 0); }
static void
test_bad_next (void) { expect_needs_reset (bad_next_out_of_range, 0); }
static void
test_bad_head (void) { expect_needs_reset (bad_head_out_of_range, 0); }
static void
test_bad_avail (void) { expect_needs_reset (bad_avail_jump, 0); }
static void
test_bad_nested (void) { expect_needs_reset (bad_nested_indirect, F_INDIRECT); }
static void
test_bad_indirect_len (void) { expect_needs_reset (bad_indirect_len, F_INDIRECT); }
static void
test_bad_indirect_unnegotiated (void) { expect_needs_reset (bad_indirect_len, 0); }
static void
test_bad_indirect_long (void) { expect_needs_reset (bad_indirect_too_long, F_INDIRECT); }

static void
test_rings_outside_ram (void)
{
  Vtd *vtd = echo_new (NULL, 16);

  vtd_bar_write (vtd, 0x14, 0x0b, 1);
  vtd_bar_write (vtd, 0x08, 1, 4);
  vtd_bar_write (vtd, 0x0c, 1, 4);
  vtd_bar_write (vtd, 0x14, 0x0b, 1);
  vtd_bar_write (vtd, 0x16, 0, 2);
  vtd_bar_write (vtd, 0x20, VTD_RAM_SIZE - 16, 8);
  vtd_bar_write (vtd, 0x28, 0x1000, 8);
  vtd_bar_write (vtd, 0x30, 0x2000, 8);
  vtd_bar_write (vtd, 0x1c, 1, 2);
  vtd_bar_write (vtd, 0x14, 0x0f, 1);
  g_assert_cmpuint (vtd_status (vtd) & STATUS_NEEDS_RESET, ==, STATUS_NEEDS_RESET);
  vtd_free (vtd);
}

static void
test_register_abuse (void)
{
  Vtd *vtd = echo_new (NULL, 16);

  /* Writes of odd sizes and offsets anywhere in the BAR are ignored. */
  for (uint64_t off = 0; off < 0x8000; off += 3)
    {
      vtd_bar_write (vtd, off, 0xffffffffffffffffULL, 1);
      (void) vtd_bar_read (vtd, off, 1);
    }
  vtd_bar_write (vtd, 0x16, 0xffff, 2);   /* a queue that does not exist */
  vtd_bar_write (vtd, 0x20, 0x1234, 8);
  g_assert_cmpuint (vtd_bar_read (vtd, 0x18, 2), ==, 0);
  g_assert_true (vtd_init (vtd, F_VERSION_1, 0, TRUE));
  round_trip (vtd, FALSE);
  vtd_free (vtd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/virtio/negotiate", test_negotiate);
  g_test_add_func ("/virtio/echo-msix", test_echo_msix);
  g_test_add_func ("/virtio/echo-indirect-event-idx", test_echo_indirect_event_idx);
  g_test_add_func ("/virtio/event-idx-suppresses", test_event_idx_suppresses);
  g_test_add_func ("/virtio/intx", test_intx);
  g_test_add_func ("/virtio/push-batch", test_push_batch);
  g_test_add_func ("/virtio/msix-masked-pending", test_msix_masked_pending);
  g_test_add_func ("/virtio/reset", test_reset);
  g_test_add_func ("/virtio/bad/loop", test_bad_loop);
  g_test_add_func ("/virtio/bad/outside-ram", test_bad_outside_ram);
  g_test_add_func ("/virtio/bad/wrapping-address", test_bad_wrapping);
  g_test_add_func ("/virtio/bad/readable-after-writable", test_bad_order);
  g_test_add_func ("/virtio/bad/next-out-of-range", test_bad_next);
  g_test_add_func ("/virtio/bad/head-out-of-range", test_bad_head);
  g_test_add_func ("/virtio/bad/avail-jump", test_bad_avail);
  g_test_add_func ("/virtio/bad/nested-indirect", test_bad_nested);
  g_test_add_func ("/virtio/bad/indirect-len", test_bad_indirect_len);
  g_test_add_func ("/virtio/bad/indirect-not-negotiated", test_bad_indirect_unnegotiated);
  g_test_add_func ("/virtio/bad/indirect-too-long", test_bad_indirect_long);
  g_test_add_func ("/virtio/bad/rings-outside-ram", test_rings_outside_ram);
  g_test_add_func ("/virtio/register-abuse", test_register_abuse);
  return g_test_run ();
}
