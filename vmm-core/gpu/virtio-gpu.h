/* virtio-gpu.h: a 2D virtio GPU (virtio 1.x, 5.7) with one scanout, for
 * guests with a virtio-gpu driver (Linux's virtio_gpu, OVMF's
 * VirtioGpuDxe). Its scanout and cursor go to a VmmDisplay; the viewer's
 * window size reaches the guest as a display-change event and an EDID.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "devices/pci.h"
#include "display/display.h"
#include "platform.h"

#include <glib.h>

/* What all of a guest's resources may take of host memory together. */
#define VMM_VIRTIO_GPU_MAX_HOSTMEM (256u << 20)

/* Creates the PCI function; @display must outlive it. */
VmmPciDevice *vmm_virtio_gpu_new (VmmPlatform *platform, VmmDisplay *display, GError **error);
