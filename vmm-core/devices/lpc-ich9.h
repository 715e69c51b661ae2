/* lpc-ich9.h: the ICH9 LPC bridge at 00:1f.0.
 *
 * Vireo's PC is QEMU's q35, not its i440FX: the MCH host bridge
 * (8086:29c0, pci-host.c) with ECAM, and this ICH9 LPC bridge (8086:2918)
 * that owns the ACPI power-management block. Q35 because it is the PC
 * today's guests and firmware expect: PCI Express configuration through
 * ECAM, AHCI as the native disk controller (ICH9's, ahci/), and OVMF's
 * Secure Boot build, which needs SMM and runs only on Q35. SeaBIOS and
 * OVMF recognise the board by these IDs (both with subsystem 1af4:1100)
 * and program the bridge: PMBASE (config 0x40) and ACPI_CNTL's ACPI_EN
 * (0x44) say where the PM block decodes, which OVMF's timer reads back;
 * OVMF also sets the root complex base (RCBA, 0xf0).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bus.h"
#include "devices/pci.h"
#include "devices/pm.h"

#define VMM_LPC_DEVFN        VMM_PCI_DEVFN (0x1f, 0)

#define VMM_LPC_PMBASE       0x40
#define VMM_LPC_ACPI_CNTL    0x44
#define VMM_LPC_PIRQA_ROUT   0x60
#define VMM_LPC_PIRQE_ROUT   0x68
#define VMM_LPC_RCBA         0xf0

#define VMM_LPC_PMBASE_RTE   0x1u      /* "resource type: I/O", reads as one */
#define VMM_LPC_PMBASE_MASK  0xff80u   /* 128-byte aligned I/O base */
#define VMM_LPC_ACPI_EN      0x80u
#define VMM_LPC_RCBA_EN      0x1u
#define VMM_LPC_RCBA_MASK    0xffffc000u

/* Creates the bridge, owning the decoding of @pm on @pio (both must
 * outlive it): at power-on the block decodes at @pm_base with ACPI_EN
 * set, where the machine's ACPI tables describe it, so that a kernel
 * booted without firmware finds it; the guest may move it elsewhere or
 * turn it off. Returns NULL if @pm cannot be placed at @pm_base. The
 * device is freed with its PCI function. */
VmmPciDevice *vmm_lpc_ich9_new (VmmPm *pm, VmmBus *pio, uint16_t pm_base);
