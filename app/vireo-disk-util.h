/* vireo-disk-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vireo-profile.h"

G_BEGIN_DECLS

#define VIREO_MIB (G_GUINT64_CONSTANT (1024) * 1024)
#define VIREO_GIB (VIREO_MIB * 1024)

gboolean vireo_check_readable_file  (const char       *path,
                                     GError          **error);
gboolean vireo_check_free_space     (GFile            *dir,
                                     guint64           needed,
                                     GError          **error);
guint64  vireo_host_memory          (void);
gboolean vireo_disk_image_probe     (const char       *path,
                                     VireoDiskFormat  *format,
                                     guint64          *size,
                                     GError          **error);
gboolean vireo_disk_image_create    (const char       *path,
                                     guint64           size,
                                     GError          **error);
gboolean vireo_disk_image_can_grow  (VireoDiskFormat   format);
gboolean vireo_disk_image_grow      (const char       *path,
                                     VireoDiskFormat   format,
                                     guint64           size,
                                     GError          **error);

G_END_DECLS
