/* vireo-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vireo-library.h"

G_BEGIN_DECLS

#define VIREO_TYPE_APPLICATION (vireo_application_get_type ())

G_DECLARE_FINAL_TYPE (VireoApplication, vireo_application, VIREO, APPLICATION, AdwApplication)

VireoApplication *vireo_application_new                 (GType             window_type);
GSettings        *vireo_application_get_settings        (VireoApplication *self);
VireoLibrary     *vireo_application_get_library         (VireoApplication *self);
gboolean          vireo_application_get_library_loaded  (VireoApplication *self);
GPtrArray        *vireo_application_get_load_problems   (VireoApplication *self);
const char       *vireo_application_get_kvm_problem     (VireoApplication *self);
void              vireo_application_hold_for_machines   (VireoApplication *self);

G_END_DECLS
