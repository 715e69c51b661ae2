/* layout.h: the guest-physical and I/O-port map of Vireo's x86 PC.
 *
 * One place for the addresses that the machine (which places RAM and
 * devices), the e820 map, the zero page and the ACPI tables (which describe
 * them to the guest) must agree on. The shape follows QEMU's q35 so that the
 * firmware of a later issue finds what it expects: RAM below 2 GiB, a PCI hole
 * with ECAM at 0xB0000000, the rest of RAM above 4 GiB.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdint.h>

/* Guest-physical memory. */
#define VMM_LOWMEM_LIMIT        0x80000000ULL   /* RAM below 4 GiB ends here at most */
#define VMM_HIGHMEM_BASE        0x100000000ULL  /* the rest of RAM continues here */
#define VMM_EBDA_START          0x9fc00ULL      /* 639 KiB of conventional memory */
#define VMM_VGA_HOLE_START      0xa0000ULL
#define VMM_BIOS_AREA_START     0xe0000ULL      /* reserved up to 1 MiB */
#define VMM_ACPI_TABLES_START   0xe0000ULL      /* RSDP is found here by legacy scan */
#define VMM_ACPI_TABLES_SIZE    0x20000ULL
#define VMM_HIMEM_START         0x100000ULL     /* 1 MiB: protected-mode kernel */

#define VMM_PCI_ECAM_BASE       0xb0000000ULL   /* MMCONFIG, buses 0..255 */
#define VMM_PCI_ECAM_SIZE       0x10000000ULL
#define VMM_PCI_LAST_BUS        0               /* no bridges: bus 0 is the only one */
#define VMM_PCI_MMIO32_BASE     0xc0000000ULL   /* 32-bit BAR window */
#define VMM_PCI_MMIO32_SIZE     0x3ec00000ULL   /* up to the IOAPIC */
#define VMM_PCI_MMIO64_SIZE     0x800000000ULL  /* 32 GiB above RAM for 64-bit BARs */
/* I/O BARs go above the legacy ports and the PM block. */
#define VMM_PCI_IO_BASE         0xc000ULL
#define VMM_PCI_IO_SIZE         0x4000ULL
#define VMM_IOAPIC_BASE         0xfec00000ULL
#define VMM_LAPIC_BASE          0xfee00000ULL

/* Boot-time structures in low RAM for Linux direct boot. */
#define VMM_BOOT_GDT_ADDR       0x500ULL
#define VMM_BOOT_IDT_ADDR       0x520ULL
#define VMM_ZERO_PAGE_ADDR      0x7000ULL
#define VMM_BOOT_STACK_ADDR     0x8ff0ULL
#define VMM_PML4_ADDR           0x9000ULL       /* identity map of the first 4 GiB */
#define VMM_CMDLINE_ADDR        0x20000ULL
#define VMM_CMDLINE_MAX         0x10000ULL

/* I/O ports. */
#define VMM_PORT_PIC_MASTER     0x20
#define VMM_PORT_PIT            0x40
#define VMM_PORT_I8042_DATA     0x60
#define VMM_PORT_I8042_CMD      0x64
#define VMM_PORT_CMOS           0x70            /* index 0x70, data 0x71 */
#define VMM_PORT_COM1           0x3f8           /* 8 registers */
#define VMM_PORT_PCI_CONFIG     0xcf8           /* address 0xcf8, data 0xcfc..0xcff */
#define VMM_PORT_RESET_CONTROL  0xcf9           /* FADT reset register, value 0x06 */
#define VMM_PORT_PM_BASE        0x600           /* PM1a_EVT 0x600 (4), PM1a_CNT 0x604 (2), PM_TMR 0x608 (4) */
#define VMM_PORT_PM1A_EVT       (VMM_PORT_PM_BASE + 0x00)
#define VMM_PORT_PM1A_CNT       (VMM_PORT_PM_BASE + 0x04)
#define VMM_PORT_PM_TMR         (VMM_PORT_PM_BASE + 0x08)
#define VMM_PORT_GPE0           (VMM_PORT_PM_BASE + 0x20) /* 16 bytes: 8 status, 8 enable */
#define VMM_PORT_GPE0_LEN       16

/* Interrupts (ISA IRQs are IOAPIC GSIs 0..15; PCI INTx uses GSIs 16..23). */
#define VMM_IRQ_I8042_KBD       1
#define VMM_IRQ_COM1            4
#define VMM_IRQ_RTC             8
#define VMM_IRQ_SCI             9               /* level, active high */
#define VMM_IRQ_I8042_AUX       12
#define VMM_GSI_PCI_FIRST       16
#define VMM_IOAPIC_PINS         24

/* ACPI sleep type written to PM1a_CNT.SLP_TYP for S5 (soft off); the DSDT's
 * \_S5 package carries the same value. */
#define VMM_ACPI_SLP_TYP_S5     0
