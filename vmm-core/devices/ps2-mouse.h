/* ps2-mouse.h: a PS/2 mouse (IntelliMouse and IntelliMouse Explorer
 * compatible), the device on the i8042's aux port.
 *
 * The mouse has no lock and no interrupt of its own: the controller owns
 * it, calls it with its lock held, and pulls the mouse's bytes one at a
 * time into its output buffer when that is free.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Buttons for vmm_ps2_mouse_event(): the order of the packet's bits for
 * the first three, then the Explorer's fourth and fifth. */
#define VMM_PS2_MOUSE_BUTTON_LEFT    (1u << 0)
#define VMM_PS2_MOUSE_BUTTON_RIGHT   (1u << 1)
#define VMM_PS2_MOUSE_BUTTON_MIDDLE  (1u << 2)
#define VMM_PS2_MOUSE_BUTTON_SIDE    (1u << 3)
#define VMM_PS2_MOUSE_BUTTON_EXTRA   (1u << 4)

/* Device IDs the mouse answers 0xf2 with, depending on the sample-rate
 * sequences the guest sent since the last reset. */
#define VMM_PS2_MOUSE_ID_STANDARD     0x00
#define VMM_PS2_MOUSE_ID_INTELLIMOUSE 0x03
#define VMM_PS2_MOUSE_ID_EXPLORER     0x04

typedef struct _VmmPs2Mouse VmmPs2Mouse;

VmmPs2Mouse *vmm_ps2_mouse_new     (void);
void         vmm_ps2_mouse_free    (VmmPs2Mouse *m);
/* Power-on state: standard mouse, stream mode, reporting off, nothing
 * queued. Sends nothing (a reset command sends 0xfa 0xaa 0x00). */
void         vmm_ps2_mouse_reset   (VmmPs2Mouse *m);

/* A byte the guest sent to the mouse (controller command 0xd4). Anything
 * goes: unknown commands and bad arguments are answered 0xfe / 0xfc. */
void         vmm_ps2_mouse_write   (VmmPs2Mouse *m, uint8_t byte);
/* Whether a byte is waiting for the controller, and taking it. */
gboolean     vmm_ps2_mouse_pending (VmmPs2Mouse *m);
gboolean     vmm_ps2_mouse_read    (VmmPs2Mouse *m, uint8_t *byte);

/* Movement from the host: @dx right, @dy DOWN (screen sense, as SPICE
 * counts it), @dz wheel steps (positive: towards the user, as SPICE's
 * wheel-down), @buttons VMM_PS2_MOUSE_BUTTON_*. Packets go out while
 * the guest has reporting on in stream mode; in remote mode the motion
 * waits for a read-data command; otherwise it is dropped. */
void         vmm_ps2_mouse_event   (VmmPs2Mouse *m, int32_t dx, int32_t dy, int32_t dz,
                                    uint32_t buttons);

/* For tests: the ID the mouse would answer 0xf2 with. */
uint8_t      vmm_ps2_mouse_id      (VmmPs2Mouse *m);
