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
 * A VMDK can name other files: the extents of its data and the parent of
 * a snapshot, each a path or even a qemu protocol ("nbd://…", "json:…")
 * that qemu-img would open and copy into the new image. A VMDK from
 * elsewhere could so pull ~/.ssh/id_rsa into a disk its own guest reads,
 * or make qemu-img connect to a server. So before converting, every file
 * name in its descriptor, where qemu-img reads one, must be a plain name
 * of a file beside it (what VMware writes).
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

/* VMware names extents and parents of a disk in the same folder. */
static gboolean
is_plain_name (const char *name,
               gsize       len)
{
  if (len == 0 || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (name[i] == '/' || name[i] == '\\' || name[i] == ':' || name[i] == '\0')
      return FALSE;
  return TRUE;
}

static gboolean
refuse_name (const char  *name,
             gsize        len,
             GError     **error)
{
  g_autofree char *shown = g_utf8_make_valid (name, (gssize) MIN (len, 200));

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               /* Translators: %s is the file name the image gives */
               _("This VMDK image names another file, “%s”, that is not beside it in its folder: Vireo does not convert it"),
               shown);
  return FALSE;
}

/**
 * vireo_vmdk_descriptor_check:
 * @text: (array length=len): a VMDK descriptor, as qemu-img reads it (it
 *   stops at the first NUL)
 *
 * Checks the names qemu-img would open: the quoted name on each "RW"
 * extent line and the parentFileNameHint, which qemu-img finds anywhere
 * in the text and reads from 20 bytes on (past `parentFileNameHint="`) up
 * to the next quote. Lines of other access modes are checked too.
 *
 * Returns: %FALSE with @error set when one is not a plain file name
 */
gboolean
vireo_vmdk_descriptor_check (const char  *text,
                             gsize        len,
                             GError     **error)
{
  static const char hint[] = "parentFileNameHint";
  const char *nul;
  gsize at = 0;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  if (len == 0)
    return TRUE;
  nul = memchr (text, '\0', len);
  if (nul != NULL)
    len = (gsize) (nul - text);

  while (at < len)
    {
      const char *line = text + at;
      const char *eol = memchr (line, '\n', len - at);
      gsize line_len = eol != NULL ? (gsize) (eol - line) : len - at;
      gsize i = 0;
      gsize word;

      at += line_len + (eol != NULL ? 1 : 0);

      while (i < line_len && g_ascii_isspace (line[i]))
        i++;
      word = i;
      while (i < line_len && !g_ascii_isspace (line[i]))
        i++;
      if ((i - word == 2 && memcmp (line + word, "RW", 2) == 0) ||
          (i - word == 6 && memcmp (line + word, "RDONLY", 6) == 0) ||
          (i - word == 8 && memcmp (line + word, "NOACCESS", 8) == 0))
        {
          const char *open_quote = memchr (line + i, '"', line_len - i);
          const char *name;
          const char *close_quote;
          gsize name_len;

          if (open_quote == NULL)
            continue;
          name = open_quote + 1;
          /* Where qemu-img's "%511[^\n\r\"]" stops. */
          close_quote = name;
          while (close_quote < line + line_len && *close_quote != '"' && *close_quote != '\r')
            close_quote++;
          name_len = (gsize) (close_quote - name);
          if (!is_plain_name (name, name_len))
            return refuse_name (name, name_len, error);
        }
    }

  for (gsize i = 0; i + sizeof hint - 1 <= len; i++)
    {
      gsize start, end;

      if (memcmp (text + i, hint, sizeof hint - 1) != 0)
        continue;
      start = i + sizeof hint + 1;
      if (start > len)
        return refuse_name (text + i, len - i, error);
      end = start;
      while (end < len && text[end] != '"')
        end++;
      /* qemu-img takes a name without its closing quote as an error,
       * and an empty one as no parent. */
      if (end == len || end == start)
        continue;
      if (!is_plain_name (text + start, end - start))
        return refuse_name (text + start, end - start, error);
    }

  return TRUE;
}

/* Reads up to @size bytes at @offset of @fd and checks them as a
 * descriptor. */
static gboolean
check_descriptor_at (int          fd,
                     guint64      offset,
                     gsize        size,
                     GError     **error)
{
  g_autofree char *buf = NULL;
  gsize len = 0;

  if (offset > G_MAXINT64)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("This VMDK image is damaged: its description is out of reach"));
      return FALSE;
    }

  buf = g_malloc (size);
  while (len < size)
    {
      ssize_t n = pread (fd, buf + len, size - len, (off_t) (offset + len));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("This VMDK image cannot be read: %s"), g_strerror (errsv));
          return FALSE;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  return vireo_vmdk_descriptor_check (buf, len, error);
}

/**
 * vireo_image_format_check_references:
 * @format: what @path is
 *
 * Refuses an image that names files other than plain ones beside it
 * (see vireo_vmdk_descriptor_check()), reading its descriptors where
 * qemu-img does: a text descriptor file from its start; a sparse
 * extent's embedded descriptor at byte 512 (for its parent), and the one
 * its header points to when its capacity is 0 (for its extents), each
 * up to the size qemu-img reads. Blocks on disk I/O.
 *
 * Returns: %FALSE with @error set to a sentence for the user
 */
gboolean
vireo_image_format_check_references (const char        *path,
                                     VireoImageFormat   format,
                                     GError           **error)
{
  /* qemu-img reads a descriptor up to 1 MiB and a parent hint in the
   * first 20 sectors after the sparse header. */
  const gsize max_descriptor = (1 << 20) - 1;
  const gsize parent_area = 20 * 512;
  guint8 header[64];
  gssize n;
  int fd;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);

  if (format != VIREO_IMAGE_FORMAT_VMDK)
    return TRUE;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int errsv = errno;
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("“%s” cannot be read: %s"), display, g_strerror (errsv));
      return FALSE;
    }

  do
    n = pread (fd, header, sizeof header, 0);
  while (n < 0 && errno == EINTR);
  if (n >= 4 && memcmp (header, "KDMV", 4) == 0)
    {
      ok = check_descriptor_at (fd, 512, parent_area, error);
      if (ok && n >= 36)
        {
          guint64 capacity, desc_offset;

          memcpy (&capacity, header + 12, sizeof capacity);
          memcpy (&desc_offset, header + 28, sizeof desc_offset);
          capacity = GUINT64_FROM_LE (capacity);
          desc_offset = GUINT64_FROM_LE (desc_offset);
          /* As qemu-img computes it, overflow and all. */
          if (capacity == 0 && desc_offset != 0)
            ok = check_descriptor_at (fd, desc_offset << 9, max_descriptor, error);
        }
    }
  else
    {
      /* A text descriptor (COWD images have none, and check clean). */
      ok = check_descriptor_at (fd, 0, max_descriptor, error);
    }
  close (fd);
  return ok;
}
