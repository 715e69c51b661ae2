/* e1k-harness.c: see e1k-harness.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "e1k-harness.h"

#include <errno.h>
#include <string.h>

static void
fake_set_irq (void *opaque, unsigned gsi, gboolean level)
{
  Eh *h = opaque;

  if (gsi != EH_GSI)
    return;
  if (level && !h->irq_level)
    h->irq_edges++;
  h->irq_level = level;
}

static void
fake_signal_msi (void *opaque, uint64_t addr, uint32_t data)
{
  Eh *h = opaque;

  h->msi_count++;
  h->last_msi_data = data;
}

static int
fake_msi_route (void *opaque, int gsi, uint64_t addr, uint32_t data)
{
  return -ENOSYS;
}

static const VmmPlatformOps platform_ops = {
  .set_irq = fake_set_irq,
  .signal_msi = fake_signal_msi,
  .msi_route = fake_msi_route,
};

static int
be_send (VmmNetBackend *be, const struct iovec *iov, unsigned n)
{
  EhBackend *f = (EhBackend *) be;
  GByteArray *frame = g_byte_array_new ();

  for (unsigned i = 0; i < n; i++)
    g_byte_array_append (frame, iov[i].iov_base, (guint) iov[i].iov_len);
  if (frame->len < VMM_NET_MIN_FRAME || frame->len > VMM_NET_MAX_FRAME)
    {
      g_byte_array_free (frame, TRUE);
      return -EMSGSIZE;
    }
  g_ptr_array_add (f->sent, g_byte_array_free_to_bytes (frame));
  return 0;
}

static gboolean
be_can_send (VmmNetBackend *be)
{
  return !((EhBackend *) be)->full;
}

static void
be_rx_resume (VmmNetBackend *be)
{
  ((EhBackend *) be)->rx_resumes++;
}

static void
be_set_peer (VmmNetBackend *be, const VmmNetPeerOps *ops, void *opaque)
{
  EhBackend *f = (EhBackend *) be;

  f->peer = ops;
  f->peer_opaque = opaque;
}

static int
be_attach (VmmNetBackend *be, VmmIoLoop *loop)
{
  return -ENOTSUP;
}

static void
be_get_stats (VmmNetBackend *be, VmmNetStats *stats)
{
  memset (stats, 0, sizeof *stats);
}

static void
be_destroy (VmmNetBackend *be)
{
  EhBackend *f = (EhBackend *) be;

  g_ptr_array_unref (f->sent);
  g_free (f);
}

static const VmmNetBackendOps be_ops = {
  .send = be_send, .can_send = be_can_send, .rx_resume = be_rx_resume,
  .set_peer = be_set_peer, .attach = be_attach, .get_stats = be_get_stats,
  .destroy = be_destroy,
};

void
eh_init (Eh *h, gboolean rx_csum_valid)
{
  VmmE1000eConfig cfg;
  g_autoptr(GError) error = NULL;

  memset (h, 0, sizeof *h);
  memcpy (cfg.mac, eh_mac, 6);
  h->ram = g_malloc0 (EH_RAM_SIZE);
  h->platform.ops = &platform_ops;
  h->platform.opaque = h;
  vmm_guest_mem_init (&h->platform.mem);
  g_assert_cmpint (vmm_guest_mem_add (&h->platform.mem, 0, EH_RAM_SIZE, h->ram), ==, 0);
  h->be = g_new0 (EhBackend, 1);
  h->be->parent.ops = &be_ops;
  h->be->parent.rx_csum_valid = rx_csum_valid;
  h->be->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  h->dev = vmm_e1000e_new (&h->platform, &cfg, &h->be->parent, &error);
  g_assert_no_error (error);
  g_assert_nonnull (h->dev);
  h->dev->intx_gsi = EH_GSI;
  h->e = vmm_e1000e_from_pci (h->dev);
  g_assert_nonnull (h->e);
}

void
eh_clear (Eh *h)
{
  vmm_pci_device_free (h->dev);
  g_free (h->ram);
}

uint32_t
eh_rd (Eh *h, uint32_t reg)
{
  uint8_t b[4];

  vmm_e1000e_mmio_read (h->e, reg, b, 4);
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

void
eh_wr (Eh *h, uint32_t reg, uint32_t v)
{
  uint8_t b[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };

  vmm_e1000e_mmio_write (h->e, reg, b, 4);
}

ssize_t
eh_receive (Eh *h, const void *frame, size_t len)
{
  struct iovec iov = { (void *) frame, len };

  g_assert_nonnull (h->be->peer);
  return h->be->peer->receive (h->be->peer_opaque, &iov, 1);
}

void
eh_enable_msix (Eh *h)
{
  const VmmBusOps *ops = h->dev->bar_ops[E1K_BAR_MSIX];
  void *op = h->dev->bar_opaque[E1K_BAR_MSIX];
  unsigned cap = h->dev->cfg[VMM_PCI_CAP_PTR];
  uint8_t ctl[2];

  for (unsigned v = 0; v < E1K_N_VECTORS; v++)
    {
      uint8_t ent[16] = { 0x00, 0x00, 0xe0, 0xfe };

      ent[8] = (uint8_t) (0x100 + v);
      ent[9] = (uint8_t) ((0x100 + v) >> 8);
      for (unsigned i = 0; i < 16; i += 4)
        ops->write (op, v * 16 + i, ent + i, 4);
    }
  while (cap != 0 && h->dev->cfg[cap] != 0x11)
    cap = h->dev->cfg[cap + 1];
  g_assert_cmpuint (cap, !=, 0);
  vmm_pci_device_config_read (h->dev, cap + 2, ctl, 2);
  ctl[1] |= 0x80;
  vmm_pci_device_config_write (h->dev, cap + 2, ctl, 2);
  h->dev->ops->config_written (h->dev, cap + 2, 2, h->dev->opaque);
}
