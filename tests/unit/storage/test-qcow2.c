/* test-qcow2.c: qcow2 reads and writes against a reference buffer, for
 * every cluster size and both versions; backing chains; zeroing; refcount
 * table growth; compressed clusters. After each run the image must pass
 * vmm_image_check with neither corruptions nor leaks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <zlib.h>

#include "storage-test.h"

/* Random writes (and some zeroing) mirrored into @expect. */
static void
random_io (VmmImage *img, GRand *rand, uint8_t *expect, uint64_t size, int rounds, size_t max_len)
{
  g_autofree uint8_t *buf = g_malloc (max_len);

  for (int i = 0; i < rounds; i++)
    {
      uint64_t off = g_rand_int_range (rand, 0, (gint32) (size - 1));
      size_t len = g_rand_int_range (rand, 1, (gint32) max_len);

      if (off + len > size)
        len = size - off;
      /* Mostly sector-shaped, as the guest device sends them. */
      if (g_rand_boolean (rand))
        {
          off &= ~511ull;
          len = MAX (512, len & ~511ul);
          if (off + len > size)
            len = size - off;
        }
      if (g_rand_int_range (rand, 0, 8) == 0)
        {
          g_assert_cmpint (vmm_image_write_zeroes (img, off, len), ==, 0);
          memset (expect + off, 0, len);
          continue;
        }
      storage_test_fill (rand, buf, len);
      memcpy (expect + off, buf, len);
      g_assert_cmpint (vmm_image_write (img, buf, off, len), ==, 0);
    }
}

static void
make_v2 (const char *path)
{
  /* A fresh image without a backing file is a valid version 2 image once
   * the version says so: bytes 72.. (the v3 fields) start with zero, which
   * a v2 reader takes as the end of the header extensions. */
  storage_test_put_be32 (path, 4, 2);
}

static void
roundtrip (uint32_t cluster, uint64_t size, bool v2, int rounds, size_t max_len)
{
  char *dir = storage_test_dir ();
  g_autofree char *path = g_build_filename (dir, "disk.qcow2", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (cluster + size + v2);
  g_autofree uint8_t *expect = g_malloc0 (size);

  g_assert_true (vmm_image_create_qcow2 (path, size, cluster, NULL, NULL, &error));
  g_assert_no_error (error);
  if (v2)
    make_v2 (path);
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);
    VmmImageInfo info;

    g_assert_no_error (error);
    vmm_image_get_info (img, &info);
    g_assert_cmpuint (info.cluster_size, ==, cluster);
    g_assert_cmpuint (info.version, ==, v2 ? 2 : 3);
    storage_test_compare (img, expect, size);
    random_io (img, rand, expect, size, rounds, max_len);
    g_assert_cmpint (vmm_image_flush (img), ==, 0);
    storage_test_compare (img, expect, size);
    storage_test_assert_clean (img);
  }
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_QCOW2, true, &error);

    g_assert_no_error (error);
    storage_test_compare (img, expect, size);
    storage_test_assert_clean (img);
  }
  storage_test_rmdir (dir);
}

static void
test_cluster_512 (void)
{
  roundtrip (512, 3 << 20, false, 300, 4000);
}

static void
test_cluster_4k (void)
{
  roundtrip (4096, 8 << 20, false, 300, 20000);
}

static void
test_cluster_64k (void)
{
  roundtrip (65536, 16 << 20, false, 200, 200000);
}

static void
test_cluster_2m (void)
{
  roundtrip (2 << 20, 24 << 20, false, 60, 3 << 20);
}

static void
test_v2 (void)
{
  roundtrip (4096, 4 << 20, true, 300, 20000);
}

static void
test_odd_size (void)
{
  /* The last cluster is partial: writes there must not spill. */
  roundtrip (4096, (1 << 20) + 1536, false, 200, 9000);
}

static void
backing_chain (bool v2)
{
  char *dir = storage_test_dir ();
  g_autofree char *base = g_build_filename (dir, "base.raw", NULL);
  g_autofree char *mid = g_build_filename (dir, "mid.qcow2", NULL);
  g_autofree char *top = g_build_filename (dir, "top.qcow2", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  const uint64_t size = 4 << 20;
  g_autofree uint8_t *expect = g_malloc0 (size);

  g_assert_true (vmm_image_create_raw (base, size - 4096, &error));
  {
    g_autoptr(VmmImage) b = vmm_image_open (base, VMM_IMAGE_FORMAT_RAW, false, &error);

    g_assert_no_error (error);
    random_io (b, rand, expect, size - 4096, 100, 50000);
  }
  /* Relative names, resolved against the overlay's directory; the middle
   * layer records the backing format, the top one lets it be probed. */
  g_assert_true (vmm_image_create_qcow2 (mid, 0, 4096, "base.raw", "raw", &error));
  g_assert_no_error (error);
  {
    g_autoptr(VmmImage) m = vmm_image_open (mid, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (vmm_image_get_size (m), ==, size - 4096);
    storage_test_compare (m, expect, size - 4096);
    random_io (m, rand, expect, size - 4096, 100, 30000);
    storage_test_compare (m, expect, size - 4096);
    storage_test_assert_clean (m);
  }
  /* The top layer is larger than its backing: the tail reads as zeros. */
  g_assert_true (vmm_image_create_qcow2 (top, size, 65536, "mid.qcow2", NULL, &error));
  g_assert_no_error (error);
  if (v2)
    storage_test_put_be32 (top, 4, 2);
  {
    g_autoptr(VmmImage) t = vmm_image_open (top, VMM_IMAGE_FORMAT_AUTO, false, &error);
    VmmImageInfo info;
    unsigned depth = 0;

    g_assert_no_error (error);
    vmm_image_get_info (t, &info);
    g_assert_cmpstr (info.backing_file, ==, "mid.qcow2");
    for (VmmImage *b = vmm_image_get_backing (t); b; b = vmm_image_get_backing (b))
      depth++;
    g_assert_cmpuint (depth, ==, 2);
    storage_test_compare (t, expect, size);
    random_io (t, rand, expect, size, 150, 100000);
    /* Zeroing whole clusters must hide the backing data. */
    g_assert_cmpint (vmm_image_write_zeroes (t, 65536, 3 * 65536), ==, 0);
    memset (expect + 65536, 0, 3 * 65536);
    g_assert_cmpint (vmm_image_discard (t, 8 * 65536, 65536), ==, 0);
    memset (expect + 8 * 65536, 0, 65536);
    storage_test_compare (t, expect, size);
    storage_test_assert_clean (t);
  }
  {
    g_autoptr(VmmImage) t = vmm_image_open (top, VMM_IMAGE_FORMAT_AUTO, true, &error);

    g_assert_no_error (error);
    storage_test_compare (t, expect, size);
  }
  storage_test_rmdir (dir);
}

static void
test_backing_v3 (void)
{
  backing_chain (false);
}

static void
test_backing_v2 (void)
{
  backing_chain (true);
}

/* Shrinks the refcount table of a fresh 512-byte-cluster image to one
 * cluster (64 blocks of 256 clusters: 8 MiB), so that writing more makes
 * it grow, the path images made by qemu-img take almost at once. */
static void
test_refcount_growth (void)
{
  char *dir = storage_test_dir ();
  g_autofree char *path = g_build_filename (dir, "grow.qcow2", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  const uint64_t size = 24 << 20;
  g_autofree uint8_t *expect = g_malloc0 (size);
  g_autofree uint8_t *chunk = g_malloc (1 << 20);
  uint64_t rt_clusters, block;
  uint8_t zeros[512] = { 0 };

  g_assert_true (vmm_image_create_qcow2 (path, size, 512, NULL, NULL, &error));
  rt_clusters = storage_test_get_be64 (path, 56) >> 32;
  g_assert_cmpuint (rt_clusters, >, 1);
  block = storage_test_get_be64 (path, 512);
  g_assert_cmpuint (block, ==, (1 + rt_clusters) * 512);
  storage_test_put_be32 (path, 56, 1);
  /* Clusters 2.. of the old table are no longer used: uncount them. */
  storage_test_patch (path, block + 2 * 2, zeros, (rt_clusters - 1) * 2);
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    storage_test_assert_clean (img);
    for (uint64_t off = 0; off < size; off += 1 << 20)
      {
        storage_test_fill (rand, chunk, 1 << 20);
        memcpy (expect + off, chunk, 1 << 20);
        g_assert_cmpint (vmm_image_write (img, chunk, off, 1 << 20), ==, 0);
      }
    storage_test_compare (img, expect, size);
    storage_test_assert_clean (img);
  }
  g_assert_cmpuint (storage_test_get_be64 (path, 56) >> 32, >, 1);
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &error);

    g_assert_no_error (error);
    storage_test_compare (img, expect, size);
    storage_test_assert_clean (img);
  }
  storage_test_rmdir (dir);
}

/* Compresses one cluster the way QEMU does (raw deflate, 4 KiB window). */
static size_t
deflate_cluster (const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
  z_stream z = { 0 };

  g_assert_cmpint (deflateInit2 (&z, 6, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY), ==, Z_OK);
  z.next_in = (Bytef *) in;
  z.avail_in = (uInt) len;
  z.next_out = out;
  z.avail_out = (uInt) out_len;
  g_assert_cmpint (deflate (&z, Z_FINISH), ==, Z_STREAM_END);
  deflateEnd (&z);
  return out_len - z.avail_out;
}

/* Puts a compressed copy of @data as guest cluster 0, counted in the
 * refcounts like QEMU does, and returns the L2 entry's file offset. */
uint64_t storage_test_make_compressed (const char *path, const uint8_t *data, uint64_t *entry);

uint64_t
storage_test_make_compressed (const char *path, const uint8_t *data, uint64_t *entry)
{
  const uint64_t cs = 4096;
  g_autoptr(GError) error = NULL;
  uint8_t z[2 * 4096];
  size_t zlen = deflate_cluster (data, cs, z, sizeof z);
  uint64_t l1_offset, l2, host, sectors;
  uint8_t one = 1;

  {
    /* Writing cluster 1 allocates the L2 table and leaves cluster 0 free. */
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);
    uint8_t b = 0x5a;

    g_assert_no_error (error);
    g_assert_cmpint (vmm_image_write (img, &b, cs, 1), ==, 0);
  }
  l1_offset = storage_test_get_be64 (path, 40);
  l2 = storage_test_get_be64 (path, l1_offset) & 0x00fffffffffffe00ull;
  g_assert_cmpuint (l2, !=, 0);
  /* A new cluster at the end, starting 100 bytes in: offsets need no
   * alignment. Its refcount lives in the first block (cluster < 2048). */
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (path, &st), ==, 0);
    host = (uint64_t) st.st_size + 100;
  }
  g_assert_cmpuint (host / cs, <, 2048);
  storage_test_patch (path, host, z, zlen);
  {
    uint64_t rt = storage_test_get_be64 (path, 48);
    uint64_t block = storage_test_get_be64 (path, rt);

    storage_test_patch (path, block + (host / cs) * 2 + 1, &one, 1);
    if ((host + zlen - 1) / cs != host / cs)
      storage_test_patch (path, block + (host / cs + 1) * 2 + 1, &one, 1);
  }
  sectors = (host + zlen - 1) / 512 - host / 512;
  *entry = (1ull << 62) | (sectors << (62 - 4)) | host;
  storage_test_put_be64 (path, l2, *entry);
  return l2;
}

static void
test_compressed (void)
{
  char *dir = storage_test_dir ();
  g_autofree char *path = g_build_filename (dir, "z.qcow2", NULL);
  g_autoptr(GError) error = NULL;
  uint8_t data[4096], buf[4096];
  uint64_t entry;

  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t) (i / 7);
  g_assert_true (vmm_image_create_qcow2 (path, 1 << 20, 4096, NULL, NULL, &error));
  storage_test_make_compressed (path, data, &entry);
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    storage_test_assert_clean (img);
    /* Sector by sector, as a guest reads it. */
    for (size_t off = 0; off < sizeof buf; off += 512)
      g_assert_cmpint (vmm_image_read (img, buf + off, off, 512), ==, 0);
    g_assert_true (memcmp (buf, data, sizeof data) == 0);
    /* Writing into it moves it to a plain cluster and frees the old one. */
    data[100] ^= 0xff;
    g_assert_cmpint (vmm_image_write (img, data + 100, 100, 1), ==, 0);
    g_assert_cmpint (vmm_image_read (img, buf, 0, sizeof buf), ==, 0);
    g_assert_true (memcmp (buf, data, sizeof data) == 0);
    storage_test_assert_clean (img);
  }
  storage_test_rmdir (dir);
}

static uint64_t
qcow2_test_align (uint64_t v, uint64_t a)
{
  return (v + a - 1) / a * a;
}

/* Adds one to a 16-bit refcount in the block at @block. */
static void
bump_refcount (const char *path, uint64_t block, uint64_t cluster)
{
  uint8_t b[2];
  unsigned v;

  g_assert_cmpuint (cluster, <, 2048);
  storage_test_read (path, block + cluster * 2, b, 2);
  v = (unsigned) ((b[0] << 8) | b[1]) + 1;
  b[0] = (uint8_t) (v >> 8);
  b[1] = (uint8_t) v;
  storage_test_patch (path, block + cluster * 2, b, 2);
}

/* Takes an internal snapshot the way qemu-img snapshot -c does, by hand:
 * a copy of the active L1 table, every L2 table and data cluster counted
 * once more, COPIED flags cleared, and a one-entry snapshot table. The
 * image has 4 KiB clusters, so all its refcounts are in the first block. */
static uint64_t
take_snapshot (const char *path)
{
  const uint64_t cs = 4096;
  uint64_t l1_offset = storage_test_get_be64 (path, 40);
  uint32_t l1_size = (uint32_t) (storage_test_get_be64 (path, 36) >> 32);
  uint64_t block = storage_test_get_be64 (path, storage_test_get_be64 (path, 48));
  uint64_t end;
  uint8_t entry[48] = { 0 };
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  end = qcow2_test_align ((uint64_t) st.st_size, cs);
  g_assert_cmpuint (l1_size * 8, <=, cs);
  for (uint32_t i = 0; i < l1_size; i++)
    {
      uint64_t l1e = storage_test_get_be64 (path, l1_offset + i * 8);
      uint64_t l2 = l1e & 0x00fffffffffffe00ull;

      if (l2 == 0)
        continue;
      bump_refcount (path, block, l2 / cs);
      storage_test_put_be64 (path, l1_offset + i * 8, l2);
      for (uint64_t j = 0; j < cs / 8; j++)
        {
          uint64_t e = storage_test_get_be64 (path, l2 + j * 8);

          if ((e & 0x00fffffffffffe00ull) == 0)
            continue;
          bump_refcount (path, block, (e & 0x00fffffffffffe00ull) / cs);
          storage_test_put_be64 (path, l2 + j * 8, e & ~(1ull << 63));
        }
    }
  /* The snapshot's L1 table (a copy, flags now clear) and its table. */
  {
    g_autofree uint8_t *l1 = g_malloc0 (cs);

    storage_test_read (path, l1_offset, l1, l1_size * 8);
    storage_test_patch (path, end, l1, cs);
  }
  bump_refcount (path, block, end / cs);
  storage_test_put_be64 (path, end + cs, end);
  storage_test_put_be32 (path, end + cs + 8, l1_size);
  entry[13] = 1; /* id_str_size */
  entry[15] = 1; /* name_size */
  storage_test_patch (path, end + cs + 16, entry, 24);
  storage_test_patch (path, end + cs + 40, "1s", 2);
  {
    g_autofree uint8_t *pad = g_malloc0 (cs - 42);

    storage_test_patch (path, end + cs + 42, pad, cs - 42);
  }
  bump_refcount (path, block, end / cs + 1);
  storage_test_put_be32 (path, 60, 1);
  storage_test_put_be64 (path, 64, end + cs);
  return end;
}

static void
test_snapshot_cow (void)
{
  char *dir = storage_test_dir ();
  g_autofree char *path = g_build_filename (dir, "snap.qcow2", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  const uint64_t size = 4 << 20;
  g_autofree uint8_t *expect = g_malloc0 (size);
  g_autofree uint8_t *snap = NULL;
  uint64_t snap_l1, active_l1;

  g_assert_true (vmm_image_create_qcow2 (path, size, 4096, NULL, NULL, &error));
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    random_io (img, rand, expect, size, 60, 40000);
  }
  snap = g_memdup2 (expect, size);
  snap_l1 = take_snapshot (path);
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);
    VmmImageInfo info;

    g_assert_no_error (error);
    vmm_image_get_info (img, &info);
    g_assert_cmpuint (info.nb_snapshots, ==, 1);
    storage_test_assert_clean (img);
    storage_test_compare (img, expect, size);
    /* Writes copy the shared L2 tables and clusters. */
    random_io (img, rand, expect, size, 100, 40000);
    g_assert_cmpint (vmm_image_flush (img), ==, 0);
    storage_test_compare (img, expect, size);
    storage_test_assert_clean (img);
  }
  /* The snapshot still holds the old contents: look through its L1. */
  active_l1 = storage_test_get_be64 (path, 40);
  storage_test_put_be64 (path, 40, snap_l1);
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &error);

    g_assert_no_error (error);
    storage_test_compare (img, snap, size);
  }
  storage_test_put_be64 (path, 40, active_l1);
  storage_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/qcow2/cluster-512", test_cluster_512);
  g_test_add_func ("/storage/qcow2/cluster-4k", test_cluster_4k);
  g_test_add_func ("/storage/qcow2/cluster-64k", test_cluster_64k);
  g_test_add_func ("/storage/qcow2/cluster-2m", test_cluster_2m);
  g_test_add_func ("/storage/qcow2/v2", test_v2);
  g_test_add_func ("/storage/qcow2/odd-size", test_odd_size);
  g_test_add_func ("/storage/qcow2/backing-v3", test_backing_v3);
  g_test_add_func ("/storage/qcow2/backing-v2", test_backing_v2);
  g_test_add_func ("/storage/qcow2/refcount-growth", test_refcount_growth);
  g_test_add_func ("/storage/qcow2/compressed", test_compressed);
  g_test_add_func ("/storage/qcow2/snapshot-cow", test_snapshot_cow);
  return g_test_run ();
}
