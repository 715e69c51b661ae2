/* firmware.h: the firmware image at the top of 4 GiB, where an x86 CPU
 * fetches its first instruction (F000:FFF0, physical 0xFFFFFFF0).
 *
 * SeaBIOS is one image; its last 128 KiB also appear at 0xE0000-0xFFFFF,
 * the legacy BIOS window. OVMF is a code image and a variables image,
 * the variables directly below the code. Images are mapped read-only
 * (KVM_MEM_READONLY); guest writes leave the VM as MMIO. Writes to the
 * code change nothing; the variables sit behind a CFI flash device
 * (pflash.h) that OVMF programs and erases, and that can write through to
 * the machine's own variables file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "bus.h"

#define VMM_FIRMWARE_TOP          0x100000000ULL
/* The flash window: images may fill at most the top 16 MiB below 4 GiB. */
#define VMM_FIRMWARE_MAX_SIZE     (16u << 20)
#define VMM_FIRMWARE_LEGACY_BASE  0xe0000ULL
#define VMM_FIRMWARE_LEGACY_SIZE  0x20000ULL
/* KVM memory slots a firmware uses, from the first one given to map(). */
#define VMM_FIRMWARE_MAX_SLOTS    2

#define VMM_FIRMWARE_SEABIOS_PATH "/usr/share/seabios/bios-256k.bin"
#define VMM_FIRMWARE_OVMF_CODE_PATH "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define VMM_FIRMWARE_OVMF_VARS_PATH "/usr/share/OVMF/OVMF_VARS_4M.fd"

typedef struct _VmmFirmware VmmFirmware;

/* A BIOS image (SeaBIOS bios.bin or bios-256k.bin): a multiple of
 * 64 KiB, at most VMM_FIRMWARE_MAX_SIZE, with a jump at its reset vector.
 * Errors are G_IO_ERROR_NOT_FOUND (a missing file: the message names the
 * package to install) or G_IO_ERROR_INVALID_DATA. */
VmmFirmware *vmm_firmware_new_bios (const char *path, GError **error);
/* OVMF: the code image and a variables image, both firmware volumes,
 * 4 KiB multiples, together at most VMM_FIRMWARE_MAX_SIZE. With
 * @persist_vars the variables file (the machine's own copy, never the
 * package's template) is opened for writing and what OVMF stores reaches
 * it; otherwise changes last until the firmware is freed. Errors as for
 * vmm_firmware_new_bios(), and from opening the variables file. */
VmmFirmware *vmm_firmware_new_uefi (const char *code_path, const char *vars_path,
                                    gboolean persist_vars, GError **error);
void         vmm_firmware_free     (VmmFirmware *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmFirmware, vmm_firmware_free)

/* Where the images lie: [base, VMM_FIRMWARE_TOP). Machines keep their
 * other fixed ranges (KVM's TSS, MMIO windows) below @base. */
uint64_t     vmm_firmware_base     (const VmmFirmware *fw);
/* TRUE for a BIOS, which wants vmm_firmware_load_legacy() at each boot. */
gboolean     vmm_firmware_is_bios  (const VmmFirmware *fw);

/* Puts the variable flash on @mmio, where its commands arrive (nothing
 * for a BIOS). Once per machine. Returns 0 or -errno. */
int          vmm_firmware_register (VmmFirmware *fw, VmmBus *mmio);
/* Undoes vmm_firmware_register() (what was registered), before any vCPU
 * ran: the bus dispatches without locks. */
void         vmm_firmware_unregister (VmmFirmware *fw, VmmBus *mmio);
/* Writes changed variables back to their file now (also done by free). */
void         vmm_firmware_flush    (VmmFirmware *fw);

/* Maps the images into the VM @vm_fd as slots @first_slot onwards (at
 * most VMM_FIRMWARE_MAX_SLOTS), read-only when KVM supports it. Call for
 * every new VM, before its vCPUs run: ROM images are restored to their
 * pristine contents, the flash returns to read-array mode (keeping its
 * contents) and remaps itself in this VM from then on. */
gboolean     vmm_firmware_map      (VmmFirmware *fw, int vm_fd, uint32_t first_slot, GError **error);

/* A BIOS's last 128 KiB copied into guest RAM at 0xE0000 (@ram is guest
 * RAM from address 0, @ram_len bytes, at least 1 MiB): the legacy window
 * as a BIOS sees it once it has shadowed itself, which SeaBIOS does first
 * thing anyway. Does nothing for OVMF. */
void         vmm_firmware_load_legacy (const VmmFirmware *fw, uint8_t *ram, uint64_t ram_len);

/* The boot vCPU's power-on state: real mode, CS F000 with base
 * 0xFFFF0000, IP FFF0. Other registers as KVM creates them. */
void         vmm_firmware_reset_state (struct kvm_sregs *sregs, struct kvm_regs *regs);
