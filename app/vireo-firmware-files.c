/* vireo-firmware-files.c
 *
 * The firmware files a machine without a kernel boots through: where they
 * are, and each UEFI machine's own variable store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "vireo-firmware-files.h"

/* The Flatpak bundles the same files under its own prefix (/app/share),
 * which is looked at first; otherwise the system's.
 *
 * Returns: (transfer full): the path of @relative (e.g.
 *   %VIREO_FIRMWARE_FILES_SEABIOS), which may not exist
 */
char *
vireo_firmware_files_find (const char *relative)
{
  g_autofree char *own = g_build_filename (DATADIR, relative, NULL);

  if (g_file_test (own, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&own);
  return g_build_filename ("/usr/share", relative, NULL);
}

void
vireo_firmware_files_set_missing (GError     **error,
                                  const char  *path)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _("The UEFI firmware is not installed (%s is missing). "
                 "Install the “ovmf” package, or choose BIOS in the machine’s properties."),
               path);
}

/* A machine's UEFI variables start as a copy of OVMF's template, made
 * under a temporary name and renamed so that a failed copy never leaves
 * a half-written store the firmware would then have to repair. */
gboolean
vireo_firmware_files_ensure_uefi_vars (const char  *path,
                                       GError     **error)
{
  g_autoptr(GFile) template = NULL;
  g_autoptr(GFile) tmp = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *template_path = NULL;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;

  template_path = vireo_firmware_files_find (VIREO_FIRMWARE_FILES_OVMF_VARS);
  if (!g_file_test (template_path, G_FILE_TEST_IS_REGULAR))
    {
      vireo_firmware_files_set_missing (error, template_path);
      return FALSE;
    }

  tmp_path = g_strconcat (path, ".new", NULL);
  template = g_file_new_for_path (template_path);
  tmp = g_file_new_for_path (tmp_path);
  if (!g_file_copy (template, tmp, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error))
    {
      g_unlink (tmp_path);
      return FALSE;
    }
  if (g_rename (tmp_path, path) != 0)
    {
      int saved = errno;

      g_unlink (tmp_path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the machine’s UEFI variables (%s): %s"),
                   path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
