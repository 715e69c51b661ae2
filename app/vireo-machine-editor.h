/* vireo-machine-editor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vireo-disk-util.h"
#include "vireo-machine.h"

G_BEGIN_DECLS

#define VIREO_TYPE_MACHINE_EDITOR (vireo_machine_editor_get_type ())

G_DECLARE_FINAL_TYPE (VireoMachineEditor, vireo_machine_editor, VIREO, MACHINE_EDITOR, GObject)

/* A disk or CD-ROM drive as edited; path is NULL for an empty drive. */
typedef struct {
  VireoDiskDevice  device;
  char            *path;
  VireoDiskFormat  format;
  VireoDiskBus     bus;
  guint64          size;      /* as found on disk, 0 if unknown */
  guint64          new_size;  /* what saving makes it */
  gboolean         is_new;    /* made by saving */
} VireoEditedDisk;

VireoMachineEditor    *vireo_machine_editor_new             (VireoMachine        *machine);
VireoMachine          *vireo_machine_editor_get_machine     (VireoMachineEditor  *self);
gboolean               vireo_machine_editor_get_running     (VireoMachineEditor  *self);

const char            *vireo_machine_editor_get_name        (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_name        (VireoMachineEditor  *self,
                                                             const char          *name);
guint64                vireo_machine_editor_get_memory      (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_memory      (VireoMachineEditor  *self,
                                                             guint64              bytes);
guint                  vireo_machine_editor_get_vcpus       (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_vcpus       (VireoMachineEditor  *self,
                                                             guint                vcpus);
void                   vireo_machine_editor_set_host_memory (VireoMachineEditor  *self,
                                                             guint64              bytes);
VireoFirmware          vireo_machine_editor_get_firmware    (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_firmware    (VireoMachineEditor  *self,
                                                             VireoFirmware        firmware);
VireoBootDevice        vireo_machine_editor_get_boot_first  (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_boot_first  (VireoMachineEditor  *self,
                                                             VireoBootDevice      device);
gboolean               vireo_machine_editor_get_direct_boot (VireoMachineEditor  *self);
const char            *vireo_machine_editor_get_kernel      (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_kernel      (VireoMachineEditor  *self,
                                                             const char          *path);
const char            *vireo_machine_editor_get_initrd      (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_initrd      (VireoMachineEditor  *self,
                                                             const char          *path);
const char            *vireo_machine_editor_get_cmdline     (VireoMachineEditor  *self);
void                   vireo_machine_editor_set_cmdline     (VireoMachineEditor  *self,
                                                             const char          *cmdline);

guint                  vireo_machine_editor_get_n_disks     (VireoMachineEditor  *self);
const VireoEditedDisk *vireo_machine_editor_get_disk        (VireoMachineEditor  *self,
                                                             guint                index);
gboolean               vireo_machine_editor_can_grow        (VireoMachineEditor  *self,
                                                             guint                index);
void                   vireo_machine_editor_set_disk_size   (VireoMachineEditor  *self,
                                                             guint                index,
                                                             guint64              bytes);
void                   vireo_machine_editor_set_media       (VireoMachineEditor  *self,
                                                             guint                index,
                                                             const char          *path);
void                   vireo_machine_editor_remove_disk     (VireoMachineEditor  *self,
                                                             guint                index);
gboolean               vireo_machine_editor_add_disk        (VireoMachineEditor  *self,
                                                             guint64              bytes,
                                                             GError             **error);
void                   vireo_machine_editor_add_cdrom       (VireoMachineEditor  *self);

gboolean               vireo_machine_editor_validate        (VireoMachineEditor  *self,
                                                             GError             **error);
void                   vireo_machine_editor_save_async      (VireoMachineEditor  *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean               vireo_machine_editor_save_finish     (VireoMachineEditor  *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

G_END_DECLS
