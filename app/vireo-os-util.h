/* vireo-os-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

G_BEGIN_DECLS

/* osinfo_resources_get_ram(), _get_storage(), or an adapter. */
typedef gint64 (*VireoOsResourceGetter) (OsinfoResources *res);

gboolean    vireo_os_identify_iso  (OsinfoDb               *db,
                                    const char             *iso,
                                    GCancellable           *cancellable,
                                    OsinfoOs              **os,
                                    GError                **error);
gint64      vireo_os_get_resource  (OsinfoOs               *os,
                                    VireoOsResourceGetter   getter);
gboolean    vireo_os_supports_uefi (OsinfoOs               *os);
gboolean    vireo_os_has_virtio    (OsinfoOs               *os,
                                    const char             *dev_class);
GListModel *vireo_os_list_named    (OsinfoDb               *db);

G_END_DECLS
