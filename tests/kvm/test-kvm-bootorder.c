/* test-kvm-bootorder.c: vireo-vmm --boot on /dev/kvm, with Debian's
 * SeaBIOS, a blank SATA disk and a CD-ROM drive holding a blank ISO.
 *
 * SeaBIOS mirrors its screen to COM1: it must try the drives in the
 * order --boot gives, the CD first with "--boot cdrom,disk" and the disk
 * first with "--boot disk,cdrom", and since neither holds anything to
 * boot, say so ("No bootable device") rather than hang or crash: the
 * machine keeps running until it is stopped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEABIOS "/usr/share/seabios/bios-256k.bin"
/* Every instruction is emulated on PVM: SeaBIOS takes seconds. */
#define TIMEOUT_US (240 * G_USEC_PER_SEC)
#define CD_TEXT "Booting from DVD/CD"
#define DISK_TEXT "Booting from Hard Disk"
#define NOTHING_TEXT "No bootable device"

static char *
blank_file (const char *name, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_malloc0 (len);
  char *path = g_build_filename (g_get_tmp_dir (), name, NULL);

  g_assert_true (g_file_set_contents (path, data, (gssize) len, &error));
  g_assert_no_error (error);
  return path;
}

/* Runs the machine until SeaBIOS gives up, stops it and returns what it
 * printed. */
static char *
run_until_nothing_to_boot (const char *disk, const char *iso, const char *boot)
{
  g_autofree char *disk_arg = g_strdup_printf ("%s,format=raw,bus=sata", disk);
  const char *argv[] = { VIREO_VMM, "--bios", SEABIOS, "--disk", disk_arg, "--cdrom", iso,
                         "--boot", boot, "--memory", "128M", "--serial", "stdio", NULL };
  g_autoptr(GError) error = NULL;
  GString *out = g_string_new (NULL);
  gint64 end = g_get_monotonic_time () + TIMEOUT_US;
  GPid pid;
  int out_fd, status = 0;

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL
                                           | G_SPAWN_STDERR_TO_DEV_NULL,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);
  while (strstr (out->str, NOTHING_TEXT) == NULL && g_get_monotonic_time () < end)
    {
      GPollFD pfd = { out_fd, G_IO_IN | G_IO_HUP, 0 };
      char buf[512];
      ssize_t n;

      if (g_poll (&pfd, 1, 1000) <= 0)
        continue;
      n = read (out_fd, buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (out, buf, n);
    }
  /* Still running: SIGTERM stops it with its own exit status. */
  kill (pid, SIGTERM);
  waitpid (pid, &status, 0);
  close (out_fd);
  g_spawn_close_pid (pid);
  if (strstr (out->str, NOTHING_TEXT) == NULL)
    g_printerr ("serial output:\n%s\n", out->str);
  g_assert_nonnull (strstr (out->str, NOTHING_TEXT));
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 143);
  return g_string_free (out, FALSE);
}

static void
test_order (void)
{
  g_autofree char *disk = blank_file ("vireo-kvm-bootorder.img", 1 << 20);
  g_autofree char *iso = blank_file ("vireo-kvm-bootorder.iso", 1 << 20);
  g_autofree char *cd_first = run_until_nothing_to_boot (disk, iso, "cdrom,disk");
  g_autofree char *disk_first = run_until_nothing_to_boot (disk, iso, "disk,cdrom");
  const char *cd, *hd;

  cd = strstr (cd_first, CD_TEXT);
  hd = strstr (cd_first, DISK_TEXT);
  g_assert_nonnull (cd);
  g_assert_nonnull (hd);
  g_assert_true (cd < hd);

  cd = strstr (disk_first, CD_TEXT);
  hd = strstr (disk_first, DISK_TEXT);
  g_assert_nonnull (cd);
  g_assert_nonnull (hd);
  g_assert_true (hd < cd);
  g_unlink (disk);
  g_unlink (iso);
}

int
main (int argc, char **argv)
{
  if (access ("/dev/kvm", F_OK) != 0 || access (SEABIOS, R_OK) != 0)
    return 77;
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kvm/bootorder/order", test_order);
  return g_test_run ();
}
