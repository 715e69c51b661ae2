/* test-virtio-gpu.c: virtio-gpu driven as Linux's virtio_gpu drives it,
 * through the real transport, and the malformed commands a hostile guest
 * could send instead.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "virtio-test-driver.h"
#include "gpu/virtio-gpu.h"
#include "devices/edid.h"

#include <linux/virtio_gpu.h>
#include <string.h>

#define F_VERSION_1 (1ULL << 32)
#define F_EDID      (1ULL << VIRTIO_GPU_F_EDID)
#define Q_CTRL   0
#define Q_CURSOR 1

typedef struct {
  VmmDisplay *display;
  Vtd *vtd;
} Fixture;

static VmmPciDevice *
make_gpu (VmmPlatform *platform, void *data, GError **error)
{
  return vmm_virtio_gpu_new (platform, data, error);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->display = vmm_display_new ();
  f->vtd = vtd_new_from (make_gpu, f->display, 2);
  g_assert_true (vtd_init (f->vtd, F_VERSION_1 | F_EDID, 0, TRUE));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  vtd_free (f->vtd);
  vmm_display_free (f->display);
}

/* Sends a request on the control queue; returns the response type and
 * copies the response into @resp. */
static uint32_t
ctrl (Fixture *f, const void *req, size_t len, void *resp, size_t resp_len)
{
  uint64_t rq = vtd_alloc (f->vtd, len, 8), rs = vtd_alloc (f->vtd, resp_len, 8);
  VtdBuf bufs[] = { { rq, (uint32_t) len, FALSE }, { rs, (uint32_t) resp_len, TRUE } };
  struct virtio_gpu_ctrl_hdr hdr;
  uint32_t id, used;

  memcpy (vtd_ptr (f->vtd, rq), req, len);
  vtd_add_chain (f->vtd, Q_CTRL, bufs, 2, FALSE);
  vtd_kick (f->vtd, Q_CTRL);
  g_assert_true (vtd_wait_used (f->vtd, Q_CTRL, &id, &used, 5000));
  g_assert_cmpuint (used, >=, sizeof hdr);
  memcpy (resp, vtd_ptr (f->vtd, rs), resp_len);
  memcpy (&hdr, resp, sizeof hdr);
  return hdr.type;
}

static uint32_t
simple (Fixture *f, const void *req, size_t len)
{
  struct virtio_gpu_ctrl_hdr resp;

  return ctrl (f, req, len, &resp, sizeof resp);
}

static uint32_t
create (Fixture *f, uint32_t id, uint32_t format, uint32_t w, uint32_t h)
{
  struct virtio_gpu_resource_create_2d c = {
    .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, .resource_id = id, .format = format,
    .width = w, .height = h,
  };
  return simple (f, &c, sizeof c);
}

typedef struct {
  uint64_t a, b;
  uint32_t half;
} Backing;

/* Backs resource @id with @len bytes of guest RAM in two pieces (as a
 * scatter list would). */
static Backing
attach (Fixture *f, uint32_t id, uint32_t len)
{
  struct {
    struct virtio_gpu_resource_attach_backing a;
    struct virtio_gpu_mem_entry e[2];
  } req = { 0 };
  uint32_t half = (len / 2) & ~3u;
  uint64_t a = vtd_alloc (f->vtd, half, 4096), b = vtd_alloc (f->vtd, len - half, 4096);

  req.a.hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING;
  req.a.resource_id = id;
  req.a.nr_entries = 2;
  req.e[0] = (struct virtio_gpu_mem_entry) { .addr = a, .length = half };
  req.e[1] = (struct virtio_gpu_mem_entry) { .addr = b, .length = len - half };
  g_assert_cmphex (simple (f, &req, sizeof req), ==, VIRTIO_GPU_RESP_OK_NODATA);
  return (Backing) { a, b, half };
}

/* A byte at linear offset @off of the backing. */
static uint8_t *
backing_at (Fixture *f, const Backing *bk, uint32_t off)
{
  return off < bk->half ? vtd_ptr (f->vtd, bk->a + off) : vtd_ptr (f->vtd, bk->b + off - bk->half);
}

/* Resource 1, w x h XRGB, backed and painted: pixel (x, y) is 0x00 00 yy xx. */
static Backing
create_painted (Fixture *f, uint32_t w, uint32_t h)
{
  Backing bk;

  g_assert_cmphex (create (f, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, w, h), ==, VIRTIO_GPU_RESP_OK_NODATA);
  bk = attach (f, 1, w * h * 4);
  for (uint32_t y = 0; y < h; y++)
    for (uint32_t x = 0; x < w; x++)
      {
        uint32_t off = (y * w + x) * 4;
        *backing_at (f, &bk, off) = (uint8_t) x;
        *backing_at (f, &bk, off + 1) = (uint8_t) y;
        *backing_at (f, &bk, off + 2) = 0;
        *backing_at (f, &bk, off + 3) = 0;
      }
  return bk;
}

static uint32_t
transfer (Fixture *f, uint32_t id, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint64_t offset)
{
  struct virtio_gpu_transfer_to_host_2d t = {
    .hdr.type = VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, .r = { x, y, w, h }, .offset = offset,
    .resource_id = id,
  };
  return simple (f, &t, sizeof t);
}

static uint32_t
scanout (Fixture *f, uint32_t id, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t sid)
{
  struct virtio_gpu_set_scanout s = {
    .hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT, .r = { x, y, w, h }, .scanout_id = sid,
    .resource_id = id,
  };
  return simple (f, &s, sizeof s);
}

static uint32_t
flush (Fixture *f, uint32_t id, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
  struct virtio_gpu_resource_flush fl = {
    .hdr.type = VIRTIO_GPU_CMD_RESOURCE_FLUSH, .r = { x, y, w, h }, .resource_id = id,
  };
  return simple (f, &fl, sizeof fl);
}

static void
test_display_info_and_edid (Fixture *f, gconstpointer data)
{
  struct virtio_gpu_ctrl_hdr q = { .type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO };
  struct virtio_gpu_resp_display_info info;
  struct { struct virtio_gpu_ctrl_hdr hdr; uint32_t scanout, pad; } eq = {
    .hdr.type = VIRTIO_GPU_CMD_GET_EDID };
  struct virtio_gpu_resp_edid edid;
  unsigned sum = 0;

  g_assert_cmphex (ctrl (f, &q, sizeof q, &info, sizeof info), ==, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
  g_assert_cmpuint (info.pmodes[0].enabled, ==, 1);
  g_assert_cmpuint (info.pmodes[0].r.width, ==, 1024);
  g_assert_cmpuint (info.pmodes[1].enabled, ==, 0);
  g_assert_cmphex (ctrl (f, &eq, sizeof eq, &edid, sizeof edid), ==, VIRTIO_GPU_RESP_OK_EDID);
  g_assert_cmpuint (edid.size, ==, VMM_EDID_SIZE);
  for (unsigned i = 0; i < VMM_EDID_SIZE; i++)
    sum += edid.edid[i];
  g_assert_cmpuint (sum & 0xff, ==, 0);
  eq.scanout = 3;
  g_assert_cmphex (ctrl (f, &eq, sizeof eq, &edid, sizeof edid), ==, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
}

static void
test_frame (Fixture *f, gconstpointer data)
{
  const uint32_t w = 64, h = 32;
  VmmDisplayMode mode;
  VmmDisplayRect rect = { 5, 7, 1, 1 };
  uint32_t px = 0;

  create_painted (f, w, h);
  g_assert_cmphex (transfer (f, 1, 0, 0, w, h, 0), ==, VIRTIO_GPU_RESP_OK_NODATA);
  g_assert_cmphex (scanout (f, 1, 0, 0, w, h, 0), ==, VIRTIO_GPU_RESP_OK_NODATA);
  g_assert_cmphex (flush (f, 1, 0, 0, w, h), ==, VIRTIO_GPU_RESP_OK_NODATA);
  vmm_display_get_mode (f->display, &mode);
  g_assert_true (mode.valid);
  g_assert_cmpuint (mode.width, ==, w);
  g_assert_cmpuint (mode.height, ==, h);
  g_assert_cmpint (vmm_display_read_xrgb (f->display, mode.serial, &rect, &px, 4), ==, 0);
  g_assert_cmphex (px & 0xffffff, ==, (7u << 8) | 5u);
  /* Unref of the scanout's resource turns the screen off first. */
  {
    struct virtio_gpu_resource_unref u = { .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNREF, .resource_id = 1 };
    g_assert_cmphex (simple (f, &u, sizeof u), ==, VIRTIO_GPU_RESP_OK_NODATA);
    vmm_display_get_mode (f->display, &mode);
    g_assert_false (mode.valid);
    g_assert_cmphex (simple (f, &u, sizeof u), ==, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
  }
}

static void
test_bad_commands (Fixture *f, gconstpointer data)
{
  struct virtio_gpu_ctrl_hdr unknown = { .type = 0x0999 }, shortreq = { .type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D };
  uint8_t tiny[4] = { 1, 1, 0, 0 };
  struct virtio_gpu_ctrl_hdr resp;

  g_assert_cmphex (create (f, 0, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8, 8), ==, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
  g_assert_cmphex (create (f, 2, 12345, 8, 8), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (create (f, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 0, 8), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (create (f, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 100000, 100000), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (create (f, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8, 8), ==, VIRTIO_GPU_RESP_OK_NODATA);
  g_assert_cmphex (create (f, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8, 8), ==, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
  /* Host memory is bounded: 256 MiB in all. */
  g_assert_cmphex (create (f, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8192, 8191), ==, VIRTIO_GPU_RESP_OK_NODATA);
  g_assert_cmphex (create (f, 4, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 8192, 8), ==, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
  g_assert_cmphex (ctrl (f, &unknown, sizeof unknown, &resp, sizeof resp), ==, VIRTIO_GPU_RESP_ERR_UNSPEC);
  g_assert_cmphex (ctrl (f, &shortreq, sizeof shortreq, &resp, sizeof resp), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (ctrl (f, tiny, sizeof tiny, &resp, sizeof resp), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);

  /* Backing outside guest RAM, too many entries, entries missing. */
  {
    struct {
      struct virtio_gpu_resource_attach_backing a;
      struct virtio_gpu_mem_entry e[1];
    } req = { .a = { .hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, .resource_id = 2, .nr_entries = 1 },
              .e = { { .addr = VTD_RAM_SIZE - 16, .length = 256 } } };
    g_assert_cmphex (simple (f, &req, sizeof req), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    req.e[0].addr = UINT64_MAX - 8;
    g_assert_cmphex (simple (f, &req, sizeof req), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    req.e[0].addr = 0x10000;
    req.a.nr_entries = 1000000;
    g_assert_cmphex (simple (f, &req, sizeof req), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    req.a.nr_entries = 2;
    g_assert_cmphex (simple (f, &req, sizeof req), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    req.a.nr_entries = 1;
    req.e[0].length = 16;
    g_assert_cmphex (simple (f, &req, sizeof req), ==, VIRTIO_GPU_RESP_OK_NODATA);
    /* Attached twice. */
    g_assert_cmphex (simple (f, &req, sizeof req), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  }
  /* Transfers outside the resource or beyond the 16-byte backing. */
  g_assert_cmphex (transfer (f, 2, 4, 4, 8, 8, 0), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (transfer (f, 2, 0xffffffff, 0, 2, 1, 0), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (transfer (f, 2, 0, 0, 8, 8, 0), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (transfer (f, 2, 0, 0, 4, 1, UINT64_MAX - 4), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (transfer (f, 2, 0, 0, 4, 1, 0), ==, VIRTIO_GPU_RESP_OK_NODATA);
  g_assert_cmphex (transfer (f, 9, 0, 0, 1, 1, 0), ==, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
  /* Scanouts and flushes out of range. */
  g_assert_cmphex (scanout (f, 2, 0, 0, 8, 8, 1), ==, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
  g_assert_cmphex (scanout (f, 2, 1, 1, 8, 8, 0), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (scanout (f, 2, 0, 0, 0, 0, 0), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (scanout (f, 9, 0, 0, 8, 8, 0), ==, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
  g_assert_cmphex (flush (f, 2, 0, 0, 9, 9), ==, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
  g_assert_cmphex (scanout (f, 2, 0, 0, 8, 8, 0), ==, VIRTIO_GPU_RESP_OK_NODATA);
  g_assert_cmphex (scanout (f, 0, 0, 0, 0, 0, 0), ==, VIRTIO_GPU_RESP_OK_NODATA);
}

static void
test_fence (Fixture *f, gconstpointer data)
{
  struct virtio_gpu_ctrl_hdr q = { .type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO,
                                   .flags = VIRTIO_GPU_FLAG_FENCE, .fence_id = 77 };
  struct virtio_gpu_resp_display_info info;

  g_assert_cmphex (ctrl (f, &q, sizeof q, &info, sizeof info), ==, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
  g_assert_cmpuint (info.hdr.flags & VIRTIO_GPU_FLAG_FENCE, !=, 0);
  g_assert_cmpuint (info.hdr.fence_id, ==, 77);
}

static void
test_resize_event (Fixture *f, gconstpointer data)
{
  struct virtio_gpu_ctrl_hdr q = { .type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO };
  struct virtio_gpu_resp_display_info info;
  unsigned msis = vtd_msi_count (f->vtd);

  g_assert_cmpint (vmm_display_request_size (f->display, 1920, 1080), ==, 0);
  /* A configuration interrupt, and the event bit the driver reads. */
  g_assert_cmpuint (vtd_msi_count (f->vtd), >, msis);
  g_assert_cmpuint (vtd_config_read (f->vtd, 0, 4) & VIRTIO_GPU_EVENT_DISPLAY, !=, 0);
  g_assert_cmphex (ctrl (f, &q, sizeof q, &info, sizeof info), ==, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
  g_assert_cmpuint (info.pmodes[0].r.width, ==, 1920);
  g_assert_cmpuint (info.pmodes[0].r.height, ==, 1080);
  vtd_config_write (f->vtd, 4, VIRTIO_GPU_EVENT_DISPLAY, 4);
  g_assert_cmpuint (vtd_config_read (f->vtd, 0, 4), ==, 0);
  g_assert_cmpuint (vtd_config_read (f->vtd, 8, 4), ==, 1);
  g_assert_cmpint (vmm_display_request_size (f->display, 0, 1080), <, 0);
}

static void
test_cursor (Fixture *f, gconstpointer data)
{
  struct virtio_gpu_update_cursor c = {
    .hdr.type = VIRTIO_GPU_CMD_UPDATE_CURSOR, .pos = { 0, 100, 50, 0 }, .resource_id = 5,
    .hot_x = 3, .hot_y = 4,
  };
  uint64_t rq = vtd_alloc (f->vtd, sizeof c, 8);
  VtdBuf buf = { rq, sizeof c, FALSE };
  VmmDisplayCursor cur;
  uint32_t *pixels = NULL;

  g_assert_cmphex (create (f, 5, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 64, 64), ==, VIRTIO_GPU_RESP_OK_NODATA);
  attach (f, 5, 64 * 64 * 4);
  g_assert_cmphex (transfer (f, 5, 0, 0, 64, 64, 0), ==, VIRTIO_GPU_RESP_OK_NODATA);
  memcpy (vtd_ptr (f->vtd, rq), &c, sizeof c);
  vtd_add_chain (f->vtd, Q_CURSOR, &buf, 1, FALSE);
  vtd_kick (f->vtd, Q_CURSOR);
  g_assert_true (vtd_wait_used (f->vtd, Q_CURSOR, NULL, NULL, 5000));
  g_assert_true (vmm_display_get_cursor (f->display, &cur, &pixels));
  g_assert_cmpuint (cur.width, ==, 64);
  g_assert_cmpuint (cur.hot_x, ==, 3);
  g_assert_cmpuint (cur.hot_y, ==, 4);
  g_free (pixels);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/virtio-gpu/" name, Fixture, NULL, setup, fn, teardown)
  ADD ("display-info-and-edid", test_display_info_and_edid);
  ADD ("frame", test_frame);
  ADD ("bad-commands", test_bad_commands);
  ADD ("fence", test_fence);
  ADD ("resize-event", test_resize_event);
  ADD ("cursor", test_cursor);
#undef ADD
  return g_test_run ();
}
