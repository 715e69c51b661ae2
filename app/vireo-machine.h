/* vireo-machine.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gdk/gdk.h>

#include "vireo-profile.h"
#include "vireo-profile-store.h"

G_BEGIN_DECLS

typedef enum {
  VIREO_MACHINE_STATE_STOPPED,
  VIREO_MACHINE_STATE_STARTING,
  VIREO_MACHINE_STATE_RUNNING,
  VIREO_MACHINE_STATE_PAUSED,
  VIREO_MACHINE_STATE_STOPPING,
  VIREO_MACHINE_STATE_CRASHED,
} VireoMachineState;

/* What the user can ask of a machine; see vireo_machine_can(). */
typedef enum {
  VIREO_MACHINE_OPERATION_START,
  VIREO_MACHINE_OPERATION_PAUSE,
  VIREO_MACHINE_OPERATION_RESUME,
  VIREO_MACHINE_OPERATION_SHUT_DOWN,
  VIREO_MACHINE_OPERATION_FORCE_OFF,
} VireoMachineOperation;

#define VIREO_TYPE_MACHINE_STATE (vireo_machine_state_get_type ())
GType vireo_machine_state_get_type (void) G_GNUC_CONST;

#define VIREO_TYPE_MACHINE (vireo_machine_get_type ())

G_DECLARE_FINAL_TYPE (VireoMachine, vireo_machine, VIREO, MACHINE, GObject)

VireoMachine      *vireo_machine_new           (VireoProfileStore    *store,
                                                VireoProfile         *profile);
VireoProfile      *vireo_machine_get_profile   (VireoMachine         *self);
const char        *vireo_machine_get_uuid      (VireoMachine         *self);
const char        *vireo_machine_get_name      (VireoMachine         *self);
gboolean           vireo_machine_rename        (VireoMachine         *self,
                                                const char           *name,
                                                GError              **error);
const char        *vireo_machine_get_os_id     (VireoMachine         *self);
const char        *vireo_machine_get_os_name   (VireoMachine         *self);
void               vireo_machine_set_os_name   (VireoMachine         *self,
                                                const char           *os_name);
VireoMachineState  vireo_machine_get_state     (VireoMachine         *self);
void               vireo_machine_set_state     (VireoMachine         *self,
                                                VireoMachineState     state);
GdkPaintable      *vireo_machine_get_thumbnail (VireoMachine         *self);
void               vireo_machine_set_thumbnail (VireoMachine         *self,
                                                GdkPaintable         *thumbnail);
const char        *vireo_machine_get_sort_key  (VireoMachine         *self);
gboolean           vireo_machine_matches       (VireoMachine         *self,
                                                const char           *search);
void               vireo_machine_save_async    (VireoMachine         *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean           vireo_machine_save_finish   (VireoMachine         *self,
                                                GAsyncResult         *result,
                                                GError              **error);
gboolean           vireo_machine_is_active     (VireoMachine         *self);
gboolean           vireo_machine_can           (VireoMachine         *self,
                                                VireoMachineOperation operation);
void               vireo_machine_start_async   (VireoMachine         *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean           vireo_machine_start_finish  (VireoMachine         *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void               vireo_machine_operate_async (VireoMachine         *self,
                                                VireoMachineOperation operation,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean           vireo_machine_operate_finish (VireoMachine        *self,
                                                GAsyncResult         *result,
                                                GError              **error);
int                vireo_machine_open_display_fd (VireoMachine       *self,
                                                  GError            **error);
void               vireo_machine_update_thumbnail_async  (VireoMachine        *self,
                                                          guint                max_width,
                                                          guint                max_height,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean           vireo_machine_update_thumbnail_finish (VireoMachine        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

G_END_DECLS
