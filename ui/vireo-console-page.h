/* vireo-console-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vireo-machine.h"

G_BEGIN_DECLS

#define VIREO_TYPE_CONSOLE_PAGE (vireo_console_page_get_type ())

G_DECLARE_FINAL_TYPE (VireoConsolePage, vireo_console_page, VIREO, CONSOLE_PAGE, GtkWidget)

VireoMachine *vireo_console_page_get_machine (VireoConsolePage *self);
void          vireo_console_page_set_machine (VireoConsolePage *self,
                                              VireoMachine     *machine);
const char   *vireo_console_page_get_display_state (VireoConsolePage *self);

G_END_DECLS
