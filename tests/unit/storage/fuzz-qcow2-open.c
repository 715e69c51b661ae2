/* fuzz-qcow2-open.c: libFuzzer target for opening a qcow2 file, reading
 * it, writing to it and checking it. The input is the whole file (in a
 * memfd). Whatever the bytes, nothing may crash or touch memory outside
 * the buffers, and a write that succeeded must read back.
 *
 * An input that does not start with the qcow2 magic is XORed onto a valid
 * image (512-byte clusters, some data written), so that the fuzzer spends
 * its time on the tables rather than on finding the magic.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
exercise (VmmImage *img)
{
  uint64_t disk = vmm_image_get_size (img);
  uint8_t buf[4096], back[4096];
  VmmImageCheck res;

  for (uint64_t off = 0; off < MIN (disk, 65536); off += sizeof buf)
    (void) vmm_image_read (img, buf, off, (size_t) MIN (sizeof buf, disk - off));
  if (disk > 1000)
    (void) vmm_image_read (img, buf, disk - 1000, 1000);

  if (!vmm_image_is_read_only (img))
    {
      memset (buf, 0xa5, sizeof buf);
      for (uint64_t off = 0; off < MIN (disk, 3 << 20); off += 1 << 20)
        {
          size_t len = (size_t) MIN (sizeof buf - 17, disk - off);

          /* Unaligned on purpose: 17 bytes short of a page. */

          if (vmm_image_write (img, buf, off, len) == 0
              && vmm_image_read (img, back, off, len) == 0 && memcmp (buf, back, len) != 0)
            abort ();
        }
      (void) vmm_image_write_zeroes (img, 0, MIN (disk, 1 << 16));
      (void) vmm_image_flush (img);
    }
  (void) vmm_image_check (img, &res, NULL, NULL, NULL);
}

static GBytes *
make_template (void)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "fuzz-qcow2-XXXXXX", NULL);
  int fd = g_mkstemp (path);
  uint8_t pattern[1536];
  char *contents = NULL;
  gsize len = 0;

  if (fd < 0)
    abort ();
  close (fd);
  memset (pattern, 0x3c, sizeof pattern);
  if (!vmm_image_create_qcow2 (path, 1 << 20, 512, NULL, NULL, NULL))
    abort ();
  {
    g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_QCOW2, false, NULL);

    if (img == NULL || vmm_image_write (img, pattern, 700, sizeof pattern) != 0
        || vmm_image_write (img, pattern, 600000, 512) != 0)
      abort ();
  }
  if (!g_file_get_contents (path, &contents, &len, NULL))
    abort ();
  unlink (path);
  return g_bytes_new_take (contents, len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static GBytes *template;
  int fd = memfd_create ("fuzz-qcow2", MFD_CLOEXEC);
  g_autofree char *path = NULL;
  g_autofree uint8_t *file = NULL;
  size_t file_len = size;

  if (template == NULL)
    template = make_template ();
  if (size >= 4 && memcmp (data, "QFI\xfb", 4) == 0)
    file = g_memdup2 (data, size);
  else
    {
      gsize tlen;
      const uint8_t *t = g_bytes_get_data (template, &tlen);

      file_len = MAX (size, tlen);
      file = g_malloc0 (file_len);
      memcpy (file, t, tlen);
      for (size_t i = 0; i < size; i++)
        file[i] ^= data[i];
    }
  if (fd < 0 || write (fd, file, file_len) != (ssize_t) file_len)
    abort ();
  path = g_strdup_printf ("/proc/self/fd/%d", fd);
  for (int rw = 0; rw < 2; rw++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VmmImage) img = vmm_image_open (path, VMM_IMAGE_FORMAT_QCOW2, rw == 0, &error);

      if (img == NULL)
        {
          if (error == NULL || error->message == NULL)
            abort ();
          continue;
        }
      exercise (img);
    }
  close (fd);
  return 0;
}
