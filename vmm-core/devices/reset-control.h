/* reset-control.h: the PC's reset control register at port 0xcf9.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"
#include "devices/i8042.h"

#define VMM_RCR_SYS_RST 0x02
#define VMM_RCR_RST_CPU 0x04
#define VMM_RCR_FULL_RST 0x08

typedef struct _VmmResetControl VmmResetControl;

VmmResetControl *vmm_reset_control_new      (VmmResetFn reset, void *opaque);
void             vmm_reset_control_free     (VmmResetControl *rc);
void             vmm_reset_control_reset    (VmmResetControl *rc);
/* Byte accesses only: dword accesses to 0xcf8 belong to PCI. */
int              vmm_reset_control_register (VmmResetControl *rc, VmmBus *pio);
