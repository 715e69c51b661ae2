/* fw-cfg.h: QEMU's firmware configuration device (fw_cfg), the channel
 * through which SeaBIOS and OVMF learn about the machine: RAM size, CPU
 * counts, the memory map, boot order, ACPI tables, a kernel to boot.
 *
 * The guest-visible contract is QEMU's docs/specs/fw_cfg.rst for x86: a
 * 16-bit selector at port 0x510, an 8-bit data port at 0x511 and the DMA
 * address register at 0x514 (big-endian, 64 bits, written as two 32-bit
 * halves, the low half at 0x518 starting the transfer). Items are numbered
 * by a 16-bit key; items at FW_CFG_FILE_FIRST and above are "files", listed
 * by name in the directory at FW_CFG_FILE_DIR.
 *
 * Items are set up by the machine before the guest runs and never change
 * afterwards, except writable files, which only the guest writes (by DMA).
 * All guest accesses may come from any vCPU thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"
#include "guest-mem.h"

#include <glib.h>
#include <linux/qemu_fw_cfg.h>
#include <stdint.h>

#define VMM_FW_CFG_PORT_SELECTOR 0x510
#define VMM_FW_CFG_PORT_DATA     0x511
#define VMM_FW_CFG_PORT_DMA      0x514

/* x86-specific keys (QEMU's FW_CFG_ARCH_LOCAL range). */
#define VMM_FW_CFG_X86_ACPI_TABLES   (FW_CFG_ARCH_LOCAL + 0)
#define VMM_FW_CFG_X86_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)

/* The most files the directory lists. */
#define VMM_FW_CFG_MAX_FILES 0x400

typedef struct _VmmFwCfg VmmFwCfg;

/* A device reading and writing guest RAM through @mem (copied: the
 * regions must stay mapped for the device's lifetime). */
VmmFwCfg *vmm_fw_cfg_new      (const VmmGuestMem *mem);
void      vmm_fw_cfg_free     (VmmFwCfg *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VmmFwCfg, vmm_fw_cfg_free)

/* Sets the item at @key (below FW_CFG_FILE_FIRST, or in the arch-local
 * range below FW_CFG_ARCH_LOCAL + FW_CFG_FILE_FIRST) to @data, replacing
 * what was there. The signature, ID and directory keys are the device's
 * own. Returns 0 or -EINVAL. */
int       vmm_fw_cfg_set_item (VmmFwCfg *fw, uint16_t key, GBytes *data);
/* Little-endian integers, the way QEMU stores its numeric items. */
int       vmm_fw_cfg_set_u16  (VmmFwCfg *fw, uint16_t key, uint16_t value);
int       vmm_fw_cfg_set_u32  (VmmFwCfg *fw, uint16_t key, uint32_t value);
int       vmm_fw_cfg_set_u64  (VmmFwCfg *fw, uint16_t key, uint64_t value);

/* Adds the file @name (at most FW_CFG_MAX_FILE_PATH - 1 bytes) with
 * @data. A writable file accepts DMA writes within its size; it starts as
 * a copy of @data. Returns its key, or -EEXIST (the name is taken),
 * -ENAMETOOLONG, -EINVAL (empty name) or -ENOSPC (too many files). */
int       vmm_fw_cfg_add_file (VmmFwCfg *fw, const char *name, GBytes *data, gboolean writable);
/* Replaces the contents of file @name with @data (a writable file stays
 * writable, with @data as its reset contents), or adds it read-only.
 * Returns its key or the errors of vmm_fw_cfg_add_file(). */
int       vmm_fw_cfg_set_file (VmmFwCfg *fw, const char *name, GBytes *data);
/* The key of file @name, or -ENOENT. */
int       vmm_fw_cfg_find_file (VmmFwCfg *fw, const char *name);
/* A copy of the current contents of the item at @key, or NULL. */
GBytes   *vmm_fw_cfg_get_item (VmmFwCfg *fw, uint16_t key);

/* Power-on state: selector 0, DMA address 0; writable files go back to
 * their initial contents. */
void      vmm_fw_cfg_reset    (VmmFwCfg *fw);
/* Registers the three ports on @pio. Returns 0 or -errno. */
int       vmm_fw_cfg_register (VmmFwCfg *fw, VmmBus *pio);

/* The port interface without a bus, for tests and for the bus callbacks:
 * @port is an absolute port number, @len 1, 2 or 4. Accesses the device
 * does not decode read as all-ones and are otherwise ignored. */
void      vmm_fw_cfg_pio_read  (VmmFwCfg *fw, uint16_t port, uint8_t *data, unsigned len);
void      vmm_fw_cfg_pio_write (VmmFwCfg *fw, uint16_t port, const uint8_t *data, unsigned len);
