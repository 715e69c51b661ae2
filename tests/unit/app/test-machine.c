/* test-machine.c
 *
 * VireoMachine running in-process through vmm-core. Without KVM (the unit
 * tier): what the monitor cannot run is refused in plain words and leaves
 * the machine stopped; a running machine cannot be deleted. With KVM and
 * GUEST_DIR (the kvm tier): the project's real-mode programs run, pause,
 * resume, shut down on the power button and are forced off, with every
 * state change arriving on the main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "vireo-library.h"
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

static gboolean
start (VireoMachine  *machine,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_machine_start_async (machine, NULL, test_on_ready_cb, &result);
  return vireo_machine_start_finish (machine, test_wait_for (&result), error);
}

static gboolean
operate (VireoMachine           *machine,
         VireoMachineOperation   operation,
         GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  vireo_machine_operate_async (machine, operation, NULL, test_on_ready_cb, &result);
  return vireo_machine_operate_finish (machine, test_wait_for (&result), error);
}

static void
test_machine_firmware_missing (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_machine (store, "Firmware");
  g_autoptr(GError) error = NULL;

  /* A UEFI machine whose firmware file is gone says what to install,
   * before anything starts. */
  vireo_profile_set_firmware (vireo_machine_get_profile (machine), VIREO_FIRMWARE_UEFI);
  vireo_profile_set_loader (vireo_machine_get_profile (machine), "/nonexistent/OVMF_CODE_4M.fd");

  g_assert_true (vireo_machine_can (machine, VIREO_MACHINE_OPERATION_START));
  g_assert_false (vireo_machine_can (machine, VIREO_MACHINE_OPERATION_PAUSE));
  g_assert_false (vireo_machine_can (machine, VIREO_MACHINE_OPERATION_FORCE_OFF));

  g_assert_false (start (machine, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/OVMF_CODE_4M.fd"));
  g_assert_nonnull (strstr (error->message, "ovmf"));
  g_assert_cmpint (vireo_machine_get_state (machine), ==, VIREO_MACHINE_STATE_STOPPED);
  g_clear_error (&error);

  /* Nothing to pause, force off or look at. */
  g_assert_cmpint (vireo_machine_open_display_fd (machine, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_false (operate (machine, VIREO_MACHINE_OPERATION_PAUSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (operate (machine, VIREO_MACHINE_OPERATION_FORCE_OFF, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

static void
test_machine_bad_kernel (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_machine (store, "Bad kernel");
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (g_get_user_data_dir (), "no-such-vmlinuz", NULL);
  g_autofree char *not_linux = g_build_filename (g_get_user_data_dir (), "not-linux", NULL);

  vireo_profile_set_kernel (vireo_machine_get_profile (machine), missing);
  g_assert_false (start (machine, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (vireo_machine_get_state (machine), ==, VIREO_MACHINE_STATE_STOPPED);
  g_clear_error (&error);

  /* A file that is not a bzImage fails the same way, whether or not
   * this host has KVM, and can be tried again. */
  g_assert_true (g_mkdir_with_parents (g_get_user_data_dir (), 0700) == 0);
  g_assert_true (g_file_set_contents (not_linux, "this is not a kernel", -1, NULL));
  vireo_profile_set_kernel (vireo_machine_get_profile (machine), not_linux);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_false (start (machine, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
      g_assert_cmpint (vireo_machine_get_state (machine), ==, VIREO_MACHINE_STATE_STOPPED);
      g_assert_false (vireo_machine_is_active (machine));
    }
}

static void
test_library_active_not_deleted (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = vireo_library_new (store);
  g_autoptr(VireoProfile) profile = vireo_profile_new ("Busy");
  g_autoptr(GError) error = NULL;
  VireoMachine *machine;

  vireo_profile_store_save (store, profile, NULL, &error);
  g_assert_no_error (error);
  machine = vireo_library_add (library, profile);
  g_assert_cmpuint (vireo_library_get_n_active (library), ==, 0);

  vireo_machine_set_state (machine, VIREO_MACHINE_STATE_PAUSED);
  g_assert_cmpuint (vireo_library_get_n_active (library), ==, 1);
  g_assert_false (vireo_library_delete (library, machine, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 1);

  vireo_machine_set_state (machine, VIREO_MACHINE_STATE_CRASHED);
  g_assert_cmpuint (vireo_library_get_n_active (library), ==, 0);
  g_assert_true (vireo_library_delete (library, machine, FALSE, &error));
  g_assert_no_error (error);
}

#ifdef GUEST_DIR
static gboolean
on_timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until the machine is in @state; states only
 * change there, so this also proves the marshalling. */
static void
wait_for_state (VireoMachine      *machine,
                VireoMachineState  state)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (60, on_timeout_cb, &timed_out);

  while (vireo_machine_get_state (machine) != state && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_cmpint (vireo_machine_get_state (machine), ==, state);
}

static VireoMachine *
new_guest (VireoProfileStore *store,
           const char        *name,
           const char        *program)
{
  g_autofree char *path = g_build_filename (GUEST_DIR, program, NULL);
  VireoMachine *machine = new_machine (store, name);

  vireo_machine_set_realmode_image (machine, path);
  return machine;
}

static void
test_machine_run_cycle (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_guest (store, "Button", "guest-button.bin");
  g_autoptr(GError) error = NULL;

  g_assert_true (start (machine, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_RUNNING);
  g_assert_false (vireo_machine_can (machine, VIREO_MACHINE_OPERATION_START));
  g_assert_false (start (machine, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);

  /* The real-mode programs have no screen; the monitor says so. */
  g_assert_cmpint (vireo_machine_open_display_fd (machine, &error), ==, -1);
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_true (operate (machine, VIREO_MACHINE_OPERATION_PAUSE, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_PAUSED);
  g_assert_true (vireo_machine_can (machine, VIREO_MACHINE_OPERATION_RESUME));
  g_assert_false (vireo_machine_can (machine, VIREO_MACHINE_OPERATION_PAUSE));

  g_assert_true (operate (machine, VIREO_MACHINE_OPERATION_RESUME, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_RUNNING);

  /* The guest answers the power button by powering off. */
  g_assert_true (operate (machine, VIREO_MACHINE_OPERATION_SHUT_DOWN, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_STOPPED);

  /* And it boots again. */
  g_assert_true (start (machine, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_RUNNING);
  g_assert_true (operate (machine, VIREO_MACHINE_OPERATION_FORCE_OFF, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_STOPPED);
}

/* A machine without a kernel boots through SeaBIOS, with its screen. */
static void
test_machine_bios (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_machine (store, "BIOS");
  g_autoptr(GError) error = NULL;
  int fd;

  if (!g_file_test ("/usr/share/seabios/bios-256k.bin", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Debian's seabios package is not installed");
      return;
    }
  g_assert_true (start (machine, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_RUNNING);
  fd = vireo_machine_open_display_fd (machine, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_close (fd, NULL);
  g_assert_true (operate (machine, VIREO_MACHINE_OPERATION_FORCE_OFF, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_STOPPED);
}

/* A UEFI machine boots through OVMF with a variable store of its own,
 * made from OVMF's template at the first start and kept after it. */
static void
test_machine_uefi (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_machine (store, "UEFI");
  VireoProfile *profile = vireo_machine_get_profile (machine);
  g_autoptr(GError) error = NULL;
  g_autofree char *template = NULL;
  g_autofree char *vars = NULL;
  gsize template_len = 0, vars_len = 0;
  const char *path;

  if (!g_file_test ("/usr/share/OVMF/OVMF_CODE_4M.fd", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Debian's ovmf package is not installed");
      return;
    }
  vireo_profile_set_memory_kib (profile, 256 * 1024);
  vireo_profile_set_firmware (profile, VIREO_FIRMWARE_UEFI);
  g_assert_null (vireo_profile_get_nvram (profile));

  g_assert_true (start (machine, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_RUNNING);
  path = vireo_profile_get_nvram (profile);
  g_assert_nonnull (path);
  g_assert_true (g_str_has_suffix (path, "-VARS.fd"));
  g_assert_true (g_file_get_contents ("/usr/share/OVMF/OVMF_VARS_4M.fd", &template, &template_len, NULL));
  g_assert_true (g_file_get_contents (path, &vars, &vars_len, NULL));
  g_assert_cmpuint (vars_len, ==, template_len);
  g_assert_true (operate (machine, VIREO_MACHINE_OPERATION_FORCE_OFF, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_STOPPED);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
test_machine_crash (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoMachine) machine = new_guest (store, "Crash", "guest-crash.bin");
  g_autoptr(GError) error = NULL;

  /* The monitor logs the dead vCPU's registers as a warning, from its
   * own thread; that is the point here, not a failure. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_assert_true (start (machine, &error));
  g_assert_no_error (error);
  wait_for_state (machine, VIREO_MACHINE_STATE_CRASHED);
  g_assert_false (vireo_machine_is_active (machine));
  g_assert_true (vireo_machine_can (machine, VIREO_MACHINE_OPERATION_START));
}

static void
on_stopped_all_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  gboolean *done = user_data;

  g_assert_true (vireo_library_stop_all_finish (VIREO_LIBRARY (object), result, NULL));
  *done = TRUE;
}

/* One guest powers off on the button, one keeps running until the
 * timeout forces it off. */
static void
test_library_stop_all (void)
{
  g_autoptr(VireoProfileStore) store = vireo_profile_store_new ();
  g_autoptr(VireoLibrary) library = vireo_library_new (store);
  g_autoptr(VireoProfile) polite = vireo_profile_new ("Polite");
  g_autoptr(VireoProfile) deaf = vireo_profile_new ("Deaf");
  g_autofree char *button = g_build_filename (GUEST_DIR, "guest-button.bin", NULL);
  g_autofree char *echo = g_build_filename (GUEST_DIR, "guest-echo.bin", NULL);
  g_autoptr(GError) error = NULL;
  VireoMachine *a, *b;
  gboolean done = FALSE;

  a = vireo_library_add (library, polite);
  b = vireo_library_add (library, deaf);
  vireo_profile_set_memory_kib (polite, 64 * 1024);
  vireo_profile_set_memory_kib (deaf, 64 * 1024);
  vireo_profile_set_vcpus (polite, 1);
  vireo_profile_set_vcpus (deaf, 1);
  vireo_machine_set_realmode_image (a, button);
  vireo_machine_set_realmode_image (b, echo);
  g_assert_true (start (a, &error));
  g_assert_no_error (error);
  g_assert_true (start (b, &error));
  g_assert_no_error (error);
  wait_for_state (a, VIREO_MACHINE_STATE_RUNNING);
  wait_for_state (b, VIREO_MACHINE_STATE_RUNNING);
  g_assert_cmpuint (vireo_library_get_n_active (library), ==, 2);

  vireo_library_stop_all_async (library, 2, NULL, on_stopped_all_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (vireo_library_get_n_active (library), ==, 0);
  g_assert_false (vireo_machine_is_active (a));
  g_assert_false (vireo_machine_is_active (b));
}
#endif

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/machine/firmware-missing", test_machine_firmware_missing);
  g_test_add_func ("/machine/bad-kernel", test_machine_bad_kernel);
  g_test_add_func ("/library/active-not-deleted", test_library_active_not_deleted);
#ifdef GUEST_DIR
  if (g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    {
      g_test_add_func ("/machine/run-cycle", test_machine_run_cycle);
      g_test_add_func ("/machine/crash", test_machine_crash);
      g_test_add_func ("/machine/bios", test_machine_bios);
      g_test_add_func ("/machine/uefi", test_machine_uefi);
      g_test_add_func ("/library/stop-all", test_library_stop_all);
    }
#endif

  return g_test_run ();
}
