/* vireo-image-converter.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vireo-image-format.h"

G_BEGIN_DECLS

/* The hidden name a conversion writes to in the images folder until it
 * has finished (.vireo-convert-XXXXXX.part); the profile store removes
 * stale ones an interrupted run left behind. */
#define VIREO_IMAGE_CONVERTER_PART_PREFIX ".vireo-convert-"
#define VIREO_IMAGE_CONVERTER_PART_SUFFIX ".part"

#define VIREO_TYPE_IMAGE_CONVERTER (vireo_image_converter_get_type ())

G_DECLARE_FINAL_TYPE (VireoImageConverter, vireo_image_converter, VIREO, IMAGE_CONVERTER, GObject)

gboolean             vireo_image_converter_check_available (VireoImageFormat      format,
                                                            GError              **error);
VireoImageConverter *vireo_image_converter_new             (const char           *source,
                                                            VireoImageFormat      format,
                                                            GFile                *destination);
const char          *vireo_image_converter_get_source      (VireoImageConverter  *self);
VireoImageFormat     vireo_image_converter_get_format      (VireoImageConverter  *self);
GFile               *vireo_image_converter_get_destination (VireoImageConverter  *self);
double               vireo_image_converter_get_fraction    (VireoImageConverter  *self);
void                 vireo_image_converter_run_async       (VireoImageConverter  *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
char                *vireo_image_converter_run_finish      (VireoImageConverter  *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

G_END_DECLS
