/* virtio-net.c: the virtio network card.
 *
 * Transmit runs on the device's I/O thread: pop a chain, check its
 * header, hand the frame behind it to the back-end, give the chain back.
 * When the back-end is full the frames stay in the guest's ring (the
 * back-end calls tx_resume later) rather than being dropped. The driver
 * may leave TCP/UDP checksums to us (CSUM), and, when the back-end takes
 * them, whole TSO frames of up to 64 KiB (HOST_TSO4): one frame instead
 * of forty-five is most of the cost of a guest upload.
 *
 * Receive runs on the back-end's thread: a frame is copied straight into
 * the guest's receive buffers. Chains taken from the ring but not used
 * (a frame larger than what the guest has posted so far) are kept for
 * the next frame, since the virtqueue cannot give them back; when the
 * ring runs dry the frame stays with the back-end until the driver adds
 * buffers and kicks. Kicks on the receive queue are only asked for in
 * that state: while buffers last they would be pure overhead.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/virtio-net-private.h"

#include "virtio/iov.h"
#include "vireo-vmm.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define OFFERED_FEATURES ((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) \
                          | (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) \
                          | (1ULL << VIRTIO_NET_F_CSUM))

struct _VmmVirtioNet {
  VmmNetBackend *backend;
  VmmVirtio *vio;
  uint8_t config[VMM_VIRTIO_NET_CONFIG_SIZE];
  unsigned queue_size;

  /* Receive side, on the back-end's thread (and start/reset). */
  GMutex rx_lock;
  gboolean rx_running;
  gboolean rx_mergeable;
  gboolean rx_csum_valid;     /* tell the guest its checksums need no check */
  gboolean rx_kicks;          /* we asked the driver to kick the receive queue */
  VmmVirtqElem **stash;       /* chains popped for a frame that did not fit */
  unsigned n_stash;
  VmmVirtqElem **rx_elems;    /* the chains one frame is being written into */
  uint32_t *rx_written;

  /* Transmit side, on the I/O thread (and start/reset). */
  GMutex tx_lock;
  gboolean tx_running;
  int resumefd;               /* the back-end has room again */
  gboolean resume_watched;
  gboolean tx_csum;           /* the driver may leave checksums to us */
  gboolean tx_tso4;           /* ... and hand us TSO frames */
  struct iovec *tx_iov;
  uint8_t *tx_buf;            /* a frame whose checksum we complete */

  VmmVirtioNetStats stats;    /* updated with atomics */
};

static void
count (uint64_t *counter)
{
  __atomic_fetch_add (counter, 1, __ATOMIC_RELAXED);
}

/* ---- transmit ----------------------------------------------------------- */

/* The Internet checksum (RFC 1071) of @len bytes. */
static uint16_t
inet_csum (const uint8_t *p, size_t len)
{
  uint64_t sum = 0;

  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) (p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t) p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

/* Completes a partial checksum (NEEDS_CSUM): the driver put the
 * pseudo-header sum at csum_start + csum_offset and left the rest to us.
 * Works on a copy: guest memory may change under us, and is not ours to
 * write. Returns FALSE when the offsets lie outside the frame. */
static gboolean
complete_csum (VmmVirtioNet *net, const VmmVirtqElem *elem, size_t frame_len,
               const struct virtio_net_hdr *hdr)
{
  size_t start = le16toh (hdr->csum_start), field = start + le16toh (hdr->csum_offset);
  uint16_t sum;

  if (field + 2 > frame_len)
    return FALSE;
  vmm_iov_to_buf (elem->iov, elem->n_out, VMM_VIRTIO_NET_HDR_LEN, net->tx_buf, frame_len);
  sum = inet_csum (net->tx_buf + start, frame_len - start);
  /* 0 and 0xffff are the same in ones' complement; 0 means "none" in UDP. */
  if (sum == 0)
    sum = 0xffff;
  net->tx_buf[field] = (uint8_t) (sum >> 8);
  net->tx_buf[field + 1] = (uint8_t) sum;
  return TRUE;
}

/* Handles one chain from the transmit ring. */
static void
tx_one (VmmVirtioNet *net, const VmmVirtqElem *elem)
{
  struct virtio_net_hdr_mrg_rxbuf hdr;
  uint64_t frame_len;
  uint8_t gso;
  unsigned n;

  if (elem->out_len < VMM_VIRTIO_NET_HDR_LEN)
    {
      count (&net->stats.tx_bad_header);
      return;
    }
  vmm_iov_to_buf (elem->iov, elem->n_out, 0, &hdr, VMM_VIRTIO_NET_HDR_LEN);
  frame_len = elem->out_len - VMM_VIRTIO_NET_HDR_LEN;
  if (frame_len < VMM_NET_MIN_FRAME || frame_len > VMM_NET_MAX_FRAME)
    {
      count (&net->stats.tx_bad_size);
      return;
    }
  /* A TSO frame goes to the back-end whole (it takes IPv4 TCP of any
   * size); any other segmentation we never offered, and passing it on
   * would put an oversized packet on the link. A TSO frame always leaves
   * its checksum to us. */
  gso = hdr.hdr.gso_type & (uint8_t) ~VIRTIO_NET_HDR_GSO_ECN;
  if (gso != VIRTIO_NET_HDR_GSO_NONE
      && (gso != VIRTIO_NET_HDR_GSO_TCPV4 || !net->tx_tso4
          || !(hdr.hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)))
    {
      count (&net->stats.tx_bad_header);
      return;
    }
  if ((hdr.hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && net->tx_csum)
    {
      if (!complete_csum (net, elem, (size_t) frame_len, &hdr.hdr))
        {
          count (&net->stats.tx_bad_header);
          return;
        }
      net->tx_iov[0] = (struct iovec) { net->tx_buf, (size_t) frame_len };
      n = 1;
    }
  else
    n = vmm_iov_slice (elem->iov, elem->n_out, VMM_VIRTIO_NET_HDR_LEN, frame_len,
                       net->tx_iov, VMM_VIRTIO_MAX_QUEUE_SIZE);
  if (vmm_net_backend_send (net->backend, net->tx_iov, n) == 0)
    count (&net->stats.tx_frames);
  else
    count (&net->stats.tx_bad_size);
}

static void
tx_process (VmmVirtioNet *net)
{
  VmmVirtqueue *vq;
  VmmVirtqElem *elem;
  int r = 0;

  g_mutex_lock (&net->tx_lock);
  if (!net->tx_running)
    {
      g_mutex_unlock (&net->tx_lock);
      return;
    }
  vq = vmm_virtio_queue (net->vio, VMM_VIRTIO_NET_TXQ);
  vmm_virtq_disable_kicks (vq);
  for (;;)
    {
      gboolean full = FALSE;

      for (;;)
        {
          if (!vmm_net_backend_can_send (net->backend))
            {
              full = TRUE;
              break;
            }
          r = vmm_virtq_pop (vq, &elem);
          if (r <= 0)
            break;
          tx_one (net, elem);
          vmm_virtq_push (vq, elem, 0);
        }
      if (full)
        {
          /* Kicks stay off: tx_resume brings us back. */
          count (&net->stats.tx_waits);
          break;
        }
      if (r < 0 || !vmm_virtq_enable_kicks (vq))
        break;
      vmm_virtq_disable_kicks (vq);
    }
  vmm_virtq_notify (vq);
  g_mutex_unlock (&net->tx_lock);
}

static void
on_resume (void *opaque, int fd, uint32_t events)
{
  VmmVirtioNet *net = opaque;
  uint64_t v;

  if (read (fd, &v, sizeof v) < 0 && errno != EAGAIN)
    return;
  tx_process (net);
}

/* Back-end thread: room again. The ring is the I/O thread's business. */
static void
peer_tx_resume (void *opaque)
{
  VmmVirtioNet *net = opaque;
  uint64_t one = 1;

  if (write (net->resumefd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_debug ("virtio-net: resume: %s", g_strerror (errno));
}

/* ---- receive ------------------------------------------------------------ */

/* The next chain for a frame: a stashed one first, then the ring.
 * Returns 1, 0 (none now) or -EINVAL (the ring is broken). */
static int
rx_next (VmmVirtioNet *net, VmmVirtqueue *vq, unsigned used, VmmVirtqElem **elem)
{
  int r;

  if (used < net->n_stash)
    {
      *elem = net->stash[used];
      return 1;
    }
  if (net->n_stash == net->queue_size)
    return 0;
  for (;;)
    {
      r = vmm_virtq_pop (vq, elem);
      if (r != 0)
        break;
      /* Empty: ask for a kick, but the driver may have added buffers
       * while we were not looking. */
      net->rx_kicks = TRUE;
      if (!vmm_virtq_enable_kicks (vq))
        return 0;
    }
  if (r > 0)
    {
      if (net->rx_kicks)
        {
          vmm_virtq_disable_kicks (vq);
          net->rx_kicks = FALSE;
        }
      net->stash[net->n_stash++] = *elem;
    }
  return r;
}

/* Drops stash entry @i, keeping the order of the others. */
static void
stash_remove (VmmVirtioNet *net, unsigned i)
{
  memmove (&net->stash[i], &net->stash[i + 1], (net->n_stash - i - 1) * sizeof net->stash[0]);
  net->n_stash--;
}

static void
stash_clear (VmmVirtioNet *net)
{
  for (unsigned i = 0; i < net->n_stash; i++)
    vmm_virtq_elem_free (net->stash[i]);
  net->n_stash = 0;
}

/* Copies @len bytes of the frame in @src from @src_off into the writable
 * segments of @elem at @dst_off. */
static void
copy_frame (const struct iovec *src, unsigned n_src, size_t src_off,
            const VmmVirtqElem *elem, size_t dst_off, size_t len)
{
  const struct iovec *dst = elem->iov + elem->n_out;

  for (unsigned i = 0; i < n_src && len > 0; i++)
    {
      size_t seg = src[i].iov_len, chunk, done;

      if (src_off >= seg)
        {
          src_off -= seg;
          continue;
        }
      chunk = MIN (seg - src_off, len);
      done = vmm_iov_from_buf (dst, elem->n_in, dst_off, (const uint8_t *) src[i].iov_base + src_off,
                               chunk);
      g_assert (done == chunk);
      dst_off += chunk;
      len -= chunk;
      src_off = 0;
    }
}

static ssize_t
rx_frame (VmmVirtioNet *net, VmmVirtqueue *vq, const struct iovec *iov, unsigned n, size_t len)
{
  const uint64_t need = VMM_VIRTIO_NET_HDR_LEN + (uint64_t) len;
  struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
  unsigned k = 0;
  uint64_t room = 0;
  size_t done = 0;
  VmmVirtqElem *elem;
  int r;

  /* Gather chains until the frame fits. */
  while (room < need)
    {
      r = rx_next (net, vq, k, &elem);
      if (r < 0)
        {
          /* The transport marked the device broken; the stash is stale. */
          net->rx_running = FALSE;
          stash_clear (net);
          return -EIO;
        }
      if (r == 0)
        {
          if (net->n_stash < net->queue_size)
            {
              count (&net->stats.rx_no_buffers);
              return 0;
            }
          /* Even the whole ring is too small for it. */
          count (&net->stats.rx_too_big);
          return -EMSGSIZE;
        }
      if (elem->in_len < VMM_VIRTIO_NET_HDR_LEN)
        {
          /* Read-only, or too small to hold even the header: the spec
           * forbids it; give it back unused. */
          count (&net->stats.rx_bad_buffer);
          stash_remove (net, k);
          vmm_virtq_push (vq, elem, 0);
          continue;
        }
      if (!net->rx_mergeable && elem->in_len < need)
        {
          /* Without mergeable buffers a frame must fit one buffer; keep
           * the buffer for a smaller frame. */
          count (&net->stats.rx_too_big);
          return -EMSGSIZE;
        }
      room += elem->in_len;
      k++;
    }

  hdr.num_buffers = htole16 ((uint16_t) k);
  if (net->rx_csum_valid)
    hdr.hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;
  for (unsigned i = 0; i < k; i++)
    {
      size_t off = 0, chunk;

      elem = net->stash[i];
      if (i == 0)
        {
          vmm_iov_from_buf (elem->iov + elem->n_out, elem->n_in, 0, &hdr, VMM_VIRTIO_NET_HDR_LEN);
          off = VMM_VIRTIO_NET_HDR_LEN;
        }
      chunk = (size_t) MIN (elem->in_len - off, (uint64_t) (len - done));
      copy_frame (iov, n, done, elem, off, chunk);
      done += chunk;
      net->rx_elems[i] = elem;
      net->rx_written[i] = (uint32_t) (off + chunk);
    }
  net->n_stash -= k;
  memmove (net->stash, net->stash + k, net->n_stash * sizeof net->stash[0]);
  /* All of the frame's buffers become visible together. */
  vmm_virtq_push_batch (vq, net->rx_elems, net->rx_written, k);
  vmm_virtq_notify (vq);
  count (&net->stats.rx_frames);
  return (ssize_t) len;
}

/* Back-end thread: a frame for the guest. */
static ssize_t
peer_receive (void *opaque, const struct iovec *iov, unsigned n)
{
  VmmVirtioNet *net = opaque;
  size_t len = vmm_iov_size (iov, n);
  ssize_t ret = -ENETDOWN;

  g_mutex_lock (&net->rx_lock);
  if (net->rx_running)
    ret = rx_frame (net, vmm_virtio_queue (net->vio, VMM_VIRTIO_NET_RXQ), iov, n, len);
  g_mutex_unlock (&net->rx_lock);
  return ret;
}

static const VmmNetPeerOps peer_ops = {
  .receive = peer_receive,
  .tx_resume = peer_tx_resume,
};

/* ---- device ops --------------------------------------------------------- */

static void
net_config_read (void *dev, unsigned offset, uint8_t *data, unsigned len)
{
  VmmVirtioNet *net = dev;

  memcpy (data, net->config + offset, len);
}

/* Nothing in our configuration is writable by a virtio 1.x driver (the
 * MAC only through the control queue, which we do not offer). */
static void
net_config_write (void *dev, unsigned offset, const uint8_t *data, unsigned len)
{
}

static int
net_start (void *dev, uint64_t features)
{
  VmmVirtioNet *net = dev;

  g_mutex_lock (&net->rx_lock);
  net->rx_mergeable = (features & (1ULL << VIRTIO_NET_F_MRG_RXBUF)) != 0;
  net->rx_csum_valid = (features & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) != 0
                       && net->backend->rx_csum_valid;
  net->queue_size = vmm_virtq_size (vmm_virtio_queue (net->vio, VMM_VIRTIO_NET_RXQ));
  net->rx_kicks = FALSE;
  net->rx_running = net->queue_size > 0;
  if (net->rx_running)
    vmm_virtq_disable_kicks (vmm_virtio_queue (net->vio, VMM_VIRTIO_NET_RXQ));
  g_mutex_unlock (&net->rx_lock);

  g_mutex_lock (&net->tx_lock);
  net->tx_csum = (features & (1ULL << VIRTIO_NET_F_CSUM)) != 0;
  net->tx_tso4 = net->tx_csum && (features & (1ULL << VIRTIO_NET_F_HOST_TSO4)) != 0;
  net->tx_running = vmm_virtq_size (vmm_virtio_queue (net->vio, VMM_VIRTIO_NET_TXQ)) > 0;
  g_mutex_unlock (&net->tx_lock);

  /* What waited for a guest with buffers can go now. */
  vmm_net_backend_rx_resume (net->backend);
  return 0;
}

static void
net_reset (void *dev)
{
  VmmVirtioNet *net = dev;

  g_mutex_lock (&net->rx_lock);
  net->rx_running = FALSE;
  stash_clear (net);
  g_mutex_unlock (&net->rx_lock);

  g_mutex_lock (&net->tx_lock);
  net->tx_running = FALSE;
  g_mutex_unlock (&net->tx_lock);
}

static void
net_queue_notify (void *dev, VmmVirtqueue *vq)
{
  VmmVirtioNet *net = dev;

  if (vmm_virtq_index (vq) == VMM_VIRTIO_NET_RXQ)
    vmm_net_backend_rx_resume (net->backend);
  else if (vmm_virtq_index (vq) == VMM_VIRTIO_NET_TXQ)
    tx_process (net);
}

static void
net_destroy (void *dev)
{
  vmm_virtio_net_free (dev);
}

static const VmmVirtioDeviceOps net_ops = {
  .config_read = net_config_read,
  .config_write = net_config_write,
  .start = net_start,
  .reset = net_reset,
  .queue_notify = net_queue_notify,
  .destroy = net_destroy,
};

/* ---- life cycle --------------------------------------------------------- */

VmmVirtioNet *
vmm_virtio_net_create (const VmmVirtioNetConfig *config, VmmNetBackend *backend,
                       VmmVirtioDeviceDesc *desc, GError **error)
{
  VmmVirtioNet *net;
  uint64_t features = OFFERED_FEATURES;
  unsigned mtu = config->mtu != 0 ? config->mtu : 1500;

  if (config->mac[0] & 1)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "The MAC address %02x:%02x:%02x:%02x:%02x:%02x is a multicast address",
                   config->mac[0], config->mac[1], config->mac[2],
                   config->mac[3], config->mac[4], config->mac[5]);
      return NULL;
    }
  if (mtu < 68 || mtu > 65535 - 14)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "The network MTU %u is out of range", mtu);
      return NULL;
    }
  if (config->mtu != 0)
    features |= 1ULL << VIRTIO_NET_F_MTU;
  if (backend->tx_tso4)
    features |= 1ULL << VIRTIO_NET_F_HOST_TSO4;

  net = g_new0 (VmmVirtioNet, 1);
  net->backend = backend;
  memcpy (net->config, config->mac, 6);
  net->config[6] = VIRTIO_NET_S_LINK_UP;
  net->config[8] = 1;                         /* max_virtqueue_pairs */
  net->config[10] = (uint8_t) mtu;
  net->config[11] = (uint8_t) (mtu >> 8);
  g_mutex_init (&net->rx_lock);
  g_mutex_init (&net->tx_lock);
  net->stash = g_new0 (VmmVirtqElem *, VMM_VIRTIO_MAX_QUEUE_SIZE);
  net->rx_elems = g_new0 (VmmVirtqElem *, VMM_VIRTIO_MAX_QUEUE_SIZE);
  net->rx_written = g_new0 (uint32_t, VMM_VIRTIO_MAX_QUEUE_SIZE);
  net->tx_iov = g_new0 (struct iovec, VMM_VIRTIO_MAX_QUEUE_SIZE);
  net->tx_buf = g_malloc (VMM_NET_MAX_FRAME);
  net->resumefd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (net->resumefd < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "virtio-net: eventfd: %s", g_strerror (errno));
      net->backend = NULL;
      vmm_virtio_net_free (net);
      return NULL;
    }

  *desc = (VmmVirtioDeviceDesc) {
    .name = "virtio-net",
    .device_id = 1,                           /* VIRTIO_ID_NET */
    .pci_class = 0x020000,                    /* Ethernet controller */
    .features = features,
    .n_queues = VMM_VIRTIO_NET_N_QUEUES,
    .queue_size = 256,
    .config_size = VMM_VIRTIO_NET_CONFIG_SIZE,
    .ops = &net_ops,
    .dev = net,
  };
  return net;
}

int
vmm_virtio_net_attach (VmmVirtioNet *net, VmmVirtio *vio)
{
  int r;

  net->vio = vio;
  r = vmm_ioloop_add (vmm_virtio_ioloop (vio), net->resumefd, EPOLLIN, on_resume, net);
  if (r < 0)
    return r;
  net->resume_watched = TRUE;
  /* Transmit, receive and the back-end on one thread. */
  r = vmm_net_backend_attach (net->backend, vmm_virtio_ioloop (vio));
  if (r < 0)
    return r;
  vmm_net_backend_set_peer (net->backend, &peer_ops, net);
  return 0;
}

void
vmm_virtio_net_free (VmmVirtioNet *net)
{
  if (net == NULL)
    return;
  if (net->backend != NULL)
    {
      /* Waits for a receive in progress; none starts after. */
      vmm_net_backend_set_peer (net->backend, NULL, NULL);
      vmm_net_backend_free (net->backend);
    }
  if (net->resume_watched)
    vmm_ioloop_remove (vmm_virtio_ioloop (net->vio), net->resumefd);
  if (net->resumefd >= 0)
    close (net->resumefd);
  stash_clear (net);
  g_free (net->stash);
  g_free (net->rx_elems);
  g_free (net->rx_written);
  g_free (net->tx_iov);
  g_free (net->tx_buf);
  g_mutex_clear (&net->rx_lock);
  g_mutex_clear (&net->tx_lock);
  g_free (net);
}

void
vmm_virtio_net_get_stats (VmmVirtioNet *net, VmmVirtioNetStats *stats)
{
  uint64_t *dst = (uint64_t *) stats;
  const uint64_t *src = (const uint64_t *) &net->stats;

  for (size_t i = 0; i < sizeof *stats / sizeof (uint64_t); i++)
    dst[i] = __atomic_load_n (&src[i], __ATOMIC_RELAXED);
}

VmmPciDevice *
vmm_virtio_net_new (VmmPlatform *platform, const VmmVirtioNetConfig *config,
                    VmmNetBackend *backend, GError **error)
{
  VmmVirtioDeviceDesc desc;
  VmmVirtioNet *net;
  VmmPciDevice *pci;
  VmmVirtio *vio = NULL;
  int r;

  g_return_val_if_fail (platform != NULL && config != NULL && backend != NULL, NULL);

  net = vmm_virtio_net_create (config, backend, &desc, error);
  if (net == NULL)
    {
      vmm_net_backend_free (backend);
      return NULL;
    }
  pci = vmm_virtio_pci_new (platform, &desc, &vio, error);
  if (pci == NULL)
    {
      vmm_virtio_net_free (net);
      return NULL;
    }
  r = vmm_virtio_net_attach (net, vio);
  if (r < 0)
    {
      g_set_error (error, VMM_ERROR, VMM_ERROR_INVALID_CONFIG,
                   "virtio-net: cannot watch the back-end: %s", g_strerror (-r));
      /* The transport owns the device: freeing it frees the model. */
      vmm_pci_device_free (pci);
      return NULL;
    }
  return pci;
}

void
vmm_net_mac_from_seed (const char *seed, uint8_t mac[6])
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  uint8_t digest[32];
  gsize len = sizeof digest;

  g_checksum_update (sum, (const guchar *) seed, -1);
  g_checksum_get_digest (sum, digest, &len);
  memcpy (mac, digest, 6);
  /* Locally administered (bit 1), unicast (bit 0 clear). */
  mac[0] = (uint8_t) ((mac[0] & 0xfc) | 0x02);
}
