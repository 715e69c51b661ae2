/* vireo-library-view.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vireo-library.h"

G_BEGIN_DECLS

#define VIREO_TYPE_LIBRARY_VIEW (vireo_library_view_get_type ())

G_DECLARE_FINAL_TYPE (VireoLibraryView, vireo_library_view, VIREO, LIBRARY_VIEW, GtkWidget)

VireoLibrary *vireo_library_view_get_library     (VireoLibraryView *self);
void          vireo_library_view_set_library     (VireoLibraryView *self,
                                                  VireoLibrary     *library);
void          vireo_library_view_set_loaded      (VireoLibraryView *self,
                                                  gboolean          loaded);
const char   *vireo_library_view_get_page        (VireoLibraryView *self);
void          vireo_library_view_set_key_capture (VireoLibraryView *self,
                                                  GtkWidget        *widget);

G_END_DECLS
