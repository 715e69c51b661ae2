/* test-engine.c: the block I/O engine on raw and qcow2 images, through
 * io_uring and through the worker pool, checked against an in-memory copy
 * of what the disk must hold.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block-engine.h"

#define DISK_SIZE (8u << 20)

typedef struct {
  char            *dir;
  char            *path;
  VmmImage        *image;
  VmmBlockBackend *backend;
  VmmBlockQueue   *queue;
  uint8_t         *expect;   /* what the disk must read back as */
  GRand           *rand;
  unsigned         done;
} Fixture;

typedef struct {
  VmmBlockRequest req;
  struct iovec    iov[8];
  uint8_t        *buf;       /* backs iov[] */
  uint64_t        len;
  unsigned       *done;
} Job;

static void
job_done (VmmBlockRequest *req, void *opaque)
{
  Job *job = opaque;

  (*job->done)++;
}

static void
fixture_setup (Fixture *f, VmmImageFormat format, VmmBlockEngineKind kind, bool read_only)
{
  g_autoptr(GError) error = NULL;
  VmmBlockBackendConfig cfg = { .kind = kind };

  f->dir = g_dir_make_tmp ("vireo-block-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "disk", NULL);
  if (format == VMM_IMAGE_FORMAT_RAW)
    g_assert_true (vmm_image_create_raw (f->path, DISK_SIZE, &error));
  else
    g_assert_true (vmm_image_create_qcow2 (f->path, DISK_SIZE, 4096, NULL, NULL, &error));
  g_assert_no_error (error);
  f->image = vmm_image_open (f->path, format, read_only, &error);
  g_assert_no_error (error);
  f->backend = vmm_block_backend_new (f->image, &cfg, &error);
  g_assert_no_error (error);
  f->queue = vmm_block_queue_new (f->backend, 8, &error);
  g_assert_no_error (error);
  f->expect = g_malloc0 (DISK_SIZE);
  f->rand = g_rand_new_with_seed (7);
}

static void
fixture_teardown (Fixture *f)
{
  g_clear_pointer (&f->queue, vmm_block_queue_free);
  g_clear_pointer (&f->backend, vmm_block_backend_free);
  g_clear_pointer (&f->image, vmm_image_close);
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_free (f->expect);
  g_rand_free (f->rand);
}

static void
wait_for (Fixture *f, unsigned target)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  vmm_block_queue_kick (f->queue);
  while (f->done < target)
    {
      struct pollfd pfd = { .fd = vmm_block_queue_get_fd (f->queue), .events = POLLIN };

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (poll (&pfd, 1, 1000), >=, 0);
      vmm_block_queue_complete (f->queue);
    }
}

/* A data job over @len bytes split into up to 8 segments; @aligned puts
 * buffer and segment boundaries on 4 KiB so that O_DIRECT can take it. */
static Job *
job_new (Fixture *f, VmmBlockOp op, uint64_t offset, uint64_t len, bool aligned)
{
  Job *job = g_new0 (Job, 1);
  uint64_t pos = 0;
  unsigned n = 0;

  job->len = len;
  job->done = &f->done;
  g_assert_cmpint (posix_memalign ((void **) &job->buf, 4096, MAX (len, 1)), ==, 0);
  while (pos < len && n < 8)
    {
      /* MIN evaluates its arguments twice: draw first. */
      uint64_t want = aligned ? (uint64_t) g_rand_int_range (f->rand, 1, 3) * 4096
                              : (uint64_t) g_rand_int_range (f->rand, 1, 9000);
      uint64_t seg = n == 7 ? len - pos : MIN (len - pos, want);

      job->iov[n].iov_base = job->buf + pos;
      job->iov[n].iov_len = seg;
      pos += seg;
      n++;
    }
  job->req.op = op;
  job->req.offset = offset;
  job->req.len = len;
  job->req.iov = job->iov;
  job->req.niov = n;
  job->req.done = job_done;
  job->req.opaque = job;
  return job;
}

static void
job_free (Job *job)
{
  free (job->buf);
  g_free (job);
}

static int
run_one (Fixture *f, Job *job)
{
  unsigned target = f->done + 1;

  vmm_block_queue_submit (f->queue, &job->req);
  wait_for (f, target);
  return job->req.result;
}

static void
check_disk (Fixture *f)
{
  g_autofree uint8_t *buf = g_malloc (DISK_SIZE);

  g_assert_cmpint (vmm_image_read (f->image, buf, 0, DISK_SIZE), ==, 0);
  for (uint64_t i = 0; i < DISK_SIZE; i++)
    if (buf[i] != f->expect[i])
      g_error ("byte %" G_GUINT64_FORMAT " is %#x, expected %#x", i, buf[i], f->expect[i]);
}

/* Many writes in flight at once (more than the ring's depth, so some
 * wait in the backlog), then reads of the same ranges. */
static void
exercise (Fixture *f, bool aligned)
{
  enum { N = 40 };
  Job *jobs[N];
  unsigned target;

  target = f->done + N;
  for (unsigned i = 0; i < N; i++)
    {
      /* Disjoint ranges: requests in flight together have no order. */
      uint64_t slot = DISK_SIZE / N;
      uint64_t len = aligned ? 4096 * (uint64_t) g_rand_int_range (f->rand, 1, 16)
                             : (uint64_t) g_rand_int_range (f->rand, 1, 60000);
      uint64_t off = i * slot + (aligned ? 0 : (uint64_t) g_rand_int_range (f->rand, 0, 4000));

      jobs[i] = job_new (f, VMM_BLOCK_OP_WRITE, off, len, aligned);
      for (uint64_t b = 0; b < len; b++)
        jobs[i]->buf[b] = (uint8_t) g_rand_int (f->rand);
      memcpy (f->expect + off, jobs[i]->buf, len);
      vmm_block_queue_submit (f->queue, &jobs[i]->req);
    }
  wait_for (f, target);
  for (unsigned i = 0; i < N; i++)
    {
      uint64_t off = jobs[i]->req.offset, len = jobs[i]->len;

      g_assert_cmpint (jobs[i]->req.result, ==, 0);
      job_free (jobs[i]);
      /* Read back through the engine too, with another segmentation. */
      jobs[i] = job_new (f, VMM_BLOCK_OP_READ, off, len, aligned);
      vmm_block_queue_submit (f->queue, &jobs[i]->req);
    }
  target = f->done + N;
  wait_for (f, target);
  for (unsigned i = 0; i < N; i++)
    {
      g_assert_cmpint (jobs[i]->req.result, ==, 0);
      g_assert_true (memcmp (jobs[i]->buf, f->expect + jobs[i]->req.offset, jobs[i]->len) == 0);
      job_free (jobs[i]);
    }
  g_assert_cmpuint (vmm_block_queue_in_flight (f->queue), ==, 0);
}

static void
exercise_other_ops (Fixture *f)
{
  Job *job;

  job = job_new (f, VMM_BLOCK_OP_FLUSH, 0, 0, true);
  g_assert_cmpint (run_one (f, job), ==, 0);
  job_free (job);

  job = job_new (f, VMM_BLOCK_OP_WRITE_ZEROES, 4096, 3 * 4096, true);
  job->req.niov = 0;
  g_assert_cmpint (run_one (f, job), ==, 0);
  memset (f->expect + 4096, 0, 3 * 4096);
  job_free (job);

  /* Discard may leave old data or zeros; either way it succeeds and the
   * rest of the disk stays. */
  job = job_new (f, VMM_BLOCK_OP_DISCARD, 64 * 4096, 16 * 4096, true);
  job->req.niov = 0;
  g_assert_cmpint (run_one (f, job), ==, 0);
  job_free (job);
  {
    g_autofree uint8_t *now = g_malloc (16 * 4096);

    g_assert_cmpint (vmm_image_read (f->image, now, 64 * 4096, 16 * 4096), ==, 0);
    memcpy (f->expect + 64 * 4096, now, 16 * 4096);
  }

  /* Past the end: refused before any I/O, delivered as a completion. */
  job = job_new (f, VMM_BLOCK_OP_READ, DISK_SIZE - 4096, 8192, true);
  g_assert_cmpint (run_one (f, job), ==, -EINVAL);
  job_free (job);
  job = job_new (f, VMM_BLOCK_OP_WRITE_ZEROES, G_MAXUINT64 - 10, 20, true);
  job->req.niov = 0;
  g_assert_cmpint (run_one (f, job), ==, -EINVAL);
  job_free (job);
  job = job_new (f, VMM_BLOCK_OP_WRITE, 0, 512, true);
  job->req.op = (VmmBlockOp) 77;
  g_assert_cmpint (run_one (f, job), ==, -EINVAL);
  job_free (job);

  job = job_new (f, VMM_BLOCK_OP_FLUSH, 0, 0, true);
  g_assert_cmpint (run_one (f, job), ==, 0);
  job_free (job);
  check_disk (f);
}

static void
run_case (VmmImageFormat format, VmmBlockEngineKind kind)
{
  Fixture f = { 0 };

  fixture_setup (&f, format, kind, false);
  if (kind == VMM_BLOCK_ENGINE_URING)
    {
      g_assert_true (vmm_block_backend_uses_uring (f.backend));
      g_test_message ("O_DIRECT: %s", vmm_block_backend_uses_direct (f.backend) ? "yes" : "no");
    }
  else if (kind == VMM_BLOCK_ENGINE_POOL)
    g_assert_false (vmm_block_backend_uses_uring (f.backend));
  exercise (&f, true);
  exercise (&f, false);
  exercise_other_ops (&f);
  fixture_teardown (&f);
}

static bool
have_uring (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vireo-block-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "probe", NULL);
  VmmBlockBackendConfig cfg = { .kind = VMM_BLOCK_ENGINE_URING };
  VmmImage *img;
  VmmBlockBackend *b;

  g_assert_true (vmm_image_create_raw (path, 4096, &error));
  img = vmm_image_open (path, VMM_IMAGE_FORMAT_RAW, true, &error);
  g_assert_no_error (error);
  b = vmm_block_backend_new (img, &cfg, NULL);
  vmm_block_backend_free (b);
  vmm_image_close (img);
  g_unlink (path);
  g_rmdir (dir);
  return b != NULL;
}

static void
test_raw_uring (void)
{
  if (!have_uring ())
    {
      g_test_skip ("io_uring is not available here");
      return;
    }
  run_case (VMM_IMAGE_FORMAT_RAW, VMM_BLOCK_ENGINE_URING);
}

static void
test_raw_pool (void)
{
  run_case (VMM_IMAGE_FORMAT_RAW, VMM_BLOCK_ENGINE_POOL);
}

static void
test_qcow2 (void)
{
  run_case (VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_POOL);
}

static void
test_qcow2_uring (void)
{
  if (!have_uring ())
    {
      g_test_skip ("io_uring is not available here");
      return;
    }
  run_case (VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_URING);
}

/* qcow2 on io_uring with every kind of request in flight at once:
 * allocating writes, in-place writes and reads (mapped), write-zeroes and
 * discard (which free clusters) and flushes, each batch on disjoint
 * slots. Data must never land in, or come from, another slot's clusters. */
static void
test_qcow2_mixed (void)
{
  enum { SLOTS = 64, SLOT = DISK_SIZE / SLOTS, ROUNDS = 12 };
  Fixture f = { 0 };

  if (!have_uring ())
    {
      g_test_skip ("io_uring is not available here");
      return;
    }
  fixture_setup (&f, VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_URING, false);
  for (unsigned round = 0; round < ROUNDS; round++)
    {
      Job *jobs[SLOTS], *extra[SLOTS] = { NULL };
      unsigned target = f.done + SLOTS;

      for (unsigned i = 0; i < SLOTS; i++)
        {
          uint64_t off = i * (uint64_t) SLOT + 4096 * (uint64_t) g_rand_int_range (f.rand, 0, 8);
          uint64_t len = 4096 * (uint64_t) g_rand_int_range (f.rand, 1, 8);
          VmmBlockOp op = (VmmBlockOp) g_rand_int_range (f.rand, 0, 5);

          jobs[i] = job_new (&f, op, off, len, g_rand_boolean (f.rand));
          if (op == VMM_BLOCK_OP_WRITE)
            {
              for (uint64_t b = 0; b < len; b++)
                jobs[i]->buf[b] = (uint8_t) g_rand_int (f.rand);
              memcpy (f.expect + off, jobs[i]->buf, len);
            }
          else if (op == VMM_BLOCK_OP_WRITE_ZEROES)
            memset (f.expect + off, 0, len);
          if (op != VMM_BLOCK_OP_READ && op != VMM_BLOCK_OP_WRITE)
            jobs[i]->req.niov = 0;
          vmm_block_queue_submit (f.queue, &jobs[i]->req);
          /* Now and then the guest races a discard against its own
           * request: that slot's content is then anyone's guess, but no
           * other slot may change. */
          if (g_rand_int_range (f.rand, 0, 6) == 0 && op != VMM_BLOCK_OP_READ)
            {
              extra[i] = job_new (&f, VMM_BLOCK_OP_DISCARD, i * (uint64_t) SLOT, SLOT, true);
              extra[i]->req.niov = 0;
              vmm_block_queue_submit (f.queue, &extra[i]->req);
              target++;
            }
        }
      wait_for (&f, target);
      for (unsigned i = 0; i < SLOTS; i++)
        {
          Job *job = jobs[i];

          g_assert_cmpint (job->req.result, ==, 0);
          if (job->req.op == VMM_BLOCK_OP_READ)
            g_assert_true (memcmp (job->buf, f.expect + job->req.offset, job->len) == 0);
          else if (job->req.op == VMM_BLOCK_OP_DISCARD)
            g_assert_cmpint (vmm_image_read (f.image, f.expect + job->req.offset,
                                             job->req.offset, job->len), ==, 0);
          if (extra[i] != NULL)
            {
              g_assert_cmpint (extra[i]->req.result, ==, 0);
              g_assert_cmpint (vmm_image_read (f.image, f.expect + i * (uint64_t) SLOT,
                                               i * (uint64_t) SLOT, SLOT), ==, 0);
              job_free (extra[i]);
            }
          job_free (job);
        }
    }
  check_disk (&f);
  fixture_teardown (&f);
}

static Job *
submit_write (Fixture *f, uint64_t offset, uint64_t len)
{
  Job *job = job_new (f, VMM_BLOCK_OP_WRITE, offset, len, true);

  for (uint64_t b = 0; b < len; b++)
    job->buf[b] = (uint8_t) g_rand_int (f->rand);
  memcpy (f->expect + offset, job->buf, len);
  vmm_block_queue_submit (f->queue, &job->req);
  return job;
}

/* Writes that allocate whole clusters go to the ring with their
 * clusters pending until the data is written; everything submitted
 * behind them that touches those clusters (a read, a partial write, an
 * overlapping allocating write, zeroing) waits for the commit and then
 * sees the data. Disjoint allocations in the same L2 table complete in
 * any order. The image holds neither corruption nor leaks afterwards. */
static void
test_qcow2_alloc_interleave (void)
{
  enum { C = 4096 };
  Fixture f = { 0 };
  GPtrArray *jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  VmmImageCheck res;
  g_autoptr(GError) error = NULL;
  uint8_t byte = 0;
  Job *read, *flush, *zero;

  if (!have_uring ())
    {
      g_test_skip ("io_uring is not available here");
      return;
    }
  fixture_setup (&f, VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_URING, false);
  for (unsigned round = 0; round < 3; round++)
    {
      uint64_t base = round * (64ull * C);
      unsigned target = f.done + 10;

      /* Four disjoint allocations in one L2 table, all on the ring at
       * once, their clusters pending: the image refuses to touch them. */
      g_ptr_array_add (jobs, submit_write (&f, base, 4 * C));
      g_ptr_array_add (jobs, submit_write (&f, base + 16 * C, 4 * C));
      g_ptr_array_add (jobs, submit_write (&f, base + 32 * C, 4 * C));
      g_ptr_array_add (jobs, submit_write (&f, base + 40 * C, 8 * C));
      g_assert_cmpint (vmm_image_write (f.image, &byte, base + C, 1), ==, -EBUSY);
      g_assert_cmpint (vmm_image_write (f.image, &byte, base + 47 * C, 1), ==, -EBUSY);
      /* Behind them: a read of pending clusters, a partial write into
       * one (merged after the commit), a write half over a pending
       * allocation and half fresh, a flush, an allocating write over
       * one in flight, and zeroing over another. */
      read = job_new (&f, VMM_BLOCK_OP_READ, base, 4 * C, true);
      vmm_block_queue_submit (f.queue, &read->req);
      g_ptr_array_add (jobs, submit_write (&f, base + C + 512, 1024));
      g_ptr_array_add (jobs, submit_write (&f, base + 3 * C, 3 * C));
      flush = job_new (&f, VMM_BLOCK_OP_FLUSH, 0, 0, true);
      vmm_block_queue_submit (f.queue, &flush->req);
      g_ptr_array_add (jobs, submit_write (&f, base + 34 * C, 4 * C));
      zero = job_new (&f, VMM_BLOCK_OP_WRITE_ZEROES, base + 44 * C, 2 * C, true);
      zero->req.niov = 0;
      vmm_block_queue_submit (f.queue, &zero->req);
      memset (f.expect + base + 44 * C, 0, 2 * C);
      wait_for (&f, target);
      g_assert_cmpint (read->req.result, ==, 0);
      /* The read came after the first write and touches its pending
       * clusters: it waited, and got the new data (the bytes of the
       * writes queued after it may or may not be in). */
      g_assert_true (memcmp (read->buf, f.expect + base, C + 512) == 0);
      g_assert_cmpint (flush->req.result, ==, 0);
      g_assert_cmpint (zero->req.result, ==, 0);
      job_free (read);
      job_free (flush);
      job_free (zero);
    }
  for (unsigned i = 0; i < jobs->len; i++)
    g_assert_cmpint (((Job *) jobs->pdata[i])->req.result, ==, 0);
  check_disk (&f);
  flush = job_new (&f, VMM_BLOCK_OP_FLUSH, 0, 0, true);
  g_assert_cmpint (run_one (&f, flush), ==, 0);
  job_free (flush);
  g_assert_true (vmm_image_check (f.image, &res, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (res.corruptions, ==, 0);
  g_assert_cmpuint (res.leaks, ==, 0);
  g_ptr_array_unref (jobs);
  fixture_teardown (&f);
}

/* Mapped I/O is only safe with one queue on a qcow2 backend. */
static void
test_qcow2_one_queue (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;

  if (!have_uring ())
    {
      g_test_skip ("io_uring is not available here");
      return;
    }
  fixture_setup (&f, VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_URING, false);
  g_assert_null (vmm_block_queue_new (f.backend, 8, &error));
  g_assert_nonnull (error);
  fixture_teardown (&f);
}

static void
test_read_only (void)
{
  for (int kind = VMM_BLOCK_ENGINE_AUTO; kind <= VMM_BLOCK_ENGINE_POOL; kind += 2)
    {
      Fixture f = { 0 };
      Job *job;

      fixture_setup (&f, VMM_IMAGE_FORMAT_RAW, (VmmBlockEngineKind) kind, true);
      for (int op = VMM_BLOCK_OP_WRITE; op <= VMM_BLOCK_OP_WRITE_ZEROES; op++)
        {
          job = job_new (&f, (VmmBlockOp) op, 0, 4096, true);
          g_assert_cmpint (run_one (&f, job), ==, op == VMM_BLOCK_OP_FLUSH ? 0 : -EROFS);
          job_free (job);
        }
      job = job_new (&f, VMM_BLOCK_OP_READ, 4096, 8192, true);
      memset (job->buf, 0xaa, 8192);
      g_assert_cmpint (run_one (&f, job), ==, 0);
      g_assert_true (memcmp (job->buf, f.expect, 8192) == 0);
      job_free (job);
      fixture_teardown (&f);
    }
}

/* The file shrinks under a running disk: reads past its end give zeros
 * (the image layer's rule), not an error or stale memory. */
static void
test_file_shrinks (void)
{
  for (int kind = VMM_BLOCK_ENGINE_AUTO; kind <= VMM_BLOCK_ENGINE_POOL; kind += 2)
    {
      Fixture f = { 0 };
      Job *job;

      fixture_setup (&f, VMM_IMAGE_FORMAT_RAW, (VmmBlockEngineKind) kind, false);
      job = job_new (&f, VMM_BLOCK_OP_WRITE, 0, 16384, true);
      memset (job->buf, 0x5a, 16384);
      g_assert_cmpint (run_one (&f, job), ==, 0);
      job_free (job);
      g_assert_cmpint (truncate (f.path, 8192), ==, 0);
      job = job_new (&f, VMM_BLOCK_OP_READ, 4096, 8192, false);
      memset (job->buf, 0xff, 8192);
      g_assert_cmpint (run_one (&f, job), ==, 0);
      for (unsigned i = 0; i < 8192; i++)
        g_assert_cmpuint (job->buf[i], ==, i < 4096 ? 0x5a : 0);
      job_free (job);
      fixture_teardown (&f);
    }
}

/* Freeing a queue with requests still in flight completes them first. */
static void
test_free_drains (void)
{
  Fixture f = { 0 };
  Job *jobs[16];

  fixture_setup (&f, VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_AUTO, false);
  for (unsigned i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i] = job_new (&f, VMM_BLOCK_OP_WRITE, i * 65536, 65536, false);
      vmm_block_queue_submit (f.queue, &jobs[i]->req);
    }
  g_clear_pointer (&f.queue, vmm_block_queue_free);
  g_assert_cmpuint (f.done, ==, G_N_ELEMENTS (jobs));
  for (unsigned i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_assert_cmpint (jobs[i]->req.result, ==, 0);
      job_free (jobs[i]);
    }
  fixture_teardown (&f);
}

/* vmm_image_map: raw maps to itself; qcow2 maps allocated runs only, and
 * the file holds the guest's bytes where it says. */
static void
test_map (void)
{
  Fixture f = { 0 };
  g_autofree uint8_t *data = g_malloc (3 * 4096);
  g_autofree uint8_t *back = g_malloc (3 * 4096);
  uint64_t host = 0;
  int fd;

  fixture_setup (&f, VMM_IMAGE_FORMAT_RAW, VMM_BLOCK_ENGINE_POOL, false);
  g_assert_cmpint (vmm_image_map (f.image, 12345, 100, true, &host), ==, 1);
  g_assert_cmpuint (host, ==, 12345);
  g_assert_cmpint (vmm_image_map (f.image, DISK_SIZE - 10, 11, false, &host), <, 0);
  fixture_teardown (&f);

  fixture_setup (&f, VMM_IMAGE_FORMAT_QCOW2, VMM_BLOCK_ENGINE_POOL, false);
  g_assert_cmpint (vmm_image_map (f.image, 0, 4096, false, &host), ==, 0);
  for (unsigned i = 0; i < 3 * 4096; i++)
    data[i] = (uint8_t) (i * 13 + 1);
  g_assert_cmpint (vmm_image_write (f.image, data, 40960, 3 * 4096), ==, 0);
  g_assert_cmpint (vmm_image_map (f.image, 40960 + 100, 3 * 4096 - 200, true, &host), ==, 1);
  fd = open (f.path, O_RDONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, back, 3 * 4096 - 200, (off_t) host), ==, 3 * 4096 - 200);
  close (fd);
  g_assert_true (memcmp (back, data + 100, 3 * 4096 - 200) == 0);
  /* One cluster past the written run is unallocated: no single mapping. */
  g_assert_cmpint (vmm_image_map (f.image, 40960, 4 * 4096, false, &host), ==, 0);
  /* Zeroed clusters go back to the image layer. */
  g_assert_cmpint (vmm_image_write_zeroes (f.image, 40960, 4096), ==, 0);
  g_assert_cmpint (vmm_image_map (f.image, 40960, 4096, false, &host), ==, 0);
  fixture_teardown (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/block/engine/raw-uring", test_raw_uring);
  g_test_add_func ("/block/engine/raw-pool", test_raw_pool);
  g_test_add_func ("/block/engine/qcow2", test_qcow2);
  g_test_add_func ("/block/engine/qcow2-uring", test_qcow2_uring);
  g_test_add_func ("/block/engine/qcow2-mixed", test_qcow2_mixed);
  g_test_add_func ("/block/engine/qcow2-alloc-interleave", test_qcow2_alloc_interleave);
  g_test_add_func ("/block/engine/qcow2-one-queue", test_qcow2_one_queue);
  g_test_add_func ("/block/engine/read-only", test_read_only);
  g_test_add_func ("/block/engine/file-shrinks", test_file_shrinks);
  g_test_add_func ("/block/engine/free-drains", test_free_drains);
  g_test_add_func ("/block/engine/map", test_map);
  return g_test_run ();
}
