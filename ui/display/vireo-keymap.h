/* vireo-keymap.h: the keyboard of the host, as PC scancodes for SPICE.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Translates a hardware keycode as GDK reports it on X11 and Wayland
 * (a Linux evdev code plus 8) into the scancode spice-client-glib takes:
 * PC set 1, with keys sent behind an 0xe0 prefix given as 0x100 | code.
 * Returns 0 for a key the PC keyboard does not have. */
guint vireo_keymap_keycode_to_scancode (guint keycode);

G_END_DECLS
