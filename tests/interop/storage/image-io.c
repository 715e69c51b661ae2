/* image-io: drives the Vireo image layer for the interop tests.
 *
 *   image-io dump IMAGE OUT          guest-visible contents of IMAGE into OUT (raw)
 *   image-io write IMAGE SEED N OUT  N random writes (some zeroing, some
 *                                    unaligned) into IMAGE; OUT gets the
 *                                    contents expected afterwards (raw)
 *   image-io churn IMAGE SEED        random writes and flushes until killed
 *   image-io seq IMAGE SEED N        N sequential 1 MiB writes (N = 0: until
 *                                    killed), from a seeded offset, wrapping
 *                                    at the end, a flush every 16 and at the
 *                                    end: the guest's `dd oflag=direct bs=1M`
 *                                    as the image layer sees it
 *   image-io engine IMAGE SEED       until killed: batches of 8 writes in
 *                                    flight at once through the block
 *                                    engine (io_uring, O_DIRECT where the
 *                                    file system has it): mostly whole
 *                                    MiB slots (allocating on a new image),
 *                                    some 4 KiB; a flush after every
 *                                    second batch, then "durable K" on
 *                                    stdout: writes 0..K are on disk
 *
 * The engine's writes stamp every 512-byte sector with the write's number
 * (see engine_sector; storage_interop.py checks them after the kill).
 *
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "block/block-engine.h"

#define MIB (1024 * 1024)
#define ENGINE_BATCH 8

G_GNUC_NORETURN static void
fail (const char *what, const char *detail)
{
  fprintf (stderr, "image-io: %s: %s\n", what, detail);
  exit (1);
}

static VmmImage *
open_image (const char *path, bool read_only)
{
  g_autoptr(GError) error = NULL;
  VmmImage *img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, read_only, &error);

  if (img == NULL)
    fail (path, error->message);
  return img;
}

static uint8_t *
read_all (VmmImage *img)
{
  uint64_t size = vmm_image_get_size (img);
  uint8_t *buf = g_malloc (MAX (size, 1));
  int r = vmm_image_read (img, buf, 0, size);

  if (r < 0)
    fail ("read", g_strerror (-r));
  return buf;
}

static void
save (const char *path, const uint8_t *buf, uint64_t size)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) buf, (gssize) size, &error))
    fail (path, error->message);
}

/* One random request; mirrored into @expect when it is not NULL. */
static void
random_request (VmmImage *img, GRand *rand, uint8_t *expect, uint8_t *buf, size_t max)
{
  uint64_t size = vmm_image_get_size (img);
  uint64_t off = (uint64_t) g_rand_double_range (rand, 0, (double) size);
  size_t len = (size_t) g_rand_int_range (rand, 1, (gint32) max);
  int kind = g_rand_int_range (rand, 0, 10);
  int r;

  if (kind < 6)
    {
      /* Sector-shaped, like the guest's requests. */
      off &= ~511ull;
      len = MAX (512, len & ~(size_t) 511);
    }
  if (off >= size)
    off = size - 1;
  if (len > size - off)
    len = (size_t) (size - off);
  if (kind == 9)
    {
      r = vmm_image_write_zeroes (img, off, len);
      if (expect != NULL)
        memset (expect + off, 0, len);
    }
  else
    {
      uint8_t pattern = (uint8_t) g_rand_int (rand);

      for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t) (pattern + i / 512);
      r = vmm_image_write (img, buf, off, len);
      if (expect != NULL)
        memcpy (expect + off, buf, len);
    }
  if (r < 0)
    fail ("write", g_strerror (-r));
}

/* Sequential whole-MiB writes: the shape of an allocating streaming write,
 * which batches cluster allocation (qcow2-write.c). */
static void
seq_writes (VmmImage *img, guint32 seed, unsigned n)
{
  const size_t mib = 1024 * 1024;
  uint64_t size = vmm_image_get_size (img) & ~(uint64_t) (mib - 1);
  g_autofree uint8_t *buf = g_malloc (mib);
  uint64_t off;
  int r;

  if (size == 0)
    fail ("seq", "image smaller than 1 MiB");
  off = ((uint64_t) seed * mib) % size;
  if (n == 0)
    {
      printf ("ready\n");
      fflush (stdout);
    }
  for (unsigned i = 0; n == 0 || i < n; i++)
    {
      for (size_t k = 0; k < mib; k++)
        buf[k] = (uint8_t) (seed + i + k / 512);
      r = vmm_image_write (img, buf, off, mib);
      if (r < 0)
        fail ("write", g_strerror (-r));
      off = (off + mib) % size;
      if (i % 16 == 15 && (r = vmm_image_flush (img)) < 0)
        fail ("flush", g_strerror (-r));
    }
  r = vmm_image_flush (img);
  if (r < 0)
    fail ("flush", g_strerror (-r));
}

/* Sector @sector of write @k: its number plus one (0 is a sector never
 * written), the seed, then a filler of both; little-endian. */
static void
engine_sector (uint8_t *p, uint64_t k, guint32 seed, uint64_t sector)
{
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t) ((k + 1) >> (8 * i));
  for (int i = 0; i < 4; i++)
    p[8 + i] = (uint8_t) (seed >> (8 * i));
  for (int i = 12; i < 512; i++)
    p[i] = (uint8_t) (k * 31 + sector + (uint64_t) i);
}

/* Where write @k goes, the same in storage_interop.py: batch b's j-th
 * write lands in slot (8b + j) mod slots, so a batch never overlaps
 * itself; one in four writes is 4 KiB at a 4 KiB boundary in its slot. */
static void
engine_place (uint64_t k, guint32 seed, uint64_t slots, uint64_t *offset, uint64_t *len)
{
  uint64_t h = (k + 1) * 0x9e3779b97f4a7c15ull ^ seed;

  h ^= h >> 29;
  *offset = (k % slots) * MIB;
  *len = MIB;
  if (h % 4 == 0)
    {
      *offset += ((h >> 8) % (MIB / 4096)) * 4096;
      *len = 4096;
    }
}

typedef struct {
  VmmBlockRequest req;
  struct iovec    iov;
  bool            done;
} EngineJob;

static void
engine_done (VmmBlockRequest *req, void *opaque)
{
  EngineJob *job = opaque;

  job->done = true;
}

static void
engine_wait (VmmBlockQueue *q, EngineJob *jobs, unsigned n)
{
  vmm_block_queue_kick (q);
  for (;;)
    {
      unsigned left = 0;

      for (unsigned i = 0; i < n; i++)
        left += !jobs[i].done;
      if (left == 0)
        return;
      vmm_block_queue_drain (q);
    }
}

static void
engine_writes (VmmImage *img, guint32 seed)
{
  g_autoptr(GError) error = NULL;
  VmmBlockBackendConfig cfg = { .kind = VMM_BLOCK_ENGINE_AUTO };
  g_autoptr(VmmBlockBackend) backend = vmm_block_backend_new (img, &cfg, &error);
  g_autoptr(VmmBlockQueue) queue = NULL;
  uint64_t slots = vmm_image_get_size (img) / MIB;
  EngineJob jobs[ENGINE_BATCH + 1];
  uint8_t *bufs[ENGINE_BATCH];
  uint64_t k = 0;

  if (backend == NULL)
    fail ("engine", error->message);
  queue = vmm_block_queue_new (backend, 16, &error);
  if (queue == NULL)
    fail ("engine", error->message);
  if (slots < ENGINE_BATCH || slots % ENGINE_BATCH != 0)
    fail ("engine", "image size must be a multiple of 8 MiB");
  for (unsigned j = 0; j < ENGINE_BATCH; j++)
    if (posix_memalign ((void **) &bufs[j], 4096, MIB) != 0)
      fail ("engine", "out of memory");
  printf ("ready %s %s\n", vmm_block_backend_uses_uring (backend) ? "uring" : "pool",
          vmm_block_backend_uses_direct (backend) ? "direct" : "buffered");
  fflush (stdout);
  for (unsigned batch = 0;; batch++)
    {
      for (unsigned j = 0; j < ENGINE_BATCH; j++, k++)
        {
          EngineJob *job = &jobs[j];
          uint64_t off, len;

          engine_place (k, seed, slots, &off, &len);
          for (uint64_t sec = 0; sec < len / 512; sec++)
            engine_sector (bufs[j] + sec * 512, k, seed, off / 512 + sec);
          memset (job, 0, sizeof *job);
          job->iov.iov_base = bufs[j];
          job->iov.iov_len = len;
          job->req.op = VMM_BLOCK_OP_WRITE;
          job->req.offset = off;
          job->req.iov = &job->iov;
          job->req.niov = 1;
          job->req.done = engine_done;
          job->req.opaque = job;
          vmm_block_queue_submit (queue, &job->req);
        }
      engine_wait (queue, jobs, ENGINE_BATCH);
      for (unsigned j = 0; j < ENGINE_BATCH; j++)
        if (jobs[j].req.result < 0)
          fail ("write", g_strerror (-jobs[j].req.result));
      if (batch % 2 == 1)
        {
          EngineJob *f = &jobs[ENGINE_BATCH];

          memset (f, 0, sizeof *f);
          f->req.op = VMM_BLOCK_OP_FLUSH;
          f->req.done = engine_done;
          f->req.opaque = f;
          vmm_block_queue_submit (queue, &f->req);
          engine_wait (queue, f, 1);
          if (f->req.result < 0)
            fail ("flush", g_strerror (-f->req.result));
          printf ("durable %" G_GUINT64_FORMAT "\n", k - 1);
          fflush (stdout);
        }
    }
}

int
main (int argc, char **argv)
{
  const size_t max = 300 * 1024;

  if (argc == 4 && strcmp (argv[1], "dump") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], true);
      g_autofree uint8_t *buf = read_all (img);

      save (argv[3], buf, vmm_image_get_size (img));
      return 0;
    }
  if (argc == 6 && strcmp (argv[1], "write") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], false);
      g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) atoi (argv[3]));
      g_autofree uint8_t *expect = read_all (img);
      g_autofree uint8_t *buf = g_malloc (max);
      int n = atoi (argv[4]);
      int r;

      for (int i = 0; i < n; i++)
        random_request (img, rand, expect, buf, max);
      r = vmm_image_flush (img);
      if (r < 0)
        fail ("flush", g_strerror (-r));
      save (argv[5], expect, vmm_image_get_size (img));
      return 0;
    }
  if (argc == 4 && strcmp (argv[1], "churn") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], false);
      g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) atoi (argv[3]));
      g_autofree uint8_t *buf = g_malloc (max);

      /* Say when the image is open, so the killer knows writes started. */
      printf ("ready\n");
      fflush (stdout);
      for (unsigned i = 0;; i++)
        {
          random_request (img, rand, NULL, buf, max);
          if (i % 16 == 0 && vmm_image_flush (img) < 0)
            fail ("flush", g_strerror (errno));
        }
    }
  if (argc == 5 && strcmp (argv[1], "seq") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], false);

      seq_writes (img, (guint32) atoi (argv[3]), (unsigned) atoi (argv[4]));
      return 0;
    }
  if (argc == 4 && strcmp (argv[1], "engine") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], false);

      engine_writes (img, (guint32) atoi (argv[3]));
      return 0;
    }
  fprintf (stderr, "usage: image-io dump IMAGE OUT | write IMAGE SEED N OUT | churn IMAGE SEED"
                   " | seq IMAGE SEED N | engine IMAGE SEED\n");
  return 1;
}
