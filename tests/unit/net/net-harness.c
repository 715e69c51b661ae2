/* net-harness.c: virtio-net under the virtio test driver.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net-harness.h"

#include <errno.h>
#include <string.h>

static size_t
iov_len (const struct iovec *iov, unsigned n)
{
  size_t total = 0;

  for (unsigned i = 0; i < n; i++)
    total += iov[i].iov_len;
  return total;
}

static int
fake_send (VmmNetBackend *be, const struct iovec *iov, unsigned n)
{
  NhBackend *f = (NhBackend *) be;
  size_t len = iov_len (iov, n);
  GByteArray *frame;

  if (len < VMM_NET_MIN_FRAME || len > VMM_NET_MAX_FRAME)
    return -EMSGSIZE;
  frame = g_byte_array_sized_new ((guint) len);
  for (unsigned i = 0; i < n; i++)
    g_byte_array_append (frame, iov[i].iov_base, (guint) iov[i].iov_len);
  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->sent, g_byte_array_free_to_bytes (frame));
  g_mutex_unlock (&f->lock);
  return 0;
}

static gboolean
fake_can_send (VmmNetBackend *be)
{
  return !g_atomic_int_get (&((NhBackend *) be)->full);
}

static void
fake_rx_resume (VmmNetBackend *be)
{
  g_atomic_int_inc (&((NhBackend *) be)->rx_resumes);
}

static void
fake_set_peer (VmmNetBackend *be, const VmmNetPeerOps *ops, void *opaque)
{
  NhBackend *f = (NhBackend *) be;

  g_mutex_lock (&f->lock);
  f->peer = ops;
  f->peer_opaque = opaque;
  g_mutex_unlock (&f->lock);
}

static int
fake_attach (VmmNetBackend *be, VmmIoLoop *loop)
{
  NhBackend *f = (NhBackend *) be;

  f->loop = loop;
  return 0;
}

static void
fake_get_stats (VmmNetBackend *be, VmmNetStats *stats)
{
  memset (stats, 0, sizeof *stats);
}

static void
fake_destroy (VmmNetBackend *be)
{
  NhBackend *f = (NhBackend *) be;

  g_assert_null (f->peer);
  g_ptr_array_unref (f->sent);
  g_mutex_clear (&f->lock);
  g_free (f);
}

static const VmmNetBackendOps fake_ops = {
  .send = fake_send,
  .can_send = fake_can_send,
  .rx_resume = fake_rx_resume,
  .set_peer = fake_set_peer,
  .attach = fake_attach,
  .get_stats = fake_get_stats,
  .destroy = fake_destroy,
};

void
nh_init (Nh *nh, uint64_t features, unsigned mtu)
{
  VmmVirtioNetConfig config = { .mtu = mtu };
  VmmVirtioDeviceDesc desc;
  g_autoptr (GError) error = NULL;

  memcpy (config.mac, nh_mac, 6);
  nh->be = g_new0 (NhBackend, 1);
  nh->be->parent.ops = &fake_ops;
  nh->be->parent.rx_csum_valid = TRUE;
  nh->be->parent.tx_tso4 = TRUE;
  g_mutex_init (&nh->be->lock);
  nh->be->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  nh->net = vmm_virtio_net_create (&config, &nh->be->parent, &desc, &error);
  g_assert_no_error (error);
  g_assert_nonnull (nh->net);
  nh->vtd = vtd_new (&desc);
  g_assert_cmpint (vmm_virtio_net_attach (nh->net, vtd_virtio (nh->vtd)), ==, 0);
  g_assert_nonnull (nh->be->peer);
  g_assert_true (nh->be->loop == vmm_virtio_ioloop (vtd_virtio (nh->vtd)));
  if (features != 0)
    g_assert_true (vtd_init (nh->vtd, features, 0, TRUE));
}

void
nh_clear (Nh *nh)
{
  vtd_free (nh->vtd);
}

ssize_t
nh_receive (Nh *nh, const void *frame, size_t len)
{
  struct iovec iov = { (void *) frame, len };
  ssize_t r;

  g_mutex_lock (&nh->be->lock);
  r = nh->be->peer->receive (nh->be->peer_opaque, &iov, 1);
  g_mutex_unlock (&nh->be->lock);
  return r;
}

unsigned
nh_sent_count (Nh *nh)
{
  unsigned n;

  g_mutex_lock (&nh->be->lock);
  n = nh->be->sent->len;
  g_mutex_unlock (&nh->be->lock);
  return n;
}

GBytes *
nh_sent (Nh *nh, unsigned i)
{
  GBytes *b;

  g_mutex_lock (&nh->be->lock);
  g_assert_cmpuint (i, <, nh->be->sent->len);
  b = g_bytes_ref (g_ptr_array_index (nh->be->sent, i));
  g_mutex_unlock (&nh->be->lock);
  return b;
}

void
nh_sent_reset (Nh *nh)
{
  g_mutex_lock (&nh->be->lock);
  g_ptr_array_set_size (nh->be->sent, 0);
  g_mutex_unlock (&nh->be->lock);
}

gboolean
nh_wait_sent (Nh *nh, unsigned n, unsigned timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (nh_sent_count (nh) < n)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (200);
    }
  return TRUE;
}

void
nh_set_full (Nh *nh, gboolean full)
{
  g_atomic_int_set (&nh->be->full, full);
}

void
nh_tx_resume (Nh *nh)
{
  g_mutex_lock (&nh->be->lock);
  nh->be->peer->tx_resume (nh->be->peer_opaque);
  g_mutex_unlock (&nh->be->lock);
}

VmmVirtioNetStats
nh_stats (Nh *nh)
{
  VmmVirtioNetStats stats;

  vmm_virtio_net_get_stats (nh->net, &stats);
  return stats;
}
