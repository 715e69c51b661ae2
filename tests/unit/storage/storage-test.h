/* storage-test.h: helpers shared by the storage unit tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

/* A fresh temporary directory, removed (with its files) by the caller
 * through storage_test_rmdir. */
static inline char *
storage_test_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("vireo-storage-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static inline void
storage_test_rmdir (char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      g_unlink (p);
    }
  g_rmdir (dir);
  g_free (dir);
}

static inline void
storage_test_patch (const char *path, uint64_t offset, const void *data, size_t len)
{
  int fd = open (path, O_RDWR);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, data, len, (off_t) offset), ==, (ssize_t) len);
  close (fd);
}

static inline void
storage_test_read (const char *path, uint64_t offset, void *data, size_t len)
{
  int fd = open (path, O_RDONLY);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, data, len, (off_t) offset), ==, (ssize_t) len);
  close (fd);
}

static inline void
storage_test_put_be64 (const char *path, uint64_t offset, uint64_t v)
{
  uint8_t b[8];

  for (int i = 7; i >= 0; i--, v >>= 8)
    b[i] = (uint8_t) v;
  storage_test_patch (path, offset, b, 8);
}

static inline void
storage_test_put_be32 (const char *path, uint64_t offset, uint32_t v)
{
  uint8_t b[4] = { (uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8), (uint8_t) v };

  storage_test_patch (path, offset, b, 4);
}

static inline uint64_t
storage_test_get_be64 (const char *path, uint64_t offset)
{
  uint8_t b[8];
  uint64_t v = 0;

  storage_test_read (path, offset, b, 8);
  for (int i = 0; i < 8; i++)
    v = (v << 8) | b[i];
  return v;
}

static inline void
storage_test_fill (GRand *rand, uint8_t *buf, size_t len)
{
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t) g_rand_int (rand);
}

/* Asserts that the image reads back exactly @expect. */
static inline void
storage_test_compare (VmmImage *img, const uint8_t *expect, uint64_t size)
{
  g_autofree uint8_t *buf = g_malloc (size);

  g_assert_cmpint (vmm_image_read (img, buf, 0, size), ==, 0);
  g_assert_true (memcmp (buf, expect, size) == 0);
}

static inline void
storage_test_report (void *opaque, const char *line)
{
  g_test_message ("check: %s", line);
}

static inline void
storage_test_assert_clean (VmmImage *img)
{
  VmmImageCheck res;
  g_autoptr(GError) error = NULL;

  g_assert_true (vmm_image_check (img, &res, storage_test_report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (res.corruptions, ==, 0);
  g_assert_cmpuint (res.leaks, ==, 0);
}
