/* ahci.h: an AHCI SATA controller (Intel ICH9, 8086:2922) with ATA disks
 * and ATAPI CD/DVD-ROM drives, for guests without virtio drivers (Windows
 * installers, firmware).
 *
 * The HBA is served from ABAR (BAR 5, 4 KiB of MMIO) and interrupts over
 * INTx: SeaBIOS, OVMF, Linux's ahci and Windows' storahci all work without
 * MSI, so the device offers no MSI capability. Commands run on the
 * controller's own I/O thread and the disk work in the block engine
 * (block/block-engine.h), never on a vCPU thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "block/block-engine.h"
#include "devices/pci.h"
#include "platform.h"
#include "storage/image.h"

/* ICH9 has six SATA ports. */
#define VMM_AHCI_MAX_PORTS 6
#define VMM_AHCI_SERIAL_LEN 20

typedef enum {
  VMM_AHCI_DRIVE_NONE,
  VMM_AHCI_DRIVE_DISK,
  VMM_AHCI_DRIVE_CDROM,
} VmmAhciDriveKind;

typedef struct {
  VmmAhciDriveKind kind;
  /* A disk needs one; a CD-ROM may start empty (NULL). On success the
   * device owns it and closes it when destroyed or when the medium is
   * changed. A CD-ROM's image should be opened read-only; it is never
   * written. */
  VmmImage        *image;
  bool             read_only;  /* disks: refuse writes (also when the image is) */
  const char      *serial;     /* IDENTIFY serial (20 characters kept), or NULL */
} VmmAhciDrive;

typedef struct {
  VmmAhciDrive       drives[VMM_AHCI_MAX_PORTS]; /* by port number */
  VmmBlockEngineKind engine;                     /* AUTO unless testing */
} VmmAhciConfig;

/* Creates the PCI function; add it to the bus with vmm_pci_bus_add.
 * @platform must outlive the device. On failure nothing in @cfg was
 * taken. */
VmmPciDevice *vmm_ahci_new (VmmPlatform *platform, const VmmAhciConfig *cfg, GError **error);

/* Puts @image (NULL: none) into the CD-ROM on @port, closing the previous
 * medium, and tells the guest as a drive does: a media event for GET EVENT
 * STATUS NOTIFICATION and a UNIT ATTENTION (medium may have changed) on the
 * next command. The device owns @image on success. Any thread but a vCPU's.
 * Fails (nothing taken) when @port has no CD-ROM. */
gboolean      vmm_ahci_change_media (VmmPciDevice *dev, unsigned port, VmmImage *image,
                                     GError **error);

/* Whether the CD-ROM on @port has a medium loaded and its tray closed. */
gboolean      vmm_ahci_has_media    (VmmPciDevice *dev, unsigned port);

/* Runs every command the guest has issued to completion, for tests and
 * for pausing the machine. Any thread but a vCPU's. */
void          vmm_ahci_drain        (VmmPciDevice *dev);

/* The OpenFirmware path of the drive on @port of an HBA at @devfn of the
 * root bus, as an entry of fw_cfg "bootorder": what SeaBIOS matches its
 * AHCI drives against and OVMF translates to PciRoot(0)/Pci(..)/Sata(..). */
char         *vmm_ahci_boot_path    (uint8_t devfn, unsigned port);
