/* vireo-image-format.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Enough of a file's start to tell every format below apart. */
#define VIREO_IMAGE_HEADER_SIZE 512

typedef enum {
  VIREO_IMAGE_FORMAT_RAW,
  VIREO_IMAGE_FORMAT_QCOW2,
  VIREO_IMAGE_FORMAT_VMDK,
  VIREO_IMAGE_FORMAT_VDI,
  VIREO_IMAGE_FORMAT_VHDX,
  VIREO_IMAGE_FORMAT_VHD,
} VireoImageFormat;

VireoImageFormat  vireo_image_format_detect             (const guint8      *header,
                                                         gsize              len);
gboolean          vireo_image_format_detect_file        (const char        *path,
                                                         VireoImageFormat  *format,
                                                         GError           **error);
gboolean          vireo_image_format_needs_conversion   (VireoImageFormat   format);
const char       *vireo_image_format_get_name           (VireoImageFormat   format);
const char       *vireo_image_format_get_qemu_name      (VireoImageFormat   format);
gboolean          vireo_vmdk_descriptor_check           (const char        *text,
                                                         gsize              len,
                                                         GError           **error);
gboolean          vireo_image_format_check_references   (const char        *path,
                                                         VireoImageFormat   format,
                                                         GError           **error);

G_END_DECLS
