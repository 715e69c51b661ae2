/* vireo-new-machine.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "vireo-disk-util.h"
#include "vireo-image-converter.h"
#include "vireo-library.h"

G_BEGIN_DECLS

typedef enum {
  VIREO_SOURCE_ISO,
  VIREO_SOURCE_DISK_IMAGE,
  VIREO_SOURCE_KERNEL,
} VireoSourceKind;

#define VIREO_TYPE_SOURCE_KIND (vireo_source_kind_get_type ())
GType vireo_source_kind_get_type (void) G_GNUC_CONST;

#define VIREO_TYPE_NEW_MACHINE (vireo_new_machine_get_type ())

G_DECLARE_FINAL_TYPE (VireoNewMachine, vireo_new_machine, VIREO, NEW_MACHINE, GObject)

VireoNewMachine *vireo_new_machine_new                 (VireoLibrary         *library);
VireoLibrary    *vireo_new_machine_get_library         (VireoNewMachine      *self);
OsinfoDb        *vireo_new_machine_get_os_db           (VireoNewMachine      *self);
void             vireo_new_machine_set_os_db           (VireoNewMachine      *self,
                                                        OsinfoDb             *db);

VireoSourceKind  vireo_new_machine_get_source_kind     (VireoNewMachine      *self);
void             vireo_new_machine_set_source_kind     (VireoNewMachine      *self,
                                                        VireoSourceKind       kind);
const char      *vireo_new_machine_get_iso             (VireoNewMachine      *self);
void             vireo_new_machine_set_iso             (VireoNewMachine      *self,
                                                        const char           *path);
const char      *vireo_new_machine_get_disk_image      (VireoNewMachine      *self);
void             vireo_new_machine_set_disk_image      (VireoNewMachine      *self,
                                                        const char           *path);
const char      *vireo_new_machine_get_kernel          (VireoNewMachine      *self);
void             vireo_new_machine_set_kernel          (VireoNewMachine      *self,
                                                        const char           *path);
const char      *vireo_new_machine_get_initrd          (VireoNewMachine      *self);
void             vireo_new_machine_set_initrd          (VireoNewMachine      *self,
                                                        const char           *path);
const char      *vireo_new_machine_get_cmdline         (VireoNewMachine      *self);
void             vireo_new_machine_set_cmdline         (VireoNewMachine      *self,
                                                        const char           *cmdline);

OsinfoOs        *vireo_new_machine_detect_os           (VireoNewMachine      *self,
                                                        const char           *iso,
                                                        GCancellable         *cancellable,
                                                        GError              **error);
void             vireo_new_machine_detect_os_async     (VireoNewMachine      *self,
                                                        const char           *iso,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
OsinfoOs        *vireo_new_machine_detect_os_finish    (VireoNewMachine      *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
OsinfoOs        *vireo_new_machine_get_detected_os     (VireoNewMachine      *self);
OsinfoOs        *vireo_new_machine_get_os              (VireoNewMachine      *self);
void             vireo_new_machine_set_os              (VireoNewMachine      *self,
                                                        OsinfoOs             *os);
GListModel      *vireo_new_machine_list_oses           (VireoNewMachine      *self);

guint64          vireo_new_machine_get_memory          (VireoNewMachine      *self);
void             vireo_new_machine_set_memory          (VireoNewMachine      *self,
                                                        guint64               bytes);
guint            vireo_new_machine_get_vcpus           (VireoNewMachine      *self);
void             vireo_new_machine_set_vcpus           (VireoNewMachine      *self,
                                                        guint                 vcpus);
gboolean         vireo_new_machine_get_create_disk     (VireoNewMachine      *self);
void             vireo_new_machine_set_create_disk     (VireoNewMachine      *self,
                                                        gboolean              create_disk);
guint64          vireo_new_machine_get_disk_size       (VireoNewMachine      *self);
void             vireo_new_machine_set_disk_size       (VireoNewMachine      *self,
                                                        guint64               bytes);
VireoFirmware    vireo_new_machine_get_firmware        (VireoNewMachine      *self);
void             vireo_new_machine_set_firmware        (VireoNewMachine      *self,
                                                        VireoFirmware         firmware);
gboolean         vireo_new_machine_get_uefi_supported  (VireoNewMachine      *self);
guint64          vireo_new_machine_get_recommended_memory    (VireoNewMachine *self);
guint            vireo_new_machine_get_recommended_vcpus     (VireoNewMachine *self);
guint64          vireo_new_machine_get_recommended_disk_size (VireoNewMachine *self);
guint64          vireo_new_machine_get_host_memory     (VireoNewMachine      *self);
void             vireo_new_machine_set_host_memory     (VireoNewMachine      *self,
                                                        guint64               bytes);
guint            vireo_new_machine_get_host_cpus       (VireoNewMachine      *self);

const char      *vireo_new_machine_get_name            (VireoNewMachine      *self);
void             vireo_new_machine_set_name            (VireoNewMachine      *self,
                                                        const char           *name);
char            *vireo_new_machine_propose_name        (VireoNewMachine      *self);

gboolean         vireo_new_machine_validate_source     (VireoNewMachine      *self,
                                                        GError              **error);
gboolean         vireo_new_machine_validate_resources  (VireoNewMachine      *self,
                                                        GError              **error);
gboolean         vireo_new_machine_validate_name       (VireoNewMachine      *self,
                                                        GError              **error);

VireoProfile    *vireo_new_machine_build_profile       (VireoNewMachine      *self,
                                                        GError              **error);
void             vireo_new_machine_create_async        (VireoNewMachine      *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
VireoMachine    *vireo_new_machine_create_finish       (VireoNewMachine      *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
VireoImageConverter *vireo_new_machine_get_converter   (VireoNewMachine      *self);


G_END_DECLS
