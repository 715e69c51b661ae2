/* test-image.c: firmware images: the files Debian ships, and files that
 * are missing, the wrong size or not firmware at all.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "firmware/firmware.h"

static char *
write_temp (const uint8_t *data, size_t len)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("vireo-fw-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) len, &error));
  g_assert_no_error (error);
  close (fd);
  return path;
}

/* A 64 KiB "BIOS" whose reset vector is a far jump and whose last byte
 * marks where it ends up. */
static uint8_t *
fake_bios (size_t len)
{
  uint8_t *d = g_malloc0 (len);

  d[len - 16] = 0xea;
  d[len - 1] = 0x5a;
  if (len >= 0x10000)
    d[len - 0x10000] = 0xa5;
  return d;
}

static void
test_missing (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (vmm_firmware_new_bios ("/nonexistent/bios.bin", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "“seabios”"));
  g_clear_error (&error);
  g_assert_null (vmm_firmware_new_uefi ("/nonexistent/CODE.fd", "/nonexistent/VARS.fd", FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "“ovmf”"));
}

static void
test_bad_bios (void)
{
  size_t sizes[] = { 0, 4096, 0x10000 + 512, 32u << 20 };

  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree uint8_t *d = sizes[i] >= 16 ? fake_bios (sizes[i]) : g_malloc0 (1);
      g_autofree char *path = write_temp (d, sizes[i]);

      g_assert_null (vmm_firmware_new_bios (path, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_unlink (path);
    }

  /* The right size, but zeros at the reset vector. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree uint8_t *d = g_malloc0 (0x20000);
    g_autofree char *path = write_temp (d, 0x20000);

    g_assert_null (vmm_firmware_new_bios (path, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_unlink (path);
  }
}

static void
test_legacy_window (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree uint8_t *d64 = fake_bios (0x10000), *d256 = fake_bios (0x40000);
  g_autofree char *p64 = write_temp (d64, 0x10000), *p256 = write_temp (d256, 0x40000);
  g_autofree uint8_t *ram = g_malloc0 (1 << 20);
  g_autoptr(VmmFirmware) fw64 = vmm_firmware_new_bios (p64, &error);
  g_autoptr(VmmFirmware) fw256 = NULL;

  g_assert_no_error (error);
  g_assert_true (vmm_firmware_is_bios (fw64));
  g_assert_cmphex (vmm_firmware_base (fw64), ==, 0xffff0000);
  /* 64 KiB: only the F-segment. */
  memset (ram, 0x11, 1 << 20);
  vmm_firmware_load_legacy (fw64, ram, 1 << 20);
  g_assert_cmphex (ram[0xeffff], ==, 0x11);
  g_assert_cmphex (ram[0xf0000], ==, 0xa5);
  g_assert_cmphex (ram[0xffff0], ==, 0xea);
  g_assert_cmphex (ram[0xfffff], ==, 0x5a);
  g_assert_cmphex (ram[0xdffff], ==, 0x11);

  /* 256 KiB: the last 128 KiB fill E and F. */
  fw256 = vmm_firmware_new_bios (p256, &error);
  g_assert_no_error (error);
  g_assert_cmphex (vmm_firmware_base (fw256), ==, 0xfffc0000);
  memset (ram, 0x11, 1 << 20);
  vmm_firmware_load_legacy (fw256, ram, 1 << 20);
  g_assert_cmphex (ram[0xdffff], ==, 0x11);
  g_assert_cmphex (ram[0xe0000], ==, 0);
  g_assert_cmphex (ram[0xf0000], ==, 0xa5);
  g_assert_cmphex (ram[0xfffff], ==, 0x5a);
  g_unlink (p64);
  g_unlink (p256);
}

static void
test_bad_uefi (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree uint8_t *fv = g_malloc0 (0x2000), *junk = g_malloc0 (0x2000);
  g_autofree char *p_fv = NULL, *p_junk = NULL, *p_odd = NULL;

  memcpy (fv + 40, "_FVH", 4);
  p_fv = write_temp (fv, 0x2000);
  p_junk = write_temp (junk, 0x2000);
  p_odd = write_temp (fv, 0x1800);

  g_assert_null (vmm_firmware_new_uefi (p_fv, p_junk, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (vmm_firmware_new_uefi (p_odd, p_fv, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Two tiny volumes are accepted: the vars sit right below the code. */
  {
    g_autoptr(VmmFirmware) fw = vmm_firmware_new_uefi (p_fv, p_fv, FALSE, &error);

    g_assert_no_error (error);
    g_assert_false (vmm_firmware_is_bios (fw));
    g_assert_cmphex (vmm_firmware_base (fw), ==, 0x100000000ull - 0x4000);
  }
  g_unlink (p_fv);
  g_unlink (p_junk);
  g_unlink (p_odd);
}

/* The images Debian ships, where installed. */
static void
test_debian_images (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VmmFirmware) bios = NULL, ovmf = NULL;

  if (!g_file_test (VMM_FIRMWARE_SEABIOS_PATH, G_FILE_TEST_EXISTS)
      || !g_file_test (VMM_FIRMWARE_OVMF_CODE_PATH, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the seabios and ovmf packages are not installed");
      return;
    }
  bios = vmm_firmware_new_bios (VMM_FIRMWARE_SEABIOS_PATH, &error);
  g_assert_no_error (error);
  g_assert_cmphex (vmm_firmware_base (bios), ==, 0xfffc0000);
  ovmf = vmm_firmware_new_uefi (VMM_FIRMWARE_OVMF_CODE_PATH, VMM_FIRMWARE_OVMF_VARS_PATH, FALSE,
                                &error);
  g_assert_no_error (error);
  g_assert_cmphex (vmm_firmware_base (ovmf), ==, 0xffc00000);
}

static void
test_reset_state (void)
{
  struct kvm_sregs sregs;
  struct kvm_regs regs;

  memset (&sregs, 0xff, sizeof sregs);
  memset (&regs, 0xff, sizeof regs);
  vmm_firmware_reset_state (&sregs, &regs);
  g_assert_cmphex (sregs.cs.selector, ==, 0xf000);
  g_assert_cmphex (sregs.cs.base + regs.rip, ==, 0xfffffff0);
  g_assert_cmphex (sregs.cr0 & 1, ==, 0);
  g_assert_cmphex (regs.rflags, ==, 2);
  g_assert_cmphex (regs.rsp, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/firmware-image/missing", test_missing);
  g_test_add_func ("/firmware-image/bad-bios", test_bad_bios);
  g_test_add_func ("/firmware-image/legacy-window", test_legacy_window);
  g_test_add_func ("/firmware-image/bad-uefi", test_bad_uefi);
  g_test_add_func ("/firmware-image/debian-images", test_debian_images);
  g_test_add_func ("/firmware-image/reset-state", test_reset_state);
  return g_test_run ();
}
