/* e1000e-private.h: register offsets and the device's counters, for
 * e1000e.c and the unit tests that drive it as a driver would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "net/e1000e.h"

#define E1K_VENDOR      0x8086
#define E1K_DEVICE      0x10d3
/* BAR0 registers, BAR1 flash, BAR2 I/O window, BAR3 MSI-X. */
#define E1K_BAR_MMIO    0
#define E1K_BAR_FLASH   1
#define E1K_BAR_IO      2
#define E1K_BAR_MSIX    3
#define E1K_MMIO_SIZE   0x20000u
#define E1K_FLASH_SIZE  0x20000u
#define E1K_IO_SIZE     0x20u
#define E1K_MSIX_SIZE   0x4000u
#define E1K_MSIX_PBA    0x2000u
#define E1K_N_VECTORS   5
#define E1K_EEPROM_WORDS 64

enum {
  E1K_CTRL = 0x0000, E1K_STATUS = 0x0008, E1K_EECD = 0x0010, E1K_EERD = 0x0014,
  E1K_CTRL_EXT = 0x0018, E1K_MDIC = 0x0020, E1K_VET = 0x0038,
  E1K_ICR = 0x00c0, E1K_ITR = 0x00c4, E1K_ICS = 0x00c8, E1K_IMS = 0x00d0,
  E1K_EIAC = 0x00dc, E1K_IMC = 0x00d8, E1K_IAM = 0x00e0, E1K_IVAR = 0x00e4,
  E1K_RCTL = 0x0100, E1K_TCTL = 0x0400,
  E1K_RDBAL = 0x2800, E1K_RDBAH = 0x2804, E1K_RDLEN = 0x2808, E1K_RDH = 0x2810,
  E1K_RDT = 0x2818,
  E1K_TDBAL = 0x3800, E1K_TDBAH = 0x3804, E1K_TDLEN = 0x3808, E1K_TDH = 0x3810,
  E1K_TDT = 0x3818,
  E1K_STATS = 0x4000, E1K_STATS_END = 0x4100,
  E1K_MPC = 0x4010, E1K_GPRC = 0x4074, E1K_BPRC = 0x4078, E1K_MPRC = 0x407c,
  E1K_GPTC = 0x4080, E1K_GORCL = 0x4088, E1K_GOTCL = 0x4090, E1K_TORL = 0x40c0,
  E1K_TOTL = 0x40c8, E1K_TPR = 0x40d0, E1K_TPT = 0x40d4,
  E1K_RXCSUM = 0x5000, E1K_RFCTL = 0x5008,
  E1K_MTA = 0x5200, E1K_RAL0 = 0x5400, E1K_RAH0 = 0x5404, E1K_VFTA = 0x5600,
};

/* Interrupt causes (ICR, ICS, IMS, IMC). */
#define E1K_ICR_TXDW    (1u << 0)
#define E1K_ICR_TXQE    (1u << 1)
#define E1K_ICR_LSC     (1u << 2)
#define E1K_ICR_RXDMT0  (1u << 4)
#define E1K_ICR_RXO     (1u << 6)
#define E1K_ICR_RXT0    (1u << 7)
#define E1K_ICR_MDAC    (1u << 9)
#define E1K_ICR_RXQ0    (1u << 20)
#define E1K_ICR_TXQ0    (1u << 22)
#define E1K_ICR_OTHER   (1u << 24)
#define E1K_ICR_ASSERTED (1u << 31)

#define E1K_CTRL_RST    (1u << 26)
#define E1K_CTRL_EXT_IAME (1u << 27)
#define E1K_RCTL_EN     (1u << 1)
#define E1K_RCTL_UPE    (1u << 3)
#define E1K_RCTL_MPE    (1u << 4)
#define E1K_RCTL_BAM    (1u << 15)
#define E1K_RCTL_VFE    (1u << 18)
#define E1K_RCTL_BSEX   (1u << 25)
#define E1K_RCTL_SECRC  (1u << 26)
#define E1K_RFCTL_EXSTEN (1u << 15)
#define E1K_TCTL_EN     (1u << 1)
#define E1K_EERD_START  1u
#define E1K_EERD_DONE   2u
#define E1K_MDIC_READY  (1u << 28)
#define E1K_MDIC_ERROR  (1u << 30)
#define E1K_MDIC_OP_WRITE (1u << 26)
#define E1K_MDIC_OP_READ  (2u << 26)

/* Descriptor bits. */
#define E1K_RXD_DD      0x01u
#define E1K_RXD_EOP     0x02u
#define E1K_TXD_EOP     0x01u
#define E1K_TXD_IFCS    0x02u
#define E1K_TXD_IC      0x04u
#define E1K_TXD_RS      0x08u
#define E1K_TXD_DEXT    0x20u
#define E1K_TXD_TSE     0x04u    /* in an extended descriptor's command */
#define E1K_TXD_DD      0x01u
#define E1K_TUCMD_TCP   0x01u
#define E1K_TUCMD_IP    0x02u
#define E1K_POPTS_IXSM  0x01u
#define E1K_POPTS_TXSM  0x02u

typedef struct {
  uint64_t tx_frames;       /* handed to the back-end (each TSO segment counts) */
  uint64_t tx_bad;          /* malformed: bad offsets, too long, not RAM */
  uint64_t tx_waits;        /* the back-end was full: the ring waited */
  uint64_t rx_frames;       /* delivered to the guest */
  uint64_t rx_filtered;     /* not for this card's addresses */
  uint64_t rx_no_buffers;   /* the ring was empty: the back-end waited */
  uint64_t rx_bad;          /* descriptors or buffers outside guest RAM, bad rings */
  uint64_t bad_ring;        /* a head, tail or length the ring cannot have */
} VmmE1000eStats;

typedef struct _VmmE1000e VmmE1000e;

/* The model behind the PCI function, for tests: the device's hooks. */
VmmE1000e *vmm_e1000e_from_pci   (VmmPciDevice *dev);
void       vmm_e1000e_mmio_read  (VmmE1000e *e, uint64_t offset, uint8_t *data, unsigned len);
void       vmm_e1000e_mmio_write (VmmE1000e *e, uint64_t offset, const uint8_t *data, unsigned len);
void       vmm_e1000e_io_read    (VmmE1000e *e, uint64_t offset, uint8_t *data, unsigned len);
void       vmm_e1000e_io_write   (VmmE1000e *e, uint64_t offset, const uint8_t *data, unsigned len);
void       vmm_e1000e_get_stats  (VmmE1000e *e, VmmE1000eStats *stats);
