/* ahci-test-driver.c: a fake guest with an AHCI driver.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ahci-test-driver.h"

#include <errno.h>
#include <string.h>

#define ABAR 5
#define TABLES 0x20000u     /* per port 0x10000: 32 slots of 0x800 */

struct _Atd {
  VmmPlatform platform;
  uint8_t *ram;
  VmmPciDevice *pci;
  gint intx;
};

static void
fake_set_irq (void *opaque, unsigned gsi, gboolean level)
{
  Atd *atd = opaque;

  g_atomic_int_set (&atd->intx, level ? 1 : 0);
}

static void
fake_signal_msi (void *opaque, uint64_t addr, uint32_t data)
{
}

static const VmmPlatformOps fake_ops = {
  .set_irq = fake_set_irq,
  .signal_msi = fake_signal_msi,
};

Atd *
atd_new (const VmmAhciConfig *cfg)
{
  Atd *atd = g_new0 (Atd, 1);
  g_autoptr (GError) error = NULL;

  atd->ram = g_malloc0 (ATD_RAM_SIZE);
  atd->platform.ops = &fake_ops;
  atd->platform.opaque = atd;
  vmm_guest_mem_init (&atd->platform.mem);
  g_assert_cmpint (vmm_guest_mem_add (&atd->platform.mem, 0, ATD_RAM_SIZE, atd->ram), ==, 0);
  atd->pci = vmm_ahci_new (&atd->platform, cfg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (atd->pci);
  /* What the bus would have set from the interrupt pin. */
  atd->pci->intx_gsi = 10;
  return atd;
}

void
atd_free (Atd *atd)
{
  vmm_pci_device_free (atd->pci);
  g_free (atd->ram);
  g_free (atd);
}

VmmPciDevice *
atd_pci (Atd *atd)
{
  return atd->pci;
}

uint8_t *
atd_ram (Atd *atd)
{
  return atd->ram;
}

VmmPlatform *
atd_platform (Atd *atd)
{
  return &atd->platform;
}

gboolean
atd_irq (Atd *atd)
{
  return g_atomic_int_get (&atd->intx) != 0;
}

uint32_t
atd_read (Atd *atd, unsigned off)
{
  uint8_t d[4];

  atd->pci->bar_ops[ABAR]->read (atd->pci->bar_opaque[ABAR], off, d, 4);
  return (uint32_t) vmm_le_get (d, 4);
}

void
atd_write (Atd *atd, unsigned off, uint32_t v)
{
  uint8_t d[4];

  vmm_le_put (d, 4, v);
  atd->pci->bar_ops[ABAR]->write (atd->pci->bar_opaque[ABAR], off, d, 4);
}

uint32_t
atd_port_read (Atd *atd, unsigned port, unsigned reg)
{
  return atd_read (atd, 0x100 + 0x80 * port + reg);
}

void
atd_port_write (Atd *atd, unsigned port, unsigned reg, uint32_t v)
{
  atd_write (atd, 0x100 + 0x80 * port + reg, v);
}

uint64_t
atd_clb (unsigned port)
{
  return 0x10000u + 0x1000u * port;
}

uint64_t
atd_fb (unsigned port)
{
  return atd_clb (port) + 0x400;
}

void
atd_port_start (Atd *atd, unsigned port)
{
  atd_write (atd, 0x04, 0x80000002u);       /* AE, IE */
  atd_port_write (atd, port, ATD_PX_CLB, (uint32_t) atd_clb (port));
  atd_port_write (atd, port, ATD_PX_FB, (uint32_t) atd_fb (port));
  atd_port_write (atd, port, ATD_PX_SERR, 0xffffffffu);
  atd_port_write (atd, port, ATD_PX_IS, 0xffffffffu);
  atd_port_write (atd, port, ATD_PX_IE, 0xffffffffu);
  atd_port_write (atd, port, ATD_PX_CMD, 1u << 4);
  atd_port_write (atd, port, ATD_PX_CMD, (1u << 4) | 1u);
}

void
atd_fis (AtdCmd *cmd, uint8_t command, uint64_t lba, uint16_t count, uint16_t features)
{
  uint8_t *f = cmd->cfis;

  memset (f, 0, sizeof cmd->cfis);
  f[0] = 0x27;
  f[1] = 0x80;
  f[2] = command;
  f[3] = (uint8_t) features;
  f[4] = (uint8_t) lba;
  f[5] = (uint8_t) (lba >> 8);
  f[6] = (uint8_t) (lba >> 16);
  f[7] = 0x40;
  f[8] = (uint8_t) (lba >> 24);
  f[9] = (uint8_t) (lba >> 32);
  f[10] = (uint8_t) (lba >> 40);
  f[11] = (uint8_t) (features >> 8);
  f[12] = (uint8_t) count;
  f[13] = (uint8_t) (count >> 8);
}

void
atd_build (Atd *atd, unsigned port, unsigned slot, const AtdCmd *cmd)
{
  uint64_t table = cmd->table ? cmd->table : TABLES + 0x10000u * port + 0x800u * slot;
  uint8_t *hdr = atd->ram + atd_clb (port) + 32 * slot;
  unsigned prdtl = cmd->prdtl ? cmd->prdtl : cmd->n_prds;
  uint32_t dw0 = 5 | (cmd->atapi ? 1u << 5 : 0) | (cmd->write ? 1u << 6 : 0) | prdtl << 16;

  memset (hdr, 0, 32);
  vmm_le_put (hdr, 4, dw0);
  vmm_le_put (hdr + 8, 8, table);
  if (table + 0x80 + 16ull * cmd->n_prds > ATD_RAM_SIZE)
    return;
  memset (atd->ram + table, 0, 0x80);
  memcpy (atd->ram + table, cmd->cfis, sizeof cmd->cfis);
  memcpy (atd->ram + table + 0x40, cmd->acmd, sizeof cmd->acmd);
  for (unsigned i = 0; i < cmd->n_prds; i++)
    {
      uint8_t *p = atd->ram + table + 0x80 + 16 * i;

      memset (p, 0, 16);
      vmm_le_put (p, 8, cmd->prds[i].addr);
      vmm_le_put (p + 12, 4, cmd->prds[i].len - 1);
    }
}

void
atd_run (Atd *atd, unsigned port, unsigned slot, const AtdCmd *cmd, AtdResult *res)
{
  bool ncq = cmd->cfis[2] == 0x60 || cmd->cfis[2] == 0x61;

  atd_build (atd, port, slot, cmd);
  if (ncq)
    atd_port_write (atd, port, ATD_PX_SACT, 1u << (cmd->cfis[12] >> 3));
  atd_port_write (atd, port, ATD_PX_CI, 1u << slot);
  vmm_ahci_drain (atd->pci);
  res->tfd = atd_port_read (atd, port, ATD_PX_TFD);
  res->is = atd_port_read (atd, port, ATD_PX_IS);
  res->ci = atd_port_read (atd, port, ATD_PX_CI);
  res->sact = atd_port_read (atd, port, ATD_PX_SACT);
  res->prdbc = (uint32_t) vmm_le_get (atd->ram + atd_clb (port) + 32 * slot + 4, 4);
  atd_port_write (atd, port, ATD_PX_IS, res->is);
  atd_write (atd, 0x08, 0xffffffffu);
}
