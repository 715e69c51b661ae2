/* test-qcow2-bad.c: hostile and damaged qcow2 files. Each must give a
 * clear error at open or -EIO for the request that meets the damage;
 * nothing may crash (this runs under ASan and UBSan) or write outside
 * the image.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <sys/stat.h>

#include "storage-test.h"

#define CS 4096ull

typedef struct {
  char *dir;
  char *path;
  uint64_t l1_offset;
  uint64_t l2_offset;   /* of guest cluster 0..511 */
  uint64_t data_offset; /* host cluster of guest cluster 1 */
} Fixture;

/* A 1 MiB image, 4 KiB clusters, guest cluster 1 written with 0x11. */
static void
fixture_init (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  uint8_t data[CS];

  f->dir = storage_test_dir ();
  f->path = g_build_filename (f->dir, "bad.qcow2", NULL);
  g_assert_true (vmm_image_create_qcow2 (f->path, 1 << 20, CS, NULL, NULL, &error));
  {
    g_autoptr(VmmImage) img = vmm_image_open (f->path, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    memset (data, 0x11, sizeof data);
    g_assert_cmpint (vmm_image_write (img, data, CS, CS), ==, 0);
  }
  f->l1_offset = storage_test_get_be64 (f->path, 40);
  f->l2_offset = storage_test_get_be64 (f->path, f->l1_offset) & 0x00fffffffffffe00ull;
  f->data_offset = storage_test_get_be64 (f->path, f->l2_offset + 8) & 0x00fffffffffffe00ull;
  g_assert_cmpuint (f->l2_offset, !=, 0);
  g_assert_cmpuint (f->data_offset, !=, 0);
}

static void
fixture_fini (Fixture *f)
{
  g_free (f->path);
  storage_test_rmdir (f->dir);
}

static uint64_t
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (uint64_t) st.st_size;
}

/* Opening must fail with @code; the message must name the file and
 * contain @needle. Both read-only and read-write. */
static void
assert_open_fails (const char *path, int code, const char *needle)
{
  for (int rw = 0; rw < 2; rw++)
    {
      g_autoptr(GError) error = NULL;
      VmmImage *img = vmm_image_open (path, VMM_IMAGE_FORMAT_QCOW2, rw == 1, &error);

      g_assert_null (img);
      g_assert_error (error, VMM_IMAGE_ERROR, code);
      g_assert_nonnull (strstr (error->message, path));
      if (needle != NULL && strstr (error->message, needle) == NULL)
        g_error ("\"%s\" not in \"%s\"", needle, error->message);
    }
}

typedef struct {
  const char *name;
  uint64_t offset;
  unsigned width;  /* 4 or 8 */
  uint64_t value;
  int code;
  const char *needle;
} HeaderCase;

static const HeaderCase header_cases[] = {
  { "bad-magic", 0, 4, 0x514649fa, VMM_IMAGE_ERROR_INVALID, "no qcow2 header" },
  { "version-1", 4, 4, 1, VMM_IMAGE_ERROR_UNSUPPORTED, "version 1" },
  { "version-4", 4, 4, 4, VMM_IMAGE_ERROR_UNSUPPORTED, "version 4" },
  { "cluster-bits-8", 20, 4, 8, VMM_IMAGE_ERROR_INVALID, "cluster size" },
  { "cluster-bits-22", 20, 4, 22, VMM_IMAGE_ERROR_INVALID, "cluster size" },
  { "cluster-bits-huge", 20, 4, 0xffffffff, VMM_IMAGE_ERROR_INVALID, "cluster size" },
  { "encrypted", 32, 4, 1, VMM_IMAGE_ERROR_UNSUPPORTED, "encrypted" },
  { "huge-l1", 36, 4, 0x10000000, VMM_IMAGE_ERROR_INVALID, "L1 table is too large" },
  { "l1-too-small", 36, 4, 0, VMM_IMAGE_ERROR_INVALID, "too small" },
  { "huge-size", 24, 8, 0xffffffffffffff00ull, VMM_IMAGE_ERROR_INVALID, "too small" },
  { "l1-misaligned", 40, 8, CS * 3 + 8, VMM_IMAGE_ERROR_INVALID, "not cluster-aligned" },
  { "l1-past-eof", 40, 8, CS * 4096, VMM_IMAGE_ERROR_INVALID, "past the end" },
  { "reftable-misaligned", 48, 8, CS + 512, VMM_IMAGE_ERROR_INVALID, "not cluster-aligned" },
  { "reftable-past-eof", 48, 8, 1ull << 40, VMM_IMAGE_ERROR_INVALID, "past the end" },
  { "reftable-empty", 56, 4, 0, VMM_IMAGE_ERROR_INVALID, "refcount table size" },
  { "reftable-huge", 56, 4, 0xffffffff, VMM_IMAGE_ERROR_INVALID, "refcount table size" },
  { "snapshots-misplaced", 60, 4, 1, VMM_IMAGE_ERROR_INVALID, "snapshot table" },
  { "snapshots-too-many", 60, 4, 0x7fffffff, VMM_IMAGE_ERROR_INVALID, "too many snapshots" },
  { "unknown-incompat", 72, 8, 1ull << 10, VMM_IMAGE_ERROR_UNSUPPORTED, "unknown feature bit 10" },
  { "data-file", 72, 8, 1ull << 2, VMM_IMAGE_ERROR_UNSUPPORTED, "external file" },
  { "extended-l2", 72, 8, 1ull << 4, VMM_IMAGE_ERROR_UNSUPPORTED, "feature bit 4" },
  { "refcount-order-7", 96, 4, 7, VMM_IMAGE_ERROR_INVALID, "refcount width" },
  { "header-length-short", 100, 4, 100, VMM_IMAGE_ERROR_INVALID, "header length" },
  { "header-length-huge", 100, 4, 0x100000, VMM_IMAGE_ERROR_INVALID, "header length" },
  { "backing-past-header", 8, 8, CS - 4, VMM_IMAGE_ERROR_INVALID, "backing file name" },
  { "backing-offset-huge", 8, 8, 1ull << 62, VMM_IMAGE_ERROR_INVALID, "backing file name" },
};

static void
test_header (gconstpointer data)
{
  const HeaderCase *c = data;
  Fixture f;

  fixture_init (&f);
  if (g_str_has_prefix (c->name, "backing"))
    storage_test_put_be32 (f.path, 16, 100);
  if (g_str_equal (c->name, "snapshots-misplaced"))
    storage_test_put_be64 (f.path, 64, CS * 1000 + 8);
  if (c->width == 4)
    storage_test_put_be32 (f.path, c->offset, (uint32_t) c->value);
  else
    storage_test_put_be64 (f.path, c->offset, c->value);
  assert_open_fails (f.path, c->code, c->needle);
  fixture_fini (&f);
}

static void
test_truncated (void)
{
  Fixture f;

  fixture_init (&f);
  g_assert_cmpint (truncate (f.path, 50), ==, 0);
  assert_open_fails (f.path, VMM_IMAGE_ERROR_INVALID, "no qcow2 header");
  g_assert_cmpint (truncate (f.path, 0), ==, 0);
  assert_open_fails (f.path, VMM_IMAGE_ERROR_INVALID, NULL);
  fixture_fini (&f);

  /* Cut after the header: the tables are gone. */
  fixture_init (&f);
  g_assert_cmpint (truncate (f.path, CS + 100), ==, 0);
  assert_open_fails (f.path, VMM_IMAGE_ERROR_INVALID, "past the end");
  fixture_fini (&f);
}

static void
test_feature_table (void)
{
  Fixture f;
  uint8_t ext[8 + 48] = { 0 };

  fixture_init (&f);
  /* A feature name table naming incompatible bit 9. */
  ext[0] = 0x68, ext[1] = 0x03, ext[2] = 0xf8, ext[3] = 0x57;
  ext[7] = 48;
  ext[8] = 0;
  ext[9] = 9;
  memcpy (ext + 10, "frobnicated clusters", 20);
  storage_test_patch (f.path, 112, ext, sizeof ext);
  storage_test_put_be64 (f.path, 72, 1ull << 9);
  assert_open_fails (f.path, VMM_IMAGE_ERROR_UNSUPPORTED, "frobnicated clusters");
  /* An extension longer than the cluster it sits in. */
  storage_test_put_be64 (f.path, 72, 0);
  storage_test_put_be32 (f.path, 116, 0x7fffffff);
  assert_open_fails (f.path, VMM_IMAGE_ERROR_INVALID, "header extension");
  fixture_fini (&f);
}

static void
test_dirty (void)
{
  Fixture f;

  for (int bit = 0; bit < 2; bit++)
    {
      g_autoptr(GError) error = NULL;
      VmmImage *img;

      fixture_init (&f);
      storage_test_put_be64 (f.path, 72, 1ull << bit);
      /* Reading needs no refcounts: allowed. */
      img = vmm_image_open (f.path, VMM_IMAGE_FORMAT_AUTO, true, &error);
      g_assert_no_error (error);
      vmm_image_close (img);
      img = vmm_image_open (f.path, VMM_IMAGE_FORMAT_AUTO, false, &error);
      g_assert_null (img);
      g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_UNSUPPORTED);
      g_assert_nonnull (strstr (error->message, "qemu-img check -r all"));
      fixture_fini (&f);
    }
}

/* The image opens, but a request that meets the damage gets -EIO, and a
 * write must not change the file outside what it may own. */
static void
assert_request_eio (const char *path, uint64_t guest)
{
  g_autoptr(GError) error = NULL;
  uint8_t buf[CS];
  uint64_t before = file_size (path);

  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    g_assert_cmpint (vmm_image_read (img, buf, guest, 512), ==, -EIO);
    memset (buf, 0x77, sizeof buf);
    g_assert_cmpint (vmm_image_write (img, buf, guest, 512), ==, -EIO);
  }
  /* At most a leaked cluster or two from an allocation that was dropped. */
  g_assert_cmpuint (file_size (path), <=, before + 2 * CS);
}

static void
test_l2_past_eof (void)
{
  Fixture f;

  fixture_init (&f);
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 63) | (CS * 100000));
  assert_request_eio (f.path, CS);
  fixture_fini (&f);
}

static void
test_l2_into_metadata (void)
{
  Fixture f;
  uint8_t before[CS], after[CS];

  fixture_init (&f);
  storage_test_read (f.path, f.l1_offset, before, sizeof before);
  /* Guest cluster 1 "is" the L1 table: a write there would redirect
   * every later access. */
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 63) | f.l1_offset);
  storage_test_read (f.path, f.l1_offset, before, sizeof before);
  assert_request_eio (f.path, CS);
  storage_test_read (f.path, f.l1_offset, after, sizeof after);
  g_assert_true (memcmp (before, after, sizeof before) == 0);
  /* ... or the header, or the refcount table. */
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 63) | storage_test_get_be64 (f.path, 48));
  assert_request_eio (f.path, CS);
  fixture_fini (&f);
}

static void
test_l2_misaligned (void)
{
  Fixture f;

  fixture_init (&f);
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 63) | (f.data_offset + 512));
  assert_request_eio (f.path, CS);
  /* Reserved bits set in a standard descriptor. */
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 63) | f.data_offset | 0x2);
  assert_request_eio (f.path, CS);
  fixture_fini (&f);
}

static void
test_l1_bad (void)
{
  Fixture f;

  fixture_init (&f);
  storage_test_put_be64 (f.path, f.l1_offset, (1ull << 63) | (CS * 100000));
  assert_request_eio (f.path, CS);
  storage_test_put_be64 (f.path, f.l1_offset, (1ull << 63) | (f.l2_offset + 512));
  assert_request_eio (f.path, CS);
  fixture_fini (&f);
}

static void
test_compressed_bad (void)
{
  const unsigned x = 62 - (12 - 8);
  Fixture f;
  uint64_t eof;

  fixture_init (&f);
  eof = file_size (f.path);
  /* Data past the end of the file. */
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 62) | (3ull << x) | (eof + 1000));
  assert_request_eio (f.path, CS);
  /* Inside the header cluster. */
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 62) | (3ull << x) | 100);
  assert_request_eio (f.path, CS);
  /* Plausible range, but the bytes there are not deflate data. */
  storage_test_put_be64 (f.path, f.l2_offset + 8, (1ull << 62) | (1ull << x) | f.data_offset);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VmmImage) img = vmm_image_open (f.path, VMM_IMAGE_FORMAT_AUTO, true, &error);
    uint8_t buf[512];

    g_assert_no_error (error);
    g_assert_cmpint (vmm_image_read (img, buf, CS, sizeof buf), ==, -EIO);
  }
  fixture_fini (&f);
}

static void
test_refcount_block_bad (void)
{
  Fixture f;
  uint64_t rt;

  fixture_init (&f);
  rt = storage_test_get_be64 (f.path, 48);
  storage_test_put_be64 (f.path, rt, CS * 100000);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VmmImage) img = vmm_image_open (f.path, VMM_IMAGE_FORMAT_AUTO, false, &error);
    uint8_t buf[512] = { 1 };
    VmmImageCheck res;

    g_assert_no_error (error);
    /* Reading needs no refcounts; allocating does. */
    g_assert_cmpint (vmm_image_read (img, buf, CS, sizeof buf), ==, 0);
    g_assert_cmpuint (buf[0], ==, 0x11);
    g_assert_cmpint (vmm_image_write (img, buf, 200 * CS, sizeof buf), ==, -EIO);
    g_assert_true (vmm_image_check (img, &res, NULL, NULL, &error));
    g_assert_cmpuint (res.corruptions, >, 0);
  }
  fixture_fini (&f);
}

static void
test_backing_loop (void)
{
  char *dir = storage_test_dir ();
  g_autofree char *a = g_build_filename (dir, "a.qcow2", NULL);
  g_autofree char *b = g_build_filename (dir, "b.qcow2", NULL);
  g_autofree char *self = g_build_filename (dir, "self.qcow2", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (vmm_image_create_qcow2 (b, 1 << 20, 0, NULL, NULL, &error));
  g_assert_true (vmm_image_create_qcow2 (a, 1 << 20, 0, "b.qcow2", NULL, &error));
  /* Make b point back at a: same name length, so patch it in place. */
  g_assert_true (vmm_image_create_qcow2 (self, 1 << 20, 0, "b.qcow2", NULL, &error));
  {
    g_autofree char *hdr = NULL;
    gsize len;
    uint64_t name;

    g_assert_true (g_file_get_contents (self, &hdr, &len, NULL));
    name = storage_test_get_be64 (self, 8);
    g_assert_cmpuint (name, >, 0);
    /* b.qcow2 gets self's header with the name changed to a.qcow2. */
    memcpy (hdr + name, "a.qcow2", 7);
    g_assert_true (g_file_set_contents (b, hdr, (gssize) len, NULL));
    /* And self names itself. */
    storage_test_patch (self, name, "self.qcow2", 10);
    storage_test_put_be32 (self, 16, 10);
  }
  assert_open_fails (a, VMM_IMAGE_ERROR_INVALID, "loops");
  assert_open_fails (self, VMM_IMAGE_ERROR_INVALID, "loops");
  storage_test_rmdir (dir);
}

static void
test_backing_too_deep (void)
{
  char *dir = storage_test_dir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *top = NULL;

  g_autofree char *base = g_build_filename (dir, "l0", NULL);

  g_assert_true (vmm_image_create_raw (base, 1 << 20, &error));
  for (int i = 1; i <= 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("l%d", i);
      g_autofree char *below = g_strdup_printf ("l%d", i - 1);

      g_free (top);
      top = g_build_filename (dir, name, NULL);
      /* Creating probes the backing: deep chains fail there first. */
      if (!vmm_image_create_qcow2 (top, 0, 0, below, i == 1 ? "raw" : "qcow2", &error))
        break;
    }
  g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "longer than"));
  storage_test_rmdir (dir);
}

static void
test_missing_backing (void)
{
  Fixture f;
  g_autofree char *top = NULL;
  g_autoptr(GError) error = NULL;

  fixture_init (&f);
  top = g_build_filename (f.dir, "top.qcow2", NULL);
  g_assert_true (vmm_image_create_qcow2 (top, 0, 0, "bad.qcow2", NULL, &error));
  g_unlink (f.path);
  assert_open_fails (top, VMM_IMAGE_ERROR_FAILED, "bad.qcow2");
  fixture_fini (&f);
}

/* Random damage to the metadata clusters: whatever happens, no crash, and
 * a write that succeeds reads back. */
static void
test_random_damage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  Fixture f;
  g_autofree char *pristine = NULL;
  gsize len;

  fixture_init (&f);
  g_assert_true (g_file_get_contents (f.path, &pristine, &len, NULL));
  for (int iter = 0; iter < 300; iter++)
    {
      g_autofree char *copy = g_memdup2 (pristine, len);
      int flips = g_rand_int_range (rand, 1, 6);

      for (int i = 0; i < flips; i++)
        {
          /* Aim at the header and the tables, the interesting bytes. */
          gsize at = g_rand_boolean (rand) ? (gsize) g_rand_int_range (rand, 0, 120)
                                           : (gsize) g_rand_int_range (rand, 0, (gint32) len);

          copy[at] ^= (char) (1u << g_rand_int_range (rand, 0, 8));
        }
      g_assert_true (g_file_set_contents (f.path, copy, (gssize) len, NULL));
      for (int rw = 0; rw < 2; rw++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(VmmImage) img = vmm_image_open (f.path, VMM_IMAGE_FORMAT_QCOW2, rw == 0, &error);
          uint8_t buf[8192], back[8192];
          VmmImageCheck res;
          uint64_t size;

          if (img == NULL)
            {
              g_assert_nonnull (error);
              continue;
            }
          size = vmm_image_get_size (img);
          for (uint64_t off = 0; off < MIN (size, 1 << 16); off += sizeof buf)
            (void) vmm_image_read (img, buf, off, (size_t) MIN (sizeof buf, size - off));
          if (rw == 1 && size >= sizeof buf)
            {
              memset (buf, iter, sizeof buf);
              if (vmm_image_write (img, buf, 3000, sizeof buf - 3000) == 0)
                {
                  g_assert_cmpint (vmm_image_read (img, back, 3000, sizeof buf - 3000), ==, 0);
                  g_assert_true (memcmp (buf, back, sizeof buf - 3000) == 0);
                }
            }
          (void) vmm_image_check (img, &res, NULL, NULL, NULL);
        }
    }
  fixture_fini (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (header_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/storage/qcow2-bad/header/%s", header_cases[i].name);

      g_test_add_data_func (name, &header_cases[i], test_header);
    }
  g_test_add_func ("/storage/qcow2-bad/truncated", test_truncated);
  g_test_add_func ("/storage/qcow2-bad/feature-table", test_feature_table);
  g_test_add_func ("/storage/qcow2-bad/dirty", test_dirty);
  g_test_add_func ("/storage/qcow2-bad/l2-past-eof", test_l2_past_eof);
  g_test_add_func ("/storage/qcow2-bad/l2-into-metadata", test_l2_into_metadata);
  g_test_add_func ("/storage/qcow2-bad/l2-misaligned", test_l2_misaligned);
  g_test_add_func ("/storage/qcow2-bad/l1-bad", test_l1_bad);
  g_test_add_func ("/storage/qcow2-bad/compressed", test_compressed_bad);
  g_test_add_func ("/storage/qcow2-bad/refcount-block", test_refcount_block_bad);
  g_test_add_func ("/storage/qcow2-bad/backing-loop", test_backing_loop);
  g_test_add_func ("/storage/qcow2-bad/backing-too-deep", test_backing_too_deep);
  g_test_add_func ("/storage/qcow2-bad/missing-backing", test_missing_backing);
  g_test_add_func ("/storage/qcow2-bad/random-damage", test_random_damage);
  return g_test_run ();
}
