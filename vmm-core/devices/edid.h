/* edid.h: an EDID 1.4 block describing a monitor whose preferred mode is
 * the size the viewer's window asks for, so that a guest's display driver
 * picks that mode on its own (bochs-display, virtio-gpu with F_EDID).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdint.h>

#define VMM_EDID_SIZE       128
/* A detailed timing stores 12-bit sizes. */
#define VMM_EDID_MAX_WIDTH  4095
#define VMM_EDID_MAX_HEIGHT 4095

/* Fills @edid. Sizes are clamped to 640x480 .. VMM_EDID_MAX_*. */
void vmm_edid_build (uint8_t edid[VMM_EDID_SIZE], uint32_t width, uint32_t height);
