/* image-io: drives the Vireo image layer for the interop tests.
 *
 *   image-io dump IMAGE OUT          guest-visible contents of IMAGE into OUT (raw)
 *   image-io write IMAGE SEED N OUT  N random writes (some zeroing, some
 *                                    unaligned) into IMAGE; OUT gets the
 *                                    contents expected afterwards (raw)
 *   image-io churn IMAGE SEED        random writes and flushes until killed
 *   image-io seq IMAGE SEED N        N sequential 1 MiB writes (N = 0: until
 *                                    killed), from a seeded offset, wrapping
 *                                    at the end, a flush every 16 and at the
 *                                    end: the guest's `dd oflag=direct bs=1M`
 *                                    as the image layer sees it
 *
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

G_GNUC_NORETURN static void
fail (const char *what, const char *detail)
{
  fprintf (stderr, "image-io: %s: %s\n", what, detail);
  exit (1);
}

static VmmImage *
open_image (const char *path, bool read_only)
{
  g_autoptr(GError) error = NULL;
  VmmImage *img = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, read_only, &error);

  if (img == NULL)
    fail (path, error->message);
  return img;
}

static uint8_t *
read_all (VmmImage *img)
{
  uint64_t size = vmm_image_get_size (img);
  uint8_t *buf = g_malloc (MAX (size, 1));
  int r = vmm_image_read (img, buf, 0, size);

  if (r < 0)
    fail ("read", g_strerror (-r));
  return buf;
}

static void
save (const char *path, const uint8_t *buf, uint64_t size)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) buf, (gssize) size, &error))
    fail (path, error->message);
}

/* One random request; mirrored into @expect when it is not NULL. */
static void
random_request (VmmImage *img, GRand *rand, uint8_t *expect, uint8_t *buf, size_t max)
{
  uint64_t size = vmm_image_get_size (img);
  uint64_t off = (uint64_t) g_rand_double_range (rand, 0, (double) size);
  size_t len = (size_t) g_rand_int_range (rand, 1, (gint32) max);
  int kind = g_rand_int_range (rand, 0, 10);
  int r;

  if (kind < 6)
    {
      /* Sector-shaped, like the guest's requests. */
      off &= ~511ull;
      len = MAX (512, len & ~(size_t) 511);
    }
  if (off >= size)
    off = size - 1;
  if (len > size - off)
    len = (size_t) (size - off);
  if (kind == 9)
    {
      r = vmm_image_write_zeroes (img, off, len);
      if (expect != NULL)
        memset (expect + off, 0, len);
    }
  else
    {
      uint8_t pattern = (uint8_t) g_rand_int (rand);

      for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t) (pattern + i / 512);
      r = vmm_image_write (img, buf, off, len);
      if (expect != NULL)
        memcpy (expect + off, buf, len);
    }
  if (r < 0)
    fail ("write", g_strerror (-r));
}

/* Sequential whole-MiB writes: the shape of an allocating streaming write,
 * which batches cluster allocation (qcow2-write.c). */
static void
seq_writes (VmmImage *img, guint32 seed, unsigned n)
{
  const size_t mib = 1024 * 1024;
  uint64_t size = vmm_image_get_size (img) & ~(uint64_t) (mib - 1);
  g_autofree uint8_t *buf = g_malloc (mib);
  uint64_t off;
  int r;

  if (size == 0)
    fail ("seq", "image smaller than 1 MiB");
  off = ((uint64_t) seed * mib) % size;
  if (n == 0)
    {
      printf ("ready\n");
      fflush (stdout);
    }
  for (unsigned i = 0; n == 0 || i < n; i++)
    {
      for (size_t k = 0; k < mib; k++)
        buf[k] = (uint8_t) (seed + i + k / 512);
      r = vmm_image_write (img, buf, off, mib);
      if (r < 0)
        fail ("write", g_strerror (-r));
      off = (off + mib) % size;
      if (i % 16 == 15 && (r = vmm_image_flush (img)) < 0)
        fail ("flush", g_strerror (-r));
    }
  r = vmm_image_flush (img);
  if (r < 0)
    fail ("flush", g_strerror (-r));
}

int
main (int argc, char **argv)
{
  const size_t max = 300 * 1024;

  if (argc == 4 && strcmp (argv[1], "dump") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], true);
      g_autofree uint8_t *buf = read_all (img);

      save (argv[3], buf, vmm_image_get_size (img));
      return 0;
    }
  if (argc == 6 && strcmp (argv[1], "write") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], false);
      g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) atoi (argv[3]));
      g_autofree uint8_t *expect = read_all (img);
      g_autofree uint8_t *buf = g_malloc (max);
      int n = atoi (argv[4]);
      int r;

      for (int i = 0; i < n; i++)
        random_request (img, rand, expect, buf, max);
      r = vmm_image_flush (img);
      if (r < 0)
        fail ("flush", g_strerror (-r));
      save (argv[5], expect, vmm_image_get_size (img));
      return 0;
    }
  if (argc == 4 && strcmp (argv[1], "churn") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], false);
      g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) atoi (argv[3]));
      g_autofree uint8_t *buf = g_malloc (max);

      /* Say when the image is open, so the killer knows writes started. */
      printf ("ready\n");
      fflush (stdout);
      for (unsigned i = 0;; i++)
        {
          random_request (img, rand, NULL, buf, max);
          if (i % 16 == 0 && vmm_image_flush (img) < 0)
            fail ("flush", g_strerror (errno));
        }
    }
  if (argc == 5 && strcmp (argv[1], "seq") == 0)
    {
      g_autoptr(VmmImage) img = open_image (argv[2], false);

      seq_writes (img, (guint32) atoi (argv[3]), (unsigned) atoi (argv[4]));
      return 0;
    }
  fprintf (stderr, "usage: image-io dump IMAGE OUT | write IMAGE SEED N OUT | churn IMAGE SEED"
                   " | seq IMAGE SEED N\n");
  return 1;
}
