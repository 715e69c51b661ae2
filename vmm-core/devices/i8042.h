/* i8042.h: the PS/2 controller with its keyboard and mouse, and its
 * reset line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"
#include "irq.h"

/* Asked for when the guest pulses the controller's reset output. Called
 * from the vCPU thread with the controller's lock held. */
typedef void (*VmmResetFn) (void *opaque);

typedef struct _VmmI8042 VmmI8042;

VmmI8042 *vmm_i8042_new      (const VmmIrqLine *kbd_irq, const VmmIrqLine *aux_irq,
                              VmmResetFn reset, void *reset_opaque);
void      vmm_i8042_free     (VmmI8042 *k);
void      vmm_i8042_reset    (VmmI8042 *k);
/* Registers the data port 0x60 and the command/status port 0x64. */
int       vmm_i8042_register (VmmI8042 *k, VmmBus *pio);

/* Pause, as VmmDisplay numbers it (e1 1d 45 on the wire). */
#define VMM_I8042_SCANCODE_PAUSE 0xe11d

/* A key from the viewer: a set-1 scancode (0xe0xx for prefixed keys). */
void      vmm_i8042_key      (VmmI8042 *k, uint16_t scancode, gboolean pressed);

/* Relative motion from the viewer for the PS/2 mouse: @dy and @dz count
 * down / towards the user as positive, @buttons as VMM_PS2_MOUSE_BUTTON_*
 * (devices/ps2-mouse.h). */
void      vmm_i8042_mouse_event (VmmI8042 *k, int32_t dx, int32_t dy, int32_t dz,
                                 uint32_t buttons);
