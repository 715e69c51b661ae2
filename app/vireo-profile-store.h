/* vireo-profile-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vireo-profile.h"

G_BEGIN_DECLS

#define VIREO_TYPE_PROFILE_STORE (vireo_profile_store_get_type ())

G_DECLARE_FINAL_TYPE (VireoProfileStore, vireo_profile_store, VIREO, PROFILE_STORE, GObject)

VireoProfileStore *vireo_profile_store_new              (void);
VireoProfileStore *vireo_profile_store_new_for_dirs     (GFile               *machines_dir,
                                                         GFile               *images_dir);
GFile             *vireo_profile_store_get_machines_dir (VireoProfileStore   *self);
GFile             *vireo_profile_store_get_images_dir   (VireoProfileStore   *self);
GFile             *vireo_profile_store_get_file         (VireoProfileStore   *self,
                                                         VireoProfile        *profile);
GFile             *vireo_profile_store_new_image_file   (VireoProfileStore   *self,
                                                         VireoProfile        *profile,
                                                         const char          *suffix,
                                                         GError             **error);
gboolean           vireo_profile_store_save             (VireoProfileStore   *self,
                                                         VireoProfile        *profile,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
void               vireo_profile_store_save_async       (VireoProfileStore   *self,
                                                         VireoProfile        *profile,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           vireo_profile_store_save_finish      (VireoProfileStore   *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void               vireo_profile_store_load_async       (VireoProfileStore   *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GPtrArray         *vireo_profile_store_load_finish      (VireoProfileStore   *self,
                                                         GAsyncResult        *result,
                                                         GPtrArray          **broken,
                                                         GError             **error);
gboolean           vireo_profile_store_delete           (VireoProfileStore   *self,
                                                         VireoProfile        *profile,
                                                         gboolean             delete_images,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
gboolean           vireo_profile_store_owns_image       (VireoProfileStore   *self,
                                                         const char          *path);
gboolean           vireo_profile_store_is_name_taken    (VireoProfileStore   *self,
                                                         const char          *name,
                                                         const char          *except_uuid);
char              *vireo_profile_store_propose_name     (VireoProfileStore   *self,
                                                         const char          *base);
void               vireo_profile_store_claim_name       (VireoProfileStore   *self,
                                                         VireoProfile        *profile);
VireoProfile      *vireo_profile_store_import_xml       (VireoProfileStore   *self,
                                                         GFile               *file,
                                                         GPtrArray          **dropped,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
VireoProfile      *vireo_profile_store_import_image     (VireoProfileStore   *self,
                                                         GFile               *image,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
void               vireo_profile_store_import_async     (VireoProfileStore   *self,
                                                         GFile               *file,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
VireoProfile      *vireo_profile_store_import_finish    (VireoProfileStore   *self,
                                                         GAsyncResult        *result,
                                                         GPtrArray          **dropped,
                                                         GError             **error);

G_END_DECLS
