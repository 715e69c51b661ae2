/* fuzz-disk-probe.c
 *
 * libFuzzer target for vireo_disk_image_probe(), which the wizard and the
 * Properties dialog run on any file the user names as a disk image: the
 * foreign-format check reads its header, then the storage layer parses it
 * as qcow2 or raw. Beyond "no crash", an accepted image must report a
 * format and a size consistent with the file.
 *
 * The bytes go into a memfd, reached by path through /proc, so nothing
 * touches the disk.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* memfd_create() */
#define _GNU_SOURCE

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vireo-disk-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  VireoDiskFormat format = VIREO_DISK_FORMAT_RAW;
  guint64 image_size = 0;
  gboolean ok;
  int fd;

  fd = memfd_create ("fuzz-disk-probe", MFD_CLOEXEC);
  if (fd < 0)
    abort ();
  if (size > 0 && write (fd, data, size) != (ssize_t) size)
    abort ();

  path = g_strdup_printf ("/proc/self/fd/%d", fd);
  ok = vireo_disk_image_probe (path, &format, &image_size, &error);
  close (fd);

  if (ok)
    {
      /* Raw is what the file is; qcow2 must at least hold its header. */
      if (error != NULL || (format == VIREO_DISK_FORMAT_RAW && image_size != size) ||
          (format == VIREO_DISK_FORMAT_QCOW2 && size < 72))
        abort ();
    }
  else if (error == NULL || error->message == NULL || error->message[0] == '\0')
    {
      /* A refusal always says why, for the dialog to show. */
      abort ();
    }

  return 0;
}
