/* vireo-machine-card.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vireo-machine.h"

G_BEGIN_DECLS

#define VIREO_TYPE_MACHINE_CARD (vireo_machine_card_get_type ())

G_DECLARE_FINAL_TYPE (VireoMachineCard, vireo_machine_card, VIREO, MACHINE_CARD, GtkWidget)

GtkWidget    *vireo_machine_card_new         (void);
VireoMachine *vireo_machine_card_get_machine (VireoMachineCard *self);
void          vireo_machine_card_set_machine (VireoMachineCard *self,
                                              VireoMachine     *machine);

const char   *vireo_machine_state_to_label   (VireoMachineState state);

G_END_DECLS
