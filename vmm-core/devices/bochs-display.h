/* bochs-display.h: a linear framebuffer for firmware and for guests
 * without virtio-gpu drivers, compatible with QEMU's bochs-display (PCI
 * 1234:1111): the Bochs VBE "dispi" registers and an EDID in an MMIO BAR,
 * the framebuffer in a memory BAR that the guest writes without exits.
 * Linux drives it with bochs-drm, OVMF with QemuVideoDxe, SeaBIOS with
 * vgabios-bochs-display.bin.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "devices/pci.h"
#include "display/display.h"
#include "platform.h"

#include <glib.h>

#define VMM_BOCHS_DISPLAY_VRAM_SIZE (16u << 20)

typedef struct _VmmBochsDisplay VmmBochsDisplay;

/* Creates the PCI function; frames go to @display (which must outlive the
 * device). The device is freed with its PCI function. */
VmmPciDevice *vmm_bochs_display_new (VmmPlatform *platform, VmmDisplay *display,
                                     VmmBochsDisplay **out, GError **error);
/* Publishes what the guest shows now; the refresh thread calls this about
 * 60 times a second, tests call it directly. */
void          vmm_bochs_display_refresh (VmmBochsDisplay *bd);
