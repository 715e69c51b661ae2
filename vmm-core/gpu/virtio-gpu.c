/* virtio-gpu.c: the 2D virtio GPU.
 *
 * Resources are host copies of the guest's images: the guest attaches a
 * scatter list of its pages as a resource's backing, copies rectangles
 * into the host copy with TRANSFER_TO_HOST_2D, and shows one resource (or
 * a rectangle of it) on the scanout. The scanout's pixels are the host
 * copy itself, so a flush is just a dirty rectangle for the display.
 *
 * Every size, offset and id comes from the guest: rectangles are checked
 * against their resource with 64-bit sums, backing entries against guest
 * RAM when attached, the bytes a transfer reads against the backing's
 * length, and the resources' total size against VMM_VIRTIO_GPU_MAX_HOSTMEM.
 * A bad command gets an error response; it never reaches memory we do not
 * own.
 *
 * Commands run in order on the device's I/O thread, so fences complete as
 * soon as their command has.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gpu/virtio-gpu.h"
#include "devices/edid.h"
#include "virtio/iov.h"
#include "virtio/virtio.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_gpu.h>
#include <linux/virtio_ids.h>
#include <string.h>

#define QUEUE_CTRL    0
#define QUEUE_CURSOR  1
#define QUEUE_SIZE    256
#define MAX_BACKING_ENTRIES 16384
#define CURSOR_SIZE   64
#define DEFAULT_WIDTH  1024
#define DEFAULT_HEIGHT 768

typedef struct {
  uint32_t id;
  VmmDisplayFormat format;
  uint32_t width, height, stride;
  uint8_t *data;
  struct iovec *backing;
  unsigned n_backing;
  uint64_t backing_len;
} Resource;

typedef struct {
  VmmPlatform *platform;
  VmmDisplay *display;
  VmmVirtio *vio;
  GHashTable *resources;        /* id -> Resource */
  uint64_t hostmem;

  /* The scanout. */
  uint32_t scanout_resource;    /* 0: disabled */
  VmmDisplayRect scanout_rect;

  GMutex lock;                  /* config, and the wished size */
  uint32_t events_read;
  uint32_t want_width, want_height;
} VirtioGpu;

static VmmDisplayFormat
format_from_virtio (uint32_t f)
{
  switch (f)
    {
    case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM: return VMM_DISPLAY_FORMAT_XRGB8888;
    case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM: return VMM_DISPLAY_FORMAT_ARGB8888;
    case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM: return VMM_DISPLAY_FORMAT_BGRX8888;
    case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM: return VMM_DISPLAY_FORMAT_BGRA8888;
    case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM: return VMM_DISPLAY_FORMAT_XBGR8888;
    case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM: return VMM_DISPLAY_FORMAT_ABGR8888;
    case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM: return VMM_DISPLAY_FORMAT_RGBX8888;
    case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM: return VMM_DISPLAY_FORMAT_RGBA8888;
    default: return VMM_DISPLAY_FORMAT_INVALID;
    }
}

static void
resource_free (gpointer data)
{
  Resource *r = data;

  g_free (r->backing);
  g_free (r->data);
  g_free (r);
}

/* [x, x + w) x [y, y + h) inside a width x height area, without overflow. */
static gboolean
rect_inside (const struct virtio_gpu_rect *rc, uint32_t width, uint32_t height)
{
  uint64_t x = le32toh (rc->x), y = le32toh (rc->y), w = le32toh (rc->width), h = le32toh (rc->height);

  return x + w <= width && y + h <= height;
}

static void
scanout_off (VirtioGpu *g)
{
  if (g->scanout_resource != 0)
    vmm_display_set_surface (g->display, NULL);
  g->scanout_resource = 0;
}

/* ---- commands ------------------------------------------------------------ */

typedef struct {
  struct virtio_gpu_ctrl_hdr hdr;
  union {
    struct virtio_gpu_resp_display_info display_info;
    struct virtio_gpu_resp_edid edid;
  } u;
  size_t len;                    /* bytes of the response */
} Response;

static void
ok_nodata (Response *resp)
{
  resp->hdr.type = htole32 (VIRTIO_GPU_RESP_OK_NODATA);
  resp->len = sizeof resp->hdr;
}

static void
error_resp (Response *resp, uint32_t type)
{
  resp->hdr.type = htole32 (type);
  resp->len = sizeof resp->hdr;
}

static void
cmd_get_display_info (VirtioGpu *g, Response *resp)
{
  struct virtio_gpu_resp_display_info *d = &resp->u.display_info;

  memset (d, 0, sizeof *d);
  g_mutex_lock (&g->lock);
  d->pmodes[0].r.width = htole32 (g->want_width);
  d->pmodes[0].r.height = htole32 (g->want_height);
  g_mutex_unlock (&g->lock);
  d->pmodes[0].enabled = htole32 (1);
  resp->hdr.type = htole32 (VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
  resp->len = sizeof *d;
}

static void
cmd_get_edid (VirtioGpu *g, const uint8_t *req, size_t req_len, Response *resp)
{
  struct virtio_gpu_resp_edid *e = &resp->u.edid;
  uint32_t scanout;

  if (req_len < sizeof (struct virtio_gpu_ctrl_hdr) + 8)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  memcpy (&scanout, req + sizeof (struct virtio_gpu_ctrl_hdr), 4);
  if (le32toh (scanout) != 0)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID); return; }
  memset (e, 0, sizeof *e);
  g_mutex_lock (&g->lock);
  vmm_edid_build (e->edid, g->want_width, g->want_height);
  g_mutex_unlock (&g->lock);
  e->size = htole32 (VMM_EDID_SIZE);
  resp->hdr.type = htole32 (VIRTIO_GPU_RESP_OK_EDID);
  resp->len = sizeof *e;
}

static void
cmd_create_2d (VirtioGpu *g, const struct virtio_gpu_resource_create_2d *c, Response *resp)
{
  uint32_t id = le32toh (c->resource_id), w = le32toh (c->width), h = le32toh (c->height);
  VmmDisplayFormat format = format_from_virtio (le32toh (c->format));
  uint64_t size;
  Resource *r;

  if (id == 0 || g_hash_table_contains (g->resources, GUINT_TO_POINTER (id)))
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); return; }
  if (format == VMM_DISPLAY_FORMAT_INVALID || w == 0 || h == 0
      || w > VMM_DISPLAY_MAX_WIDTH || h > VMM_DISPLAY_MAX_HEIGHT)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  size = (uint64_t) w * h * 4;
  if (size > VMM_VIRTIO_GPU_MAX_HOSTMEM - g->hostmem)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY); return; }
  r = g_new0 (Resource, 1);
  r->data = g_try_malloc0 (size);
  if (r->data == NULL)
    {
      g_free (r);
      { error_resp (resp, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY); return; }
    }
  r->id = id;
  r->format = format;
  r->width = w;
  r->height = h;
  r->stride = w * 4;
  g->hostmem += size;
  g_hash_table_insert (g->resources, GUINT_TO_POINTER (id), r);
  ok_nodata (resp);
}

static Resource *
lookup (VirtioGpu *g, uint32_t id)
{
  return g_hash_table_lookup (g->resources, GUINT_TO_POINTER (id));
}

static void
cmd_unref (VirtioGpu *g, const struct virtio_gpu_resource_unref *c, Response *resp)
{
  uint32_t id = le32toh (c->resource_id);
  Resource *r = lookup (g, id);

  if (r == NULL)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); return; }
  /* The display must stop reading the pixels before they go. */
  if (g->scanout_resource == id)
    scanout_off (g);
  g->hostmem -= (uint64_t) r->stride * r->height;
  g_hash_table_remove (g->resources, GUINT_TO_POINTER (id));
  ok_nodata (resp);
}

static void
cmd_set_scanout (VirtioGpu *g, const struct virtio_gpu_set_scanout *c, Response *resp)
{
  uint32_t id = le32toh (c->resource_id);
  VmmDisplaySurface s;
  Resource *r;

  if (le32toh (c->scanout_id) != 0)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID); return; }
  if (id == 0)
    {
      scanout_off (g);
      { ok_nodata (resp); return; }
    }
  r = lookup (g, id);
  if (r == NULL)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); return; }
  if (!rect_inside (&c->r, r->width, r->height) || le32toh (c->r.width) == 0
      || le32toh (c->r.height) == 0)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  g->scanout_rect = (VmmDisplayRect) { le32toh (c->r.x), le32toh (c->r.y),
                                       le32toh (c->r.width), le32toh (c->r.height) };
  s = (VmmDisplaySurface) {
    .format = r->format, .width = g->scanout_rect.width, .height = g->scanout_rect.height,
    .stride = r->stride,
    .pixels = r->data + (size_t) g->scanout_rect.y * r->stride + (size_t) g->scanout_rect.x * 4,
    .size = (size_t) r->stride * r->height - ((size_t) g->scanout_rect.y * r->stride
                                              + (size_t) g->scanout_rect.x * 4),
  };
  if (vmm_display_set_surface (g->display, &s) < 0)
    {
      scanout_off (g);
      { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
    }
  g->scanout_resource = id;
  ok_nodata (resp);
}

static void
cmd_flush (VirtioGpu *g, const struct virtio_gpu_resource_flush *c, Response *resp)
{
  uint32_t id = le32toh (c->resource_id);
  Resource *r = lookup (g, id);
  uint64_t x0, y0, x1, y1;
  const VmmDisplayRect *so = &g->scanout_rect;

  if (r == NULL)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); return; }
  if (!rect_inside (&c->r, r->width, r->height))
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  if (g->scanout_resource == id)
    {
      /* The flushed rectangle, in scanout coordinates. */
      x0 = MAX ((uint64_t) le32toh (c->r.x), so->x);
      y0 = MAX ((uint64_t) le32toh (c->r.y), so->y);
      x1 = MIN ((uint64_t) le32toh (c->r.x) + le32toh (c->r.width), (uint64_t) so->x + so->width);
      y1 = MIN ((uint64_t) le32toh (c->r.y) + le32toh (c->r.height), (uint64_t) so->y + so->height);
      if (x0 < x1 && y0 < y1)
        vmm_display_update (g->display, (uint32_t) (x0 - so->x), (uint32_t) (y0 - so->y),
                            (uint32_t) (x1 - x0), (uint32_t) (y1 - y0));
    }
  ok_nodata (resp);
}

static void
cmd_transfer (VirtioGpu *g, const struct virtio_gpu_transfer_to_host_2d *c, Response *resp)
{
  Resource *r = lookup (g, le32toh (c->resource_id));
  uint32_t x, y, w, h;
  uint64_t offset = le64toh (c->offset);

  if (r == NULL || r->backing == NULL)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); return; }
  if (!rect_inside (&c->r, r->width, r->height))
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  x = le32toh (c->r.x);
  y = le32toh (c->r.y);
  w = le32toh (c->r.width);
  h = le32toh (c->r.height);
  /* The backing holds the image with the resource's stride; row i of the
   * rectangle starts at offset + i * stride (5.7.6.8). */
  if (h > 0 && (offset > r->backing_len
                || (uint64_t) (h - 1) * r->stride + (uint64_t) w * 4 > r->backing_len - offset))
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  for (uint32_t i = 0; i < h; i++)
    vmm_iov_to_buf (r->backing, r->n_backing, offset + (uint64_t) i * r->stride,
                    r->data + (size_t) (y + i) * r->stride + (size_t) x * 4, (size_t) w * 4);
  ok_nodata (resp);
}

static void
cmd_attach_backing (VirtioGpu *g, const VmmVirtqElem *elem, Response *resp)
{
  const VmmGuestMem *mem = vmm_virtio_guest_mem (g->vio);
  struct virtio_gpu_resource_attach_backing c;
  struct iovec *iov;
  uint32_t n;
  uint64_t total = 0;
  Resource *r;

  if (vmm_iov_to_buf (elem->iov, elem->n_out, 0, &c, sizeof c) != sizeof c)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  r = lookup (g, le32toh (c.resource_id));
  if (r == NULL)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); return; }
  n = le32toh (c.nr_entries);
  if (r->backing != NULL || n == 0 || n > MAX_BACKING_ENTRIES
      || elem->out_len < sizeof c + (uint64_t) n * sizeof (struct virtio_gpu_mem_entry))
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
  iov = g_new (struct iovec, n);
  for (uint32_t i = 0; i < n; i++)
    {
      struct virtio_gpu_mem_entry e;
      uint64_t addr;
      uint32_t len;
      void *p;

      vmm_iov_to_buf (elem->iov, elem->n_out, sizeof c + (size_t) i * sizeof e, &e, sizeof e);
      addr = le64toh (e.addr);
      len = le32toh (e.length);
      p = vmm_guest_mem_ptr (mem, addr, len);
      if (p == NULL)
        {
          g_free (iov);
          { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; }
        }
      iov[i].iov_base = p;
      iov[i].iov_len = len;
      total += len;
    }
  r->backing = iov;
  r->n_backing = n;
  r->backing_len = total;
  ok_nodata (resp);
}

static void
cmd_detach_backing (VirtioGpu *g, const struct virtio_gpu_resource_detach_backing *c, Response *resp)
{
  Resource *r = lookup (g, le32toh (c->resource_id));

  if (r == NULL || r->backing == NULL)
    { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); return; }
  g_clear_pointer (&r->backing, g_free);
  r->n_backing = 0;
  r->backing_len = 0;
  ok_nodata (resp);
}

/* Runs one control command; the request's fixed part is in @req. */
static void
run_ctrl (VirtioGpu *g, const VmmVirtqElem *elem, const uint8_t *req, size_t req_len, Response *resp)
{
  uint32_t type = le32toh (((const struct virtio_gpu_ctrl_hdr *) (const void *) req)->type);

#define NEED(T) do { if (req_len < sizeof (T)) { error_resp (resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER); return; } } while (0)
  switch (type)
    {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
      { cmd_get_display_info (g, resp); return; }
    case VIRTIO_GPU_CMD_GET_EDID:
      { cmd_get_edid (g, req, req_len, resp); return; }
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
      NEED (struct virtio_gpu_resource_create_2d);
      { cmd_create_2d (g, (const void *) req, resp); return; }
    case VIRTIO_GPU_CMD_RESOURCE_UNREF:
      NEED (struct virtio_gpu_resource_unref);
      { cmd_unref (g, (const void *) req, resp); return; }
    case VIRTIO_GPU_CMD_SET_SCANOUT:
      NEED (struct virtio_gpu_set_scanout);
      { cmd_set_scanout (g, (const void *) req, resp); return; }
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
      NEED (struct virtio_gpu_resource_flush);
      { cmd_flush (g, (const void *) req, resp); return; }
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
      NEED (struct virtio_gpu_transfer_to_host_2d);
      { cmd_transfer (g, (const void *) req, resp); return; }
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
      { cmd_attach_backing (g, elem, resp); return; }
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
      NEED (struct virtio_gpu_resource_detach_backing);
      { cmd_detach_backing (g, (const void *) req, resp); return; }
    default:
      { error_resp (resp, VIRTIO_GPU_RESP_ERR_UNSPEC); return; }
    }
#undef NEED
}

static void
run_cursor (VirtioGpu *g, const struct virtio_gpu_update_cursor *c)
{
  uint32_t type = le32toh (c->hdr.type);
  int32_t x = (int32_t) le32toh (c->pos.x), y = (int32_t) le32toh (c->pos.y);

  if (le32toh (c->pos.scanout_id) != 0)
    return;
  if (type == VIRTIO_GPU_CMD_UPDATE_CURSOR)
    {
      Resource *r = lookup (g, le32toh (c->resource_id));
      uint32_t hx = le32toh (c->hot_x), hy = le32toh (c->hot_y);

      if (le32toh (c->resource_id) == 0)
        vmm_display_set_cursor (g->display, NULL);
      else if (r != NULL && r->width == CURSOR_SIZE && r->height == CURSOR_SIZE
               && r->format == VMM_DISPLAY_FORMAT_ARGB8888 && hx < CURSOR_SIZE && hy < CURSOR_SIZE)
        {
          VmmDisplayCursor cur = { CURSOR_SIZE, CURSOR_SIZE, hx, hy, (const uint32_t *) (const void *) r->data };
          vmm_display_set_cursor (g->display, &cur);
        }
    }
  else if (type != VIRTIO_GPU_CMD_MOVE_CURSOR)
    return;
  vmm_display_move_cursor (g->display, x, y);
}

static void
gpu_notify (void *dev, VmmVirtqueue *vq)
{
  VirtioGpu *g = dev;
  VmmVirtqElem *elem;
  gboolean cursor = vmm_virtq_index (vq) == QUEUE_CURSOR;

  while (vmm_virtq_pop (vq, &elem) > 0)
    {
      /* The largest fixed request is the transfer (56 bytes); commands
       * with a variable tail (attach backing) read it from the element. */
      uint8_t req[64] = { 0 };
      size_t req_len = vmm_iov_to_buf (elem->iov, elem->n_out, 0, req, sizeof req);
      Response resp = { 0 };
      size_t written = 0;

      if (cursor)
        {
          if (req_len >= sizeof (struct virtio_gpu_update_cursor))
            run_cursor (g, (const void *) req);
        }
      else
        {
          const struct virtio_gpu_ctrl_hdr *hdr = (const void *) req;

          if (req_len < sizeof *hdr)
            error_resp (&resp, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
          else
            run_ctrl (g, elem, req, req_len, &resp);
          /* A fence completes with its command: echo it. */
          if (req_len >= sizeof *hdr && (le32toh (hdr->flags) & VIRTIO_GPU_FLAG_FENCE))
            {
              resp.hdr.flags = htole32 (VIRTIO_GPU_FLAG_FENCE);
              resp.hdr.fence_id = hdr->fence_id;
              resp.hdr.ctx_id = hdr->ctx_id;
            }
          if (resp.len > sizeof resp.hdr)
            memcpy (&resp.u, &resp.hdr, sizeof resp.hdr);
          written = vmm_iov_from_buf (elem->iov + elem->n_out, elem->n_in, 0,
                                      resp.len > sizeof resp.hdr ? (const void *) &resp.u : (const void *) &resp.hdr,
                                      resp.len);
        }
      vmm_virtq_push (vq, elem, (uint32_t) written);
    }
  vmm_virtq_notify (vq);
}

/* ---- configuration and life cycle ------------------------------------ */

static void
gpu_config_read (void *dev, unsigned offset, uint8_t *data, unsigned len)
{
  VirtioGpu *g = dev;
  struct virtio_gpu_config cfg = { 0 };

  g_mutex_lock (&g->lock);
  cfg.events_read = htole32 (g->events_read);
  g_mutex_unlock (&g->lock);
  cfg.num_scanouts = htole32 (1);
  memcpy (data, (const uint8_t *) &cfg + offset, len);
}

static void
gpu_config_write (void *dev, unsigned offset, const uint8_t *data, unsigned len)
{
  VirtioGpu *g = dev;

  /* events_clear: write-one-to-clear into events_read. */
  if (offset == offsetof (struct virtio_gpu_config, events_clear) && len == 4)
    {
      g_mutex_lock (&g->lock);
      g->events_read &= ~(uint32_t) vmm_le_get (data, 4);
      g_mutex_unlock (&g->lock);
    }
}

static int
gpu_start (void *dev, uint64_t features)
{
  return 0;
}

static void
gpu_reset (void *dev)
{
  VirtioGpu *g = dev;

  scanout_off (g);
  vmm_display_set_cursor (g->display, NULL);
  g_hash_table_remove_all (g->resources);
  g->hostmem = 0;
  g_mutex_lock (&g->lock);
  g->events_read = 0;
  g_mutex_unlock (&g->lock);
}

static void
gpu_destroy (void *dev)
{
  VirtioGpu *g = dev;

  vmm_display_set_device_ops (g->display, NULL, NULL);
  scanout_off (g);
  g_hash_table_unref (g->resources);
  g_mutex_clear (&g->lock);
  g_free (g);
}

static const VmmVirtioDeviceOps gpu_ops = {
  .config_read = gpu_config_read,
  .config_write = gpu_config_write,
  .start = gpu_start,
  .reset = gpu_reset,
  .queue_notify = gpu_notify,
  .destroy = gpu_destroy,
};

/* The viewer's window changed size: tell the guest, which asks for the
 * display info and the EDID again and picks the new preferred mode. */
static int
request_size (void *opaque, uint32_t width, uint32_t height)
{
  VirtioGpu *g = opaque;

  if (width == 0 || height == 0 || width > VMM_DISPLAY_MAX_WIDTH || height > VMM_DISPLAY_MAX_HEIGHT)
    return -EINVAL;
  g_mutex_lock (&g->lock);
  g->want_width = width;
  g->want_height = height;
  g->events_read |= VIRTIO_GPU_EVENT_DISPLAY;
  g_mutex_unlock (&g->lock);
  vmm_virtio_config_changed (g->vio);
  return 0;
}

static const VmmDisplayDeviceOps device_ops = { .request_size = request_size };

VmmPciDevice *
vmm_virtio_gpu_new (VmmPlatform *platform, VmmDisplay *display, GError **error)
{
  VirtioGpu *g = g_new0 (VirtioGpu, 1);
  VmmVirtioDeviceDesc desc = {
    .name = "gpu",
    .device_id = VIRTIO_ID_GPU,
    .pci_class = 0x038000,       /* display, other: no VGA behind it */
    .features = 1ULL << VIRTIO_GPU_F_EDID,
    .n_queues = 2,
    .queue_size = QUEUE_SIZE,
    .config_size = sizeof (struct virtio_gpu_config),
    .ops = &gpu_ops,
    .dev = g,
  };
  VmmPciDevice *pci;

  g->platform = platform;
  g->display = display;
  g->resources = g_hash_table_new_full (NULL, NULL, NULL, resource_free);
  g->want_width = DEFAULT_WIDTH;
  g->want_height = DEFAULT_HEIGHT;
  g_mutex_init (&g->lock);
  pci = vmm_virtio_pci_new (platform, &desc, &g->vio, error);
  if (pci == NULL)
    {
      g_hash_table_unref (g->resources);
      g_mutex_clear (&g->lock);
      g_free (g);
      return NULL;
    }
  vmm_display_set_device_ops (display, &device_ops, g);
  return pci;
}
