/* test-profile-store.c
 *
 * The profile store on disk: save and load back, atomic replacement,
 * broken files set aside and never overwritten, unique names, delete with
 * and without the disk images, and import of XML and disk images.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <utime.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vireo-profile-store.h"
#include "test-profile-util.h"

static GPtrArray *
load (VireoProfileStore  *store,
      GPtrArray         **broken)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *profiles;

  vireo_profile_store_load_async (store, NULL, test_on_ready_cb, &result);
  profiles = vireo_profile_store_load_finish (store, test_wait_for (&result), broken, &error);
  g_assert_no_error (error);
  g_assert_nonnull (profiles);
  return profiles;
}

static char *
read_file (GFile *file)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_load_contents (file, NULL, &contents, NULL, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* Every file in the machines folder must be a profile or a set-aside
 * copy: a temporary file left behind would be a failed atomic write. */
static guint
assert_no_stray_files (VireoProfileStore *store)
{
  g_autofree char *path = g_file_get_path (vireo_profile_store_get_machines_dir (store));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_assert_true (g_str_has_suffix (name, ".xml") || g_str_has_suffix (name, ".broken"));
      n++;
    }
  return n;
}

static VireoProfile *
find_profile (GPtrArray  *profiles,
              const char *uuid)
{
  for (guint i = 0; i < profiles->len; i++)
    {
      VireoProfile *profile = g_ptr_array_index (profiles, i);

      if (g_str_equal (vireo_profile_get_uuid (profile), uuid))
        return profile;
    }
  return NULL;
}

static void
test_store_save_load (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfileStore) store2 = vireo_profile_store_new ();
  g_autoptr(VireoProfile) full = test_profile_new_full ("Debian 12");
  g_autoptr(VireoProfile) plain = vireo_profile_new ("Plain");
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GPtrArray) broken = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) expected_dir = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *basename = NULL;
  VireoProfile *loaded;

  /* The store lives where the XDG spec says, under the test's own dirs. */
  expected_dir = g_file_new_build_filename (g_get_user_config_dir (), "vireo", "machines", NULL);
  g_assert_true (g_file_equal (expected_dir, vireo_profile_store_get_machines_dir (store)));

  vireo_profile_store_save (store, full, NULL, &error);
  g_assert_no_error (error);
  vireo_profile_store_save_async (store, plain, NULL, test_on_ready_cb, &result);
  vireo_profile_store_save_finish (store, test_wait_for (&result), &error);
  g_assert_no_error (error);

  file = vireo_profile_store_get_file (store, full);
  basename = g_file_get_basename (file);
  g_assert_true (g_str_has_prefix (basename, vireo_profile_get_uuid (full)));
  first = read_file (file);

  /* A second store, as after a restart. */
  profiles = load (store2, &broken);
  g_assert_cmpuint (broken->len, ==, 0);
  g_assert_cmpuint (profiles->len, ==, 2);
  loaded = find_profile (profiles, vireo_profile_get_uuid (full));
  g_assert_nonnull (loaded);
  test_profile_assert_equal (full, loaded);
  test_profile_assert_equal (plain, find_profile (profiles, vireo_profile_get_uuid (plain)));
  g_assert_true (vireo_profile_store_is_name_taken (store2, "Debian 12", NULL));

  vireo_profile_store_save (store2, loaded, NULL, &error);
  g_assert_no_error (error);
  second = read_file (file);
  g_assert_cmpstr (first, ==, second);

  g_assert_cmpuint (assert_no_stray_files (store), ==, 2);
}

static void
test_store_atomic_failure (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfile) profile = test_profile_new_full ("Atomic");
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *big = NULL;
  struct rlimit old_limit, limit;
  gboolean ok;

  vireo_profile_store_save (store, profile, NULL, &error);
  g_assert_no_error (error);
  file = vireo_profile_store_get_file (store, profile);
  before = read_file (file);

  /* Inject a failure in the middle of writing the new file: a file size
   * limit makes write() fail with EFBIG once the temporary file reaches
   * it. (A read-only folder would not stop root.) */
  big = g_strnfill (64 * 1024, 'x');
  vireo_profile_set_description (profile, big);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  limit = old_limit;
  limit.rlim_cur = 16 * 1024;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  ok = vireo_profile_store_save (store, profile, NULL, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  signal (SIGXFSZ, SIG_DFL);

  g_assert_false (ok);
  g_assert_nonnull (error);
  g_test_message ("expected failure: %s", error->message);

  after = read_file (file);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (assert_no_stray_files (store), ==, 1);
}

static void
write_text (GFile      *dir,
            const char *basename,
            const char *text)
{
  g_autoptr(GFile) file = g_file_get_child (dir, basename);
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *dir_path = g_file_get_path (dir);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir_path, 0700), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static gboolean
file_has_text (GFile      *dir,
               const char *basename,
               const char *text)
{
  g_autoptr(GFile) file = g_file_get_child (dir, basename);
  g_autofree char *contents = NULL;

  if (!g_file_load_contents (file, NULL, &contents, NULL, NULL, NULL))
    return FALSE;
  return g_str_equal (contents, text);
}

static void
test_store_broken (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfile) good = vireo_profile_new ("Good");
  g_autoptr(VireoProfile) other = vireo_profile_new ("Other");
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GPtrArray) broken = NULL;
  g_autoptr(GPtrArray) profiles2 = NULL;
  g_autoptr(GPtrArray) broken2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *other_xml = NULL;
  GFile *dir = vireo_profile_store_get_machines_dir (store);
  const char *garbage_name = "11111111-1111-4111-8111-111111111111.xml";
  const char *mismatch_name = "22222222-2222-4222-8222-222222222222.xml";

  vireo_profile_store_save (store, good, NULL, &error);
  g_assert_no_error (error);
  write_text (dir, garbage_name, "this is not XML <<<");
  /* A valid profile under another machine's file name (a copy). */
  other_xml = vireo_profile_to_xml (other, &error);
  g_assert_no_error (error);
  write_text (dir, mismatch_name, other_xml);
  write_text (dir, "33333333-3333-4333-8333-333333333333.xml", "");

  profiles = load (store, &broken);
  g_assert_cmpuint (profiles->len, ==, 1);
  g_assert_cmpstr (vireo_profile_get_name (g_ptr_array_index (profiles, 0)), ==, "Good");
  g_assert_cmpuint (broken->len, ==, 3);
  for (guint i = 0; i < broken->len; i++)
    {
      GError *e = g_ptr_array_index (broken, i);

      g_test_message ("%s", e->message);
      g_assert_nonnull (strstr (e->message, ".broken"));
    }
  g_assert_nonnull (strstr (((GError *) g_ptr_array_index (broken, 0))->message, garbage_name));

  /* Set aside, byte for byte, and the original name is free again. */
  g_assert_true (file_has_text (dir, "11111111-1111-4111-8111-111111111111.xml.broken", "this is not XML <<<"));
  g_assert_true (file_has_text (dir, "22222222-2222-4222-8222-222222222222.xml.broken", other_xml));
  g_assert_false (file_has_text (dir, garbage_name, "this is not XML <<<"));

  /* The same name breaks again: the first copy must survive. */
  write_text (dir, garbage_name, "second garbage");
  profiles2 = load (store, &broken2);
  g_assert_cmpuint (broken2->len, ==, 1);
  g_assert_true (file_has_text (dir, "11111111-1111-4111-8111-111111111111.xml.broken", "this is not XML <<<"));
  g_assert_true (file_has_text (dir, "11111111-1111-4111-8111-111111111111.xml.2.broken", "second garbage"));
  g_assert_cmpuint (assert_no_stray_files (store), ==, 5);
}

static void
test_store_empty (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GPtrArray) broken = NULL;

  /* The first run: no folder yet is an empty library, not an error. */
  profiles = load (store, &broken);
  g_assert_cmpuint (profiles->len, ==, 0);
  g_assert_cmpuint (broken->len, ==, 0);
}

/* Partial images an interrupted conversion left behind go at the next
 * load; a recent one (a conversion still running elsewhere) and the
 * user's own files stay. */
static void
test_store_conversion_leftovers (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GPtrArray) broken = NULL;
  const char *images = g_file_peek_path (vireo_profile_store_get_images_dir (store));
  g_autofree char *stale = g_build_filename (images, ".vireo-convert-AbC123.part", NULL);
  g_autofree char *fresh = g_build_filename (images, ".vireo-convert-XyZ789.part", NULL);
  g_autofree char *disk = g_build_filename (images, "mine.part", NULL);
  g_autofree char *folder = g_build_filename (images, ".vireo-convert-dir.part", NULL);
  struct utimbuf old = { .actime = time (NULL) - 3600, .modtime = time (NULL) - 3600 };

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (stale, "half an image", -1, NULL));
  g_assert_true (g_file_set_contents (fresh, "being written", -1, NULL));
  g_assert_true (g_file_set_contents (disk, "the user's", -1, NULL));
  g_assert_cmpint (g_utime (stale, &old), ==, 0);
  g_assert_cmpint (g_utime (disk, &old), ==, 0);
  g_assert_cmpint (g_utime (folder, &old), ==, 0);

  profiles = load (store, &broken);
  g_assert_cmpuint (profiles->len, ==, 0);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (disk, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
}

static void
test_store_unique_names (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfile) a = vireo_profile_new ("Debian 12");
  g_autoptr(VireoProfile) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *name2 = NULL;
  g_autofree char *name3 = NULL;
  g_autofree char *free_name = NULL;

  vireo_profile_store_save (store, a, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (vireo_profile_store_is_name_taken (store, "Debian 12", NULL));
  g_assert_true (vireo_profile_store_is_name_taken (store, "DEBIAN 12", NULL));
  g_assert_false (vireo_profile_store_is_name_taken (store, "Debian 12", vireo_profile_get_uuid (a)));
  g_assert_false (vireo_profile_store_is_name_taken (store, "Debian", NULL));

  name = vireo_profile_store_propose_name (store, "Debian 12");
  g_assert_cmpstr (name, ==, "Debian 12 (2)");
  b = vireo_profile_new (name);
  vireo_profile_store_save (store, b, NULL, &error);
  g_assert_no_error (error);
  name2 = vireo_profile_store_propose_name (store, "Debian 12");
  g_assert_cmpstr (name2, ==, "Debian 12 (3)");
  name3 = vireo_profile_store_propose_name (store, "debian 12");
  g_assert_cmpstr (name3, ==, "debian 12 (3)");
  free_name = vireo_profile_store_propose_name (store, "Fedora 39");
  g_assert_cmpstr (free_name, ==, "Fedora 39");
}

static char *
make_file (const char *dir,
           const char *name,
           const char *contents,
           gssize      len)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_store_new_image_file (void)
{
  g_autoptr(GFile) machines = g_file_new_build_filename (g_get_user_cache_dir (), "m", NULL);
  g_autoptr(GFile) images = g_file_new_build_filename (g_get_user_cache_dir (), "i", "images", NULL);
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new_for_dirs (machines, images);
  g_autoptr(VireoProfile) fresh = vireo_profile_new ("Fresh");
  g_autoptr(GFile) disk = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *images_path = g_file_get_path (images);
  g_autofree char *disk_path = NULL;
  g_autofree char *expected = NULL;

  g_assert_false (g_file_test (images_path, G_FILE_TEST_EXISTS));

  /* Named after the machine's UUID, in the images folder (made on
   * demand), and so the machine's own to delete. */
  disk = vireo_profile_store_new_image_file (store, fresh, "disk0.qcow2", &error);
  g_assert_no_error (error);
  disk_path = g_file_get_path (disk);
  expected = g_strdup_printf ("%s/%s-disk0.qcow2", images_path, vireo_profile_get_uuid (fresh));
  g_assert_cmpstr (disk_path, ==, expected);
  g_assert_true (g_file_test (images_path, G_FILE_TEST_IS_DIR));
  g_assert_true (vireo_profile_store_owns_image (store, disk_path));
}

static void
test_store_delete (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfile) keep = vireo_profile_new ("Keep disks");
  g_autoptr(VireoProfile) drop = vireo_profile_new ("Drop disks");
  g_autoptr(GFile) keep_file = NULL;
  g_autoptr(GFile) drop_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *images = g_file_get_path (vireo_profile_store_get_images_dir (store));
  g_autofree char *outside_dir = g_build_filename (g_get_user_cache_dir (), "elsewhere", NULL);
  g_autofree char *link_dir = g_build_filename (images, "linked", NULL);
  g_autofree char *keep_img = make_file (images, "keep.qcow2", "k", -1);
  g_autofree char *own_img = make_file (images, "own.qcow2", "o", -1);
  g_autofree char *own_nvram = make_file (images, "own_VARS.fd", "n", -1);
  g_autofree char *own_iso = make_file (images, "install.iso", "i", -1);
  g_autofree char *user_img = make_file (outside_dir, "user.raw", "u", -1);
  g_autofree char *via_dots = g_build_filename (images, "..", "..", "cache", "elsewhere", "user.raw", NULL);
  g_autofree char *via_link = g_build_filename (link_dir, "user.raw", NULL);

  /* A folder inside the images folder that points outside it. */
  g_assert_cmpint (symlink (outside_dir, link_dir), ==, 0);

  g_assert_true (vireo_profile_store_owns_image (store, own_img));
  g_assert_false (vireo_profile_store_owns_image (store, user_img));
  g_assert_false (vireo_profile_store_owns_image (store, via_dots));
  g_assert_false (vireo_profile_store_owns_image (store, via_link));
  g_assert_false (vireo_profile_store_owns_image (store, "relative.qcow2"));

  vireo_profile_add_disk (keep, VIREO_DISK_DEVICE_DISK, keep_img, VIREO_DISK_FORMAT_QCOW2, VIREO_DISK_BUS_VIRTIO);
  vireo_profile_add_disk (drop, VIREO_DISK_DEVICE_DISK, own_img, VIREO_DISK_FORMAT_QCOW2, VIREO_DISK_BUS_VIRTIO);
  vireo_profile_add_disk (drop, VIREO_DISK_DEVICE_DISK, user_img, VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_VIRTIO);
  vireo_profile_add_disk (drop, VIREO_DISK_DEVICE_DISK, via_dots, VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_add_disk (drop, VIREO_DISK_DEVICE_DISK, via_link, VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_add_disk (drop, VIREO_DISK_DEVICE_CDROM, own_iso, VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_set_firmware (drop, VIREO_FIRMWARE_UEFI);
  vireo_profile_set_nvram (drop, own_nvram);
  vireo_profile_store_save (store, keep, NULL, &error);
  g_assert_no_error (error);
  vireo_profile_store_save (store, drop, NULL, &error);
  g_assert_no_error (error);
  keep_file = vireo_profile_store_get_file (store, keep);
  drop_file = vireo_profile_store_get_file (store, drop);

  vireo_profile_store_delete (store, keep, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_query_exists (keep_file, NULL));
  g_assert_true (g_file_test (keep_img, G_FILE_TEST_EXISTS));
  g_assert_false (vireo_profile_store_is_name_taken (store, "Keep disks", NULL));

  vireo_profile_store_delete (store, drop, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_query_exists (drop_file, NULL));
  g_assert_false (g_file_test (own_img, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (own_nvram, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (own_iso, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (user_img, G_FILE_TEST_EXISTS));

  /* Deleting what is already gone is an error, not a crash. */
  g_assert_false (vireo_profile_store_delete (store, drop, TRUE, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_store_import_xml (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfile) first = NULL;
  g_autoptr(VireoProfile) second = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GPtrArray) dropped2 = NULL;
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) not_xml = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = make_file (g_get_user_cache_dir (), "win11.xml",
                                     "<domain type='kvm'><name>win11</name>"
                                     "<uuid>8a3e1e4c-7f2b-4b6e-9d3a-2c1b0a9f8e7d</uuid>"
                                     "<memory unit='MiB'>4096</memory><vcpu>4</vcpu>"
                                     "<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>"
                                     "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                                     "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                     "<source file='/var/lib/libvirt/images/win11.qcow2'/>"
                                     "<target dev='vda' bus='virtio'/></disk>"
                                     "<sound model='ich9'/></devices></domain>", -1);
  g_autofree char *bad_path = make_file (g_get_user_cache_dir (), "bad.xml", "<domain>", -1);

  file = g_file_new_for_path (path);
  first = vireo_profile_store_import_xml (store, file, &dropped, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_profile_get_name (first), ==, "win11");
  g_assert_cmpstr (vireo_profile_get_uuid (first), ==, "8a3e1e4c-7f2b-4b6e-9d3a-2c1b0a9f8e7d");
  g_assert_cmpuint (vireo_profile_get_memory_kib (first), ==, 4096 * 1024);
  g_assert_cmpuint (dropped->len, ==, 1);

  /* Importing it again: both the UUID and the name are taken. */
  second = vireo_profile_store_import_xml (store, file, &dropped2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_profile_get_name (second), ==, "win11 (2)");
  g_assert_cmpstr (vireo_profile_get_uuid (second), !=, vireo_profile_get_uuid (first));

  profiles = load (store, NULL);
  g_assert_cmpuint (profiles->len, ==, 2);

  not_xml = g_file_new_for_path (bad_path);
  g_assert_null (vireo_profile_store_import_xml (store, not_xml, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_store_import_image (void)
{
  static const char qcow2_header[] = "QFI\xfb\0\0\0\3";
  static const char vmdk_header[] = "KDMV\1\0\0\0";
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfile) qcow2 = NULL;
  g_autoptr(VireoProfile) raw = NULL;
  g_autoptr(VireoProfile) again = NULL;
  g_autoptr(GFile) qcow2_file = NULL;
  g_autoptr(GFile) raw_file = NULL;
  g_autoptr(GFile) vmdk_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_home_dir (), "VMs", NULL);
  g_autofree char *qcow2_path = make_file (dir, "Fedora.qcow2", qcow2_header, sizeof qcow2_header);
  g_autofree char *raw_path = make_file (dir, "Alpine.img", "\xeb\x63\x90", 3);
  g_autofree char *vmdk_path = make_file (dir, "Old.vmdk", vmdk_header, sizeof vmdk_header);

  qcow2_file = g_file_new_for_path (qcow2_path);
  qcow2 = vireo_profile_store_import_image (store, qcow2_file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_profile_get_name (qcow2), ==, "Fedora");
  g_assert_cmpuint (vireo_profile_get_n_disks (qcow2), ==, 1);
  g_assert_cmpstr (vireo_profile_get_disk (qcow2, 0)->path, ==, qcow2_path);
  g_assert_cmpint (vireo_profile_get_disk (qcow2, 0)->format, ==, VIREO_DISK_FORMAT_QCOW2);

  raw_file = g_file_new_for_path (raw_path);
  raw = vireo_profile_store_import_image (store, raw_file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_profile_get_name (raw), ==, "Alpine");
  g_assert_cmpint (vireo_profile_get_disk (raw, 0)->format, ==, VIREO_DISK_FORMAT_RAW);
  /* The user's image is used where it is, and never the store's to delete. */
  g_assert_false (vireo_profile_store_owns_image (store, raw_path));

  again = vireo_profile_store_import_image (store, raw_file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_profile_get_name (again), ==, "Alpine (2)");

  vmdk_file = g_file_new_for_path (vmdk_path);
  g_assert_null (vireo_profile_store_import_image (store, vmdk_file, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static VireoProfile *
import_async (VireoProfileStore  *store,
              GFile              *file,
              GPtrArray         **dropped,
              GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_profile_store_import_async (store, file, NULL, test_on_ready_cb, &result);
  return vireo_profile_store_import_finish (store, test_wait_for (&result), dropped, error);
}

static void
test_store_import_async (void)
{
  static const char qcow2_header[] = "QFI\xfb\0\0\0\3";
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoProfile) from_xml = NULL;
  g_autoptr(VireoProfile) from_image = NULL;
  g_autoptr(VireoProfile) none = NULL;
  g_autoptr(GPtrArray) dropped = NULL;
  g_autoptr(GPtrArray) dropped_image = NULL;
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GFile) xml_file = NULL;
  g_autoptr(GFile) image_file = NULL;
  g_autoptr(GFile) vdi_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_home_dir (), "imports", NULL);
  g_autofree char *vdi = g_malloc0 (0x50);
  g_autofree char *xml_path = make_file (dir, "vm.xml",
                                         "\n  <domain type='kvm'><name>Imported</name>"
                                         "<uuid>00000000-0000-4000-8000-0000000000aa</uuid>"
                                         "<devices><rng model='virtio'/></devices></domain>", -1);
  g_autofree char *image_path = make_file (dir, "Imported.qcow2", qcow2_header, sizeof qcow2_header);
  g_autofree char *vdi_path = NULL;

  xml_file = g_file_new_for_path (xml_path);
  from_xml = import_async (store, xml_file, &dropped, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_profile_get_name (from_xml), ==, "Imported");
  g_assert_cmpuint (dropped->len, ==, 1);

  /* Same base name as the XML machine: the image one gets "(2)". */
  image_file = g_file_new_for_path (image_path);
  from_image = import_async (store, image_file, &dropped_image, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vireo_profile_get_name (from_image), ==, "Imported (2)");
  g_assert_cmpint (vireo_profile_get_disk (from_image, 0)->format, ==, VIREO_DISK_FORMAT_QCOW2);
  g_assert_cmpuint (dropped_image->len, ==, 0);

  /* VirtualBox's text starts with "<", like XML: the signature decides. */
  memcpy (vdi, "<<< Oracle VM VirtualBox Disk Image >>>\n", 40);
  vdi[0x40] = 0x7f;
  vdi[0x41] = 0x10;
  vdi[0x42] = (char) 0xda;
  vdi[0x43] = (char) 0xbe;
  vdi_path = make_file (dir, "vbox.vdi", vdi, 0x50);
  vdi_file = g_file_new_for_path (vdi_path);
  none = import_async (store, vdi_file, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "VDI"));

  profiles = load (store, NULL);
  g_assert_cmpuint (profiles->len, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/profile-store/save-load", test_store_save_load);
  g_test_add_func ("/profile-store/atomic-failure", test_store_atomic_failure);
  g_test_add_func ("/profile-store/broken", test_store_broken);
  g_test_add_func ("/profile-store/empty", test_store_empty);
  g_test_add_func ("/profile-store/conversion-leftovers", test_store_conversion_leftovers);
  g_test_add_func ("/profile-store/unique-names", test_store_unique_names);
  g_test_add_func ("/profile-store/new-image-file", test_store_new_image_file);
  g_test_add_func ("/profile-store/delete", test_store_delete);
  g_test_add_func ("/profile-store/import-xml", test_store_import_xml);
  g_test_add_func ("/profile-store/import-image", test_store_import_image);
  g_test_add_func ("/profile-store/import-async", test_store_import_async);

  return g_test_run ();
}
