/* test-image.c: the image layer itself: raw images, unaligned requests,
 * format probing and the OFD lock.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "storage-test.h"

static void
test_raw_rw (void)
{
  char *dir = storage_test_dir ();
  g_autofree char *path = g_build_filename (dir, "disk.raw", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  const uint64_t size = 1 << 20;
  g_autofree uint8_t *expect = g_malloc0 (size);
  uint8_t buf[3000];

  g_assert_true (vmm_image_create_raw (path, size, &error));
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (vmm_image_get_size (img), ==, size);
    for (int i = 0; i < 200; i++)
      {
        uint64_t off = g_rand_int_range (rand, 0, size - sizeof buf);
        size_t len = g_rand_int_range (rand, 1, sizeof buf);

        storage_test_fill (rand, buf, len);
        memcpy (expect + off, buf, len);
        g_assert_cmpint (vmm_image_write (img, buf, off, len), ==, 0);
      }
    g_assert_cmpint (vmm_image_write_zeroes (img, 1000, 5000), ==, 0);
    memset (expect + 1000, 0, 5000);
    g_assert_cmpint (vmm_image_flush (img), ==, 0);
    storage_test_compare (img, expect, size);
    /* Past the end is refused, not clipped or extended. */
    g_assert_cmpint (vmm_image_read (img, buf, size - 10, 11), ==, -EINVAL);
    g_assert_cmpint (vmm_image_write (img, buf, size, 1), ==, -EINVAL);
    g_assert_cmpint (vmm_image_read (img, buf, G_MAXUINT64, 2), ==, -EINVAL);
  }
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_RAW, true, &error);

    g_assert_no_error (error);
    storage_test_compare (img, expect, size);
    g_assert_cmpint (vmm_image_write (img, buf, 0, 1), ==, -EROFS);
  }
  storage_test_rmdir (dir);
}

static void
test_missing (void)
{
  g_autoptr(GError) error = NULL;
  VmmImage *img = vmm_image_open ("/nonexistent/vireo.qcow2", VMM_IMAGE_FORMAT_AUTO, true, &error);

  g_assert_null (img);
  g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent/vireo.qcow2"));
}

static void
test_probe (void)
{
  char *dir = storage_test_dir ();
  g_autofree char *q = g_build_filename (dir, "a.qcow2", NULL);
  g_autofree char *r = g_build_filename (dir, "a.img", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (vmm_image_create_qcow2 (q, 1 << 20, 0, NULL, NULL, &error));
  g_assert_true (vmm_image_create_raw (r, 1 << 20, &error));
  {
    g_autoptr(VmmImage) a = vmm_image_open (q, VMM_IMAGE_FORMAT_AUTO, true, &error);
    g_autoptr(VmmImage) b = vmm_image_open (r, VMM_IMAGE_FORMAT_AUTO, true, &error);
    /* An explicit format is used as given, never probed. */
    g_autoptr(VmmImage) c = vmm_image_open (q, VMM_IMAGE_FORMAT_RAW, true, &error);
    VmmImageInfo info;

    g_assert_no_error (error);
    vmm_image_get_info (a, &info);
    g_assert_cmpint (info.format, ==, VMM_IMAGE_FORMAT_QCOW2);
    g_assert_cmpuint (info.virtual_size, ==, 1 << 20);
    g_assert_cmpuint (info.cluster_size, ==, 65536);
    vmm_image_get_info (b, &info);
    g_assert_cmpint (info.format, ==, VMM_IMAGE_FORMAT_RAW);
    vmm_image_get_info (c, &info);
    g_assert_cmpint (info.format, ==, VMM_IMAGE_FORMAT_RAW);
    g_assert_cmpuint (info.virtual_size, !=, 1 << 20);
  }
  {
    g_autoptr(VmmImage) bad = vmm_image_open (r, VMM_IMAGE_FORMAT_QCOW2, true, &error);

    g_assert_null (bad);
    g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID);
  }
  storage_test_rmdir (dir);
}

static void
test_lock (void)
{
  char *dir = storage_test_dir ();
  g_autofree char *path = g_build_filename (dir, "locked.qcow2", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (vmm_image_create_qcow2 (path, 1 << 20, 4096, NULL, NULL, &error));
  {
    g_autoptr(VmmImage) writer = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);
    VmmImage *second;

    g_assert_no_error (error);
    g_assert_nonnull (writer);
    second = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);
    g_assert_null (second);
    g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_LOCKED);
    g_assert_nonnull (strstr (error->message, "is in use by another program"));
    g_clear_error (&error);
    /* Nor may it be overwritten by a new image. */
    g_assert_false (vmm_image_create_qcow2 (path, 1 << 20, 0, NULL, NULL, &error));
    g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_LOCKED);
    g_clear_error (&error);
    g_assert_false (vmm_image_create_raw (path, 1 << 20, &error));
    g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_LOCKED);
    g_clear_error (&error);
    /* A reader would see half-written metadata: refused too. */
    second = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &error);
    g_assert_null (second);
    g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_LOCKED);
    g_clear_error (&error);
  }
  {
    /* Readers share; a writer is refused while they read. */
    g_autoptr(VmmImage) r1 = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &error);
    g_autoptr(VmmImage) r2 = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &error);
    VmmImage *w;

    g_assert_no_error (error);
    g_assert_nonnull (r1);
    g_assert_nonnull (r2);
    w = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);
    g_assert_null (w);
    g_assert_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_LOCKED);
    g_clear_error (&error);
  }
  {
    g_autoptr(VmmImage) again = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, false, &error);

    g_assert_no_error (error);
    g_assert_nonnull (again);
  }
  storage_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/raw/read-write", test_raw_rw);
  g_test_add_func ("/storage/open/missing", test_missing);
  g_test_add_func ("/storage/open/probe", test_probe);
  g_test_add_func ("/storage/open/lock", test_lock);
  return g_test_run ();
}
