/* test-runner.c: vireo-vmm answers bad input with one line on stderr and
 * exit status 2, before anything runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fake-bzimage.h"

#include <gio/gio.h>

#include <sys/wait.h>
#include <unistd.h>

static void
expect_bad_input (const char *const *args, const char *part)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) VIREO_VMM);
  for (unsigned i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDIN_FROM_DEV_NULL,
                               NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (err, "vireo-vmm: "));
  /* Exactly one line. */
  g_assert_true (g_str_has_suffix (err, "\n"));
  g_assert_null (strchr (err, '\n') + 1 < err + strlen (err) ? strchr (err, '\n') + 1 : NULL);
  /* Without /dev/kvm what is only found while the machine is built (its
   * disks, its forwards) comes after the capability check, which answers
   * first, in the same one line; what the command line alone gets wrong
   * is still reported as itself. */
  if (!g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS) && strstr (err, "/dev/kvm is missing") != NULL)
    return;
  g_assert_nonnull (strstr (err, part));
}

static void
test_bad_input (void)
{
  g_autofree char *kernel = fake_bzimage_write (0x800000, 2047);
  g_autofree char *text = fake_file_write (0, "#!/bin/sh\necho not a kernel\n");
  g_autofree char *big = fake_file_write (64ULL << 20, NULL);

  expect_bad_input ((const char *const[]) { NULL }, "--kernel");
  expect_bad_input ((const char *const[]) { "--bogus", NULL }, "bogus");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "stray", NULL }, "stray");
  expect_bad_input ((const char *const[]) { "--kernel", "/nonexistent/vmlinuz", NULL },
                    "Cannot read the kernel");
  expect_bad_input ((const char *const[]) { "--kernel", text, NULL }, text);
  expect_bad_input ((const char *const[]) { "--kernel", "/", NULL }, "not a regular file");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--memory", "1K", NULL },
                    "Memory must be between");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--memory", "lots", NULL },
                    "invalid memory size");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--memory", "99999999999T", NULL },
                    "invalid memory size");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--memory", "900T", NULL },
                    "Memory must be between");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--cpus", "0", NULL },
                    "at least 1");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--cpus", "many", NULL },
                    "many");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--cpus", "64", NULL },
                    sysconf (_SC_NPROCESSORS_ONLN) < 64 ? "more than this computer has" : "");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--serial", "tcp:1", NULL },
                    "invalid --serial");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--serial", "file:/nonexistent/x", NULL },
                    "cannot open");
  expect_bad_input ((const char *const[]) { "--kernel", kernel, "--memory", "32M", "--initrd", big, NULL },
                    big);

  {
    g_autofree char *missing = g_strdup ("/nonexistent/disk.img,format=raw");
    g_autofree char *not_qcow2 = g_strconcat (text, ",format=qcow2", NULL);
    const char *nine[21] = { "--kernel", kernel };
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--disk", missing, NULL },
                      "Disk “/nonexistent/disk.img”");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--disk", "d.img,bogus", NULL },
                      "unknown option “bogus”");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--disk", ",format=raw", NULL },
                      "names no file");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--disk", not_qcow2, NULL },
                      text);
    for (unsigned i = 0; i < 9; i++)
      {
        nine[2 + 2 * i] = "--disk";
        nine[3 + 2 * i] = missing;
      }
    expect_bad_input (nine, "too many --disk");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--cdrom", "/nonexistent/x.iso", NULL },
                      "CD-ROM image “/nonexistent/x.iso”");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--disk", "/nonexistent/s.img,format=raw,bus=sata", NULL },
                      "Disk “/nonexistent/s.img”");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--disk", "d.img,bus=scsi", NULL },
                      "unknown option “bus=scsi”");
    {
      const char *seven[17] = { "--kernel", kernel };
      for (unsigned i = 0; i < 7; i++)
        {
          seven[1 + 2 * i + 1] = "--cdrom";
          seven[2 + 2 * i + 1] = text;
        }
      expect_bad_input (seven, "at most 6 SATA");
    }
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--net", "tap", NULL },
                      "only user networking");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--net", "user,bogus", NULL },
                      "unknown option “bogus”");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--net", "user,hostfwd=tcp:1", NULL },
                      "Networking");
    {
      /* A forward whose host port another program holds. */
      g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
      g_autoptr(GSocketAddress) bound = NULL;
      g_autofree char *fwd = NULL;

      g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
      g_assert_true (g_socket_listen (sock, NULL));
      bound = g_socket_get_local_address (sock, NULL);
      fwd = g_strdup_printf ("user,hostfwd=tcp:127.0.0.1:%u-:22",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
      expect_bad_input ((const char *const[]) { "--kernel", kernel, "--net", fwd, NULL },
                        "Networking");
      /* The same busy port for SPICE viewers. */
      g_free (fwd);
      fwd = g_strdup_printf ("tcp:127.0.0.1:%u",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
      expect_bad_input ((const char *const[]) { "--kernel", kernel, "--spice", fwd, NULL },
                        "SPICE at");
    }
    expect_bad_input ((const char *const[]) { "--bios", "/nonexistent/bios.bin", NULL },
                      "bios.bin");
    expect_bad_input ((const char *const[]) { "--uefi-code", "/nonexistent/code.fd", NULL },
                      "--uefi-vars");
    expect_bad_input ((const char *const[]) { "--bios", text, NULL }, text);
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--boot", "cdrom", NULL },
                      "--boot needs --bios");
    expect_bad_input ((const char *const[]) { "--bios", text, "--boot", "floppy", NULL },
                      "unknown drive “floppy”");
    expect_bad_input ((const char *const[]) { "--bios", text, "--boot", "disk,cdrom,disk", NULL },
                      "“disk” twice");
    expect_bad_input ((const char *const[]) { "--bios", text, "--boot", "", NULL },
                      "names no drive");
    expect_bad_input ((const char *const[]) { "--bios", text, "--boot", "cdrom,", NULL },
                      "unknown drive “”");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--display", "vga", NULL },
                      "invalid --display");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--spice", "vnc:1", NULL },
                      "SPICE at “vnc:1”");
    expect_bad_input ((const char *const[]) { "--kernel", kernel, "--spice", "unix:/nonexistent/dir/s", NULL },
                      "SPICE at");
  }

  g_unlink (kernel);
  g_unlink (text);
  g_unlink (big);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmm/runner/bad-input", test_bad_input);
  return g_test_run ();
}
