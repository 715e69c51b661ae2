/* test-machine-screen.c
 *
 * What VireoMachine hands the monitor about booting and takes from it
 * about the screen. Without KVM (the unit tier): the profile's boot order
 * becomes the monitor's (network boot left out, repeats dropped); a
 * machine that is not running has no new thumbnail to give and keeps
 * the one it has until it starts again. With KVM (WITH_KVM, the kvm
 * tier): a machine booting SeaBIOS gets a thumbnail of its screen, the
 * size asked for, with SeaBIOS's text on it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "vireo-machine-private.h"
#include "test-profile-util.h"

static VireoMachine *
new_machine (VireoProfileStore *store,
             const char        *name)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new (name);

  vireo_profile_set_memory_kib (profile, 64 * 1024);
  vireo_profile_set_vcpus (profile, 1);
  return vireo_machine_new (store, profile);
}

static void
test_boot_order (void)
{
  static const struct {
    VireoBootDevice in[6];
    guint n_in;
    VmmBootDevice want[VMM_BOOT_DEVICES_MAX];
    guint n_want;
  } cases[] = {
    { { VIREO_BOOT_DEVICE_HD }, 1, { VMM_BOOT_DISK }, 1 },
    { { VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_HD }, 2, { VMM_BOOT_CDROM, VMM_BOOT_DISK }, 2 },
    /* Network boot is not the monitor's: left out, the rest kept in order. */
    { { VIREO_BOOT_DEVICE_NETWORK, VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_CDROM }, 3,
      { VMM_BOOT_DISK, VMM_BOOT_CDROM }, 2 },
    { { VIREO_BOOT_DEVICE_NETWORK }, 1, { 0 }, 0 },
    /* Nothing named: the firmware's own order. */
    { { 0 }, 0, { 0 }, 0 },
    /* Repeats, as a hand-written profile may have them. */
    { { VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_NETWORK,
        VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_HD, VIREO_BOOT_DEVICE_CDROM }, 6,
      { VMM_BOOT_DISK, VMM_BOOT_CDROM }, 2 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      VmmBootDevice out[VMM_BOOT_DEVICES_MAX];
      guint n;

      memset (out, 0x5a, sizeof out);
      n = vireo_machine_boot_order_for_vmm (cases[c].in, cases[c].n_in, out);
      g_assert_cmpuint (n, ==, cases[c].n_want);
      for (guint i = 0; i < n; i++)
        g_assert_cmpint (out[i], ==, cases[c].want[i]);
    }
}

/* The profile as loaded from XML maps the same way: what the user set
 * in Properties is what the firmware is told. */
static void
test_boot_order_from_profile (void)
{
  g_autoptr(VireoProfile) profile = vireo_profile_new ("Boot");
  static const VireoBootDevice order[] = {
    VIREO_BOOT_DEVICE_NETWORK, VIREO_BOOT_DEVICE_CDROM, VIREO_BOOT_DEVICE_HD,
  };
  VmmBootDevice out[VMM_BOOT_DEVICES_MAX];
  const VireoBootDevice *boot;
  guint n_boot, n;

  vireo_profile_set_boot_order (profile, order, G_N_ELEMENTS (order));
  boot = vireo_profile_get_boot_order (profile, &n_boot);
  n = vireo_machine_boot_order_for_vmm (boot, n_boot, out);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (out[0], ==, VMM_BOOT_CDROM);
  g_assert_cmpint (out[1], ==, VMM_BOOT_DISK);
}

static gboolean
update_thumbnail (VireoMachine  *machine,
                  guint          max_width,
                  guint          max_height,
                  GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_machine_update_thumbnail_async (machine, max_width, max_height, NULL,
                                        test_on_ready_cb, &result);
  return vireo_machine_update_thumbnail_finish (machine, test_wait_for (&result), error);
}

static gboolean
start (VireoMachine  *machine,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_machine_start_async (machine, NULL, test_on_ready_cb, &result);
  return vireo_machine_start_finish (machine, test_wait_for (&result), error);
}

static void
test_thumbnail_not_running (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_machine (store, "Stopped");
  g_autoptr(GdkPaintable) last = gdk_paintable_new_empty (64, 48);
  g_autoptr(GError) error = NULL;
  g_autofree char *not_linux = g_build_filename (g_get_user_data_dir (), "not-linux", NULL);

  /* A stopped machine keeps the picture of its last run. */
  vireo_machine_set_thumbnail (machine, last);
  g_assert_false (update_thumbnail (machine, 208, 156, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_true (vireo_machine_get_thumbnail (machine) == last);

  /* Starting again lets go of it, even when the start then fails, so
   * the old run's picture never stands for the new one. */
  g_assert_true (g_mkdir_with_parents (g_get_user_data_dir (), 0700) == 0);
  g_assert_true (g_file_set_contents (not_linux, "this is not a kernel", -1, NULL));
  vireo_profile_set_kernel (vireo_machine_get_profile (machine), not_linux);
  g_assert_false (start (machine, &error));
  g_clear_error (&error);
  g_assert_null (vireo_machine_get_thumbnail (machine));
}

#ifdef WITH_KVM
static gboolean
on_timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Colours in the thumbnail: a screen with text has more than one. */
static guint
count_colours (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint32 *pixels = g_new (guint32, (gsize) width * height);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER (pixels[i]));
  return g_hash_table_size (seen);
}

static void
test_thumbnail_seabios (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_machine (store, "BIOS");
  g_autoptr(GError) error = NULL;
  gboolean timed_out = FALSE, started;
  guint colours = 0, id;
  GdkTexture *texture = NULL;

  if (!g_file_test ("/usr/share/seabios/bios-256k.bin", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Debian's seabios package is not installed");
      return;
    }
  started = start (machine, &error);
  g_assert_no_error (error);
  g_assert_true (started);

  /* SeaBIOS's VGA BIOS sets a mode and prints its banner; however long
   * that takes on this host, the thumbnail must come to show it. */
  id = g_timeout_add_seconds (240, on_timeout_cb, &timed_out);
  while (!timed_out)
    {
      g_autoptr(GError) local = NULL;

      if (update_thumbnail (machine, 208, 156, &local))
        {
          texture = GDK_TEXTURE (vireo_machine_get_thumbnail (machine));
          g_assert_nonnull (texture);
          g_assert_cmpint (gdk_texture_get_width (texture), <=, 208);
          g_assert_cmpint (gdk_texture_get_height (texture), <=, 156);
          /* Fits the box on one side at least: shrunk, not cropped. */
          g_assert_true (gdk_texture_get_width (texture) == 208 ||
                         gdk_texture_get_height (texture) == 156);
          colours = count_colours (texture);
          if (colours > 1)
            break;
        }
      else
        {
          /* The screen is off until the VGA BIOS sets its mode. */
          g_assert_error (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
        }
      g_usleep (G_USEC_PER_SEC / 2);
    }
  if (!timed_out)
    g_source_remove (id);
  g_test_message ("thumbnail %dx%d with %u colours",
                  texture != NULL ? gdk_texture_get_width (texture) : 0,
                  texture != NULL ? gdk_texture_get_height (texture) : 0, colours);
  g_assert_cmpuint (colours, >, 1);

  {
    g_autoptr(GAsyncResult) result = NULL;

    vireo_machine_operate_async (machine, VIREO_MACHINE_OPERATION_FORCE_OFF, NULL,
                                 test_on_ready_cb, &result);
    g_assert_true (vireo_machine_operate_finish (machine, test_wait_for (&result), &error));
    g_assert_no_error (error);
  }
  while (vireo_machine_get_state (machine) != VIREO_MACHINE_STATE_STOPPED)
    g_main_context_iteration (NULL, TRUE);
  /* Stopped: no new picture, the last one kept. */
  g_assert_false (update_thumbnail (machine, 208, 156, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_assert_nonnull (vireo_machine_get_thumbnail (machine));
}
#endif

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/machine-screen/boot-order", test_boot_order);
  g_test_add_func ("/machine-screen/boot-order-from-profile", test_boot_order_from_profile);
  g_test_add_func ("/machine-screen/thumbnail-not-running", test_thumbnail_not_running);
#ifdef WITH_KVM
  if (g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    g_test_add_func ("/machine-screen/thumbnail-seabios", test_thumbnail_seabios);
#endif

  return g_test_run ();
}
