/* test-machine-config.c: vmm_machine_new() refuses bad configurations and
 * files with the right error before touching KVM; two machines can be
 * created in one process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vireo-vmm.h"
#include "fake-bzimage.h"

#include <unistd.h>

static void
expect_error (const VmmConfig *config, int code, const char *part)
{
  g_autoptr(GError) error = NULL;
  VmmMachine *m = vmm_machine_new (config, &error);

  g_assert_null (m);
  g_assert_error (error, VMM_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, part));
}

static void
test_ranges (void)
{
  g_autofree char *kernel = fake_bzimage_write (0x800000, 2047);
  VmmConfig c;

  vmm_config_init (&c);
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "No kernel");
  c.kernel_path = kernel;
  c.memory = 1 << 20;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "Memory must be between");
  c.memory = VMM_MEMORY_MAX + 1;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "Memory must be between");
  c.memory = (64ULL << 20) + 1;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "multiple of 4 KiB");
  c.memory = VMM_MEMORY_MAX;
  if ((uint64_t) sysconf (_SC_PHYS_PAGES) * (uint64_t) sysconf (_SC_PAGESIZE) < VMM_MEMORY_MAX)
    expect_error (&c, VMM_ERROR_INVALID_CONFIG, "more than this computer has");
  c.memory = 64ULL << 20;
  c.cpus = 0;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "number of CPUs");
  c.cpus = VMM_CPUS_MAX + 1;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "number of CPUs");
  if (sysconf (_SC_NPROCESSORS_ONLN) < VMM_CPUS_MAX)
    {
      c.cpus = VMM_CPUS_MAX;
      expect_error (&c, VMM_ERROR_INVALID_CONFIG, "more than this computer has");
    }
  c.cpus = 1;
  c.n_boot_order = VMM_BOOT_DEVICES_MAX + 1;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "boot order names at most");
  c.n_boot_order = 1;
  c.boot_order[0] = (VmmBootDevice) 7;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "Unknown kind of boot drive");
  g_unlink (kernel);
}

static void
test_bad_files (void)
{
  g_autofree char *kernel = fake_bzimage_write (0x800000, 64);
  g_autofree char *small_kernel_big_init = fake_bzimage_write (0x7000000, 64);
  g_autofree char *text = fake_file_write (0, "not a kernel at all\n");
  g_autofree char *empty = fake_file_write (0, NULL);
  g_autofree char *big_initrd = fake_file_write (48ULL << 20, NULL);
  g_autofree char *long_cmdline = g_strnfill (100, 'x');
  VmmConfig c;

  vmm_config_init (&c);
  c.memory = 64ULL << 20;
  c.kernel_path = "/nonexistent/vmlinuz";
  expect_error (&c, VMM_ERROR_KERNEL, "Cannot read the kernel");
  c.kernel_path = text;
  expect_error (&c, VMM_ERROR_KERNEL, text);
  c.kernel_path = empty;
  expect_error (&c, VMM_ERROR_KERNEL, empty);
  c.kernel_path = small_kernel_big_init;
  expect_error (&c, VMM_ERROR_INVALID_CONFIG, "more memory");

  c.kernel_path = kernel;
  c.cmdline = long_cmdline;
  expect_error (&c, VMM_ERROR_CMDLINE, "at most 64");
  c.cmdline = "console=ttyS0";
  c.initrd_path = "/nonexistent/initrd";
  expect_error (&c, VMM_ERROR_INITRD, "Cannot read the initrd");
  c.initrd_path = big_initrd;
  expect_error (&c, VMM_ERROR_INITRD, big_initrd);

  g_unlink (kernel);
  g_unlink (small_kernel_big_init);
  g_unlink (text);
  g_unlink (empty);
  g_unlink (big_initrd);
}

static void
test_two_machines (void)
{
  g_autofree char *kernel = fake_bzimage_write (0x800000, 2047);
  g_autofree char *initrd = fake_file_write (1 << 20, NULL);
  g_autoptr(GError) error = NULL;
  VmmMachine *a, *b;
  VmmConfig c;

  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("/dev/kvm is not usable here");
      return;
    }
  vmm_config_init (&c);
  c.kernel_path = kernel;
  c.initrd_path = initrd;
  c.cmdline = "console=ttyS0";
  c.memory = 64ULL << 20;
  c.cpus = 1;
  a = vmm_machine_new (&c, &error);
  g_assert_no_error (error);
  c.cpus = 2;
  b = vmm_machine_new (&c, &error);
  g_assert_no_error (error);
  g_assert_true (a != b);
  g_assert_cmpint (vmm_machine_get_state (a), ==, VMM_STATE_STOPPED);
  g_assert_cmpint (vmm_machine_get_state (b), ==, VMM_STATE_STOPPED);
  /* Requests that need a running machine are refused, not queued. */
  g_assert_false (vmm_machine_reset (a, &error));
  g_assert_error (error, VMM_ERROR, VMM_ERROR_BAD_STATE);
  g_clear_error (&error);
  vmm_machine_kill (b);
  vmm_machine_free (a);
  g_assert_cmpint (vmm_machine_get_state (b), ==, VMM_STATE_STOPPED);
  vmm_machine_free (b);
  g_unlink (kernel);
  g_unlink (initrd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vmm/machine/ranges", test_ranges);
  g_test_add_func ("/vmm/machine/bad-files", test_bad_files);
  g_test_add_func ("/vmm/machine/two-machines", test_two_machines);
  return g_test_run ();
}
