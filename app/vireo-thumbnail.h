/* vireo-thumbnail.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint8 *vireo_thumbnail_scale (const guint8 *pixels,
                               guint         width,
                               guint         height,
                               guint         max_width,
                               guint         max_height,
                               guint        *out_width,
                               guint        *out_height);

G_END_DECLS
