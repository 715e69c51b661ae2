/* test-machine-editor.c
 *
 * The Properties dialog's model: nothing changes until saved; saving
 * renames, changes resources and boot order, adds, removes and grows
 * disks and changes CD-ROM media, all written to the profile file; bad
 * settings are refused with the saved profile left as it was; a running
 * machine's disks are not offered for growing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "vireo-machine-editor.h"
#include "test-file-util.h"
#include "test-profile-util.h"

static void
write_zeros (const char *path,
             gsize       len)
{
  g_autofree char *zeros = g_malloc0 (len);

  test_write_file (path, zeros, (gssize) len);
}

/* A saved machine with a raw disk and a CD-ROM with @iso. */
static VireoMachine *
saved_machine (VireoProfileStore *store,
               const char        *name,
               const char        *iso)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new (name);
  g_autofree char *raw = test_tmp_path ("disk.img");
  g_autoptr(GError) error = NULL;

  write_zeros (raw, VIREO_MIB);
  vireo_profile_set_memory_kib (profile, 1024 * 1024);
  vireo_profile_set_vcpus (profile, 1);
  vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_DISK, raw, VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_VIRTIO);
  vireo_profile_add_disk (profile, VIREO_DISK_DEVICE_CDROM, iso, VIREO_DISK_FORMAT_RAW, VIREO_DISK_BUS_SATA);
  vireo_profile_store_save (store, profile, NULL, &error);
  g_assert_no_error (error);
  return vireo_machine_new (store, profile);
}

static VireoProfile *
load_saved (VireoProfileStore *store,
            VireoMachine      *machine)
{
  g_autoptr(GFile) file = vireo_profile_store_get_file (store, vireo_machine_get_profile (machine));
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;
  VireoProfile *profile;

  g_file_load_contents (file, NULL, &xml, NULL, NULL, &error);
  g_assert_no_error (error);
  profile = vireo_profile_new_from_xml (xml, NULL, &error);
  g_assert_no_error (error);
  return profile;
}

static gboolean
save (VireoMachineEditor *editor,
      GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_machine_editor_save_async (editor, NULL, test_on_ready_cb, &result);
  return vireo_machine_editor_save_finish (editor, test_wait_for (&result), error);
}

static void
test_edit_and_save (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autofree char *iso = test_tmp_path ("first.iso");
  g_autofree char *other_iso = test_tmp_path ("second.iso");
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(VireoMachineEditor) editor = NULL;
  g_autoptr(VireoProfile) saved = NULL;
  g_autoptr(GError) error = NULL;
  const VireoBootDevice *boot;
  const VireoProfileDisk *disk;
  VireoDiskFormat format;
  guint64 size = 0;
  guint n_boot = 0;

  write_zeros (iso, 4096);
  write_zeros (other_iso, 4096);
  machine = saved_machine (store, "Work", iso);
  editor = vireo_machine_editor_new (machine);
  g_assert_false (vireo_machine_editor_get_running (editor));
  g_assert_cmpuint (vireo_machine_editor_get_n_disks (editor), ==, 2);
  g_assert_cmpuint (vireo_machine_editor_get_disk (editor, 0)->size, ==, VIREO_MIB);
  g_assert_true (vireo_machine_editor_can_grow (editor, 0));
  g_assert_false (vireo_machine_editor_can_grow (editor, 1));

  vireo_machine_editor_set_name (editor, "Work Renamed");
  vireo_machine_editor_set_memory (editor, 512 * VIREO_MIB);
  vireo_machine_editor_set_firmware (editor, VIREO_FIRMWARE_UEFI);
  vireo_machine_editor_set_boot_first (editor, VIREO_BOOT_DEVICE_CDROM);
  vireo_machine_editor_set_disk_size (editor, 0, 2 * VIREO_MIB);
  vireo_machine_editor_set_media (editor, 1, other_iso);
  g_assert_true (vireo_machine_editor_add_disk (editor, VIREO_GIB, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vireo_machine_editor_get_n_disks (editor), ==, 3);
  g_assert_true (vireo_machine_editor_get_disk (editor, 2)->is_new);

  /* Nothing is changed before saving. */
  g_assert_cmpstr (vireo_machine_get_name (machine), ==, "Work");
  g_assert_cmpuint (vireo_profile_get_n_disks (vireo_machine_get_profile (machine)), ==, 2);

  g_assert_true (save (editor, &error));
  g_assert_no_error (error);

  saved = load_saved (store, machine);
  g_assert_cmpstr (vireo_profile_get_name (saved), ==, "Work Renamed");
  g_assert_cmpuint (vireo_profile_get_memory_kib (saved), ==, 512 * 1024);
  g_assert_cmpint (vireo_profile_get_firmware (saved), ==, VIREO_FIRMWARE_UEFI);
  boot = vireo_profile_get_boot_order (saved, &n_boot);
  g_assert_cmpuint (n_boot, ==, 2);
  g_assert_cmpint (boot[0], ==, VIREO_BOOT_DEVICE_CDROM);
  g_assert_cmpint (boot[1], ==, VIREO_BOOT_DEVICE_HD);
  g_assert_cmpuint (vireo_profile_get_n_disks (saved), ==, 3);
  g_assert_cmpstr (vireo_profile_get_disk (saved, 1)->path, ==, other_iso);

  /* The raw disk grew; the new one is a qcow2 image in the images folder. */
  g_assert_true (vireo_disk_image_probe (vireo_profile_get_disk (saved, 0)->path, NULL, &size, &error));
  g_assert_cmpuint (size, ==, 2 * VIREO_MIB);
  disk = vireo_profile_get_disk (saved, 2);
  g_assert_true (vireo_profile_store_owns_image (store, disk->path));
  g_assert_true (vireo_disk_image_probe (disk->path, &format, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpint (format, ==, VIREO_DISK_FORMAT_QCOW2);
  g_assert_cmpuint (size, ==, VIREO_GIB);

  /* Saving again makes nothing twice. */
  g_assert_true (save (editor, &error));
  g_assert_no_error (error);
}

static void
test_remove_and_eject (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autofree char *iso = test_tmp_path ("media.iso");
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(VireoMachineEditor) editor = NULL;
  g_autoptr(VireoProfile) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = NULL;

  write_zeros (iso, 4096);
  machine = saved_machine (store, "Eject", iso);
  raw = g_strdup (vireo_profile_get_disk (vireo_machine_get_profile (machine), 0)->path);
  editor = vireo_machine_editor_new (machine);
  vireo_machine_editor_set_media (editor, 1, NULL);
  vireo_machine_editor_remove_disk (editor, 0);
  g_assert_true (save (editor, &error));
  g_assert_no_error (error);

  saved = load_saved (store, machine);
  g_assert_cmpuint (vireo_profile_get_n_disks (saved), ==, 1);
  g_assert_cmpint (vireo_profile_get_disk (saved, 0)->device, ==, VIREO_DISK_DEVICE_CDROM);
  g_assert_null (vireo_profile_get_disk (saved, 0)->path);
  /* The removed disk's file is kept. */
  g_assert_true (g_file_test (raw, G_FILE_TEST_EXISTS));

  /* An empty drive can get a disc again, and a new drive can be added. */
  vireo_machine_editor_set_media (editor, 0, iso);
  vireo_machine_editor_add_cdrom (editor);
  g_assert_cmpuint (vireo_machine_editor_get_n_disks (editor), ==, 2);
  g_assert_null (vireo_machine_editor_get_disk (editor, 1)->path);
  g_assert_true (save (editor, &error));
  g_assert_no_error (error);
}

static void
test_refused (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autofree char *iso = test_tmp_path ("refused.iso");
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(VireoMachine) other = NULL;
  g_autoptr(VireoMachineEditor) editor = NULL;
  g_autoptr(VireoProfile) saved = NULL;
  g_autoptr(GError) error = NULL;

  write_zeros (iso, 4096);
  machine = saved_machine (store, "Mine", iso);
  other = saved_machine (store, "Theirs", iso);
  editor = vireo_machine_editor_new (machine);

  /* A name another machine has, in any case. */
  vireo_machine_editor_set_name (editor, "THEIRS");
  g_assert_false (save (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  vireo_machine_editor_set_name (editor, "");
  g_assert_false (vireo_machine_editor_validate (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  vireo_machine_editor_set_name (editor, "Mine");

  /* More memory than the host. */
  vireo_machine_editor_set_host_memory (editor, 2 * VIREO_GIB);
  vireo_machine_editor_set_memory (editor, 3 * VIREO_GIB);
  g_assert_false (vireo_machine_editor_validate (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);
  vireo_machine_editor_set_memory (editor, VIREO_GIB);

  /* More processors than the host. */
  vireo_machine_editor_set_vcpus (editor, g_get_num_processors () + 1);
  g_assert_false (vireo_machine_editor_validate (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  vireo_machine_editor_set_vcpus (editor, 1);

  /* A disc image that is not there. */
  vireo_machine_editor_set_media (editor, 1, "/nonexistent/disc.iso");
  g_assert_false (vireo_machine_editor_validate (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  vireo_machine_editor_set_media (editor, 1, iso);

  /* A disk made smaller. */
  vireo_machine_editor_set_disk_size (editor, 0, 4096);
  g_assert_false (vireo_machine_editor_validate (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  vireo_machine_editor_set_disk_size (editor, 0, VIREO_MIB);

  /* A new disk larger than the free space. */
  g_assert_true (vireo_machine_editor_add_disk (editor, G_GUINT64_CONSTANT (60) * 1024 * VIREO_GIB, &error));
  g_assert_false (save (editor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  /* None of it reached the profile. */
  saved = load_saved (store, machine);
  g_assert_cmpstr (vireo_profile_get_name (saved), ==, "Mine");
  g_assert_cmpuint (vireo_profile_get_memory_kib (saved), ==, 1024 * 1024);
  g_assert_cmpuint (vireo_profile_get_n_disks (saved), ==, 2);
  g_assert_cmpstr (vireo_machine_get_name (machine), ==, "Mine");
}

static void
test_running (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autofree char *iso = test_tmp_path ("running.iso");
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(VireoMachineEditor) editor = NULL;
  g_autoptr(GError) error = NULL;

  write_zeros (iso, 4096);
  machine = saved_machine (store, "Busy", iso);
  vireo_machine_set_state (machine, VIREO_MACHINE_STATE_RUNNING);
  editor = vireo_machine_editor_new (machine);

  /* Settings apply at next start; disks do not grow under the guest. */
  g_assert_true (vireo_machine_editor_get_running (editor));
  g_assert_false (vireo_machine_editor_can_grow (editor, 0));
  vireo_machine_editor_set_vcpus (editor, 1);
  vireo_machine_editor_set_memory (editor, 256 * VIREO_MIB);
  g_assert_true (save (editor, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vireo_profile_get_memory_kib (vireo_machine_get_profile (machine)), ==, 256 * 1024);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/machine-editor/edit-and-save", test_edit_and_save);
  g_test_add_func ("/machine-editor/remove-and-eject", test_remove_and_eject);
  g_test_add_func ("/machine-editor/refused", test_refused);
  g_test_add_func ("/machine-editor/running", test_running);

  return g_test_run ();
}
