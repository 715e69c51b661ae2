/* vireo-disk-util.c
 *
 * Files the wizard and the Properties dialog check or make: readable
 * source files, free space for a new disk, and the machine's disk images
 * (made and probed through the monitor's own storage layer, so what the
 * app accepts is exactly what the monitor can open).
 *
 * Errors are sentences for the user: the dialogs show them as they are.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "image.h"
#include "vireo-disk-util.h"
#include "vireo-image-format.h"

/**
 * vireo_host_memory:
 *
 * Returns: this computer's physical memory in bytes
 */
guint64
vireo_host_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES);
  long page_size = sysconf (_SC_PAGESIZE);

  if (pages <= 0 || page_size <= 0)
    return 0;
  return (guint64) pages * (guint64) page_size;
}

/**
 * vireo_check_readable_file:
 *
 * Whether @path is a file this process can read, checked by opening it
 * (permissions alone do not tell: ACLs, root, read-only mounts).
 *
 * Returns: %FALSE with @error set to a sentence naming the file
 */
gboolean
vireo_check_readable_file (const char  *path,
                           GError     **error)
{
  g_autofree char *display = NULL;
  GStatBuf st;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);

  display = g_filename_display_name (path);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int errsv = errno;

      if (errsv == ENOENT || errsv == ENOTDIR)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("There is no file “%s”"), display);
      else if (errsv == EACCES || errsv == EPERM)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                     _("You do not have permission to read “%s”"), display);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                     _("“%s” cannot be read: %s"), display, g_strerror (errsv));
      return FALSE;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      gboolean is_dir = S_ISDIR (st.st_mode);

      close (fd);
      g_set_error (error, G_IO_ERROR, is_dir ? G_IO_ERROR_IS_DIRECTORY : G_IO_ERROR_NOT_REGULAR_FILE,
                   is_dir ? _("“%s” is a folder, not a file") : _("“%s” is not a regular file"),
                   display);
      return FALSE;
    }
  close (fd);

  if (st.st_size == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("“%s” is empty"), display);
      return FALSE;
    }

  return TRUE;
}

/**
 * vireo_check_free_space:
 * @dir: where the file will be written (or a folder yet to be made: its
 *   nearest existing parent is asked)
 * @needed: bytes
 *
 * Returns: %FALSE with @error set when the file system has less free
 *   space than @needed
 */
gboolean
vireo_check_free_space (GFile    *dir,
                        guint64   needed,
                        GError  **error)
{
  g_autoptr(GFile) existing = g_object_ref (dir);
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *need_str = NULL;
  g_autofree char *free_str = NULL;
  guint64 free_bytes;

  g_return_val_if_fail (G_IS_FILE (dir), FALSE);

  while (!g_file_query_exists (existing, NULL))
    {
      g_autoptr(GFile) parent = g_file_get_parent (existing);

      if (parent == NULL)
        break;
      g_set_object (&existing, parent);
    }

  info = g_file_query_filesystem_info (existing, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, error);
  if (info == NULL)
    return FALSE;
  /* Some file systems (network mounts) do not say; do not block on them. */
  if (!g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return TRUE;

  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (free_bytes >= needed)
    return TRUE;

  need_str = g_format_size (needed);
  free_str = g_format_size (free_bytes);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
               _("Not enough free disk space: the new disk needs %s, but only %s are free"),
               need_str, free_str);
  return FALSE;
}

/**
 * vireo_disk_image_probe:
 * @format: (out) (optional): what the file is
 * @size: (out) (optional): the size the guest sees
 *
 * Opens @path read-only as the monitor would, refusing formats that need
 * converting first and images another program is writing.
 *
 * Returns: %FALSE with @error set to a sentence for the user
 */
gboolean
vireo_disk_image_probe (const char       *path,
                        VireoDiskFormat  *format,
                        guint64          *size,
                        GError          **error)
{
  g_autoptr(VmmImage) image = NULL;
  g_autoptr(GError) local_error = NULL;
  VmmImageInfo info;
  VireoImageFormat detected;

  g_return_val_if_fail (path != NULL, FALSE);

  /* Formats the monitor would take for raw, told apart so the message
   * can say what the file is. */
  if (!vireo_image_format_detect_file (path, &detected, error))
    return FALSE;
  if (vireo_image_format_needs_conversion (detected))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   /* Translators: %s is a disk image format, e.g. "VMDK" */
                   _("This is a %s disk image: make a new machine from it to convert it to qcow2"),
                   vireo_image_format_get_name (detected));
      return FALSE;
    }

  image = vmm_image_open (path, VMM_IMAGE_FORMAT_AUTO, true, &local_error);
  if (image == NULL)
    {
      if (g_error_matches (local_error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_LOCKED))
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                             _("Another program is using this disk image"));
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     _("This disk image cannot be used: %s"), local_error->message);
      return FALSE;
    }

  vmm_image_get_info (image, &info);
  if (format != NULL)
    *format = info.format == VMM_IMAGE_FORMAT_QCOW2 ? VIREO_DISK_FORMAT_QCOW2 : VIREO_DISK_FORMAT_RAW;
  if (size != NULL)
    *size = info.virtual_size;
  return TRUE;
}

/**
 * vireo_disk_image_create:
 *
 * Makes a new, empty qcow2 image of @size bytes; it never replaces an
 * existing file. Blocks on disk I/O.
 */
gboolean
vireo_disk_image_create (const char  *path,
                         guint64      size,
                         GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("The file “%s” already exists"), display);
      return FALSE;
    }

  if (!vmm_image_create_qcow2 (path, size, 0, NULL, NULL, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not create the disk: %s"), local_error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * vireo_disk_image_can_grow:
 *
 * Raw images grow by extending the file. The storage layer cannot resize
 * qcow2 tables yet, so qcow2 images grow only with qemu-img installed.
 */
gboolean
vireo_disk_image_can_grow (VireoDiskFormat format)
{
  if (format == VIREO_DISK_FORMAT_RAW)
    return TRUE;

  g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
  return qemu_img != NULL;
}

/**
 * vireo_disk_image_grow:
 * @size: the new size in bytes, larger than the current one
 *
 * Grows a disk image of a stopped machine; the guest sees the new space
 * as unallocated at the end of the disk. Blocks on disk I/O.
 */
gboolean
vireo_disk_image_grow (const char       *path,
                       VireoDiskFormat   format,
                       guint64           size,
                       GError          **error)
{
  g_autofree char *display = NULL;
  guint64 current = 0;
  VireoDiskFormat actual;

  g_return_val_if_fail (path != NULL, FALSE);

  display = g_filename_display_name (path);
  if (!vireo_disk_image_probe (path, &actual, &current, error))
    return FALSE;
  if (actual != format)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” is not in the format its machine expects"), display);
      return FALSE;
    }
  if (size <= current)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A disk can only grow: shrinking it would destroy data"));
      return FALSE;
    }

  if (format == VIREO_DISK_FORMAT_RAW)
    {
      int fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);
      int errsv;

      if (fd >= 0 && ftruncate (fd, (off_t) size) == 0 && fsync (fd) == 0)
        {
          close (fd);
          return TRUE;
        }
      errsv = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not grow “%s”: %s"), display, g_strerror (errsv));
      return FALSE;
    }
  else
    {
      g_autofree char *qemu_img = g_find_program_in_path ("qemu-img");
      g_autofree char *size_arg = g_strdup_printf ("%" G_GUINT64_FORMAT, size);
      g_autofree char *errors = NULL;
      const char *argv[] = { qemu_img, "resize", "-f", "qcow2", "--", path, size_arg, NULL };
      int status = 0;

      if (qemu_img == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Growing a qcow2 disk needs qemu-img, which is not installed"));
          return FALSE;
        }
      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                         NULL, NULL, NULL, &errors, &status, error))
        return FALSE;
      if (!g_spawn_check_wait_status (status, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       _("Could not grow “%s”: %s"), display, g_strstrip (errors));
          return FALSE;
        }
      return TRUE;
    }
}
