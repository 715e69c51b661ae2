/* test-pflash.c: the UEFI variable flash driven the way OVMF drives it
 * (detection, byte programming, block erase), malformed command sequences,
 * and the variables reaching the machine's file only when asked to.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "firmware/firmware.h"
#include "firmware/pflash.h"

#define LEN (4 * VMM_PFLASH_BLOCK_SIZE)

typedef struct {
  uint8_t array[LEN];
  VmmPflash *f;
  int switches;
  int saves;            /* returns to read array after a change */
  gboolean array_mode;
} Flash;

static void
on_mode (void *opaque, gboolean array, gboolean changed)
{
  Flash *fl = opaque;

  g_assert_true (fl->array_mode != array);
  g_assert_true (array || !changed);
  fl->array_mode = array;
  fl->switches++;
  fl->saves += changed;
}

static void
flash_init (Flash *fl)
{
  for (size_t i = 0; i < LEN; i++)
    fl->array[i] = (uint8_t) (i * 13 + 1);
  fl->switches = 0;
  fl->saves = 0;
  fl->array_mode = TRUE;
  fl->f = vmm_pflash_new (fl->array, LEN, on_mode, fl);
}

static void
wr (Flash *fl, uint64_t offset, uint8_t v)
{
  vmm_pflash_write (fl->f, offset, &v, 1);
}

static uint8_t
rd (Flash *fl, uint64_t offset)
{
  uint8_t v;

  vmm_pflash_read (fl->f, offset, &v, 1);
  return v;
}

/* OVMF's probe: "clear status" must not read back (so it is not RAM), and
 * "read status" must then read 0 (so it is flash, not ROM). */
static void
test_detect (void)
{
  Flash fl;
  uint8_t orig;

  flash_init (&fl);
  orig = rd (&fl, 5);
  wr (&fl, 5, 0x50);
  g_assert_cmphex (rd (&fl, 5), ==, orig);
  g_assert_true (fl.array_mode);
  wr (&fl, 5, 0x70);
  g_assert_false (fl.array_mode);
  g_assert_cmphex (rd (&fl, 5), ==, 0);
  wr (&fl, 5, 0xff);
  g_assert_true (fl.array_mode);
  g_assert_cmphex (rd (&fl, 5), ==, orig);
  g_assert_cmpint (fl.switches, ==, 2);
  g_assert_cmpint (fl.saves, ==, 0);
  g_assert_false (vmm_pflash_take_dirty (fl.f));

  /* Identifier mode. */
  wr (&fl, 0x100, 0x90);
  g_assert_cmphex (rd (&fl, 0x100), ==, 0x89);
  g_assert_cmphex (rd (&fl, 0x101), ==, 0x18);
  wr (&fl, 0, 0xff);
  vmm_pflash_free (fl.f);
}

static void
test_program_and_erase (void)
{
  Flash fl;
  const char *msg = "BootOrder";

  flash_init (&fl);
  /* Erase block 1, from any address inside it. */
  wr (&fl, VMM_PFLASH_BLOCK_SIZE + 77, 0x20);
  wr (&fl, VMM_PFLASH_BLOCK_SIZE + 77, 0xd0);
  g_assert_false (fl.array_mode);
  g_assert_cmphex (rd (&fl, 0) & VMM_PFLASH_STATUS_READY, ==, VMM_PFLASH_STATUS_READY);
  wr (&fl, 0, 0xff);
  g_assert_cmpint (fl.saves, ==, 1);
  for (size_t i = 0; i < VMM_PFLASH_BLOCK_SIZE; i++)
    g_assert_cmphex (fl.array[VMM_PFLASH_BLOCK_SIZE + i], ==, 0xff);
  g_assert_cmphex (fl.array[VMM_PFLASH_BLOCK_SIZE - 1], ==, (uint8_t) ((VMM_PFLASH_BLOCK_SIZE - 1) * 13 + 1));
  g_assert_cmphex (fl.array[2 * VMM_PFLASH_BLOCK_SIZE], ==, (uint8_t) (2 * VMM_PFLASH_BLOCK_SIZE * 13 + 1));

  /* Program byte by byte as OVMF does: command, then data. */
  for (size_t i = 0; i < strlen (msg); i++)
    {
      wr (&fl, VMM_PFLASH_BLOCK_SIZE + i, 0x10);
      wr (&fl, VMM_PFLASH_BLOCK_SIZE + i, (uint8_t) msg[i]);
    }
  wr (&fl, VMM_PFLASH_BLOCK_SIZE, 0xff);
  g_assert_cmpint (fl.saves, ==, 2);
  g_assert_cmpmem (fl.array + VMM_PFLASH_BLOCK_SIZE, strlen (msg), msg, strlen (msg));
  g_assert_true (vmm_pflash_take_dirty (fl.f));
  g_assert_false (vmm_pflash_take_dirty (fl.f));
  g_assert_cmphex (rd (&fl, VMM_PFLASH_BLOCK_SIZE), ==, 'B');
  vmm_pflash_free (fl.f);
}

static void
test_bad_sequences (void)
{
  Flash fl;
  uint8_t before[LEN], wide[4] = { 0x10, 0x55, 0x66, 0x77 }, out[4];

  flash_init (&fl);
  memcpy (before, fl.array, LEN);

  /* Erase not confirmed: an error in the status, nothing erased. */
  wr (&fl, 0, 0x20);
  wr (&fl, 0, 0x10);
  g_assert_cmphex (rd (&fl, 0) & 0x30, ==, 0x30);
  /* An unknown command: the same error, nothing changes. */
  wr (&fl, 0, 0xff);
  wr (&fl, 0, 0x42);
  g_assert_false (fl.array_mode);
  g_assert_cmphex (rd (&fl, 0) & 0x30, ==, 0x30);
  wr (&fl, 0, 0x50);
  g_assert_cmphex (rd (&fl, 0), ==, 0);
  wr (&fl, 0, 0xff);
  g_assert_cmpmem (fl.array, LEN, before, LEN);
  g_assert_false (vmm_pflash_take_dirty (fl.f));
  g_assert_cmpint (fl.saves, ==, 0);

  /* Beyond the end: all-ones, writes ignored, even when straddling. */
  vmm_pflash_read (fl.f, LEN - 2, out, 4);
  g_assert_cmphex (out[1], ==, before[LEN - 1]);
  g_assert_cmphex (out[2], ==, 0xff);
  g_assert_cmphex (out[3], ==, 0xff);
  vmm_pflash_read (fl.f, UINT64_MAX - 1, out, 4);
  g_assert_cmphex (out[0], ==, 0xff);
  wr (&fl, LEN, 0x20);
  vmm_pflash_write (fl.f, UINT64_MAX - 1, wide, 4);
  g_assert_true (fl.array_mode);

  /* A dword write is four byte cycles at consecutive addresses: program
   * setup at 8, 0x55 programmed at 9, then two unknown commands. */
  vmm_pflash_write (fl.f, 8, wide, 4);
  g_assert_cmphex (fl.array[9], ==, 0x55);
  g_assert_cmpmem (fl.array, 9, before, 9);
  g_assert_cmpmem (fl.array + 10, LEN - 10, before + 10, LEN - 10);
  g_assert_cmphex (rd (&fl, 0) & 0x30, ==, 0x30);

  /* Reset: read array, status clear. */
  wr (&fl, 0, 0x70);
  vmm_pflash_reset (fl.f);
  g_assert_true (vmm_pflash_in_array_mode (fl.f));
  g_assert_true (fl.array_mode);
  vmm_pflash_free (fl.f);
}

static char *
write_volume (size_t len, uint8_t fill)
{
  g_autoptr(GError) error = NULL;
  g_autofree uint8_t *d = g_malloc (len);
  char *path = NULL;
  int fd = g_file_open_tmp ("vireo-vars-XXXXXX", &path, &error);

  g_assert_no_error (error);
  memset (d, fill, len);
  memcpy (d + 40, "_FVH", 4);
  g_assert_cmpint (write (fd, d, len), ==, (ssize_t) len);
  close (fd);
  return path;
}

/* Through the firmware: the flash on the MMIO bus below the code, and the
 * variables file changed only with persistence on. */
static void
test_variables_file (void)
{
  g_autofree char *code = write_volume (0x4000, 0x11), *vars = write_volume (0x2000, 0x22);
  g_autofree char *contents = NULL;
  uint64_t vars_base = 0x100000000ull - 0x4000 - 0x2000;
  uint8_t cmd;
  gsize len;

  for (int persist = 0; persist <= 1; persist++)
    {
      g_autoptr(GError) error = NULL;
      VmmFirmware *fw = vmm_firmware_new_uefi (code, vars, persist, &error);
      VmmBus *mmio = vmm_bus_new ("mmio");

      g_assert_no_error (error);
      g_assert_cmphex (vmm_firmware_base (fw), ==, vars_base);
      g_assert_cmpint (vmm_firmware_register (fw, mmio), ==, 0);
      cmd = 0x20;
      g_assert_true (vmm_bus_write (mmio, vars_base + 0x1000, &cmd, 1));
      cmd = 0xd0;
      g_assert_true (vmm_bus_write (mmio, vars_base + 0x1000, &cmd, 1));
      cmd = 0xff;
      g_assert_true (vmm_bus_write (mmio, vars_base, &cmd, 1));
      g_assert_true (vmm_bus_read (mmio, vars_base + 0x1000, &cmd, 1));
      g_assert_cmphex (cmd, ==, 0xff);
      /* Saved as soon as the erase ended, before any flush. */
      g_assert_true (g_file_get_contents (vars, &contents, &len, NULL));
      g_assert_cmphex ((uint8_t) contents[0x1000], ==, persist ? 0xff : 0x22);
      g_clear_pointer (&contents, g_free);
      vmm_firmware_flush (fw);
      vmm_firmware_free (fw);
      vmm_bus_free (mmio);

      g_assert_true (g_file_get_contents (vars, &contents, &len, NULL));
      g_assert_cmpuint (len, ==, 0x2000);
      g_assert_cmphex ((uint8_t) contents[0x1000], ==, persist ? 0xff : 0x22);
      g_assert_cmphex ((uint8_t) contents[0xfff], ==, 0x22);
      g_clear_pointer (&contents, g_free);
    }
  g_unlink (code);
  g_unlink (vars);
}

static void
test_variables_unwritable (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = write_volume (0x4000, 0x11);
  g_autofree char *dir = g_dir_make_tmp ("vireo-vars-XXXXXX", NULL);
  g_autofree char *vars = g_build_filename (dir, "missing.fd", NULL);

  g_assert_null (vmm_firmware_new_uefi (code, vars, TRUE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_unlink (code);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pflash/detect", test_detect);
  g_test_add_func ("/pflash/program-and-erase", test_program_and_erase);
  g_test_add_func ("/pflash/bad-sequences", test_bad_sequences);
  g_test_add_func ("/pflash/variables-file", test_variables_file);
  g_test_add_func ("/pflash/variables-unwritable", test_variables_unwritable);
  return g_test_run ();
}
