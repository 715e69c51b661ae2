/* ahci-test-driver.h: plays an AHCI driver for unit tests and the fuzzer,
 * on a fake platform with a RAM buffer, through the ABAR's bus ops.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ahci/ahci.h"

#define ATD_RAM_SIZE   (8u << 20)
#define ATD_DATA       0x100000u   /* free RAM for data buffers */

typedef struct _Atd Atd;

typedef struct {
  uint64_t addr;
  uint32_t len;
} AtdPrd;

typedef struct {
  uint8_t  cfis[20];
  uint8_t  acmd[16];
  bool     atapi;
  bool     write;
  const AtdPrd *prds;
  unsigned n_prds;
  unsigned prdtl;       /* what the header claims, 0: n_prds */
  uint64_t table;       /* 0: the slot's own table */
} AtdCmd;

typedef struct {
  uint32_t tfd;
  uint32_t is;          /* PxIS when the command was done (then cleared) */
  uint32_t prdbc;
  uint32_t ci, sact;
} AtdResult;

Atd      *atd_new        (const VmmAhciConfig *cfg);
void      atd_free       (Atd *atd);
VmmPciDevice *atd_pci    (Atd *atd);
uint8_t  *atd_ram        (Atd *atd);
VmmPlatform *atd_platform (Atd *atd);
gboolean  atd_irq        (Atd *atd);

uint32_t  atd_read       (Atd *atd, unsigned off);
void      atd_write      (Atd *atd, unsigned off, uint32_t v);
uint32_t  atd_port_read  (Atd *atd, unsigned port, unsigned reg);
void      atd_port_write (Atd *atd, unsigned port, unsigned reg, uint32_t v);
/* Where the driver put the port's command list and FIS receive area. */
uint64_t  atd_clb        (unsigned port);
uint64_t  atd_fb         (unsigned port);

/* Programs CLB/FB, enables interrupts, sets FRE and ST. */
void      atd_port_start (Atd *atd, unsigned port);
/* Builds the command in @slot, issues it, waits for the HBA to finish
 * and clears PxIS. */
void      atd_run        (Atd *atd, unsigned port, unsigned slot, const AtdCmd *cmd,
                          AtdResult *res);
/* Only builds the command (no issue). */
void      atd_build      (Atd *atd, unsigned port, unsigned slot, const AtdCmd *cmd);

/* H2D register FIS helpers. */
void      atd_fis        (AtdCmd *cmd, uint8_t command, uint64_t lba, uint16_t count,
                          uint16_t features);

/* Port register offsets. */
#define ATD_PX_CLB   0x00
#define ATD_PX_FB    0x08
#define ATD_PX_IS    0x10
#define ATD_PX_IE    0x14
#define ATD_PX_CMD   0x18
#define ATD_PX_TFD   0x20
#define ATD_PX_SIG   0x24
#define ATD_PX_SSTS  0x28
#define ATD_PX_SCTL  0x2c
#define ATD_PX_SERR  0x30
#define ATD_PX_SACT  0x34
#define ATD_PX_CI    0x38
