/* screen-copy.h: a whole copy of what a VmmDisplay shows, for pictures of
 * the guest's screen taken beside the display server (the library's
 * thumbnails), through the display's server-side interface.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "display/display.h"

/* Copies the current surface, converted to XRGB8888 (x = 0xff, rows
 * packed), into a new g_malloc'ed buffer at *pixels and its size into
 * *width and *height. Returns false, with *pixels NULL, when the screen
 * is off, or when it keeps changing mode under the copy. Any thread. */
bool vmm_screen_copy (VmmDisplay *d, uint32_t *width, uint32_t *height, uint32_t **pixels);
