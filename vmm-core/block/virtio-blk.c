/* virtio-blk.c: the virtio block device model (virtio 1.x, 5.2).
 *
 * Every virtqueue is served on the device's I/O thread: a kick pops the
 * available requests, checks them (virtio-blk-req.c), and hands the disk
 * work to one block-engine queue whose eventfd sits on the same thread, so
 * completions come back there too and nothing here needs a lock. The
 * guest is interrupted once per batch, not once per request.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>

#include <linux/virtio_ids.h>

#include "block/virtio-blk-private.h"

#define DEFAULT_QUEUE_SIZE 256
/* Per range; QEMU's default too, and large enough that a whole-disk
 * discard by the guest takes few requests. */
#define MAX_RANGE_SECTORS 0x3fffffu
/* The engine keeps at most this many requests in the kernel at once. */
#define MAX_ENGINE_DEPTH 1024u

struct _VmmVirtioBlk {
  VmmImage           *image;
  VmmBlockBackend    *backend;
  VmmBlockQueue      *queue;       /* used on the I/O thread only */
  VmmVirtio          *vio;
  VmmIoLoop          *loop;
  bool                watching;    /* the engine's fd is on @loop */
  bool                dying;       /* completions free their elements unanswered */
  unsigned            n_queues;
  VmmVirtioBlkLimits  lim;
  uint8_t             config[VMM_VIRTIO_BLK_CONFIG_SIZE];
  bool               *notify;      /* per virtqueue: pushed since the last notify */
};

typedef struct {
  VmmBlockRequest  breq;
  VmmVirtioBlk    *blk;
  VmmVirtqueue    *vq;
  VmmVirtqElem    *elem;
  uint32_t         data_written;
  struct iovec     data[];
} BlkRequest;

static void
put_le (uint8_t *p, unsigned size, uint64_t v)
{
  for (unsigned i = 0; i < size; i++, v >>= 8)
    p[i] = (uint8_t) v;
}

#define CFG_PUT(blk, field, v) \
  put_le ((blk)->config + offsetof (struct virtio_blk_config, field), \
          sizeof (((struct virtio_blk_config *) NULL)->field), (v))

static void
answer (VmmVirtioBlk *blk, VmmVirtqueue *vq, VmmVirtqElem *elem, uint8_t status, uint32_t written)
{
  vmm_virtio_blk_put_status (elem, status);
  if (blk->dying)
    {
      vmm_virtq_elem_free (elem);
      return;
    }
  vmm_virtq_push (vq, elem, written + 1);
  blk->notify[vmm_virtq_index (vq)] = true;
}

static void
notify_pushed (VmmVirtioBlk *blk)
{
  for (unsigned q = 0; q < blk->n_queues; q++)
    if (blk->notify[q])
      {
        blk->notify[q] = false;
        vmm_virtq_notify (vmm_virtio_queue (blk->vio, q));
      }
}

static void
request_done (VmmBlockRequest *breq, void *opaque)
{
  BlkRequest *req = opaque;

  if (breq->result == 0)
    answer (req->blk, req->vq, req->elem, VIRTIO_BLK_S_OK, req->data_written);
  else
    {
      g_debug ("virtio-blk: request at %" G_GUINT64_FORMAT " failed: %s",
               req->breq.offset, g_strerror (-breq->result));
      answer (req->blk, req->vq, req->elem, VIRTIO_BLK_S_IOERR, 0);
    }
  g_free (req);
}

static void
handle_request (VmmVirtioBlk *blk, VmmVirtqueue *vq, VmmVirtqElem *elem)
{
  BlkRequest *req = g_malloc (sizeof (BlkRequest)
                              + (size_t) (elem->n_out + elem->n_in) * sizeof (struct iovec));
  VmmVirtioBlkParsed p;

  vmm_virtio_blk_parse (&blk->lim, elem, req->data, &p);
  switch (p.verdict)
    {
    case VMM_VIRTIO_BLK_DROP:
      vmm_virtq_push (vq, elem, 0);
      blk->notify[vmm_virtq_index (vq)] = true;
      g_free (req);
      return;
    case VMM_VIRTIO_BLK_DONE:
      answer (blk, vq, elem, p.status, p.data_written);
      g_free (req);
      return;
    case VMM_VIRTIO_BLK_IO:
    default:
      break;
    }
  req->blk = blk;
  req->vq = vq;
  req->elem = elem;
  req->data_written = p.data_written;
  req->breq = (VmmBlockRequest) {
    .op = p.op,
    .offset = p.offset,
    .len = p.len,
    .iov = req->data,
    .niov = p.n_data,
    .done = request_done,
    .opaque = req,
  };
  vmm_block_queue_submit (blk->queue, &req->breq);
}

static void
blk_queue_notify (void *dev, VmmVirtqueue *vq)
{
  VmmVirtioBlk *blk = dev;
  VmmVirtqElem *elem;
  int r;

  /* Kicks off while draining: the guest keeps adding without exiting,
   * and enable_kicks tells us whether it did in the meantime. */
  for (;;)
    {
      vmm_virtq_disable_kicks (vq);
      while ((r = vmm_virtq_pop (vq, &elem)) == 1)
        handle_request (blk, vq, elem);
      vmm_block_queue_kick (blk->queue);
      if (r < 0 || !vmm_virtq_enable_kicks (vq))
        break;
    }
  notify_pushed (blk);
}

static void
on_engine_ready (void *opaque, int fd, uint32_t events)
{
  VmmVirtioBlk *blk = opaque;

  vmm_block_queue_complete (blk->queue);
  notify_pushed (blk);
}

static void
blk_config_read (void *dev, unsigned offset, uint8_t *data, unsigned len)
{
  VmmVirtioBlk *blk = dev;

  memcpy (data, blk->config + offset, len);
}

/* Nothing in our configuration is writable (no CONFIG_WCE: the cache is
 * always write-back, and the guest flushes). */
static void
blk_config_write (void *dev, unsigned offset, const uint8_t *data, unsigned len)
{
}

static int
blk_start (void *dev, uint64_t features)
{
  return 0;
}

static void
drain_on_loop (void *opaque)
{
  VmmVirtioBlk *blk = opaque;

  vmm_block_queue_drain (blk->queue);
  notify_pushed (blk);
}

/* The transport resets the queues right after: every request the engine
 * holds must have finished with guest memory first. */
static void
blk_reset (void *dev)
{
  VmmVirtioBlk *blk = dev;

  if (blk->loop != NULL)
    vmm_ioloop_run_sync (blk->loop, drain_on_loop, blk);
  else
    vmm_block_queue_drain (blk->queue);
}

static void
blk_free (VmmVirtioBlk *blk)
{
  if (blk->watching)
    vmm_ioloop_remove (blk->loop, vmm_block_queue_get_fd (blk->queue));
  blk->dying = true;
  g_clear_pointer (&blk->queue, vmm_block_queue_free);
  g_clear_pointer (&blk->backend, vmm_block_backend_free);
  g_clear_pointer (&blk->image, vmm_image_close);
  g_free (blk->notify);
  g_free (blk);
}

static void
blk_destroy (void *dev)
{
  blk_free (dev);
}

static const VmmVirtioDeviceOps blk_ops = {
  .config_read = blk_config_read,
  .config_write = blk_config_write,
  .start = blk_start,
  .reset = blk_reset,
  .queue_notify = blk_queue_notify,
  .destroy = blk_destroy,
};

static void
fill_config (VmmVirtioBlk *blk, uint16_t queue_size)
{
  VmmImageInfo info;
  uint32_t align_sectors = 8;
  uint32_t opt_sectors = 0;

  vmm_image_get_info (blk->image, &info);
  if (info.cluster_size > 0)
    {
      /* qcow2 allocates and zeroes whole clusters: I/O in clusters avoids
       * copy-on-write of partial ones. */
      align_sectors = MAX (info.cluster_size / 512, 1);
      opt_sectors = info.cluster_size / 512;
    }
  CFG_PUT (blk, capacity, blk->lim.capacity);
  CFG_PUT (blk, seg_max, (uint32_t) queue_size - 2);
  CFG_PUT (blk, blk_size, 512);
  /* 4 KiB physical blocks: guests then align their file systems so that
   * O_DIRECT on the host can take their requests as they are. */
  CFG_PUT (blk, physical_block_exp, 3);
  CFG_PUT (blk, alignment_offset, 0);
  CFG_PUT (blk, min_io_size, 8);
  CFG_PUT (blk, opt_io_size, opt_sectors);
  CFG_PUT (blk, num_queues, blk->n_queues);
  CFG_PUT (blk, max_discard_sectors, blk->lim.max_discard_sectors);
  CFG_PUT (blk, max_discard_seg, 1);
  CFG_PUT (blk, discard_sector_alignment, align_sectors);
  CFG_PUT (blk, max_write_zeroes_sectors, blk->lim.max_write_zeroes_sectors);
  CFG_PUT (blk, max_write_zeroes_seg, 1);
  CFG_PUT (blk, write_zeroes_may_unmap, 1);
}

VmmVirtioBlk *
vmm_virtio_blk_create (VmmImage *image, const VmmVirtioBlkConfig *cfg,
                       VmmVirtioDeviceDesc *desc, GError **error)
{
  VmmBlockBackendConfig bcfg = { .kind = cfg->engine };
  VmmVirtioBlk *blk;
  uint16_t queue_size = cfg->queue_size ? cfg->queue_size : DEFAULT_QUEUE_SIZE;
  uint64_t features;

  if (cfg->num_queues > VMM_VIRTIO_MAX_QUEUES || queue_size < 4
      || queue_size > VMM_VIRTIO_MAX_QUEUE_SIZE || (queue_size & (queue_size - 1)) != 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED,
                   "virtio-blk: %u queues of %u entries is not a valid disk configuration",
                   cfg->num_queues, queue_size);
      return NULL;
    }

  blk = g_new0 (VmmVirtioBlk, 1);
  blk->n_queues = MAX (cfg->num_queues, 1);
  blk->notify = g_new0 (bool, blk->n_queues);
  blk->backend = vmm_block_backend_new (image, &bcfg, error);
  if (blk->backend == NULL)
    {
      blk_free (blk);
      return NULL;
    }
  blk->queue = vmm_block_queue_new (blk->backend,
                                    MIN (blk->n_queues * queue_size, MAX_ENGINE_DEPTH), error);
  if (blk->queue == NULL)
    {
      blk_free (blk);
      return NULL;
    }
  blk->image = image;

  blk->lim.capacity = vmm_image_get_size (image) / 512;
  blk->lim.read_only = cfg->read_only || vmm_image_is_read_only (image);
  blk->lim.max_discard_sectors = MAX_RANGE_SECTORS;
  blk->lim.max_write_zeroes_sectors = MAX_RANGE_SECTORS;
  if (cfg->serial != NULL)
    memcpy (blk->lim.serial, cfg->serial,
            MIN (strlen (cfg->serial), (size_t) VMM_VIRTIO_BLK_SERIAL_LEN));
  fill_config (blk, queue_size);

  features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE)
             | (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_TOPOLOGY)
             | (1ull << VIRTIO_BLK_F_MQ);
  if (blk->lim.read_only)
    features |= 1ull << VIRTIO_BLK_F_RO;
  else
    features |= (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES);

  *desc = (VmmVirtioDeviceDesc) {
    .name = "blk",
    .device_id = VIRTIO_ID_BLOCK,
    .pci_class = 0x018000, /* mass storage, other */
    .features = features,
    .n_queues = blk->n_queues,
    .queue_size = queue_size,
    .config_size = VMM_VIRTIO_BLK_CONFIG_SIZE,
    .ops = &blk_ops,
    .dev = blk,
  };
  return blk;
}

int
vmm_virtio_blk_attach (VmmVirtioBlk *blk, VmmVirtio *vio)
{
  int r;

  blk->vio = vio;
  blk->loop = vmm_virtio_ioloop (vio);
  r = vmm_ioloop_add (blk->loop, vmm_block_queue_get_fd (blk->queue), EPOLLIN, on_engine_ready,
                      blk);
  blk->watching = r == 0;
  return r;
}

void
vmm_virtio_blk_detach_image (VmmVirtioBlk *blk)
{
  blk->image = NULL;
}

void
vmm_virtio_blk_free_keep_image (VmmVirtioBlk *blk)
{
  blk->image = NULL;
  blk_free (blk);
}
