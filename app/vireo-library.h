/* vireo-library.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "vireo-machine.h"
#include "vireo-profile-store.h"

G_BEGIN_DECLS

#define VIREO_TYPE_LIBRARY (vireo_library_get_type ())

G_DECLARE_FINAL_TYPE (VireoLibrary, vireo_library, VIREO, LIBRARY, GObject)

VireoLibrary      *vireo_library_new          (VireoProfileStore    *store);
VireoProfileStore *vireo_library_get_store    (VireoLibrary         *self);
OsinfoDb          *vireo_library_get_os_db    (VireoLibrary         *self);
void               vireo_library_set_os_db    (VireoLibrary         *self,
                                               OsinfoDb             *db);
void               vireo_library_load_async   (VireoLibrary         *self,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean           vireo_library_load_finish  (VireoLibrary         *self,
                                               GAsyncResult         *result,
                                               GPtrArray           **broken,
                                               GError              **error);
VireoMachine      *vireo_library_add          (VireoLibrary         *self,
                                               VireoProfile         *profile);
VireoMachine      *vireo_library_find         (VireoLibrary         *self,
                                               const char           *uuid);
gboolean           vireo_library_delete       (VireoLibrary         *self,
                                               VireoMachine         *machine,
                                               gboolean              delete_images,
                                               GError              **error);
GListModel        *vireo_library_get_filtered (VireoLibrary         *self);
const char        *vireo_library_get_search   (VireoLibrary         *self);
void               vireo_library_set_search   (VireoLibrary         *self,
                                               const char           *search);
guint              vireo_library_get_n_active (VireoLibrary         *self);
void               vireo_library_stop_all_async  (VireoLibrary         *self,
                                                  guint                 timeout_seconds,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean           vireo_library_stop_all_finish (VireoLibrary         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
