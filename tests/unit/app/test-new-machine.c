/* test-new-machine.c
 *
 * The New Machine wizard's model: the OS found on an ISO made here with
 * xorriso (libosinfo matches the volume id), recommendations from
 * libosinfo bounded by the host, unique names, the errors each page
 * shows, and Create for each kind of source.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "vireo-new-machine.h"
#include "test-file-util.h"
#include "test-profile-util.h"

/* libosinfo's database as installed (osinfo-db), read once. */
static OsinfoDb *
real_os_db (void)
{
  static OsinfoDb *db;

  if (db == NULL)
    {
      g_autoptr(OsinfoLoader) loader = osinfo_loader_new ();
      g_autoptr(GError) error = NULL;

      osinfo_loader_process_default_path (loader, &error);
      g_assert_no_error (error);
      db = g_object_ref (osinfo_loader_get_db (loader));
    }
  return db;
}

static VireoLibrary *
new_library (OsinfoDb *db)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  VireoLibrary *library = vireo_library_new (store);

  vireo_library_set_os_db (library, db);
  return library;
}

/* An ISO 9660 image with @volume_id, bootable (El Torito) or not, or
 * NULL (test skipped) without xorriso. */
static char *
make_iso_full (const char *name,
               const char *volume_id,
               gboolean    bootable)
{
  g_autofree char *xorriso = g_find_program_in_path ("xorriso");
  g_autofree char *dir = test_tmp_path ("iso-root");
  g_autofree char *readme = g_build_filename (dir, "README.txt", NULL);
  g_autofree char *boot = g_build_filename (dir, "boot.img", NULL);
  g_autofree char *zeros = g_malloc0 (2048);
  g_autofree char *iso = test_tmp_path (name);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (xorriso == NULL)
    {
      g_test_skip ("xorriso is not installed");
      return NULL;
    }

  g_mkdir_with_parents (dir, 0700);
  test_write_file (readme, "not really an installer\n", -1);
  test_write_file (boot, zeros, 2048);

  g_ptr_array_add (argv, xorriso);
  g_ptr_array_add (argv, (char *) "-as");
  g_ptr_array_add (argv, (char *) "mkisofs");
  g_ptr_array_add (argv, (char *) "-quiet");
  g_ptr_array_add (argv, (char *) "-V");
  g_ptr_array_add (argv, (char *) volume_id);
  if (bootable)
    {
      /* libosinfo takes only bootable discs for installers. */
      g_ptr_array_add (argv, (char *) "-b");
      g_ptr_array_add (argv, (char *) "boot.img");
      g_ptr_array_add (argv, (char *) "-no-emul-boot");
      g_ptr_array_add (argv, (char *) "-boot-load-size");
      g_ptr_array_add (argv, (char *) "4");
    }
  g_ptr_array_add (argv, (char *) "-o");
  g_ptr_array_add (argv, iso);
  g_ptr_array_add (argv, dir);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("xorriso failed: %s", err);
  return g_steal_pointer (&iso);
}

static char *
make_iso (const char *name,
          const char *volume_id)
{
  return make_iso_full (name, volume_id, TRUE);
}

static void
test_detect_iso (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autofree char *iso = make_iso ("debian.iso", "Debian 11.5.0 amd64 n");
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  OsinfoOs *os;

  if (iso == NULL)
    return;

  g_assert_null (vireo_new_machine_get_os (wizard));
  os = vireo_new_machine_detect_os (wizard, iso, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (os);
  g_assert_cmpstr (osinfo_entity_get_id (OSINFO_ENTITY (os)), ==, "http://debian.org/debian/11");
  g_assert_true (vireo_new_machine_get_os (wizard) == os);
  g_assert_true (vireo_new_machine_get_detected_os (wizard) == os);

  /* debian-11.xml recommends 1 GiB and 20 GiB; Debian lists UEFI on
   * x86-64 for an earlier release, which later ones derive from. */
  g_assert_cmpuint (vireo_new_machine_get_memory (wizard), ==, VIREO_GIB);
  g_assert_cmpuint (vireo_new_machine_get_disk_size (wizard), ==, 20 * VIREO_GIB);
  g_assert_cmpuint (vireo_new_machine_get_vcpus (wizard), ==, MIN (2, g_get_num_processors ()));
  g_assert_true (vireo_new_machine_get_uefi_supported (wizard));
  g_assert_cmpint (vireo_new_machine_get_firmware (wizard), ==, VIREO_FIRMWARE_UEFI);

  name = vireo_new_machine_propose_name (wizard);
  g_assert_cmpstr (name, ==, "Debian 11");
}

static void
test_detect_iso_async (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autofree char *known = make_iso ("known.iso", "Debian 10.13.0 amd64 1");
  g_autofree char *unknown = NULL;
  g_autofree char *plain = test_tmp_path ("plain.txt");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  OsinfoOs *os;

  if (known == NULL)
    return;
  unknown = make_iso ("unknown.iso", "MY HOLIDAY PHOTOS");

  vireo_new_machine_detect_os_async (wizard, known, NULL, test_on_ready_cb, &result);
  os = vireo_new_machine_detect_os_finish (wizard, test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (os);
  g_assert_cmpstr (osinfo_entity_get_id (OSINFO_ENTITY (os)), ==, "http://debian.org/debian/10");
  g_clear_object (&result);

  /* A readable ISO libosinfo does not know: no OS, no error, and the OS
   * picked before stays (the user may have chosen it). */
  vireo_new_machine_detect_os_async (wizard, unknown, NULL, test_on_ready_cb, &result);
  os = vireo_new_machine_detect_os_finish (wizard, test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_null (os);
  g_assert_null (vireo_new_machine_get_detected_os (wizard));
  g_assert_nonnull (vireo_new_machine_get_os (wizard));
  g_clear_object (&result);

  /* A data disc: it cannot start a computer. */
  g_free (unknown);
  unknown = make_iso_full ("data.iso", "Debian 10.13.0 amd64 1", FALSE);
  vireo_new_machine_detect_os_async (wizard, unknown, NULL, test_on_ready_cb, &result);
  os = vireo_new_machine_detect_os_finish (wizard, test_wait_for (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "start a computer"));
  g_assert_null (os);
  g_clear_error (&error);
  g_clear_object (&result);

  /* Not an ISO at all. */
  test_write_file (plain, "hello\n", -1);
  vireo_new_machine_detect_os_async (wizard, plain, NULL, test_on_ready_cb, &result);
  os = vireo_new_machine_detect_os_finish (wizard, test_wait_for (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (os);
}

/* A database with one OS, to control every number libosinfo gives. */
static OsinfoDb *
synthetic_db (gint64      ram,
              gint        n_cpus,
              gint64      storage,
              const char *firmware)
{
  OsinfoDb *db = osinfo_db_new ();
  g_autoptr(OsinfoOs) os = osinfo_os_new ("http://example.org/testos/1");
  g_autoptr(OsinfoOs) base = osinfo_os_new ("http://example.org/testos/0");
  g_autoptr(OsinfoResources) res = osinfo_resources_new ("http://example.org/testos/1:res", "x86_64");

  osinfo_entity_set_param (OSINFO_ENTITY (os), OSINFO_PRODUCT_PROP_NAME, "Test OS 1");
  osinfo_entity_set_param (OSINFO_ENTITY (base), OSINFO_PRODUCT_PROP_NAME, "Test OS 0");
  if (ram > 0)
    osinfo_resources_set_ram (res, ram);
  if (n_cpus > 0)
    osinfo_resources_set_n_cpus (res, n_cpus);
  if (storage > 0)
    osinfo_resources_set_storage (res, storage);
  osinfo_os_add_recommended_resources (os, res);
  if (firmware != NULL)
    {
      g_autoptr(OsinfoFirmware) fw = osinfo_firmware_new ("http://example.org/testos/1:fw", "x86_64", firmware);

      /* The loader marks listed firmware supported; osinfo_firmware_new()
       * does not. */
      osinfo_entity_set_param_boolean (OSINFO_ENTITY (fw), OSINFO_FIRMWARE_PROP_SUPPORTED, TRUE);
      osinfo_os_add_firmware (os, fw);
    }
  osinfo_product_add_related (OSINFO_PRODUCT (os), OSINFO_PRODUCT_RELATIONSHIP_DERIVES_FROM,
                              OSINFO_PRODUCT (base));
  osinfo_db_add_os (db, os);
  osinfo_db_add_os (db, base);
  return db;
}

static void
test_recommendations (void)
{
  g_autoptr(OsinfoDb) db = synthetic_db (3 * VIREO_GIB + 1, 64, 7 * VIREO_GIB + 5, "efi");
  g_autoptr(OsinfoDb) bios_db = synthetic_db (-1, -1, -1, NULL);
  g_autoptr(VireoLibrary) library = new_library (db);
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autoptr(VireoNewMachine) plain = NULL;
  g_autoptr(GListModel) oses = NULL;
  OsinfoOs *os = osinfo_db_get_os (db, "http://example.org/testos/1");

  vireo_new_machine_set_host_memory (wizard, 64 * VIREO_GIB);
  vireo_new_machine_set_os (wizard, os);
  /* Rounded up to what a user would type; processors bounded by the host. */
  g_assert_cmpuint (vireo_new_machine_get_memory (wizard), ==, 3 * VIREO_GIB + 256 * VIREO_MIB);
  g_assert_cmpuint (vireo_new_machine_get_vcpus (wizard), ==, MIN (64, g_get_num_processors ()));
  g_assert_cmpuint (vireo_new_machine_get_disk_size (wizard), ==, 8 * VIREO_GIB);
  g_assert_cmpint (vireo_new_machine_get_firmware (wizard), ==, VIREO_FIRMWARE_UEFI);

  /* A small host: the recommendation leaves it half its memory. */
  vireo_new_machine_set_host_memory (wizard, 2 * VIREO_GIB);
  g_assert_cmpuint (vireo_new_machine_get_recommended_memory (wizard), ==, VIREO_GIB);

  /* A kernel boots without firmware, whatever the OS supports. */
  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_KERNEL);
  g_assert_cmpint (vireo_new_machine_get_firmware (wizard), ==, VIREO_FIRMWARE_BIOS);

  /* No numbers and no UEFI in the database: defaults and BIOS. */
  g_object_unref (library);
  library = new_library (bios_db);
  plain = vireo_new_machine_new (library);
  vireo_new_machine_set_host_memory (plain, 64 * VIREO_GIB);
  vireo_new_machine_set_os (plain, osinfo_db_get_os (bios_db, "http://example.org/testos/1"));
  g_assert_cmpuint (vireo_new_machine_get_memory (plain), ==, 2 * VIREO_GIB);
  g_assert_cmpuint (vireo_new_machine_get_disk_size (plain), ==, 20 * VIREO_GIB);
  g_assert_false (vireo_new_machine_get_uefi_supported (plain));
  g_assert_cmpint (vireo_new_machine_get_firmware (plain), ==, VIREO_FIRMWARE_BIOS);

  /* The searchable list: every named OS, in natural order. */
  oses = vireo_new_machine_list_oses (plain);
  g_assert_cmpuint (g_list_model_get_n_items (oses), ==, 2);
  {
    g_autoptr(OsinfoOs) first = g_list_model_get_item (oses, 0);

    g_assert_cmpstr (osinfo_product_get_name (OSINFO_PRODUCT (first)), ==, "Test OS 0");
  }
}

static void
test_os_list_order (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autoptr(GListModel) oses = vireo_new_machine_list_oses (wizard);
  guint n = g_list_model_get_n_items (oses);
  int debian9 = -1, debian10 = -1;

  g_assert_cmpuint (n, >, 100);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsinfoOs) os = g_list_model_get_item (oses, i);
      const char *id = osinfo_entity_get_id (OSINFO_ENTITY (os));

      if (g_str_equal (id, "http://debian.org/debian/9"))
        debian9 = i;
      if (g_str_equal (id, "http://debian.org/debian/10"))
        debian10 = i;
    }
  g_assert_cmpint (debian9, >=, 0);
  g_assert_cmpint (debian9, <, debian10);
}

static void
test_names (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autoptr(VireoProfile) taken = vireo_profile_new ("Debian 11");
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  vireo_profile_store_save (vireo_library_get_store (library), taken, NULL, &error);
  g_assert_no_error (error);

  vireo_new_machine_set_os (wizard, osinfo_db_get_os (real_os_db (), "http://debian.org/debian/11"));
  name = vireo_new_machine_propose_name (wizard);
  g_assert_cmpstr (name, ==, "Debian 11 (2)");
  vireo_new_machine_set_name (wizard, name);
  g_assert_true (vireo_new_machine_validate_name (wizard, &error));
  g_assert_no_error (error);

  /* Taken names compare without case; spaces around do not count. */
  vireo_new_machine_set_name (wizard, "  debian 11 ");
  g_assert_false (vireo_new_machine_validate_name (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "debian 11"));
  g_clear_error (&error);

  vireo_new_machine_set_name (wizard, "   ");
  g_assert_false (vireo_new_machine_validate_name (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Without an OS: the disk image's file name, or generic names. */
  vireo_new_machine_set_os (wizard, NULL);
  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_DISK_IMAGE);
  vireo_new_machine_set_disk_image (wizard, "/images/fedora-server.qcow2");
  g_free (name);
  name = vireo_new_machine_propose_name (wizard);
  g_assert_cmpstr (name, ==, "fedora-server");
  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_KERNEL);
  g_free (name);
  name = vireo_new_machine_propose_name (wizard);
  g_assert_cmpstr (name, ==, "Linux");
}

static void
test_validate_source (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autofree char *empty = test_tmp_path ("empty.iso");
  g_autofree char *kernel = test_tmp_path ("vmlinuz");
  g_autofree char *vmdk = test_tmp_path ("disk.vmdk");
  g_autofree char *raw = test_tmp_path ("disk.img");
  g_autoptr(GError) error = NULL;

  g_assert_false (vireo_new_machine_validate_source (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  vireo_new_machine_set_iso (wizard, "/nonexistent/disc.iso");
  g_assert_false (vireo_new_machine_validate_source (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/disc.iso"));
  g_clear_error (&error);

  vireo_new_machine_set_iso (wizard, g_get_user_cache_dir ());
  g_assert_false (vireo_new_machine_validate_source (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
  g_clear_error (&error);

  test_write_file (empty, "", 0);
  vireo_new_machine_set_iso (wizard, empty);
  g_assert_false (vireo_new_machine_validate_source (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* A kernel with a missing initrd. */
  test_write_file (kernel, "MZ not a real kernel", -1);
  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_KERNEL);
  vireo_new_machine_set_kernel (wizard, kernel);
  vireo_new_machine_set_initrd (wizard, "/nonexistent/initrd.img");
  g_assert_false (vireo_new_machine_validate_source (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  vireo_new_machine_set_initrd (wizard, "");
  g_assert_true (vireo_new_machine_validate_source (wizard, &error));
  g_assert_no_error (error);

  /* Disk images: a VMDK is converted by Create, with qemu-img if there
   * is one (test-image-import.c converts); a raw file is fine. */
  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_DISK_IMAGE);
  test_write_file (vmdk, "KDMV\1\0\0\0 and more header", 24);
  vireo_new_machine_set_disk_image (wizard, vmdk);
  {
    g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");

    if (qemu_img != NULL)
      {
        g_assert_true (vireo_new_machine_validate_source (wizard, &error));
        g_assert_no_error (error);
      }
    else
      {
        g_assert_false (vireo_new_machine_validate_source (wizard, &error));
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        g_assert_nonnull (strstr (error->message, "VMDK"));
        g_clear_error (&error);
      }
  }

  {
    g_autofree char *zeros = g_malloc0 (1024 * 1024);

    test_write_file (raw, zeros, 1024 * 1024);
  }
  vireo_new_machine_set_disk_image (wizard, raw);
  g_assert_true (vireo_new_machine_validate_source (wizard, &error));
  g_assert_no_error (error);
  g_assert_false (vireo_new_machine_get_create_disk (wizard));
}

static void
test_validate_resources (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autoptr(GError) error = NULL;

  vireo_new_machine_set_host_memory (wizard, 4 * VIREO_GIB);
  vireo_new_machine_set_memory (wizard, 2 * VIREO_GIB);
  vireo_new_machine_set_vcpus (wizard, 1);
  vireo_new_machine_set_disk_size (wizard, VIREO_GIB);
  g_assert_true (vireo_new_machine_validate_resources (wizard, &error));
  g_assert_no_error (error);

  /* More memory than the host has. */
  vireo_new_machine_set_memory (wizard, 5 * VIREO_GIB);
  g_assert_false (vireo_new_machine_validate_resources (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  {
    g_autofree char *host = g_format_size_full (4 * VIREO_GIB, G_FORMAT_SIZE_IEC_UNITS);

    g_assert_nonnull (strstr (error->message, host));
  }
  g_clear_error (&error);
  vireo_new_machine_set_memory (wizard, 64 * VIREO_MIB);
  g_assert_false (vireo_new_machine_validate_resources (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  vireo_new_machine_set_memory (wizard, VIREO_GIB);

  /* More processors than the host has. */
  vireo_new_machine_set_vcpus (wizard, vireo_new_machine_get_host_cpus (wizard) + 1);
  g_assert_false (vireo_new_machine_validate_resources (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  vireo_new_machine_set_vcpus (wizard, 1);

  /* A disk larger than the free space of the images folder's disk. */
  vireo_new_machine_set_disk_size (wizard, G_GUINT64_CONSTANT (60) * 1024 * VIREO_GIB);
  g_assert_false (vireo_new_machine_validate_resources (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "free"));
  g_clear_error (&error);

  /* Without a new disk its size does not matter. */
  vireo_new_machine_set_create_disk (wizard, FALSE);
  g_assert_true (vireo_new_machine_validate_resources (wizard, &error));
  g_assert_no_error (error);
}

static VireoMachine *
create (VireoNewMachine *wizard,
        GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_new_machine_create_async (wizard, NULL, test_on_ready_cb, &result);
  return vireo_new_machine_create_finish (wizard, test_wait_for (&result), error);
}

/* The saved file read back equals the machine's profile. */
static void
assert_saved (VireoLibrary *library,
              VireoMachine *machine)
{
  g_autoptr(GFile) file = vireo_profile_store_get_file (vireo_library_get_store (library),
                                                       vireo_machine_get_profile (machine));
  g_autofree char *xml = NULL;
  g_autoptr(VireoProfile) loaded = NULL;
  g_autoptr(GError) error = NULL;

  g_file_load_contents (file, NULL, &xml, NULL, NULL, &error);
  g_assert_no_error (error);
  loaded = vireo_profile_new_from_xml (xml, NULL, &error);
  g_assert_no_error (error);
  test_profile_assert_equal (loaded, vireo_machine_get_profile (machine));
}

static void
test_create_kernel (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autofree char *kernel = test_tmp_path ("bzImage");
  g_autofree char *initrd = test_tmp_path ("initrd.img");
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(VireoMachine) second = NULL;
  g_autoptr(GError) error = NULL;
  const VireoProfileDisk *disk;
  VireoProfile *profile;
  VireoDiskFormat format;
  guint64 size = 0;
  guint n_boot = 0;

  test_write_file (kernel, "kernel", -1);
  test_write_file (initrd, "initrd", -1);
  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_KERNEL);
  vireo_new_machine_set_kernel (wizard, kernel);
  vireo_new_machine_set_initrd (wizard, initrd);
  vireo_new_machine_set_cmdline (wizard, "console=ttyS0 quiet");
  vireo_new_machine_set_memory (wizard, 512 * VIREO_MIB);
  vireo_new_machine_set_vcpus (wizard, 1);
  vireo_new_machine_set_disk_size (wizard, 2 * VIREO_GIB);
  g_free (kernel);
  kernel = vireo_new_machine_propose_name (wizard);
  vireo_new_machine_set_name (wizard, kernel);

  machine = create (wizard, &error);
  g_assert_no_error (error);
  g_assert_nonnull (machine);
  g_assert_true (vireo_library_find (library, vireo_machine_get_uuid (machine)) == machine);
  g_assert_cmpstr (vireo_machine_get_name (machine), ==, "Linux");
  g_assert_cmpstr (vireo_machine_get_os_name (machine), ==, "Generic Linux 2022");

  profile = vireo_machine_get_profile (machine);
  g_assert_cmpuint (vireo_profile_get_memory_kib (profile), ==, 512 * 1024);
  g_assert_cmpuint (vireo_profile_get_vcpus (profile), ==, 1);
  g_assert_cmpstr (vireo_profile_get_initrd (profile), ==, initrd);
  g_assert_cmpstr (vireo_profile_get_cmdline (profile), ==, "console=ttyS0 quiet");
  g_assert_cmpint (vireo_profile_get_firmware (profile), ==, VIREO_FIRMWARE_BIOS);
  g_assert_cmpuint (vireo_profile_get_n_disks (profile), ==, 1);
  vireo_profile_get_boot_order (profile, &n_boot);
  g_assert_cmpuint (n_boot, >=, 1);

  /* The new disk: a qcow2 image in the images folder, of the size asked. */
  disk = vireo_profile_get_disk (profile, 0);
  g_assert_cmpint (disk->format, ==, VIREO_DISK_FORMAT_QCOW2);
  g_assert_true (vireo_profile_store_owns_image (vireo_library_get_store (library), disk->path));
  g_assert_true (vireo_disk_image_probe (disk->path, &format, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpint (format, ==, VIREO_DISK_FORMAT_QCOW2);
  g_assert_cmpuint (size, ==, 2 * VIREO_GIB);
  assert_saved (library, machine);

  /* The same name again is refused, and nothing is left behind. */
  second = create (wizard, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_null (second);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 1);
}

static void
test_create_iso (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autofree char *iso = make_iso ("netinst.iso", "Debian 11.6.0 amd64 n");
  g_autofree char *name = NULL;
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  const VireoBootDevice *boot;
  VireoProfile *profile;
  guint n_boot = 0;

  if (iso == NULL)
    return;

  vireo_new_machine_set_iso (wizard, iso);
  g_assert_true (vireo_new_machine_validate_source (wizard, &error));
  g_assert_nonnull (vireo_new_machine_detect_os (wizard, iso, NULL, &error));
  g_assert_no_error (error);
  vireo_new_machine_set_disk_size (wizard, VIREO_GIB);
  vireo_new_machine_set_vcpus (wizard, 1);
  name = vireo_new_machine_propose_name (wizard);
  vireo_new_machine_set_name (wizard, name);

  machine = create (wizard, &error);
  g_assert_no_error (error);
  profile = vireo_machine_get_profile (machine);
  g_assert_cmpstr (vireo_machine_get_name (machine), ==, "Debian 11");
  g_assert_cmpstr (vireo_profile_get_os_id (profile), ==, "http://debian.org/debian/11");
  g_assert_cmpint (vireo_profile_get_firmware (profile), ==, VIREO_FIRMWARE_UEFI);
  /* Its own UEFI variable store, named in the images folder (deleted
   * with the machine); the file itself is made at the first start. */
  {
    GFile *images = vireo_profile_store_get_images_dir (vireo_library_get_store (library));
    g_autofree char *vars = g_strdup_printf ("%s/%s-VARS.fd", g_file_peek_path (images),
                                             vireo_profile_get_uuid (profile));

    g_assert_cmpstr (vireo_profile_get_nvram (profile), ==, vars);
    g_assert_false (g_file_test (vars, G_FILE_TEST_EXISTS));
  }
  /* libosinfo knows Debian drives virtio-net. */
  g_assert_cmpint (vireo_profile_get_nic_model (profile), ==, VIREO_NIC_MODEL_VIRTIO);
  g_assert_cmpuint (vireo_profile_get_n_disks (profile), ==, 2);
  g_assert_cmpint (vireo_profile_get_disk (profile, 0)->device, ==, VIREO_DISK_DEVICE_CDROM);
  g_assert_cmpstr (vireo_profile_get_disk (profile, 0)->path, ==, iso);
  g_assert_cmpint (vireo_profile_get_disk (profile, 1)->device, ==, VIREO_DISK_DEVICE_DISK);
  g_assert_cmpint (vireo_profile_get_disk (profile, 1)->bus, ==, VIREO_DISK_BUS_VIRTIO);
  boot = vireo_profile_get_boot_order (profile, &n_boot);
  g_assert_cmpuint (n_boot, ==, 2);
  g_assert_cmpint (boot[0], ==, VIREO_BOOT_DEVICE_CDROM);
  g_assert_cmpint (boot[1], ==, VIREO_BOOT_DEVICE_HD);
  assert_saved (library, machine);
}

static void
test_create_disk_image (void)
{
  g_autoptr(VireoLibrary) library = new_library (real_os_db ());
  g_autoptr(VireoNewMachine) wizard = vireo_new_machine_new (library);
  g_autofree char *image = test_tmp_path ("existing.qcow2");
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GDir) dir = NULL;
  GFile *images;
  VireoProfile *profile;

  g_assert_true (vireo_disk_image_create (image, VIREO_GIB, &error));
  g_assert_no_error (error);
  /* Never over an existing file. */
  g_assert_false (vireo_disk_image_create (image, VIREO_GIB, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_DISK_IMAGE);
  vireo_new_machine_set_disk_image (wizard, image);
  vireo_new_machine_set_vcpus (wizard, 1);
  name = vireo_new_machine_propose_name (wizard);
  vireo_new_machine_set_name (wizard, name);
  machine = create (wizard, &error);
  g_assert_no_error (error);

  profile = vireo_machine_get_profile (machine);
  /* Nothing says what the image runs: the card every OS drives. */
  g_assert_cmpint (vireo_profile_get_nic_model (profile), ==, VIREO_NIC_MODEL_E1000E);
  g_assert_cmpint (vireo_profile_get_disk (profile, 0)->bus, ==, VIREO_DISK_BUS_SATA);
  g_assert_cmpstr (vireo_machine_get_name (machine), ==, "existing");
  g_assert_cmpuint (vireo_profile_get_n_disks (profile), ==, 1);
  g_assert_cmpstr (vireo_profile_get_disk (profile, 0)->path, ==, image);
  g_assert_cmpint (vireo_profile_get_disk (profile, 0)->format, ==, VIREO_DISK_FORMAT_QCOW2);

  /* No new disk was made for it. */
  images = vireo_profile_store_get_images_dir (vireo_library_get_store (library));
  dir = g_dir_open (g_file_peek_path (images), 0, NULL);
  g_assert_true (dir == NULL || g_dir_read_name (dir) == NULL);
}

static void
test_grow_raw (void)
{
  g_autofree char *raw = test_tmp_path ("grow.img");
  g_autofree char *zeros = g_malloc0 (64 * 1024);
  g_autoptr(GError) error = NULL;
  guint64 size = 0;

  test_write_file (raw, zeros, 64 * 1024);
  g_assert_true (vireo_disk_image_can_grow (VIREO_DISK_FORMAT_RAW));
  g_assert_true (vireo_disk_image_grow (raw, VIREO_DISK_FORMAT_RAW, VIREO_MIB, &error));
  g_assert_no_error (error);
  g_assert_true (vireo_disk_image_probe (raw, NULL, &size, &error));
  g_assert_cmpuint (size, ==, VIREO_MIB);

  g_assert_false (vireo_disk_image_grow (raw, VIREO_DISK_FORMAT_RAW, 4096, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (vireo_disk_image_grow (raw, VIREO_DISK_FORMAT_QCOW2, 2 * VIREO_MIB, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/new-machine/detect-iso", test_detect_iso);
  g_test_add_func ("/new-machine/detect-iso-async", test_detect_iso_async);
  g_test_add_func ("/new-machine/recommendations", test_recommendations);
  g_test_add_func ("/new-machine/os-list-order", test_os_list_order);
  g_test_add_func ("/new-machine/names", test_names);
  g_test_add_func ("/new-machine/validate-source", test_validate_source);
  g_test_add_func ("/new-machine/validate-resources", test_validate_resources);
  g_test_add_func ("/new-machine/create-kernel", test_create_kernel);
  g_test_add_func ("/new-machine/create-iso", test_create_iso);
  g_test_add_func ("/new-machine/create-disk-image", test_create_disk_image);
  g_test_add_func ("/new-machine/grow-raw", test_grow_raw);

  return g_test_run ();
}
