/* vireo-machine-private.h
 *
 * For the tests of the running machinery: hosts whose KVM cannot boot a
 * Linux guest still run the project's real-mode test programs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-machine.h"
#include "vireo-vmm.h"

G_BEGIN_DECLS

void vireo_machine_set_realmode_image (VireoMachine *self,
                                       const char   *path);

guint vireo_machine_boot_order_for_vmm (const VireoBootDevice *devices,
                                        guint                  n_devices,
                                        VmmBootDevice          out[VMM_BOOT_DEVICES_MAX]);

G_END_DECLS
