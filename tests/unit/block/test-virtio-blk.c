/* test-virtio-blk.c: the virtio-blk device model driven by a test driver
 * that lays its virtqueues out in a memory buffer: every request type, on
 * raw and qcow2, through io_uring and the worker pool, and the malformed
 * requests a hostile guest can send.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <endian.h>
#include <glib/gstdio.h>
#include <string.h>

#include "blk-harness.h"

#define DISK_SIZE (4u << 20)
#define SECTORS (DISK_SIZE / 512)

typedef struct {
  char *dir;
  char *path;
} Disk;

static void
disk_make (Disk *d, VmmImageFormat format)
{
  g_autoptr(GError) error = NULL;

  d->dir = g_dir_make_tmp ("vireo-vblk-XXXXXX", &error);
  g_assert_no_error (error);
  d->path = g_build_filename (d->dir, "disk", NULL);
  if (format == VMM_IMAGE_FORMAT_QCOW2)
    g_assert_true (vmm_image_create_qcow2 (d->path, DISK_SIZE, 0, NULL, NULL, &error));
  else
    g_assert_true (vmm_image_create_raw (d->path, DISK_SIZE, &error));
  g_assert_no_error (error);
}

static void
disk_clear (Disk *d)
{
  g_unlink (d->path);
  g_rmdir (d->dir);
  g_free (d->path);
  g_free (d->dir);
}

static void
fill (uint8_t *p, size_t len, uint32_t seed)
{
  for (size_t i = 0; i < len; i++)
    {
      seed = seed * 1103515245u + 12345u;
      p[i] = (uint8_t) (seed >> 16);
    }
}

static uint32_t
cfg32 (Harness *h, unsigned off)
{
  uint8_t b[4];

  h->desc.ops->config_read (h->desc.dev, off, b, 4);
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

/* Write, read back, flush, get-id, write-zeroes and discard on one disk. */
static void
exercise (VmmImageFormat format, VmmBlockEngineKind engine, unsigned queues)
{
  Disk d;
  VmmVirtioBlkConfig cfg = {
    .num_queues = queues, .serial = "vireo-serial-0123456789-too-long", .engine = engine,
  };
  Harness *h;
  uint64_t wbuf, rbuf, id;
  uint32_t used;
  uint64_t capacity;
  uint8_t b[8];

  disk_make (&d, format);
  h = harness_new (d.path, &cfg);

  h->desc.ops->config_read (h->desc.dev, offsetof (struct virtio_blk_config, capacity), b, 8);
  memcpy (&capacity, b, 8);
  g_assert_cmpuint (le64toh (capacity), ==, SECTORS);
  g_assert_cmpuint (cfg32 (h, offsetof (struct virtio_blk_config, seg_max)), ==, 256 - 2);
  g_assert_cmpuint (cfg32 (h, offsetof (struct virtio_blk_config, blk_size)), ==, 512);
  g_assert_cmpuint (cfg32 (h, offsetof (struct virtio_blk_config, num_queues)) & 0xffff, ==,
                    MAX (queues, 1));
  g_assert_cmpuint (cfg32 (h, offsetof (struct virtio_blk_config, max_discard_seg)), ==, 1);
  g_assert_true (h->desc.features & (1ull << VIRTIO_BLK_F_FLUSH));
  g_assert_true (h->desc.features & (1ull << VIRTIO_BLK_F_DISCARD));
  g_assert_false (h->desc.features & (1ull << VIRTIO_BLK_F_RO));
  g_assert_cmpuint (h->desc.n_queues, ==, MAX (queues, 1));

  for (unsigned q = 0; q < h->desc.n_queues; q++)
    for (unsigned round = 0; round < 4; round++)
      {
        uint32_t len = 512u << round * 3;           /* 512 B .. 256 KiB */
        uint64_t sector = (q * 997 + round * 131) % (SECTORS - len / 512);

        harness_reset_alloc (h);
        wbuf = harness_alloc (h, len);
        rbuf = harness_alloc (h, len);
        fill (harness_host (h, wbuf), len, q * 10 + round);
        g_assert_cmpuint (harness_request (h, q, VIRTIO_BLK_T_OUT, sector, wbuf, len, round + 1,
                                           &used), ==, VIRTIO_BLK_S_OK);
        memset (harness_host (h, rbuf), 0xee, len);
        g_assert_cmpuint (harness_request (h, q, VIRTIO_BLK_T_IN, sector, rbuf, len, 3 - round % 3,
                                           &used), ==, VIRTIO_BLK_S_OK);
        g_assert_cmpuint (used, ==, len + 1);
        g_assert_true (memcmp (harness_host (h, rbuf), harness_host (h, wbuf), len) == 0);
      }

  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), ==,
                    VIRTIO_BLK_S_OK);

  /* GET_ID: 20 bytes, not terminated; a short buffer gets what fits. */
  id = harness_alloc (h, 32);
  memset (harness_host (h, id), 'x', 32);
  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_GET_ID, 0, id, 20, 1, &used), ==,
                    VIRTIO_BLK_S_OK);
  g_assert_cmpuint (used, ==, 21);
  g_assert_true (memcmp (harness_host (h, id), "vireo-serial-0123456", 20) == 0);
  memset (harness_host (h, id), 'x', 32);
  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_GET_ID, 0, id, 5, 1, NULL), ==,
                    VIRTIO_BLK_S_OK);
  g_assert_true (memcmp (harness_host (h, id), "vireox", 6) == 0);

  /* Write-zeroes reads back as zeros; the sectors around it keep their data. */
  harness_reset_alloc (h);
  wbuf = harness_alloc (h, 65536);
  rbuf = harness_alloc (h, 65536);
  fill (harness_host (h, wbuf), 65536, 99);
  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_OUT, 2048, wbuf, 65536, 4, NULL), ==,
                    VIRTIO_BLK_S_OK);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_WRITE_ZEROES, 2056, 16, 0), ==,
                    VIRTIO_BLK_S_OK);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_WRITE_ZEROES, 2100, 8,
                                   VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP), ==, VIRTIO_BLK_S_OK);
  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_IN, 2048, rbuf, 65536, 2, NULL), ==,
                    VIRTIO_BLK_S_OK);
  memset ((uint8_t *) harness_host (h, wbuf) + 8 * 512, 0, 16 * 512);
  memset ((uint8_t *) harness_host (h, wbuf) + 52 * 512, 0, 8 * 512);
  g_assert_true (memcmp (harness_host (h, rbuf), harness_host (h, wbuf), 65536) == 0);

  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_DISCARD, 0, 2048, 0), ==, VIRTIO_BLK_S_OK);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_DISCARD, SECTORS - 8, 8, 0), ==,
                    VIRTIO_BLK_S_OK);
  /* Discard takes no flags; ranges past the end or beyond the limit fail. */
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_DISCARD, 0, 8, 1), ==, VIRTIO_BLK_S_UNSUPP);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 6), ==,
                    VIRTIO_BLK_S_UNSUPP);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_DISCARD, SECTORS - 8, 9, 0), ==,
                    VIRTIO_BLK_S_IOERR);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_WRITE_ZEROES, G_MAXUINT64 - 2, 8, 0), ==,
                    VIRTIO_BLK_S_IOERR);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0,
                                   cfg32 (h, offsetof (struct virtio_blk_config,
                                                       max_write_zeroes_sectors)) + 1, 0),
                    ==, VIRTIO_BLK_S_IOERR);

  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), ==,
                    VIRTIO_BLK_S_OK);
  g_assert_false (h->vio.needs_reset);
  g_assert_cmpuint (h->vio.interrupts, >, 0);
  harness_free (h);

  /* What the guest wrote is in the file, as the image layer reads it. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VmmImage) img = vmm_image_open (d.path, VMM_IMAGE_FORMAT_AUTO, true, &error);
    g_autofree uint8_t *got = g_malloc (65536);
    g_autofree uint8_t *want = g_malloc (65536);

    g_assert_no_error (error);
    g_assert_cmpint (vmm_image_read (img, got, 2048 * 512, 65536), ==, 0);
    fill (want, 65536, 99);
    memset (want + 8 * 512, 0, 16 * 512);
    memset (want + 52 * 512, 0, 8 * 512);
    g_assert_true (memcmp (got, want, 65536) == 0);
  }
  disk_clear (&d);
}

static void
test_raw (void)
{
  exercise (VMM_IMAGE_FORMAT_RAW, VMM_BLOCK_ENGINE_AUTO, 1);
}

static void
test_raw_pool (void)
{
  exercise (VMM_IMAGE_FORMAT_RAW, VMM_BLOCK_ENGINE_POOL, 2);
}

static void
test_qcow2 (void)
{
  exercise (VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_AUTO, 4);
}

/* Requests in flight on several queues at once, completing in any order. */
static void
test_many_in_flight (void)
{
  Disk d;
  VmmVirtioBlkConfig cfg = { .num_queues = 2 };
  Harness *h;
  enum { N = 100 };
  uint64_t bufs[N], status[N];
  uint16_t heads[N];
  unsigned seen[2] = { 0, 0 };

  disk_make (&d, VMM_IMAGE_FORMAT_RAW);
  h = harness_new (d.path, &cfg);
  for (unsigned i = 0; i < N; i++)
    {
      uint64_t hdr = harness_alloc (h, 16);
      struct virtio_blk_outhdr o = { .type = htole32 (VIRTIO_BLK_T_OUT), .sector = htole64 (i * 8) };
      HarnessSeg segs[3];

      bufs[i] = harness_alloc (h, 4096);
      status[i] = harness_alloc (h, 1);
      memcpy (harness_host (h, hdr), &o, sizeof o);
      memset (harness_host (h, bufs[i]), i, 4096);
      *(uint8_t *) harness_host (h, status[i]) = 0xff;
      segs[0] = (HarnessSeg) { hdr, 16, false };
      segs[1] = (HarnessSeg) { bufs[i], 4096, false };
      segs[2] = (HarnessSeg) { status[i], 1, true };
      heads[i] = i % 2 ? harness_add_chain (h, i % 2, segs, 3)
                       : harness_add_indirect (h, i % 2, segs, 3);
    }
  harness_kick (h, 0);
  harness_kick (h, 1);
  harness_wait_used (h, 0, N / 2);
  harness_wait_used (h, 1, N / 2);
  for (unsigned q = 0; q < 2; q++)
    {
      uint32_t id, len;

      while (harness_pop_used (h, q, &id, &len))
        {
          bool found = false;

          for (unsigned i = q; i < N; i += 2)
            found |= heads[i] == id;
          g_assert_true (found);
          g_assert_cmpuint (len, ==, 1);
          seen[q]++;
        }
    }
  g_assert_cmpuint (seen[0], ==, N / 2);
  g_assert_cmpuint (seen[1], ==, N / 2);
  for (unsigned i = 0; i < N; i++)
    g_assert_cmpuint (*(uint8_t *) harness_host (h, status[i]), ==, VIRTIO_BLK_S_OK);

  /* Read it all back in one request of many segments. */
  {
    uint64_t r = harness_alloc (h, N * 4096);
    uint8_t *p;

    g_assert_cmpuint (harness_request (h, 1, VIRTIO_BLK_T_IN, 0, r, N * 4096, 64, NULL), ==,
                      VIRTIO_BLK_S_OK);
    p = harness_host (h, r);
    for (unsigned i = 0; i < N; i++)
      g_assert_cmpuint (p[i * 4096 + 17], ==, (uint8_t) i);
  }
  harness_free (h);
  disk_clear (&d);
}

/* A reset with requests in flight: they finish first, and the device works
 * again once the driver sets the queues up anew. */
static void
test_reset_in_flight (void)
{
  Disk d;
  VmmVirtioBlkConfig cfg = { 0 };
  Harness *h;

  disk_make (&d, VMM_IMAGE_FORMAT_QCOW2);
  h = harness_new (d.path, &cfg);
  for (unsigned i = 0; i < 32; i++)
    {
      uint64_t hdr = harness_alloc (h, 16), buf = harness_alloc (h, 65536);
      uint64_t st = harness_alloc (h, 1);
      struct virtio_blk_outhdr o = { .type = htole32 (VIRTIO_BLK_T_OUT), .sector = htole64 (i * 128) };
      HarnessSeg segs[3] = { { hdr, 16, false }, { buf, 65536, false }, { st, 1, true } };

      memcpy (harness_host (h, hdr), &o, sizeof o);
      harness_add_chain (h, 0, segs, 3);
    }
  harness_kick (h, 0);
  harness_reset (h);
  harness_reset_alloc (h);
  {
    uint64_t buf = harness_alloc (h, 4096);

    g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_IN, 0, buf, 4096, 1, NULL), ==,
                      VIRTIO_BLK_S_OK);
  }
  harness_free (h);
  disk_clear (&d);
}

static void
test_read_only (void)
{
  Disk d;
  VmmVirtioBlkConfig cfg = { .read_only = true };
  Harness *h;
  uint64_t buf;

  disk_make (&d, VMM_IMAGE_FORMAT_RAW);
  h = harness_new (d.path, &cfg);
  g_assert_true (h->desc.features & (1ull << VIRTIO_BLK_F_RO));
  g_assert_false (h->desc.features & (1ull << VIRTIO_BLK_F_DISCARD));
  g_assert_false (h->desc.features & (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
  buf = harness_alloc (h, 4096);
  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_OUT, 0, buf, 4096, 1, NULL), ==,
                    VIRTIO_BLK_S_IOERR);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_DISCARD, 0, 8, 0), ==, VIRTIO_BLK_S_IOERR);
  g_assert_cmpuint (harness_range (h, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0), ==,
                    VIRTIO_BLK_S_IOERR);
  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), ==,
                    VIRTIO_BLK_S_OK);
  g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_IN, 0, buf, 4096, 1, NULL), ==,
                    VIRTIO_BLK_S_OK);
  harness_free (h);
  disk_clear (&d);
}

/* A chain built by hand; returns the used length, the status byte at
 * @status_gpa (if any) in *@status. */
static uint32_t
send (Harness *h, const HarnessSeg *segs, unsigned n)
{
  uint32_t id, len;
  uint16_t head = harness_add_chain (h, 0, segs, n);

  harness_kick (h, 0);
  harness_wait_used (h, 0, 1);
  g_assert_true (harness_pop_used (h, 0, &id, &len));
  g_assert_cmpuint (id, ==, head);
  return len;
}

static uint64_t
header (Harness *h, uint32_t type, uint64_t sector)
{
  uint64_t gpa = harness_alloc (h, 16);
  struct virtio_blk_outhdr o = { .type = htole32 (type), .sector = htole64 (sector) };

  memcpy (harness_host (h, gpa), &o, sizeof o);
  return gpa;
}

static void
test_malformed (void)
{
  Disk d;
  VmmVirtioBlkConfig cfg = { .queue_size = 128 };
  Harness *h;
  uint64_t hdr, buf, st;
  uint8_t *status;

  disk_make (&d, VMM_IMAGE_FORMAT_RAW);
  h = harness_new (d.path, &cfg);
  buf = harness_alloc (h, 1 << 20);
  st = harness_alloc (h, 1);
  status = harness_host (h, st);

  /* No writable byte for a status: returned with nothing written. */
  hdr = header (h, VIRTIO_BLK_T_OUT, 0);
  {
    HarnessSeg segs[] = { { hdr, 16, false }, { buf, 512, false } };

    g_assert_cmpuint (send (h, segs, 2), ==, 0);
  }
  /* A header shorter than 16 bytes. */
  {
    HarnessSeg segs[] = { { hdr, 8, false }, { st, 1, true } };

    *status = 0xff;
    g_assert_cmpuint (send (h, segs, 2), ==, 1);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_IOERR);
  }
  /* No readable part at all. */
  {
    HarnessSeg segs[] = { { buf, 512, true }, { st, 1, true } };

    *status = 0xff;
    send (h, segs, 2);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_IOERR);
  }
  /* The header split over two buffers is fine (any layout). */
  hdr = header (h, VIRTIO_BLK_T_IN, 0);
  {
    HarnessSeg segs[] = { { hdr, 5, false }, { hdr + 5, 11, false }, { buf, 512, true },
                          { st, 1, true } };

    *status = 0xff;
    g_assert_cmpuint (send (h, segs, 4), ==, 513);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_OK);
  }
  /* The status byte shares the last buffer with data. */
  {
    HarnessSeg segs[] = { { hdr, 16, false }, { buf, 513, true } };

    ((uint8_t *) harness_host (h, buf))[512] = 0xff;
    send (h, segs, 2);
    g_assert_cmpuint (((uint8_t *) harness_host (h, buf))[512], ==, VIRTIO_BLK_S_OK);
  }
  /* Data not a multiple of 512 bytes, reading and writing. */
  {
    HarnessSeg segs[] = { { hdr, 16, false }, { buf, 700, true }, { st, 1, true } };

    *status = 0xff;
    send (h, segs, 3);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_IOERR);
  }
  hdr = header (h, VIRTIO_BLK_T_OUT, 0);
  {
    HarnessSeg segs[] = { { hdr, 16, false }, { buf, 100, false }, { st, 1, true } };

    *status = 0xff;
    send (h, segs, 3);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_IOERR);
  }
  /* Sector ranges beyond the capacity, wrapping ones included. */
  {
    const uint64_t bad[] = { SECTORS, SECTORS - 1, G_MAXUINT64, G_MAXUINT64 / 512 + 1 };

    for (unsigned i = 0; i < G_N_ELEMENTS (bad); i++)
      for (uint32_t type = VIRTIO_BLK_T_IN; type <= VIRTIO_BLK_T_OUT; type++)
        {
          HarnessSeg segs[] = { { header (h, type, bad[i]), 16, false },
                                { buf, 1024, type == VIRTIO_BLK_T_IN }, { st, 1, true } };

          *status = 0xff;
          send (h, segs, 3);
          g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_IOERR);
        }
  }
  /* The last sector exactly is fine. */
  {
    HarnessSeg segs[] = { { header (h, VIRTIO_BLK_T_IN, SECTORS - 1), 16, false },
                          { buf, 512, true }, { st, 1, true } };

    *status = 0xff;
    send (h, segs, 3);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_OK);
  }
  /* Unknown and unsupported types. */
  {
    const uint32_t types[] = { 2, 3, 5, 7, 9, 14, 0x80000000u, G_MAXUINT32 };

    for (unsigned i = 0; i < G_N_ELEMENTS (types); i++)
      {
        HarnessSeg segs[] = { { header (h, types[i], 0), 16, false }, { st, 1, true } };

        *status = 0xff;
        send (h, segs, 2);
        g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_UNSUPP);
      }
  }
  /* Two discard ranges where the device offered one. */
  {
    uint64_t ranges = harness_alloc (h, 32);
    HarnessSeg segs[] = { { header (h, VIRTIO_BLK_T_DISCARD, 0), 16, false },
                          { ranges, 32, false }, { st, 1, true } };

    memset (harness_host (h, ranges), 0, 32);
    *status = 0xff;
    send (h, segs, 3);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_IOERR);
  }
  /* As many segments as the queue holds: 126 data segments of 512 bytes. */
  {
    HarnessSeg segs[128];

    segs[0] = (HarnessSeg) { header (h, VIRTIO_BLK_T_OUT, 100), 16, false };
    for (unsigned i = 1; i < 127; i++)
      segs[i] = (HarnessSeg) { buf + i * 4096, 512, false };
    segs[127] = (HarnessSeg) { st, 1, true };
    *status = 0xff;
    send (h, segs, 128);
    g_assert_cmpuint (*status, ==, VIRTIO_BLK_S_OK);
  }
  g_assert_false (h->vio.needs_reset);

  /* A chain with an address outside guest RAM never reaches the device:
   * the queue stops and the device needs a reset, nothing else. */
  {
    HarnessSeg segs[] = { { header (h, VIRTIO_BLK_T_IN, 0), 16, false },
                          { 0x1000, 512, true }, { st, 1, true } };

    harness_add_chain (h, 0, segs, 3);
    harness_kick (h, 0);
    g_assert_true (h->vio.needs_reset);
  }
  harness_reset (h);
  {
    uint64_t b = harness_alloc (h, 512);

    g_assert_cmpuint (harness_request (h, 0, VIRTIO_BLK_T_IN, 0, b, 512, 1, NULL), ==,
                      VIRTIO_BLK_S_OK);
  }
  harness_free (h);
  disk_clear (&d);
}

static void
test_bad_config (void)
{
  Disk d;
  VmmVirtioBlkConfig cfg = { .queue_size = 100 };
  g_autoptr(GError) error = NULL;

  disk_make (&d, VMM_IMAGE_FORMAT_RAW);
  g_assert_null (harness_try_new (d.path, &cfg, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  cfg = (VmmVirtioBlkConfig) { .num_queues = VMM_VIRTIO_MAX_QUEUES + 1 };
  g_assert_null (harness_try_new (d.path, &cfg, &error));
  g_assert_nonnull (error);
  disk_clear (&d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/block/virtio-blk/raw", test_raw);
  g_test_add_func ("/block/virtio-blk/raw-pool", test_raw_pool);
  g_test_add_func ("/block/virtio-blk/qcow2", test_qcow2);
  g_test_add_func ("/block/virtio-blk/many-in-flight", test_many_in_flight);
  g_test_add_func ("/block/virtio-blk/reset-in-flight", test_reset_in_flight);
  g_test_add_func ("/block/virtio-blk/read-only", test_read_only);
  g_test_add_func ("/block/virtio-blk/malformed", test_malformed);
  g_test_add_func ("/block/virtio-blk/bad-config", test_bad_config);
  return g_test_run ();
}
