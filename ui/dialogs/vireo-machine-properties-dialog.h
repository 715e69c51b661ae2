/* vireo-machine-properties-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vireo-machine.h"

G_BEGIN_DECLS

#define VIREO_TYPE_MACHINE_PROPERTIES_DIALOG (vireo_machine_properties_dialog_get_type ())

G_DECLARE_FINAL_TYPE (VireoMachinePropertiesDialog, vireo_machine_properties_dialog,
                      VIREO, MACHINE_PROPERTIES_DIALOG, AdwWindow)

VireoMachinePropertiesDialog *vireo_machine_properties_dialog_new (GtkWindow    *parent,
                                                                   VireoMachine *machine);

G_END_DECLS
