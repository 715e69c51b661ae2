/* test-qcow2-alloc.c: allocations whose data the caller writes itself
 * (vmm_image_alloc / vmm_image_alloc_commit), as the block engine does on
 * io_uring: what is refused while an allocation is pending, commits in
 * any order, failed writes, tables crossed, and the crash ordering (no L2
 * entry on disk before a flush, nothing but a leak if the writer dies
 * with an allocation in flight).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>

#include "storage-test.h"

#define COPIED (1ull << 63)

typedef struct {
  char     *dir;
  char     *path;
  VmmImage *img;
  int       fd;      /* the image file, for the caller's own data writes */
  uint32_t  cluster;
  uint64_t  size;
  uint8_t  *expect;
} Fixture;

static void
fixture_open (Fixture *f, bool read_only)
{
  g_autoptr(GError) error = NULL;

  f->img = vmm_image_open (f->path, VMM_IMAGE_FORMAT_QCOW2, read_only, &error);
  g_assert_no_error (error);
  f->fd = vmm_image_get_fd (f->img);
}

static void
fixture_setup (Fixture *f, uint32_t cluster, uint64_t size)
{
  g_autoptr(GError) error = NULL;

  f->dir = storage_test_dir ();
  f->path = g_build_filename (f->dir, "disk.qcow2", NULL);
  f->cluster = cluster;
  f->size = size;
  f->expect = g_malloc0 (size);
  g_assert_true (vmm_image_create_qcow2 (f->path, size, cluster, NULL, NULL, &error));
  g_assert_no_error (error);
  fixture_open (f, false);
}

static void
fixture_teardown (Fixture *f)
{
  g_clear_pointer (&f->img, vmm_image_close);
  storage_test_rmdir (f->dir);
  g_free (f->path);
  g_free (f->expect);
}

/* The engine's part: the data goes to the file at the host offset. */
static void
write_data (Fixture *f, const VmmImageAlloc *a, uint8_t seed)
{
  g_autofree uint8_t *buf = g_malloc (a->len);

  for (uint64_t i = 0; i < a->len; i++)
    buf[i] = (uint8_t) (seed + i * 7 + i / 512);
  g_assert_cmpint (pwrite (f->fd, buf, a->len, (off_t) a->host_offset), ==, (ssize_t) a->len);
  memcpy (f->expect + a->offset, buf, a->len);
}

/* One allocation of @len bytes at guest @offset, all in one run, its
 * data written and committed. */
static void
alloc_write_commit (Fixture *f, uint64_t offset, uint64_t len, uint8_t seed)
{
  VmmImageAlloc a;

  g_assert_cmpint (vmm_image_alloc (f->img, offset, len, &a), ==, 1);
  write_data (f, &a, seed);
  g_assert_cmpint (vmm_image_alloc_commit (f->img, &a, 0), ==, 0);
}

/* After a flush the image reads as written and holds neither corruption
 * nor leaks. */
static void
flush_and_check (Fixture *f)
{
  g_assert_cmpint (vmm_image_flush (f->img), ==, 0);
  storage_test_compare (f->img, f->expect, f->size);
  storage_test_assert_clean (f->img);
}

/* The L2 entry for guest @offset as the file holds it (0: none). */
static uint64_t
disk_l2_entry (Fixture *f, uint64_t offset)
{
  unsigned bits = (unsigned) g_bit_nth_msf (f->cluster, -1);
  uint64_t l1_offset = storage_test_get_be64 (f->path, 40);
  uint64_t l1_index = offset >> (bits + bits - 3);
  uint64_t l2 = storage_test_get_be64 (f->path, l1_offset + 8 * l1_index) & 0x00fffffffffffe00ull;
  uint64_t index = (offset >> bits) & ((1ull << (bits - 3)) - 1);

  return l2 == 0 ? 0 : storage_test_get_be64 (f->path, l2 + 8 * index);
}

static void
test_refusals (void)
{
  Fixture f = { 0 };
  VmmImageAlloc a, b;
  uint8_t byte = 1;

  fixture_setup (&f, 4096, 1 << 20);
  /* Out of range. */
  g_assert_cmpint (vmm_image_alloc (f.img, (1 << 20) - 4096, 8192, &a), ==, -EINVAL);
  /* Allocated already: that is vmm_image_map's case. */
  g_assert_cmpint (vmm_image_write (f.img, &byte, 5000, 1), ==, 0);
  g_assert_cmpint (vmm_image_alloc (f.img, 0, 3 * 4096, &a), ==, 0);

  g_assert_cmpint (vmm_image_alloc (f.img, 8 * 4096, 3 * 4096, &a), ==, 1);
  g_assert_cmpuint (a.host_offset % 4096, ==, 0);
  /* Pending: no second allocation of any of its clusters, no write,
   * zeroing or discard that would change what the commit maps. */
  g_assert_cmpint (vmm_image_alloc (f.img, 10 * 4096, 4096, &b), ==, 0);
  g_assert_cmpint (vmm_image_alloc (f.img, 6 * 4096, 3 * 4096, &b), ==, 0);
  g_assert_cmpint (vmm_image_write (f.img, &byte, 9 * 4096 + 17, 1), ==, -EBUSY);
  g_assert_cmpint (vmm_image_write_zeroes (f.img, 10 * 4096, 4096), ==, -EBUSY);
  g_assert_cmpint (vmm_image_discard (f.img, 0, 1 << 20), ==, -EBUSY);
  /* Its neighbours are free. */
  g_assert_cmpint (vmm_image_write (f.img, &byte, 11 * 4096, 1), ==, 0);
  f.expect[5000] = f.expect[11 * 4096] = 1;
  /* Until the commit the range reads as before. */
  write_data (&f, &a, 3);
  {
    g_autofree uint8_t *zeros = g_malloc0 (3 * 4096);
    g_autofree uint8_t *now = g_malloc (3 * 4096);

    g_assert_cmpint (vmm_image_read (f.img, now, 8 * 4096, 3 * 4096), ==, 0);
    g_assert_true (memcmp (now, zeros, 3 * 4096) == 0);
  }
  g_assert_cmpint (vmm_image_alloc_commit (f.img, &a, 0), ==, 0);
  storage_test_compare (f.img, f.expect, f.size);
  g_assert_cmpint (vmm_image_write (f.img, &byte, 9 * 4096 + 17, 1), ==, 0);
  f.expect[9 * 4096 + 17] = 1;
  flush_and_check (&f);
  fixture_teardown (&f);

  /* Raw images and read-only ones never allocate. */
  {
    char *dir = storage_test_dir ();
    g_autofree char *raw = g_build_filename (dir, "disk.raw", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmmImage) img = NULL;

    g_assert_true (vmm_image_create_raw (raw, 65536, &error));
    img = vmm_image_open (raw, VMM_IMAGE_FORMAT_RAW, false, &error);
    g_assert_no_error (error);
    g_assert_cmpint (vmm_image_alloc (img, 0, 4096, &a), ==, 0);
    g_clear_pointer (&img, vmm_image_close);
    storage_test_rmdir (dir);
  }
  fixture_setup (&f, 4096, 65536);
  g_clear_pointer (&f.img, vmm_image_close);
  fixture_open (&f, true);
  g_assert_cmpint (vmm_image_alloc (f.img, 0, 4096, &a), ==, 0);
  fixture_teardown (&f);
}

/* Several in flight, committed in another order than begun; the L2
 * entries reach the file only with the flush, after the data. */
static void
test_commit_order (void)
{
  Fixture f = { 0 };
  VmmImageAlloc a[4];
  uint64_t host;

  fixture_setup (&f, 65536, 8 << 20);
  for (unsigned i = 0; i < 4; i++)
    {
      g_assert_cmpint (vmm_image_alloc (f.img, (uint64_t) i * (1 << 20), 1 << 20, &a[i]), ==, 1);
      for (unsigned k = 0; k < i; k++)
        g_assert_true (a[i].host_offset >= a[k].host_offset + (1 << 20)
                       || a[k].host_offset >= a[i].host_offset + (1 << 20));
      write_data (&f, &a[i], (uint8_t) (i * 40));
    }
  g_assert_cmpint (vmm_image_alloc_commit (f.img, &a[2], 0), ==, 0);
  g_assert_cmpint (vmm_image_alloc_commit (f.img, &a[0], 0), ==, 0);
  g_assert_cmpint (vmm_image_alloc_commit (f.img, &a[3], 0), ==, 0);
  g_assert_cmpint (vmm_image_alloc_commit (f.img, &a[1], 0), ==, 0);
  storage_test_compare (f.img, f.expect, f.size);
  /* Now allocated: a later write of the range goes in place. */
  g_assert_cmpint (vmm_image_map (f.img, 1 << 20, 1 << 20, true, &host), ==, 1);
  g_assert_cmpuint (host, ==, a[1].host_offset);

  g_assert_cmpuint (disk_l2_entry (&f, 0), ==, 0);
  g_assert_cmpint (vmm_image_flush (f.img), ==, 0);
  g_assert_cmpuint (disk_l2_entry (&f, 0), ==, a[0].host_offset | COPIED);
  g_assert_cmpuint (disk_l2_entry (&f, (3 << 20) + 65536), ==, (a[3].host_offset + 65536) | COPIED);
  storage_test_assert_clean (f.img);

  g_clear_pointer (&f.img, vmm_image_close);
  fixture_open (&f, true);
  storage_test_compare (f.img, f.expect, f.size);
  storage_test_assert_clean (f.img);
  fixture_teardown (&f);
}

/* A write that failed maps nothing and gives its clusters back. */
static void
test_failed_write (void)
{
  Fixture f = { 0 };
  VmmImageAlloc a;

  fixture_setup (&f, 4096, 1 << 20);
  g_assert_cmpint (vmm_image_alloc (f.img, 4096, 2 * 4096, &a), ==, 1);
  g_assert_cmpint (vmm_image_alloc_commit (f.img, &a, -EIO), ==, -EIO);
  storage_test_compare (f.img, f.expect, f.size);
  alloc_write_commit (&f, 4096, 2 * 4096, 9);
  flush_and_check (&f);
  fixture_teardown (&f);
}

/* 512-byte clusters: an L2 table covers 32 KiB, so one allocation spans
 * tables (and, at this size, new refcount blocks come and go). The last
 * cluster of a disk whose size is not a multiple of it may be partial. */
static void
test_spans_tables (void)
{
  Fixture f = { 0 };
  VmmImageAlloc a;
  uint64_t size = (4 << 20) + 1536;
  unsigned steps = 0, direct = 0;

  fixture_setup (&f, 512, size);
  g_assert_cmpuint (vmm_image_get_size (f.img), ==, size);
  for (uint64_t off = 0; off + 40 * 512 <= size; off += 40 * 512)
    {
      int r = vmm_image_alloc (f.img, off, 40 * 512, &a);

      /* A refcount block allocated in between splits the run: that one
       * goes the synchronous way. */
      g_assert_cmpint (r, >=, 0);
      steps++;
      if (r == 1)
        {
          direct++;
          write_data (&f, &a, (uint8_t) off);
          g_assert_cmpint (vmm_image_alloc_commit (f.img, &a, 0), ==, 0);
        }
    }
  g_test_message ("%u of %u allocations in one run", direct, steps);
  g_assert_cmpuint (direct, >=, steps * 3 / 4);
  alloc_write_commit (&f, size - 1536, 1536, 77);
  flush_and_check (&f);
  fixture_teardown (&f);

  fixture_setup (&f, 4096, 65536 + 1024);
  alloc_write_commit (&f, 65536, 1024, 78);
  flush_and_check (&f);
  fixture_teardown (&f);
}

/* Clusters written in part: fine where the rest reads as zeros (no
 * backing file, or past its end), refused over a backing file's data,
 * which the synchronous path merges in. */
static void
test_partial (void)
{
  Fixture f = { 0 };
  VmmImageAlloc a;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  uint8_t pattern[4096];

  fixture_setup (&f, 4096, 1 << 20);
  g_assert_cmpint (vmm_image_alloc (f.img, 100, 5000, &a), ==, 1);
  g_assert_cmpuint (a.host_offset % 4096, ==, 100);
  write_data (&f, &a, 1);
  /* The second cluster is pending: a write into its other part waits. */
  g_assert_cmpint (vmm_image_alloc (f.img, 6000, 100, &a), ==, 0);
  g_assert_cmpint (vmm_image_alloc_commit (f.img, &a, 0), ==, 0);
  storage_test_compare (f.img, f.expect, f.size);
  /* Now it is allocated: vmm_image_map's, not an allocation. */
  g_assert_cmpint (vmm_image_alloc (f.img, 6000, 100, &a), ==, 0);
  alloc_write_commit (&f, 3 * 4096 + 512, 512, 2);
  flush_and_check (&f);
  g_clear_pointer (&f.img, vmm_image_close);

  /* An overlay on a 64 KiB raw base. */
  base = g_build_filename (f.dir, "base.raw", NULL);
  memset (pattern, 0xab, sizeof pattern);
  g_assert_true (vmm_image_create_raw (base, 65536, &error));
  for (unsigned i = 0; i < 16; i++)
    storage_test_patch (base, i * 4096, pattern, sizeof pattern);
  g_assert_true (vmm_image_create_qcow2 (f.path, f.size, 4096, "base.raw", "raw", &error));
  g_assert_no_error (error);
  fixture_open (&f, false);
  memset (f.expect, 0, f.size);
  memset (f.expect, 0xab, 65536);
  g_assert_cmpint (vmm_image_alloc (f.img, 8192 + 512, 512, &a), ==, 0);
  alloc_write_commit (&f, 8192, 8192, 3);
  alloc_write_commit (&f, 65536 + 512, 512, 4);
  flush_and_check (&f);
  fixture_teardown (&f);
}

/* The writer dies (here: closes) with an allocation in flight, and after
 * a flush that made earlier data durable: the flushed data is there, the
 * pending range reads as before, the image holds no corruption. */
static void
test_pending_at_close (void)
{
  Fixture f = { 0 };
  VmmImageAlloc b;
  VmmImageCheck res;
  g_autoptr(GError) error = NULL;

  fixture_setup (&f, 65536, 4 << 20);
  alloc_write_commit (&f, 0, 1 << 20, 5);
  g_assert_cmpint (vmm_image_flush (f.img), ==, 0);
  g_assert_cmpint (vmm_image_alloc (f.img, 1 << 20, 1 << 20, &b), ==, 1);
  {
    Fixture lost = f;

    lost.expect = g_malloc0 (f.size);
    write_data (&lost, &b, 6);
    g_free (lost.expect);
  }
  g_clear_pointer (&f.img, vmm_image_close);
  fixture_open (&f, true);
  storage_test_compare (f.img, f.expect, f.size);
  g_assert_true (vmm_image_check (f.img, &res, storage_test_report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (res.corruptions, ==, 0);
  g_assert_cmpuint (res.leaks, ==, 16);
  fixture_teardown (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/qcow2-alloc/refusals", test_refusals);
  g_test_add_func ("/storage/qcow2-alloc/commit-order", test_commit_order);
  g_test_add_func ("/storage/qcow2-alloc/failed-write", test_failed_write);
  g_test_add_func ("/storage/qcow2-alloc/spans-tables", test_spans_tables);
  g_test_add_func ("/storage/qcow2-alloc/partial", test_partial);
  g_test_add_func ("/storage/qcow2-alloc/pending-at-close", test_pending_at_close);
  return g_test_run ();
}
