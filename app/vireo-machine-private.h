/* vireo-machine-private.h
 *
 * For the tests of the running machinery: hosts whose KVM cannot boot a
 * Linux guest still run the project's real-mode test programs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-machine.h"

G_BEGIN_DECLS

void vireo_machine_set_realmode_image (VireoMachine *self,
                                       const char   *path);

G_END_DECLS
