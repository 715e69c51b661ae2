/* fw-cfg-pc.h: what a QEMU-shaped PC puts into fw_cfg for SeaBIOS and
 * OVMF: RAM and CPU counts, the memory map, boot order, sleep states, and
 * a Linux kernel for firmware-mediated direct boot.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "firmware/fw-cfg.h"

#include <glib.h>

/* Where the kernel's real-mode part, command line and protected-mode part
 * go for a 16-bit boot through the firmware (the boot protocol's layout
 * for a bzImage loaded high). */
#define VMM_FW_KERNEL_SETUP_ADDR   0x10000u
#define VMM_FW_KERNEL_CMDLINE_ADDR 0x20000u
#define VMM_FW_KERNEL_ADDR         0x100000u
/* Kept free below the top of low RAM when placing the initrd: the firmware
 * puts its own tables there before the kernel is loaded. */
#define VMM_FW_HIGH_RESERVE        (1u << 20)

typedef struct {
  uint64_t ram_size;          /* all guest RAM */
  uint64_t lowmem_size;       /* of which at [0, lowmem_size); the rest from 4 GiB */
  unsigned n_cpus;            /* present at boot */
  unsigned max_cpus;          /* >= n_cpus */
  const char *bootorder;      /* OpenFirmware device paths, one a line; NULL for none */
  uint16_t sercon_port;       /* SeaBIOS mirrors its screen to this UART; 0: none */
} VmmFwCfgPcConfig;

/* Sets RAM_SIZE, NB_CPUS, MAX_CPUS, NOGRAPHIC (off), BOOT_MENU (off),
 * "etc/e820" (RAM only, in QEMU's 20-byte little-endian entries),
 * "etc/system-states" (S0 and S5 with layout.h's SLP_TYP; no S3/S4), and when given "bootorder"
 * and "etc/sercon-port". Errors (G_IO_ERROR_INVALID_ARGUMENT) for sizes
 * the map cannot describe or files that exist already. */
gboolean vmm_fw_cfg_setup_pc (VmmFwCfg *fw, const VmmFwCfgPcConfig *cfg, GError **error);

/* A Linux bzImage (@kernel, the whole file), optional @initrd and
 * @cmdline for the firmware to boot: OVMF reads the kernel, setup and
 * initrd items itself; SeaBIOS needs an option ROM that copies them to
 * the *_ADDR items and enters the real-mode setup, whose header is
 * patched here the way a boot loader would (loader type, heap, command
 * line and initrd addresses). The initrd goes as high in low RAM as the
 * kernel allows, clear of the top VMM_FW_HIGH_RESERVE bytes. Errors are
 * G_IO_ERROR_INVALID_DATA (not a bzImage) or G_IO_ERROR_NO_SPACE. */
/* The option ROM SeaBIOS needs to boot the kernel of
 * vmm_fw_cfg_add_kernel(): added as VMM_FW_LINUXBOOT_ROM. Put
 * VMM_FW_LINUXBOOT_BOOTORDER first in "bootorder" to boot it before any
 * disk. Returns FALSE (G_IO_ERROR_INVALID_ARGUMENT) if the file exists. */
#define VMM_FW_LINUXBOOT_ROM       "genroms/vireo-linuxboot.bin"
#define VMM_FW_LINUXBOOT_BOOTORDER "/rom@" VMM_FW_LINUXBOOT_ROM
gboolean vmm_fw_cfg_add_linuxboot (VmmFwCfg *fw, GError **error);

gboolean vmm_fw_cfg_add_kernel (VmmFwCfg *fw, GBytes *kernel, GBytes *initrd, const char *cmdline,
                                uint64_t lowmem_size, GError **error);
