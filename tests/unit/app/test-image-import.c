/* test-image-import.c
 *
 * Disk images the monitor cannot open, from a file's first bytes to a
 * machine: format detection on whole, truncated and malformed headers;
 * qemu-img's progress output, whole, in pieces and malformed; and the
 * New Machine wizard's model converting VMDK, VDI and VHDX images made
 * here with qemu-img, checked with `qemu-img compare`, with Cancel, a
 * failing conversion and a missing qemu-img leaving nothing behind.
 *
 * The conversions need qemu-img (Debian's qemu-utils) and are skipped
 * without it; everything else runs everywhere.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sys/wait.h>

#include <glib/gstdio.h>

#include "vireo-image-converter.h"
#include "vireo-image-format.h"
#include "vireo-new-machine.h"
#include "vireo-qemu-img-progress.h"
#include "test-file-util.h"
#include "test-profile-util.h"

/* Detection --------------------------------------------------------------- */

static VireoImageFormat
detect (const void *header,
        gsize       len)
{
  return vireo_image_format_detect (header, len);
}

static void
test_detect (void)
{
  guint8 buf[VIREO_IMAGE_HEADER_SIZE] = { 0 };
  static const guint8 vdi_signature[4] = { 0x7f, 0x10, 0xda, 0xbe };

  g_assert_cmpint (detect (NULL, 0), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect (buf, sizeof buf), ==, VIREO_IMAGE_FORMAT_RAW);

  g_assert_cmpint (detect ("QFI\xfb\0\0\0\3", 8), ==, VIREO_IMAGE_FORMAT_QCOW2);
  g_assert_cmpint (detect ("KDMV\1\0\0\0", 8), ==, VIREO_IMAGE_FORMAT_VMDK);
  g_assert_cmpint (detect ("COWD\1\0\0\0", 8), ==, VIREO_IMAGE_FORMAT_VMDK);
  g_assert_cmpint (detect ("# Disk DescriptorFile\nversion=1\n", 32), ==, VIREO_IMAGE_FORMAT_VMDK);
  g_assert_cmpint (detect ("\n\r\n  # Disk DescriptorFile\n", 27), ==, VIREO_IMAGE_FORMAT_VMDK);
  g_assert_cmpint (detect ("vhdxfile", 8), ==, VIREO_IMAGE_FORMAT_VHDX);
  g_assert_cmpint (detect ("conectix\0\0\0\2", 12), ==, VIREO_IMAGE_FORMAT_VHD);

  /* VDI: VirtualBox's text, then the signature at 0x40. */
  memcpy (buf, "<<< Oracle VM VirtualBox Disk Image >>>\n", 40);
  memcpy (buf + 0x40, vdi_signature, 4);
  g_assert_cmpint (detect (buf, sizeof buf), ==, VIREO_IMAGE_FORMAT_VDI);
  g_assert_cmpint (detect (buf, 0x44), ==, VIREO_IMAGE_FORMAT_VDI);

  /* Truncated: one byte short of each signature is no signature. */
  g_assert_cmpint (detect (buf, 0x43), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect (buf, 0x40), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("QFI", 3), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("KDM", 3), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("vhdxfil", 7), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("conecti", 7), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("# Disk DescriptorFil", 20), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("\n\n# Disk Descr", 14), ==, VIREO_IMAGE_FORMAT_RAW);

  /* Malformed: the right bytes in the wrong place, or nearly right. */
  memset (buf, 0, sizeof buf);
  memcpy (buf + 0x3f, vdi_signature, 4);
  g_assert_cmpint (detect (buf, sizeof buf), ==, VIREO_IMAGE_FORMAT_RAW);
  memset (buf, 0, sizeof buf);
  memcpy (buf + 0x40, "\xbe\xda\x10\x7f", 4);
  g_assert_cmpint (detect (buf, sizeof buf), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect (" KDMV", 5), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("kdmv", 4), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("VHDXFILE", 8), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("x# Disk DescriptorFile", 22), ==, VIREO_IMAGE_FORMAT_RAW);
  g_assert_cmpint (detect ("#Disk DescriptorFile\n", 21), ==, VIREO_IMAGE_FORMAT_RAW);
  /* Domain XML is not an image. */
  g_assert_cmpint (detect ("<domain type='kvm'/>", 20), ==, VIREO_IMAGE_FORMAT_RAW);

  g_assert_true (vireo_image_format_needs_conversion (VIREO_IMAGE_FORMAT_VMDK));
  g_assert_true (vireo_image_format_needs_conversion (VIREO_IMAGE_FORMAT_VDI));
  g_assert_true (vireo_image_format_needs_conversion (VIREO_IMAGE_FORMAT_VHDX));
  g_assert_true (vireo_image_format_needs_conversion (VIREO_IMAGE_FORMAT_VHD));
  g_assert_false (vireo_image_format_needs_conversion (VIREO_IMAGE_FORMAT_RAW));
  g_assert_false (vireo_image_format_needs_conversion (VIREO_IMAGE_FORMAT_QCOW2));
  g_assert_cmpstr (vireo_image_format_get_qemu_name (VIREO_IMAGE_FORMAT_VHD), ==, "vpc");
}

static void
test_detect_file (void)
{
  g_autofree char *missing = test_tmp_path ("missing.vmdk");
  g_autofree char *empty = test_tmp_path ("empty.vmdk");
  g_autofree char *short_vmdk = test_tmp_path ("short.vmdk");
  g_autofree char *cut_vdi = test_tmp_path ("cut.vdi");
  g_autofree char *named_img = test_tmp_path ("really-a-vmdk.img");
  g_autofree char *named_vmdk = test_tmp_path ("really-raw.vmdk");
  g_autofree char *vdi = g_malloc0 (0x43);
  g_autofree char *zeros = g_malloc0 (4096);
  g_autoptr(GError) error = NULL;
  VireoImageFormat format = VIREO_IMAGE_FORMAT_QCOW2;

  g_assert_false (vireo_image_format_detect_file (missing, &format, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  test_write_file (empty, "", 0);
  g_assert_false (vireo_image_format_detect_file (empty, &format, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (vireo_image_format_detect_file (g_get_user_cache_dir (), &format, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY);
  g_clear_error (&error);

  /* The magic alone says VMDK; qemu-img will say what else is wrong. */
  test_write_file (short_vmdk, "KDMV", 4);
  g_assert_true (vireo_image_format_detect_file (short_vmdk, &format, &error));
  g_assert_no_error (error);
  g_assert_cmpint (format, ==, VIREO_IMAGE_FORMAT_VMDK);

  /* A VDI cut off inside its signature. */
  memcpy (vdi + 0x40, "\x7f\x10\xda", 3);
  test_write_file (cut_vdi, vdi, 0x43);
  g_assert_true (vireo_image_format_detect_file (cut_vdi, &format, &error));
  g_assert_cmpint (format, ==, VIREO_IMAGE_FORMAT_RAW);

  /* The contents decide, not the name. */
  test_write_file (named_img, "KDMV\1\0\0\0", 8);
  g_assert_true (vireo_image_format_detect_file (named_img, &format, &error));
  g_assert_cmpint (format, ==, VIREO_IMAGE_FORMAT_VMDK);
  test_write_file (named_vmdk, zeros, 4096);
  g_assert_true (vireo_image_format_detect_file (named_vmdk, &format, &error));
  g_assert_cmpint (format, ==, VIREO_IMAGE_FORMAT_RAW);
}

/* VMDK descriptors: the files they name --------------------------------- */

static gboolean
descriptor_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = vireo_vmdk_descriptor_check (text, strlen (text), &error);

  g_assert_true (ok == (error == NULL));
  if (!ok)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
      g_test_message ("%s", error->message);
    }
  return ok;
}

static void
test_vmdk_descriptor (void)
{
  static const char * const good[] = {
    "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
    "createType=\"monolithicFlat\"\n\n# Extent description\n"
    "RW 131072 FLAT \"disk-flat.vmdk\" 0\n\nddb.virtualHWVersion = \"4\"\n",
    "RW 8 SPARSE \"a b.vmdk\"\r\nRDONLY 8 SPARSE \"c.vmdk\"\r\n",
    "  RW 8 FLAT \"x.vmdk\" 0\nparentFileNameHint=\"base.vmdk\"\n",
    /* No parent, said with an empty hint. */
    "parentFileNameHint=\"\"\n",
    /* Not extent lines: other words, or no quotes. */
    "RWX 8 FLAT \"/etc/passwd\" 0\n# RW 8 FLAT \"/etc/passwd\"\nRW 8 FLAT noquotes 0\n",
    /* qemu-img stops at the NUL; so does the check. */
    "RW 8 FLAT \"ok.vmdk\" 0\n",
    "",
  };
  static const char * const bad[] = {
    "RW 8 FLAT \"/home/user/.ssh/id_rsa\" 0\n",
    "RW 8 FLAT \"../../secret\" 0\n",
    "RW 8 FLAT \"sub/disk.vmdk\" 0\n",
    "RW 8 FLAT \"nbd://example.com/disk\" 0\n",
    "RW 8 FLAT \"json:{\\\"driver\\\":\\\"file\\\"}\" 0\n",
    "RW 8 FLAT \"..\" 0\n",
    "RW 8 FLAT \"\" 0\n",
    "\tRDONLY 8 SPARSE \"C:\\\\disk.vmdk\"\n",
    "NOACCESS 8 ZERO \"/dev/sda\"\n",
    "RW 8 FLAT \"unterminated/\n",
    "parentFileNameHint=\"/var/lib/base.vmdk\"\n",
    "ddb.x = 1 parentFileNameHint=\"http://example.com/b\"\n",
    /* The hint cut off where its name should start. */
    "parentFileNameHint=",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (descriptor_ok (good[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_false (descriptor_ok (bad[i]));
    }

  /* Past a NUL nothing is read, as by qemu-img. */
  g_assert_true (vireo_vmdk_descriptor_check ("RW 8 FLAT \"a.vmdk\"\0RW 8 FLAT \"/x\"\n", 33, NULL));
  g_assert_true (vireo_vmdk_descriptor_check (NULL, 0, NULL));
}

/* Progress ---------------------------------------------------------------- */

static gboolean
parse (const char *record,
       guint      *value)
{
  *value = G_MAXUINT;
  return vireo_qemu_img_parse_progress (record, strlen (record), value);
}

static void
test_progress_parse (void)
{
  static const struct {
    const char *record;
    guint       value;
  } good[] = {
    { "    (0.00/100%)", 0 },
    { "    (42.17/100%)", 4217 },
    { "    (100.00/100%)", 10000 },
    { "(5/100%)", 500 },
    { "(5.5/100%)", 550 },
    { "(3,25/100%)", 325 },
    { "(42.129/100%)", 4212 },
    { "(007.00/100%)", 700 },
    { "\t(1.00/100%)  ", 100 },
    /* Text before the report, e.g. a warning without a line end. */
    { "warning: something (x) (12.50/100%)", 1250 },
    { "((((64.00/100%)", 6400 },
  };
  static const char * const bad[] = {
    "", "(", ")", "()", "(/100%)", "(.5/100%)", "(5./100%)", "(abc/100%)",
    "(-1.00/100%)", "(+1.00/100%)", "(101.00/100%)", "(100.01/100%)",
    "(1000/100%)", "(0100.00/100%)", "(42.00/50%)", "(42.00/100)", "(42.00/100%",
    "(42.00/100%)x", "(42.00 /100%)", "( 42.00/100%)", "(42.00/100%)\v",
    "42.00/100%", "(42.000000001/100%)", "(42.00/100%)(", "(4 2/100%)",
    "(99999999999999999999/100%)", "(1.2.3/100%)", "(42.00/100%%)",
  };
  guint value;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_test_message ("%s", good[i].record);
      g_assert_true (parse (good[i].record, &value));
      g_assert_cmpuint (value, ==, good[i].value);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_false (parse (bad[i], &value));
      g_assert_cmpuint (value, ==, G_MAXUINT);
    }

  /* A NUL inside the record is a byte like any other. */
  g_assert_false (vireo_qemu_img_parse_progress ("(4\0.00/100%)", 12, &value));
  g_assert_false (vireo_qemu_img_parse_progress (NULL, 0, &value));
}

static void
test_progress_stream (void)
{
  /* What qemu-img 7.2 writes for a small image, byte for byte. */
  static const char output[] = "    (0.00/100%)\r    (50.00/100%)\r    (100.00/100%)\r\n";
  VireoQemuImgProgress progress;
  g_autofree char *garbage = NULL;
  guint advanced = 0;

  /* Whole. */
  vireo_qemu_img_progress_init (&progress);
  g_assert_cmpfloat (vireo_qemu_img_progress_get_fraction (&progress), ==, 0.0);
  g_assert_true (vireo_qemu_img_progress_feed (&progress, output, strlen (output)));
  g_assert_cmpfloat (vireo_qemu_img_progress_get_fraction (&progress), ==, 1.0);

  /* One byte at a time: the same reports, each once. */
  vireo_qemu_img_progress_init (&progress);
  for (gsize i = 0; i < strlen (output); i++)
    {
      if (vireo_qemu_img_progress_feed (&progress, output + i, 1))
        {
          advanced++;
          /* A report is read when its record ends, never before. */
          g_assert_true (output[i] == '\r');
        }
    }
  g_assert_cmpuint (advanced, ==, 2);
  g_assert_cmpfloat (vireo_qemu_img_progress_get_fraction (&progress), ==, 1.0);

  /* Backwards and out-of-range values do not move it. */
  vireo_qemu_img_progress_init (&progress);
  g_assert_true (vireo_qemu_img_progress_feed (&progress, "(60.00/100%)\r", 13));
  g_assert_false (vireo_qemu_img_progress_feed (&progress, "(20.00/100%)\r", 13));
  g_assert_false (vireo_qemu_img_progress_feed (&progress, "(160.00/100%)\r", 14));
  g_assert_false (vireo_qemu_img_progress_feed (&progress, "(60.00/100%)\n", 13));
  g_assert_cmpfloat_with_epsilon (vireo_qemu_img_progress_get_fraction (&progress), 0.6, 1e-9);

  /* A long run without a line end (binary noise on the pipe) is dropped
   * from the front; the report that follows still counts. */
  garbage = g_malloc (100000);
  for (gsize i = 0; i < 100000; i++)
    garbage[i] = (char) ("(9/100%)x"[i % 9]);
  g_assert_false (vireo_qemu_img_progress_feed (&progress, garbage, 100000));
  g_assert_true (vireo_qemu_img_progress_feed (&progress, " (70.00/100%)\r", 14));
  g_assert_cmpfloat_with_epsilon (vireo_qemu_img_progress_get_fraction (&progress), 0.7, 1e-9);

  /* A last record without its terminator, as when qemu-img is killed. */
  g_assert_false (vireo_qemu_img_progress_feed (&progress, "(80.0", 5));
  g_assert_false (vireo_qemu_img_progress_feed (&progress, "0/100%)", 7));
  g_assert_true (vireo_qemu_img_progress_finish (&progress));
  g_assert_cmpfloat_with_epsilon (vireo_qemu_img_progress_get_fraction (&progress), 0.8, 1e-9);
  g_assert_false (vireo_qemu_img_progress_finish (&progress));

  /* Cut off mid-report: nothing. */
  g_assert_false (vireo_qemu_img_progress_feed (&progress, "(95.0", 5));
  g_assert_false (vireo_qemu_img_progress_feed (&progress, "\r", 1));
  g_assert_false (vireo_qemu_img_progress_feed (&progress, NULL, 0));
}

/* Converting -------------------------------------------------------------- */

static gboolean
have_qemu_img (void)
{
  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");

  if (qemu_img == NULL)
    g_test_skip ("qemu-img is not installed (Debian: qemu-utils)");
  return qemu_img != NULL;
}

/* Runs qemu-img with @args (NULL-terminated); returns its exit status. */
static int
qemu_img (const char *first,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  int status = 0;
  va_list ap;

  g_ptr_array_add (argv, (char *) "qemu-img");
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("qemu-img %s: %s", first, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* A @format image of 16 MiB with data in a few places, so that the
 * comparison after converting means something. */
static char *
make_image (const char *name,
            const char *format)
{
  g_autofree char *raw = test_tmp_path ("source.raw");
  g_autofree char *data = g_malloc0 (16 * 1024 * 1024);
  char *path = test_tmp_path (name);

  for (gsize i = 0; i < 4096; i++)
    {
      data[i] = (char) (i * 7);
      data[5 * 1024 * 1024 + i] = (char) (i ^ 0x5a);
      data[16 * 1024 * 1024 - 4096 + i] = (char) (255 - i);
    }
  test_write_file (raw, data, 16 * 1024 * 1024);
  g_assert_cmpint (qemu_img ("convert", "-f", "raw", "-O", format, raw, path, NULL), ==, 0);
  g_unlink (raw);
  return path;
}

static char *
checksum_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
}

/* The files in the images folder. */
static guint
count_images (VireoLibrary *library)
{
  GFile *images = vireo_profile_store_get_images_dir (vireo_library_get_store (library));
  g_autoptr(GDir) dir = g_dir_open (g_file_peek_path (images), 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static VireoNewMachine *
new_wizard (VireoLibrary *library,
            const char   *image)
{
  VireoNewMachine *wizard = vireo_new_machine_new (library);
  g_autofree char *name = NULL;

  vireo_new_machine_set_source_kind (wizard, VIREO_SOURCE_DISK_IMAGE);
  vireo_new_machine_set_disk_image (wizard, image);
  vireo_new_machine_set_vcpus (wizard, 1);
  vireo_new_machine_set_memory (wizard, 256 * VIREO_MIB);
  name = vireo_new_machine_propose_name (wizard);
  vireo_new_machine_set_name (wizard, name);
  return wizard;
}

typedef struct {
  guint   converters;
  guint   updates;
  double  last;
  GCancellable *cancel_on_start;
} Watch;

static void
on_fraction_cb (VireoImageConverter *converter,
                GParamSpec          *pspec,
                Watch               *watch)
{
  double fraction = vireo_image_converter_get_fraction (converter);

  g_assert_cmpfloat (fraction, >=, watch->last);
  g_assert_cmpfloat (fraction, <=, 1.0);
  watch->last = fraction;
  watch->updates++;
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
on_converter_cb (VireoNewMachine *wizard,
                 GParamSpec      *pspec,
                 Watch           *watch)
{
  VireoImageConverter *converter = vireo_new_machine_get_converter (wizard);

  if (converter == NULL)
    return;
  watch->converters++;
  g_signal_connect (converter, "notify::fraction", G_CALLBACK (on_fraction_cb), watch);
  /* Before anything qemu-img does is read: high priority runs first in
   * the next iteration, so the cancel lands while it runs, however fast. */
  if (watch->cancel_on_start != NULL)
    g_idle_add_full (G_PRIORITY_HIGH, cancel_cb, g_object_ref (watch->cancel_on_start), g_object_unref);
}

static VireoMachine *
create (VireoNewMachine *wizard,
        GCancellable    *cancellable,
        Watch           *watch,
        GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gulong id = g_signal_connect (wizard, "notify::converter", G_CALLBACK (on_converter_cb), watch);
  VireoMachine *machine;

  vireo_new_machine_create_async (wizard, cancellable, test_on_ready_cb, &result);
  machine = vireo_new_machine_create_finish (wizard, test_wait_for (&result), error);
  g_signal_handler_disconnect (wizard, id);
  g_assert_null (vireo_new_machine_get_converter (wizard));
  return machine;
}

static void
convert_through_wizard (const char *format,
                        const char *name)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = vireo_library_new (store);
  g_autoptr(VireoNewMachine) wizard = NULL;
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  const VireoProfileDisk *disk;
  VireoDiskFormat disk_format;
  guint64 size = 0;
  Watch watch = { 0 };

  if (!have_qemu_img ())
    return;

  source = make_image (name, format);
  before = checksum_file (source);
  wizard = new_wizard (library, source);
  g_assert_true (vireo_new_machine_validate_source (wizard, &error));
  g_assert_no_error (error);

  machine = create (wizard, NULL, &watch, &error);
  g_assert_no_error (error);
  g_assert_nonnull (machine);
  g_assert_cmpuint (watch.converters, ==, 1);
  g_assert_cmpuint (watch.updates, >=, 1);
  g_assert_cmpfloat (watch.last, ==, 1.0);

  /* The machine boots from a qcow2 copy in the images folder, with the
   * source's name and the same contents. */
  disk = vireo_profile_get_disk (vireo_machine_get_profile (machine), 0);
  g_assert_cmpint (disk->format, ==, VIREO_DISK_FORMAT_QCOW2);
  g_assert_true (vireo_profile_store_owns_image (store, disk->path));
  expected = g_strdup_printf ("%s/disk.qcow2",
                              g_file_peek_path (vireo_profile_store_get_images_dir (store)));
  g_assert_cmpstr (disk->path, ==, expected);
  g_assert_true (vireo_disk_image_probe (disk->path, &disk_format, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpint (disk_format, ==, VIREO_DISK_FORMAT_QCOW2);
  g_assert_cmpuint (size, ==, 16 * 1024 * 1024);
  g_assert_cmpint (qemu_img ("compare", "-f", format, "-F", "qcow2", source, disk->path, NULL), ==, 0);
  g_assert_cmpint (qemu_img ("check", "-f", "qcow2", disk->path, NULL), ==, 0);
  /* Nothing else there: no temporary file left. */
  g_assert_cmpuint (count_images (library), ==, 1);

  /* The user's file is as it was. */
  after = checksum_file (source);
  g_assert_cmpstr (before, ==, after);
}

static void
test_convert_vmdk (void)
{
  convert_through_wizard ("vmdk", "disk.vmdk");
}

static void
test_convert_vdi (void)
{
  convert_through_wizard ("vdi", "disk.vdi");
}

static void
test_convert_vhdx (void)
{
  convert_through_wizard ("vhdx", "disk.vhdx");
}

static void
test_convert_cancel (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = vireo_library_new (store);
  g_autoptr(VireoNewMachine) wizard = NULL;
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(VireoImageConverter) converter = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancellable2 = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *path = NULL;
  Watch watch = { 0 };

  if (!have_qemu_img ())
    return;

  source = make_image ("cancel.vmdk", "vmdk");
  before = checksum_file (source);

  /* Through the wizard: cancelled while qemu-img runs. */
  wizard = new_wizard (library, source);
  watch.cancel_on_start = cancellable;
  machine = create (wizard, cancellable, &watch, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (machine);
  g_assert_cmpuint (watch.converters, ==, 1);
  g_assert_cmpuint (count_images (library), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 0);
  g_clear_error (&error);

  /* The converter alone, cancelled before its first main loop turn. */
  converter = vireo_image_converter_new (source, VIREO_IMAGE_FORMAT_VMDK,
                                         vireo_profile_store_get_images_dir (store));
  vireo_image_converter_run_async (converter, cancellable2, test_on_ready_cb, &result);
  g_cancellable_cancel (cancellable2);
  path = vireo_image_converter_run_finish (converter, test_wait_for (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (path);
  g_assert_cmpuint (count_images (library), ==, 0);

  after = checksum_file (source);
  g_assert_cmpstr (before, ==, after);
}

static char *
convert (VireoImageConverter *converter,
         GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_image_converter_run_async (converter, NULL, test_on_ready_cb, &result);
  return vireo_image_converter_run_finish (converter, test_wait_for (&result), error);
}

static void
test_convert_unique_names (void)
{
  g_autoptr(GFile) dir = g_file_new_for_path (g_get_user_data_dir ());
  g_autoptr(VireoImageConverter) converter = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *expected = NULL;

  if (!have_qemu_img ())
    return;

  source = make_image ("Windows XP.vdi", "vdi");
  converter = vireo_image_converter_new (source, VIREO_IMAGE_FORMAT_VDI, dir);
  first = convert (converter, &error);
  g_assert_no_error (error);
  expected = g_build_filename (g_get_user_data_dir (), "Windows XP.qcow2", NULL);
  g_assert_cmpstr (first, ==, expected);
  g_assert_cmpfloat (vireo_image_converter_get_fraction (converter), ==, 1.0);

  /* Again: a new name, the first image untouched. */
  second = convert (converter, &error);
  g_assert_no_error (error);
  g_free (expected);
  expected = g_build_filename (g_get_user_data_dir (), "Windows XP-2.qcow2", NULL);
  g_assert_cmpstr (second, ==, expected);
  g_assert_cmpint (qemu_img ("compare", first, second, NULL), ==, 0);
}

/* A VMDK naming a file outside its folder is refused before qemu-img
 * runs: at the source page, and by the converter itself. */
static void
test_convert_refuses_references (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = vireo_library_new (store);
  g_autoptr(VireoNewMachine) wizard = NULL;
  g_autoptr(VireoImageConverter) converter = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *flat = test_tmp_path ("flat.vmdk");
  g_autofree char *flat_data = test_tmp_path ("flat-flat.vmdk");
  g_autofree char *descriptor = NULL;
  g_autofree char *evil = test_tmp_path ("evil.vmdk");
  g_autofree char *sparse = test_tmp_path ("sparse.vmdk");
  g_autofree char *secret = test_tmp_path ("secret.txt");
  g_autofree char *path = NULL;
  g_autoptr(GString) text = NULL;
  g_autofree guint8 *header = g_malloc0 (4096);
  guint64 capacity = 0, desc_offset = GUINT64_TO_LE (2);
  gsize len = 0;
  Watch watch = { 0 };

  if (!have_qemu_img ())
    return;

  /* What qemu-img writes for a descriptor with a flat extent passes. */
  g_assert_cmpint (qemu_img ("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", flat, "1M", NULL), ==, 0);
  g_assert_true (g_file_test (flat_data, G_FILE_TEST_EXISTS));
  g_assert_true (vireo_image_format_check_references (flat, VIREO_IMAGE_FORMAT_VMDK, &error));
  g_assert_no_error (error);

  /* The same, its extent pointed at another file of the user's. */
  test_write_file (secret, "not for the guest\n", 18);
  g_file_get_contents (flat, &descriptor, &len, &error);
  g_assert_no_error (error);
  text = g_string_new_len (descriptor, (gssize) len);
  g_assert_cmpuint (g_string_replace (text, "\"flat-flat.vmdk\"", "\"../cache/secret.txt\"", 0), ==, 1);
  test_write_file (evil, text->str, text->len);
  wizard = new_wizard (library, evil);
  g_assert_false (vireo_new_machine_validate_source (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "../cache/secret.txt"));
  g_clear_error (&error);
  g_assert_null (create (wizard, NULL, &watch, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  converter = vireo_image_converter_new (evil, VIREO_IMAGE_FORMAT_VMDK,
                                         vireo_profile_store_get_images_dir (store));
  path = convert (converter, &error);
  g_assert_null (path);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_cmpuint (count_images (library), ==, 0);

  /* A sparse header of capacity 0 whose descriptor (sector 2) names an
   * absolute path. */
  memcpy (header, "KDMV\1\0\0\0\3\0\0\0", 12);
  memcpy (header + 12, &capacity, 8);
  memcpy (header + 28, &desc_offset, 8);
  memcpy (header + 1024, "RW 8 FLAT \"/etc/passwd\" 0\n", 27);
  test_write_file (sparse, header, 4096);
  g_assert_false (vireo_image_format_check_references (sparse, VIREO_IMAGE_FORMAT_VMDK, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  /* The same bytes at sector 2 of an image with a capacity are data. */
  capacity = GUINT64_TO_LE (8);
  memcpy (header + 12, &capacity, 8);
  test_write_file (sparse, header, 4096);
  g_assert_true (vireo_image_format_check_references (sparse, VIREO_IMAGE_FORMAT_VMDK, &error));
  g_assert_no_error (error);
  /* A parent hint in the embedded descriptor (byte 512 on). */
  memcpy (header + 512, "parentFileNameHint=\"/etc/shadow\"\n", 33);
  test_write_file (sparse, header, 4096);
  g_assert_false (vireo_image_format_check_references (sparse, VIREO_IMAGE_FORMAT_VMDK, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static void
test_convert_fails (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = vireo_library_new (store);
  g_autoptr(VireoNewMachine) wizard = NULL;
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *broken = test_tmp_path ("broken.vmdk");
  g_autofree char *header = g_malloc0 (4096);
  Watch watch = { 0 };

  if (!have_qemu_img ())
    return;

  /* A VMDK header with nonsense after the magic. */
  memset (header, 0xff, 4096);
  memcpy (header, "KDMV", 4);
  test_write_file (broken, header, 4096);

  wizard = new_wizard (library, broken);
  machine = create (wizard, NULL, &watch, &error);
  g_assert_null (machine);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_test_message ("%s", error->message);
  /* qemu-img's last line, without its name in front. */
  g_assert_true (g_str_has_prefix (error->message, "The disk image could not be converted: "));
  g_assert_cmpuint (strlen (error->message), >, strlen ("The disk image could not be converted: "));
  g_assert_null (strstr (error->message, "qemu-img: "));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpuint (count_images (library), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 0);
}

static void
test_qemu_img_missing (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = vireo_library_new (store);
  g_autoptr(VireoNewMachine) wizard = NULL;
  g_autoptr(VireoMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *vmdk = test_tmp_path ("nowhere.vmdk");
  g_autofree char *raw = test_tmp_path ("plain.img");
  g_autofree char *zeros = g_malloc0 (65536);
  g_autofree char *path = g_strdup (g_getenv ("PATH"));
  g_autofree char *empty_dir = test_tmp_path ("no-programs");
  Watch watch = { 0 };

  test_write_file (vmdk, "KDMV\1\0\0\0", 8);
  test_write_file (raw, zeros, 65536);
  g_mkdir_with_parents (empty_dir, 0700);
  g_setenv ("PATH", empty_dir, TRUE);

  wizard = new_wizard (library, vmdk);
  g_assert_false (vireo_new_machine_validate_source (wizard, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==,
                   "Converting VMDK images needs qemu-img. Install the qemu-utils package and try again.");
  g_clear_error (&error);

  /* Create says the same, and makes nothing. */
  machine = create (wizard, NULL, &watch, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (watch.converters, ==, 0);
  g_assert_cmpuint (count_images (library), ==, 0);
  g_clear_error (&error);

  /* Raw images need no qemu-img. */
  vireo_new_machine_set_disk_image (wizard, raw);
  g_assert_true (vireo_new_machine_validate_source (wizard, &error));
  g_assert_no_error (error);

  g_setenv ("PATH", path, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/image-import/detect", test_detect);
  g_test_add_func ("/image-import/detect-file", test_detect_file);
  g_test_add_func ("/image-import/vmdk-descriptor", test_vmdk_descriptor);
  g_test_add_func ("/image-import/progress-parse", test_progress_parse);
  g_test_add_func ("/image-import/progress-stream", test_progress_stream);
  g_test_add_func ("/image-import/qemu-img-missing", test_qemu_img_missing);
  g_test_add_func ("/image-import/convert-vmdk", test_convert_vmdk);
  g_test_add_func ("/image-import/convert-vdi", test_convert_vdi);
  g_test_add_func ("/image-import/convert-vhdx", test_convert_vhdx);
  g_test_add_func ("/image-import/convert-cancel", test_convert_cancel);
  g_test_add_func ("/image-import/convert-unique-names", test_convert_unique_names);
  g_test_add_func ("/image-import/convert-refuses-references", test_convert_refuses_references);
  g_test_add_func ("/image-import/convert-fails", test_convert_fails);

  return g_test_run ();
}
