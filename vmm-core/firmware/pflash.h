/* pflash.h: a CFI parallel flash with the Intel/Sharp command set, 8 bits
 * wide: where OVMF keeps its UEFI variables (QEMU's pflash_cfi01 as OVMF
 * drives it).
 *
 * In read-array mode the guest reads the flash like ROM; the machine maps
 * it straight into the VM for that and unmaps it when a command switches
 * the flash to status mode, so that reads then reach the device. The
 * machine learns of each switch through the mode callback.
 *
 * Commands understood: 0xFF/0x00 read array, 0x10/0x40 program one byte,
 * 0x20 + 0xD0 erase one block, 0x50 clear status, 0x70 read status,
 * 0x90 read identifier. Anything else is a command sequence error in
 * the status register; the array never changes except by a complete
 * program or erase sequence.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_PFLASH_BLOCK_SIZE 4096

/* Status register bits. */
#define VMM_PFLASH_STATUS_READY      0x80
#define VMM_PFLASH_STATUS_ERASE_ERR  0x20
#define VMM_PFLASH_STATUS_PROGRAM_ERR 0x10

/* Called with the device lock held when reads start (@array TRUE) or stop
 * (FALSE) being plain reads of the array. On the way back to read-array
 * mode, @changed says whether the array was programmed or erased since
 * it was last in that mode: the end of a write, when the machine may
 * save it. */
typedef void (*VmmPflashModeFn) (void *opaque, gboolean array, gboolean changed);

typedef struct _VmmPflash VmmPflash;

/* A flash over @array (@len bytes, a multiple of VMM_PFLASH_BLOCK_SIZE),
 * which the device changes in place; the caller keeps it mapped for the
 * device's lifetime. */
VmmPflash *vmm_pflash_new      (uint8_t *array, size_t len, VmmPflashModeFn mode, void *opaque);
void       vmm_pflash_free     (VmmPflash *f);
/* Read-array mode, status clear: the power-on state. */
void       vmm_pflash_reset    (VmmPflash *f);
gboolean   vmm_pflash_in_array_mode (VmmPflash *f);
/* TRUE once the array changed since the last call (which clears it):
 * when the machine should write the contents back. */
gboolean   vmm_pflash_take_dirty (VmmPflash *f);

/* Guest accesses at @offset into the flash (@len bytes, little-endian).
 * Accesses beyond the end read as all-ones and are ignored. */
void       vmm_pflash_read     (VmmPflash *f, uint64_t offset, uint8_t *data, unsigned len);
void       vmm_pflash_write    (VmmPflash *f, uint64_t offset, const uint8_t *data, unsigned len);
int        vmm_pflash_register (VmmPflash *f, VmmBus *mmio, uint64_t base);
