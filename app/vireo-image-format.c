/* vireo-image-format.c
 *
 * Tells disk image formats apart by the bytes they start with, never by
 * the file's extension: a file named .img may well be a VMDK, and the
 * monitor would boot a VMDK taken for raw from its metadata. qcow2 and raw
 * are what the monitor opens; the others are converted to qcow2 with
 * qemu-img (VireoImageConverter) before a machine uses them.
 *
 * The header is a file's first bytes, so it may be short or anything at
 * all: every check looks only at bytes it knows are there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "vireo-disk-util.h"
#include "vireo-image-format.h"

static gboolean
has_prefix_at (const guint8 *header,
               gsize         len,
               gsize         offset,
               const char   *magic,
               gsize         magic_len)
{
  return offset <= len && len - offset >= magic_len &&
         memcmp (header + offset, magic, magic_len) == 0;
}

/* A VMDK made of a text descriptor and separate extent files. Editors
 * and copies by hand may put blank lines before the first comment. */
static gboolean
is_vmdk_descriptor (const guint8 *header,
                    gsize         len)
{
  static const char magic[] = "# Disk DescriptorFile";
  gsize i = 0;

  while (i < len && (header[i] == ' ' || header[i] == '\t' || header[i] == '\r' || header[i] == '\n'))
    i++;
  return has_prefix_at (header, len, i, magic, sizeof magic - 1);
}

/**
 * vireo_image_format_detect:
 * @header: (array length=len): the file's first bytes, ideally
 *   %VIREO_IMAGE_HEADER_SIZE of them
 *
 * Returns: the format @header starts, or %VIREO_IMAGE_FORMAT_RAW for
 *   anything else (raw images have no signature)
 */
VireoImageFormat
vireo_image_format_detect (const guint8 *header,
                           gsize         len)
{
  /* VDI's signature, a little-endian 0xbeda107f after its 64-byte text. */
  static const guint8 vdi_signature[4] = { 0x7f, 0x10, 0xda, 0xbe };

  g_return_val_if_fail (header != NULL || len == 0, VIREO_IMAGE_FORMAT_RAW);

  if (has_prefix_at (header, len, 0, "QFI\xfb", 4))
    return VIREO_IMAGE_FORMAT_QCOW2;
  /* Hosted sparse extents ("KDMV") and ESX 3 sparse extents ("COWD"). */
  if (has_prefix_at (header, len, 0, "KDMV", 4) || has_prefix_at (header, len, 0, "COWD", 4))
    return VIREO_IMAGE_FORMAT_VMDK;
  if (is_vmdk_descriptor (header, len))
    return VIREO_IMAGE_FORMAT_VMDK;
  if (has_prefix_at (header, len, 0, "vhdxfile", 8))
    return VIREO_IMAGE_FORMAT_VHDX;
  if (has_prefix_at (header, len, 0x40, (const char *) vdi_signature, sizeof vdi_signature))
    return VIREO_IMAGE_FORMAT_VDI;
  /* A dynamic VHD starts with a copy of its footer; a fixed one has the
   * footer only at its end and is raw data before that. */
  if (has_prefix_at (header, len, 0, "conectix", 8))
    return VIREO_IMAGE_FORMAT_VHD;
  return VIREO_IMAGE_FORMAT_RAW;
}

/**
 * vireo_image_format_detect_file:
 * @format: (out): what @path is
 *
 * Reads the start of @path. Blocks on disk I/O (one small read).
 *
 * Returns: %FALSE with @error set to a sentence for the user when the
 *   file cannot be read
 */
gboolean
vireo_image_format_detect_file (const char        *path,
                                VireoImageFormat  *format,
                                GError           **error)
{
  guint8 header[VIREO_IMAGE_HEADER_SIZE];
  gsize len = 0;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (format != NULL, FALSE);

  if (!vireo_check_readable_file (path, error))
    return FALSE;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    goto failed;
  while (len < sizeof header)
    {
      ssize_t n = read (fd, header + len, sizeof header - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          close (fd);
          errno = errsv;
          goto failed;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  close (fd);

  *format = vireo_image_format_detect (header, len);
  return TRUE;

failed:
  {
    int errsv = errno;
    g_autofree char *display = g_filename_display_name (path);

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                 _("“%s” cannot be read: %s"), display, g_strerror (errsv));
    return FALSE;
  }
}

/**
 * vireo_image_format_needs_conversion:
 *
 * Returns: whether the monitor cannot open @format itself
 */
gboolean
vireo_image_format_needs_conversion (VireoImageFormat format)
{
  return format != VIREO_IMAGE_FORMAT_RAW && format != VIREO_IMAGE_FORMAT_QCOW2;
}

/**
 * vireo_image_format_get_name:
 *
 * Returns: the name people know @format by, for messages ("VMDK")
 */
const char *
vireo_image_format_get_name (VireoImageFormat format)
{
  switch (format)
    {
    case VIREO_IMAGE_FORMAT_RAW:   return "raw";
    case VIREO_IMAGE_FORMAT_QCOW2: return "qcow2";
    case VIREO_IMAGE_FORMAT_VMDK:  return "VMDK";
    case VIREO_IMAGE_FORMAT_VDI:   return "VDI";
    case VIREO_IMAGE_FORMAT_VHDX:  return "VHDX";
    case VIREO_IMAGE_FORMAT_VHD:   return "VHD";
    default:                       g_return_val_if_reached ("raw");
    }
}

/**
 * vireo_image_format_get_qemu_name:
 *
 * Returns: qemu-img's name for @format (its -f argument)
 */
const char *
vireo_image_format_get_qemu_name (VireoImageFormat format)
{
  switch (format)
    {
    case VIREO_IMAGE_FORMAT_RAW:   return "raw";
    case VIREO_IMAGE_FORMAT_QCOW2: return "qcow2";
    case VIREO_IMAGE_FORMAT_VMDK:  return "vmdk";
    case VIREO_IMAGE_FORMAT_VDI:   return "vdi";
    case VIREO_IMAGE_FORMAT_VHDX:  return "vhdx";
    case VIREO_IMAGE_FORMAT_VHD:   return "vpc";
    default:                       g_return_val_if_reached ("raw");
    }
}
