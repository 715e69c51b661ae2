/* bootorder.h: the fw_cfg "bootorder" file from a machine's boot order.
 *
 * SeaBIOS and OVMF read "bootorder" as OpenFirmware device paths, one a
 * line, and try the devices they find in that order before the rest.
 * The machine knows its boot order by kind of device (disk, CD-ROM, as
 * libvirt's <boot dev=.../> does); this turns it into the paths of the
 * drives it has, in the form QEMU writes them, which both firmwares
 * match.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vireo-vmm.h"

#include <glib.h>
#include <stdint.h>

/* One bootable drive of the machine and its OpenFirmware path. */
typedef struct {
  VmmBootDevice kind;
  const char *path;
} VmmBootDrive;

/* The path of a virtio-blk disk at @devfn on the root bus, as QEMU
 * names it ("/pci@i0cf8/scsi@4/disk@0,0"). */
char *vmm_bootorder_virtio_blk_path (uint8_t devfn);

/* The "bootorder" file: every drive of each kind of @order in turn, in
 * the order of @drives, one path a line. A kind listed twice counts at
 * its first place. NULL when no drive matches (the firmware's own order
 * then applies). */
char *vmm_bootorder_build (const VmmBootDevice *order, unsigned n_order,
                           const VmmBootDrive *drives, unsigned n_drives);

