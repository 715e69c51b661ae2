/* fake-bzimage.h: a minimal file that passes as a 64-bit bzImage, for
 * tests that need a kernel the monitor accepts without booting it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static inline void
fake_put32 (uint8_t *p, uint32_t v)
{
  for (unsigned i = 0; i < 4; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

/* Writes the image to a new temporary file and returns its path. */
static inline char *
fake_bzimage_write (uint32_t init_size, uint32_t cmdline_size)
{
  const size_t setup = 5 * 512, kernel = 4096;
  g_autofree uint8_t *d = g_malloc0 (setup + kernel);
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd;

  d[0x1f1] = 4;                                  /* setup_sects */
  fake_put32 (d + 0x1f4, kernel / 16);           /* syssize */
  d[0x1fe] = 0x55;
  d[0x1ff] = 0xaa;
  d[0x200] = 0xeb;
  d[0x201] = 0x6a;
  memcpy (d + 0x202, "HdrS", 4);
  d[0x206] = 0x0f;                               /* protocol 2.15 */
  d[0x207] = 0x02;
  d[0x211] = 0x01;                               /* LOADED_HIGH */
  fake_put32 (d + 0x214, 0x100000);
  fake_put32 (d + 0x22c, 0x7fffffff);            /* initrd_addr_max */
  fake_put32 (d + 0x230, 0x200000);              /* kernel_alignment */
  d[0x234] = 1;                                  /* relocatable */
  d[0x236] = 0x03;                               /* XLF_KERNEL_64 | above 4G */
  fake_put32 (d + 0x238, cmdline_size);
  fake_put32 (d + 0x258, 0x1000000);             /* pref_address */
  fake_put32 (d + 0x260, init_size);
  for (size_t i = 0x26c; i < 0x290; i++)
    d[i] = 0xcc;

  fd = g_file_open_tmp (NULL, &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, d, setup + kernel), ==, (ssize_t) (setup + kernel));
  close (fd);
  return path;
}

/* A sparse file of @size bytes. */
static inline char *
fake_file_write (uint64_t size, const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp (NULL, &path, &error);

  g_assert_no_error (error);
  if (contents != NULL)
    g_assert_cmpint (write (fd, contents, strlen (contents)), ==, (ssize_t) strlen (contents));
  else
    g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  close (fd);
  return path;
}
