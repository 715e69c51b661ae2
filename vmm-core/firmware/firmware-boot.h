/* firmware-boot.h: everything a machine needs to boot through SeaBIOS or
 * OVMF, behind one object: the firmware images (and the variable flash),
 * fw_cfg with the PC's items, the ACPI and SMBIOS tables and an optional
 * kernel, and the debug console. The machine creates it once, maps it
 * into each new VM (every reset makes one) and puts the boot vCPU at the
 * reset vector.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <linux/kvm.h>
#include <stdint.h>

#include "bus.h"
#include "guest-mem.h"
#include "firmware/debugcon.h"
#include "firmware/fw-cfg.h"
#include "x86/acpi.h"

typedef struct {
  /* Exactly one of: a BIOS image, or OVMF code + variables. */
  const char *bios_path;
  const char *uefi_code_path;
  const char *uefi_vars_path;   /* the machine's own copy */
  gboolean persist_vars;        /* write the variables back to uefi_vars_path */

  uint64_t ram_size;
  uint64_t lowmem_size;         /* RAM at [0, lowmem_size), the rest from 4 GiB */
  unsigned n_cpus, max_cpus;
  const char *bootorder;        /* OpenFirmware paths, one a line; NULL for the default */
  uint16_t sercon_port;         /* SeaBIOS mirrors its screen there; 0: none */
  const VmmAcpiConfig *acpi;    /* the tables the firmware hands to the OS */
  const uint8_t *uuid;          /* the machine's UUID (16 bytes, RFC 4122 order) for
                                 * SMBIOS; NULL: none */

  /* Optional direct boot through the firmware: a bzImage, initrd and
   * command line. With a BIOS, the option ROM that boots it is added and
   * put first in the boot order. */
  GBytes *kernel;
  GBytes *initrd;
  const char *cmdline;

  /* Where the firmware's debug log (port 0x402) goes; NULL drops it. */
  VmmDebugconFn debug_out;
  void *debug_opaque;
} VmmFirmwareBootConfig;

typedef struct _VmmFirmwareBoot VmmFirmwareBoot;

/* Reads and checks the images, builds fw_cfg, and registers fw_cfg, the
 * debug console and the variable flash on @pio and @mmio (which must
 * outlive the object). @mem is guest RAM for fw_cfg DMA. Errors are
 * GIOErrors with a message for the user (a missing firmware names its
 * package). */
VmmFirmwareBoot *vmm_firmware_boot_new (const VmmFirmwareBootConfig *cfg, const VmmGuestMem *mem,
                                        VmmBus *pio, VmmBus *mmio, GError **error);
void             vmm_firmware_boot_free (VmmFirmwareBoot *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmFirmwareBoot, vmm_firmware_boot_free)

/* The lowest guest address the firmware occupies below 4 GiB: KVM's TSS
 * and identity map and any other fixed range must lie below it. */
uint64_t         vmm_firmware_boot_base (const VmmFirmwareBoot *b);

/* For every new VM, before its vCPUs run: maps the firmware as KVM slots
 * @first_slot and @first_slot + 1, puts the BIOS's legacy window into
 * @ram (guest RAM from address 0, @ram_len bytes, at least 1 MiB) and
 * returns fw_cfg to its power-on state. */
gboolean         vmm_firmware_boot_load (VmmFirmwareBoot *b, int vm_fd, uint32_t first_slot,
                                         uint8_t *ram, uint64_t ram_len, GError **error);

/* The boot vCPU's registers at the reset vector (others stay as KVM
 * creates them: application processors wait for INIT/SIPI). */
void             vmm_firmware_boot_setup_bsp (struct kvm_sregs *sregs, struct kvm_regs *regs);

/* Writes changed UEFI variables to their file (also done by free); for
 * power-off and before the process exits. */
void             vmm_firmware_boot_flush (VmmFirmwareBoot *b);

/* Adds the option ROM file @path as fw_cfg file @name: SeaBIOS runs
 * "vgaroms/..." as video BIOSes and "genroms/..." as other ROMs, both
 * without a PCI device (a device's own BIOS, such as the bochs
 * display's, goes in its ROM BAR: vmm_pci_device_set_rom()). A missing
 * file is
 * G_IO_ERROR_NOT_FOUND naming @package; an existing name,
 * G_IO_ERROR_EXISTS. Before the machine first runs. */
gboolean         vmm_firmware_boot_add_rom (VmmFirmwareBoot *b, const char *name, const char *path,
                                            const char *package, GError **error);

/* Sets the "bootorder" file to @paths (OpenFirmware device paths, each
 * ending in a newline; see bootorder.h), after the ROM that boots a
 * kernel given to SeaBIOS, replacing what the config said. Before the
 * machine first runs. */
gboolean         vmm_firmware_boot_set_bootorder (VmmFirmwareBoot *b, const char *paths,
                                                  GError **error);

/* The fw_cfg device, for items beyond the PC's. */
VmmFwCfg        *vmm_firmware_boot_get_fw_cfg (VmmFirmwareBoot *b);
