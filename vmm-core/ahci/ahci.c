/* ahci.c: the AHCI 1.3 host bus adapter: ABAR registers, command lists
 * and tables, PRD walking, FIS delivery and interrupts, and the I/O thread
 * that runs commands.
 *
 * A write to PxCI only records the slots and wakes the I/O thread, which
 * reads each command header and table once into host memory, checks it,
 * and hands it to the ATA or ATAPI command set (ahci-ata.c, ahci-atapi.c).
 * Disk data moves through the block engine straight between the image and
 * the guest buffers the PRDs name.
 *
 * A port that stops (PxCMD.ST cleared, port or HBA reset) bumps its
 * generation: commands still in the engine then finish silently, and
 * PxCMD.CR stays set until they have, which is what drivers wait for
 * before they move or free the command list.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ahci/ahci-private.h"

#define ABAR            5
#define ABAR_SIZE       0x1000
#define PORT_BASE       0x100
#define PORT_STRIDE     0x80

/* Global registers. */
#define HBA_CAP         0x00
#define HBA_GHC         0x04
#define HBA_IS          0x08
#define HBA_PI          0x0c
#define HBA_VS          0x10
#define HBA_CAP2        0x24

#define GHC_HR          (1u << 0)
#define GHC_IE          (1u << 1)
#define GHC_AE          (1u << 31)

/* 64-bit addressing, NCQ, AHCI only, 3 Gb/s, 32 command slots. */
#define CAP_VALUE       ((1u << 31) | (1u << 30) | (1u << 18) | (2u << 20) | (31u << 8) \
                         | (VMM_AHCI_MAX_PORTS - 1))

/* Port registers. */
#define PX_CLB          0x00
#define PX_CLBU         0x04
#define PX_FB           0x08
#define PX_FBU          0x0c
#define PX_IS           0x10
#define PX_IE           0x14
#define PX_CMD          0x18
#define PX_TFD          0x20
#define PX_SIG          0x24
#define PX_SSTS         0x28
#define PX_SCTL         0x2c
#define PX_SERR         0x30
#define PX_SACT         0x34
#define PX_CI           0x38

#define CMD_ST          (1u << 0)
#define CMD_SUD         (1u << 1)
#define CMD_POD         (1u << 2)
#define CMD_CLO         (1u << 3)
#define CMD_FRE         (1u << 4)
#define CMD_FR          (1u << 14)
#define CMD_CR          (1u << 15)
/* What the guest may set: ST, FRE and the bits that only describe the
 * device or power state (ATAPI, DLAE, ALPE, ASP, ICC). */
#define CMD_WRITABLE    (CMD_ST | CMD_FRE | (1u << 24) | (1u << 25) | (1u << 26) \
                         | (1u << 27) | (0xfu << 28))

#define PIS_DHRS        (1u << 0)
#define PIS_PSS         (1u << 1)
#define PIS_SDBS        (1u << 3)
#define PIS_TFES        (1u << 30)
#define PIS_VALID       0xfdc000ffu

/* The receive area's FIS slots. */
#define RFIS_DMA_SETUP  0x00
#define RFIS_PIO        0x20
#define RFIS_D2H        0x40
#define RFIS_SDB        0x58

#define FIS_H2D         0x27
#define FIS_D2H         0x34
#define FIS_SDB         0xa1
#define FIS_PIO         0x5f
#define FIS_DMA_SETUP   0x41

#define SIG_DISK        0x00000101u
#define SIG_ATAPI       0xeb140101u

#define PCI_CMD_INTX_DISABLE 0x0400
#define PCI_ICH9_PCS    0x92

/* ---- interrupts ---- */

static void
update_irq (AhciHba *hba)
{
  const VmmPlatformOps *ops = hba->platform->ops;
  uint16_t pcicmd;
  bool level;

  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    if (hba->ports[p].is & hba->ports[p].ie)
      hba->is |= 1u << p;
  pcicmd = (uint16_t) (hba->pci->cfg[VMM_PCI_COMMAND] | hba->pci->cfg[VMM_PCI_COMMAND + 1] << 8);
  level = (hba->ghc & GHC_IE) && hba->is != 0 && !(pcicmd & PCI_CMD_INTX_DISABLE);
  if (level == hba->irq_level)
    return;
  hba->irq_level = level;
  if (hba->pci->intx_gsi >= 0 && ops->set_irq != NULL)
    ops->set_irq (hba->platform->opaque, (unsigned) hba->pci->intx_gsi, level);
}

/* ---- FIS delivery ---- */

static void
post_fis (AhciPort *port, unsigned offset, const uint8_t *fis, size_t len)
{
  if (!(port->cmd & CMD_FR))
    return;
  if (vmm_guest_mem_write (&port->hba->platform->mem, port->fb + offset, fis, len) < 0)
    g_debug ("ahci: port %u: FIS receive area at 0x%" G_GINT64_MODIFIER "x is not RAM",
             port->index, port->fb);
}

static void
fill_tf (uint8_t *fis, uint8_t status, uint8_t error, const AhciResultTf *tf)
{
  fis[2] = status;
  fis[3] = error;
  fis[4] = (uint8_t) tf->lba;
  fis[5] = (uint8_t) (tf->lba >> 8);
  fis[6] = (uint8_t) (tf->lba >> 16);
  fis[7] = tf->device;
  fis[8] = (uint8_t) (tf->lba >> 24);
  fis[9] = (uint8_t) (tf->lba >> 32);
  fis[10] = (uint8_t) (tf->lba >> 40);
  fis[12] = (uint8_t) tf->count;
  fis[13] = (uint8_t) (tf->count >> 8);
}

static void
post_d2h (AhciPort *port, uint8_t status, uint8_t error, const AhciResultTf *tf)
{
  uint8_t fis[20] = { FIS_D2H, 0x40 };

  fill_tf (fis, status, error, tf);
  post_fis (port, RFIS_D2H, fis, sizeof fis);
  port->tfd = (uint32_t) error << 8 | status;
  port->is |= PIS_DHRS;
}

static void
post_signature (AhciPort *port)
{
  AhciResultTf tf = { .count = 1, .lba = port->sig >> 8 };
  uint8_t fis[20] = { FIS_D2H, 0 };

  fill_tf (fis, (uint8_t) port->tfd, 0, &tf);
  post_fis (port, RFIS_D2H, fis, sizeof fis);
  port->d2h_pending = false;
}

/* ---- port state ---- */

static void
link_up (AhciPort *port)
{
  if (port->kind == VMM_AHCI_DRIVE_NONE)
    {
      port->ssts = 0;
      port->sig = 0xffffffffu;
      port->tfd = 0x7f;
      return;
    }
  /* Device present, Gen 2 speed, interface active. */
  port->ssts = 0x123;
  port->sig = port->kind == VMM_AHCI_DRIVE_CDROM ? SIG_ATAPI : SIG_DISK;
  port->tfd = ATA_GOOD;
  port->d2h_pending = true;
  if (port->cmd & CMD_FR)
    post_signature (port);
}

/* Commands in flight go stale; CR drops once they have finished. */
static void
port_stop (AhciPort *port)
{
  port->gen++;
  port->ci = 0;
  port->sact = 0;
  port->cmd &= ~CMD_ST;
  if (port->in_flight == 0)
    port->cmd &= ~CMD_CR;
}

static void
port_reset (AhciPort *port)
{
  port_stop (port);
  port->clb = port->fb = 0;
  port->is = port->ie = 0;
  port->cmd &= CMD_CR;
  port->cmd |= CMD_SUD | CMD_POD;
  port->sctl = port->serr = 0;
  link_up (port);
}

static void
hba_reset (AhciHba *hba)
{
  hba->ghc = GHC_AE;
  hba->is = 0;
  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    port_reset (&hba->ports[p]);
  update_irq (hba);
}

static void
kick (AhciHba *hba)
{
  uint64_t one = 1;

  if (write (hba->kick_fd, &one, sizeof one) < 0)
    g_debug ("ahci: kick: %s", g_strerror (errno));
}

/* ---- registers ---- */

static uint32_t
port_read (AhciPort *port, unsigned reg)
{
  switch (reg)
    {
    case PX_CLB: return (uint32_t) port->clb;
    case PX_CLBU: return (uint32_t) (port->clb >> 32);
    case PX_FB: return (uint32_t) port->fb;
    case PX_FBU: return (uint32_t) (port->fb >> 32);
    case PX_IS: return port->is;
    case PX_IE: return port->ie;
    case PX_CMD: return port->cmd;
    case PX_TFD: return port->tfd;
    case PX_SIG: return port->sig;
    case PX_SSTS: return port->ssts;
    case PX_SCTL: return port->sctl;
    case PX_SERR: return port->serr;
    case PX_SACT: return port->sact;
    case PX_CI: return port->ci;
    default: return 0;
    }
}

/* @mask holds the bytes the access wrote. */
static void
port_write (AhciPort *port, unsigned reg, uint32_t val, uint32_t mask)
{
  uint32_t old;

#define MERGE(field) (((field) & ~mask) | (val & mask))
  val &= mask;
  switch (reg)
    {
    case PX_CLB:
      port->clb = (port->clb & ~(uint64_t) 0xffffffffu) | ((MERGE ((uint32_t) port->clb)) & ~0x3ffu);
      break;
    case PX_CLBU:
      port->clb = (uint64_t) (MERGE ((uint32_t) (port->clb >> 32))) << 32 | (uint32_t) port->clb;
      break;
    case PX_FB:
      port->fb = (port->fb & ~(uint64_t) 0xffffffffu) | ((MERGE ((uint32_t) port->fb)) & ~0xffu);
      break;
    case PX_FBU:
      port->fb = (uint64_t) (MERGE ((uint32_t) (port->fb >> 32))) << 32 | (uint32_t) port->fb;
      break;
    case PX_IS:
      port->is &= ~val;
      break;
    case PX_IE:
      port->ie = MERGE (port->ie) & PIS_VALID;
      break;
    case PX_CMD:
      old = port->cmd;
      port->cmd = (port->cmd & ~(CMD_WRITABLE & mask)) | (val & CMD_WRITABLE);
      if (val & CMD_CLO)
        port->tfd &= ~(uint32_t) (ATA_BSY | ATA_DRQ);
      if (port->cmd & CMD_FRE)
        {
          port->cmd |= CMD_FR;
          if (port->d2h_pending)
            post_signature (port);
        }
      else
        port->cmd &= ~CMD_FR;
      if ((port->cmd & CMD_ST) && !(old & CMD_ST))
        {
          port->cmd |= CMD_CR;
          if (port->ci != 0)
            kick (port->hba);
        }
      else if (!(port->cmd & CMD_ST) && (old & CMD_ST))
        port_stop (port);
      break;
    case PX_SCTL:
      old = port->sctl;
      port->sctl = MERGE (port->sctl) & 0xfffu;
      if ((port->sctl & 0xf) == 1)
        {
          /* COMRESET asserted: the link is down until it is released. */
          port->ssts = 0;
          port->tfd = ATA_BSY;
        }
      else if ((old & 0xf) == 1)
        {
          port_stop (port);
          port->cmd &= ~CMD_ST;
          link_up (port);
          port->serr |= 1u << 26; /* DIAG.X: the device said hello */
        }
      break;
    case PX_SERR:
      port->serr &= ~val;
      break;
    case PX_SACT:
      if (port->cmd & CMD_ST)
        port->sact |= val;
      break;
    case PX_CI:
      if ((port->cmd & CMD_ST) && (val & ~port->ci) != 0)
        {
          port->ci |= val;
          kick (port->hba);
        }
      break;
    default:
      break;
    }
#undef MERGE
}

static uint32_t
hba_read (AhciHba *hba, unsigned off)
{
  uint32_t pi = (1u << VMM_AHCI_MAX_PORTS) - 1;

  if (off >= PORT_BASE)
    {
      unsigned p = (off - PORT_BASE) / PORT_STRIDE;

      if (p >= VMM_AHCI_MAX_PORTS)
        return 0;
      return port_read (&hba->ports[p], (off - PORT_BASE) % PORT_STRIDE);
    }
  switch (off)
    {
    case HBA_CAP: return CAP_VALUE;
    case HBA_GHC: return hba->ghc;
    case HBA_IS: return hba->is;
    case HBA_PI: return pi;
    case HBA_VS: return 0x00010300u;
    default: return 0;
    }
}

static void
hba_write (AhciHba *hba, unsigned off, uint32_t val, uint32_t mask)
{
  if (off >= PORT_BASE)
    {
      unsigned p = (off - PORT_BASE) / PORT_STRIDE;

      if (p < VMM_AHCI_MAX_PORTS)
        port_write (&hba->ports[p], (off - PORT_BASE) % PORT_STRIDE, val, mask);
      update_irq (hba);
      return;
    }
  val &= mask;
  switch (off)
    {
    case HBA_GHC:
      if (val & GHC_HR)
        {
          hba_reset (hba);
          return;
        }
      hba->ghc = (hba->ghc & ~(GHC_IE & mask)) | (val & GHC_IE) | GHC_AE;
      break;
    case HBA_IS:
      hba->is &= ~val;
      break;
    default:
      break;
    }
  update_irq (hba);
}

static void
abar_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  AhciHba *hba = opaque;
  uint64_t v = 0;

  g_mutex_lock (&hba->lock);
  for (unsigned done = 0; done < len;)
    {
      unsigned off = (unsigned) (offset + done);
      unsigned shift = off & 3;
      unsigned n = MIN (4 - shift, len - done);
      uint64_t reg = hba_read (hba, off & ~3u) >> (8 * shift);

      v |= (reg & ((1ull << (8 * n)) - 1)) << (8 * done);
      done += n;
    }
  g_mutex_unlock (&hba->lock);
  vmm_le_put (data, len, v);
}

static void
abar_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  AhciHba *hba = opaque;
  uint64_t v = vmm_le_get (data, len);

  g_mutex_lock (&hba->lock);
  for (unsigned done = 0; done < len;)
    {
      unsigned off = (unsigned) (offset + done);
      unsigned shift = off & 3;
      unsigned n = MIN (4 - shift, len - done);
      uint32_t mask = (uint32_t) (((1ull << (8 * n)) - 1) << (8 * shift));
      uint32_t val = (uint32_t) (((v >> (8 * done)) << (8 * shift)) & mask);

      hba_write (hba, off & ~3u, val, mask);
      done += n;
    }
  g_mutex_unlock (&hba->lock);
}

static const VmmBusOps abar_ops = {
  .read = abar_read,
  .write = abar_write,
};

/* ---- PRDs ---- */

typedef struct {
  uint64_t dba;
  uint32_t len;
} Prd;

static int
read_prd (AhciCmd *cmd, unsigned i, Prd *prd)
{
  uint8_t raw[16];

  if (vmm_guest_mem_read (&cmd->port->hba->platform->mem, cmd->table + 0x80 + 16ull * i,
                          raw, sizeof raw) < 0)
    return -EFAULT;
  prd->dba = vmm_le_get (raw, 8);
  prd->len = ((uint32_t) vmm_le_get (raw + 12, 4) & 0x3fffffu) + 1;
  return 0;
}

int
ahci_cmd_map (AhciCmd *cmd, uint64_t bytes)
{
  const VmmGuestMem *mem = &cmd->port->hba->platform->mem;
  unsigned cap = 0;
  uint64_t got = 0;

  g_clear_pointer (&cmd->iov, g_free);
  cmd->niov = 0;
  for (unsigned i = 0; i < cmd->prdtl && got < bytes; i++)
    {
      Prd prd;
      uint64_t n;
      void *host;

      if (read_prd (cmd, i, &prd) < 0)
        return -EFAULT;
      n = MIN ((uint64_t) prd.len, bytes - got);
      host = vmm_guest_mem_ptr (mem, prd.dba, n);
      if (host == NULL)
        return -EFAULT;
      if (cmd->niov > 0
          && (uint8_t *) cmd->iov[cmd->niov - 1].iov_base + cmd->iov[cmd->niov - 1].iov_len
             == (uint8_t *) host)
        cmd->iov[cmd->niov - 1].iov_len += n;
      else
        {
          if (cmd->niov == cap)
            {
              cap = cap ? cap * 2 : 8;
              cmd->iov = g_renew (struct iovec, cmd->iov, cap);
            }
          cmd->iov[cmd->niov++] = (struct iovec) { host, n };
        }
      got += n;
    }
  return got == bytes ? 0 : -ENOSPC;
}

static int64_t
copy_prds (AhciCmd *cmd, uint8_t *buf, size_t len, bool to_guest)
{
  const VmmGuestMem *mem = &cmd->port->hba->platform->mem;
  size_t done = 0;

  for (unsigned i = 0; i < cmd->prdtl && done < len; i++)
    {
      Prd prd;
      size_t n;
      uint8_t *host;

      if (read_prd (cmd, i, &prd) < 0)
        return -EFAULT;
      n = MIN ((size_t) prd.len, len - done);
      host = vmm_guest_mem_ptr (mem, prd.dba, n);
      if (host == NULL)
        return -EFAULT;
      if (to_guest)
        memcpy (host, buf + done, n);
      else
        memcpy (buf + done, host, n);
      done += n;
    }
  return (int64_t) done;
}

int64_t
ahci_cmd_to_guest (AhciCmd *cmd, const void *buf, size_t len)
{
  return copy_prds (cmd, (uint8_t *) buf, len, true);
}

int64_t
ahci_cmd_from_guest (AhciCmd *cmd, void *buf, size_t len)
{
  return copy_prds (cmd, buf, len, false);
}

/* ---- command completion ---- */

static void
cmd_release (AhciCmd *cmd)
{
  AhciPort *port = cmd->port;

  g_clear_pointer (&cmd->iov, g_free);
  g_clear_pointer (&cmd->ranges, g_free);
  cmd->niov = 0;
  port->busy &= ~(1u << cmd->slot);
  port->in_flight--;
  if (!(port->cmd & CMD_ST) && port->in_flight == 0)
    port->cmd &= ~CMD_CR;
}

void
ahci_cmd_finish (AhciCmd *cmd, uint8_t status, uint8_t error, uint32_t bytes)
{
  AhciPort *port = cmd->port;
  uint32_t bit = 1u << cmd->slot;
  uint8_t prdbc[4];

  if (cmd->gen != port->gen)
    {
      cmd_release (cmd);
      return;
    }
  vmm_le_put (prdbc, 4, bytes);
  if (vmm_guest_mem_write (&port->hba->platform->mem, port->clb + 32ull * cmd->slot + 4,
                           prdbc, 4) < 0)
    g_debug ("ahci: port %u: command list is not RAM", port->index);

  if (cmd->ncq)
    {
      uint8_t fis[8] = { FIS_SDB, 0x40, (uint8_t) (status & 0x77), error };

      vmm_le_put (fis + 4, 4, 1u << cmd->tag);
      post_fis (port, RFIS_SDB, fis, sizeof fis);
      port->sact &= ~(1u << cmd->tag);
      port->tfd = (uint32_t) error << 8 | status;
      port->is |= PIS_SDBS;
    }
  else
    {
      if (cmd->pio_in)
        {
          uint8_t fis[20] = { FIS_PIO, 0x60 };

          /* Firmware (SeaBIOS) takes the status from the FIS's first
           * status byte, drivers (Linux) from E_Status: both must say
           * whether the command failed. */
          fill_tf (fis, (status & ATA_ERR) ? status : status | ATA_DRQ, error, &cmd->rtf);
          fis[15] = status;
          vmm_le_put (fis + 16, 2, bytes);
          post_fis (port, RFIS_PIO, fis, sizeof fis);
          port->is |= PIS_PSS;
        }
      post_d2h (port, status, error, &cmd->rtf);
      port->ci &= ~bit;
    }
  if (status & ATA_ERR)
    port->is |= PIS_TFES;
  cmd_release (cmd);
  update_irq (port->hba);
}

static void
io_done (VmmBlockRequest *req, void *opaque)
{
  AhciCmd *cmd = opaque;

  if (cmd->port->kind == VMM_AHCI_DRIVE_CDROM)
    ahci_atapi_io_done (cmd, req->result);
  else
    ahci_ata_io_done (cmd, req->result);
}

void
ahci_cmd_submit (AhciCmd *cmd, VmmBlockOp op, uint64_t offset, uint64_t len)
{
  bool data = op == VMM_BLOCK_OP_READ || op == VMM_BLOCK_OP_WRITE;

  if (cmd->ncq && data && cmd->gen == cmd->port->gen)
    {
      /* The DMA Setup FIS a queued command's data phase starts with:
       * the tag as buffer identifier, auto-activate, no interrupt. */
      uint8_t fis[28] = { FIS_DMA_SETUP, (uint8_t) (0x80 | (op == VMM_BLOCK_OP_READ ? 0x20 : 0)) };

      vmm_le_put (fis + 4, 4, cmd->tag);
      vmm_le_put (fis + 20, 4, (uint32_t) cmd->bytes);
      post_fis (cmd->port, RFIS_DMA_SETUP, fis, sizeof fis);
    }

  cmd->req = (VmmBlockRequest) {
    .op = op,
    .offset = offset,
    .len = len,
    .iov = data ? cmd->iov : NULL,
    .niov = data ? cmd->niov : 0,
    .done = io_done,
    .opaque = cmd,
  };
  vmm_block_queue_submit (cmd->port->queue, &cmd->req);
}

/* ---- command issue ---- */

static void
issue (AhciPort *port, unsigned slot)
{
  const VmmGuestMem *mem = &port->hba->platform->mem;
  AhciCmd *cmd = &port->cmds[slot];
  uint8_t hdr[32];
  uint32_t dw0;
  unsigned cfl;

  g_clear_pointer (&cmd->iov, g_free);
  g_clear_pointer (&cmd->ranges, g_free);
  memset (cmd, 0, sizeof *cmd);
  cmd->port = port;
  cmd->slot = slot;
  cmd->gen = port->gen;
  port->busy |= 1u << slot;
  port->in_flight++;

  if (vmm_guest_mem_read (mem, port->clb + 32ull * slot, hdr, sizeof hdr) < 0)
    {
      ahci_cmd_finish (cmd, ATA_BAD, ATA_ABRT, 0);
      return;
    }
  dw0 = (uint32_t) vmm_le_get (hdr, 4);
  cfl = dw0 & 0x1f;
  cmd->atapi = dw0 & (1u << 5);
  cmd->prdtl = (uint16_t) (dw0 >> 16);
  cmd->table = vmm_le_get (hdr + 8, 8) & ~(uint64_t) 0x7f;
  if (cfl < 5 || vmm_guest_mem_read (mem, cmd->table, cmd->cfis, sizeof cmd->cfis) < 0
      || (cmd->atapi && vmm_guest_mem_read (mem, cmd->table + 0x40, cmd->acmd,
                                            sizeof cmd->acmd) < 0))
    {
      ahci_cmd_finish (cmd, ATA_BAD, ATA_ABRT, 0);
      return;
    }
  if (cmd->cfis[0] != FIS_H2D)
    {
      ahci_cmd_finish (cmd, ATA_BAD, ATA_ABRT, 0);
      return;
    }
  if (!(cmd->cfis[1] & 0x80))
    {
      /* A device control FIS: software reset. Setting SRST needs no
       * answer; releasing it resets the device, which then says who it
       * is, as after COMRESET. */
      if (cmd->cfis[15] & 0x04)
        {
          port->ci &= ~(1u << slot);
          cmd_release (cmd);
          return;
        }
      cmd->rtf.count = 1;
      cmd->rtf.lba = port->sig >> 8;
      ahci_cmd_finish (cmd, port->kind == VMM_AHCI_DRIVE_CDROM ? 0 : ATA_GOOD, 0, 0);
      return;
    }
  if (port->kind == VMM_AHCI_DRIVE_CDROM)
    ahci_atapi_execute (cmd);
  else
    ahci_ata_execute (cmd);
}

static void
port_process (AhciPort *port)
{
  uint32_t todo;

  if (!(port->cmd & CMD_ST) || port->kind == VMM_AHCI_DRIVE_NONE)
    return;
  todo = port->ci & ~port->busy;
  while (todo != 0)
    {
      unsigned slot = (unsigned) __builtin_ctz (todo);

      todo &= todo - 1;
      issue (port, slot);
      if (!(port->cmd & CMD_ST))
        break;
    }
  if (port->queue != NULL)
    vmm_block_queue_kick (port->queue);
}

static void
process_all (AhciHba *hba)
{
  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    port_process (&hba->ports[p]);
}

static void
on_kick (void *opaque, int fd, uint32_t events)
{
  AhciHba *hba = opaque;
  uint64_t v;

  if (read (fd, &v, sizeof v) < 0 && errno != EAGAIN)
    g_debug ("ahci: kick read: %s", g_strerror (errno));
  g_mutex_lock (&hba->lock);
  process_all (hba);
  g_mutex_unlock (&hba->lock);
}

static void
on_engine (void *opaque, int fd, uint32_t events)
{
  AhciPort *port = opaque;

  g_mutex_lock (&port->hba->lock);
  if (port->queue != NULL)
    vmm_block_queue_complete (port->queue);
  /* Slots whose previous command just finished may be waiting. */
  port_process (port);
  g_mutex_unlock (&port->hba->lock);
}

/* ---- the block engine per drive ---- */

static void
port_close_media (AhciPort *port)
{
  if (port->watching)
    vmm_ioloop_remove (port->hba->loop, vmm_block_queue_get_fd (port->queue));
  port->watching = false;
  g_clear_pointer (&port->queue, vmm_block_queue_free);
  g_clear_pointer (&port->backend, vmm_block_backend_free);
  g_clear_pointer (&port->image, vmm_image_close);
}

/* Does not take @image on failure. */
static gboolean
port_open_media (AhciPort *port, VmmImage *image, GError **error)
{
  VmmBlockBackendConfig bcfg = { .kind = port->hba->engine };
  int r;

  port->backend = vmm_block_backend_new (image, &bcfg, error);
  if (port->backend == NULL)
    return FALSE;
  port->queue = vmm_block_queue_new (port->backend, AHCI_SLOTS, error);
  if (port->queue == NULL)
    {
      g_clear_pointer (&port->backend, vmm_block_backend_free);
      return FALSE;
    }
  r = vmm_ioloop_add (port->hba->loop, vmm_block_queue_get_fd (port->queue), EPOLLIN,
                      on_engine, port);
  if (r < 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED,
                   "ahci: cannot watch the block queue: %s", g_strerror (-r));
      g_clear_pointer (&port->queue, vmm_block_queue_free);
      g_clear_pointer (&port->backend, vmm_block_backend_free);
      return FALSE;
    }
  port->watching = true;
  port->image = image;
  return TRUE;
}

/* Runs on the I/O thread: the lock holder must be the one completing. */
static void
drain_on_loop (void *opaque)
{
  AhciHba *hba = opaque;
  bool again = true;

  g_mutex_lock (&hba->lock);
  while (again)
    {
      again = false;
      process_all (hba);
      for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
        {
          AhciPort *port = &hba->ports[p];

          if (port->queue != NULL && vmm_block_queue_in_flight (port->queue) > 0)
            {
              vmm_block_queue_drain (port->queue);
              again = true;
            }
        }
    }
  g_mutex_unlock (&hba->lock);
}

void
vmm_ahci_drain (VmmPciDevice *dev)
{
  AhciHba *hba = dev->opaque;

  vmm_ioloop_run_sync (hba->loop, drain_on_loop, hba);
}

typedef struct {
  AhciPort *port;
  VmmImage *image;
  GError  **error;
  gboolean  ok;
} MediaChange;

static void
change_media_on_loop (void *opaque)
{
  MediaChange *mc = opaque;
  AhciPort *port = mc->port;

  g_mutex_lock (&port->hba->lock);
  if (port->queue != NULL)
    vmm_block_queue_drain (port->queue);
  port_close_media (port);
  mc->ok = mc->image == NULL || port_open_media (port, mc->image, mc->error);
  ahci_atapi_media_changed (port, port->image != NULL);
  update_irq (port->hba);
  g_mutex_unlock (&port->hba->lock);
}

gboolean
vmm_ahci_change_media (VmmPciDevice *dev, unsigned port, VmmImage *image, GError **error)
{
  AhciHba *hba = dev->opaque;
  MediaChange mc = { .image = image, .error = error };

  if (port >= VMM_AHCI_MAX_PORTS || hba->ports[port].kind != VMM_AHCI_DRIVE_CDROM)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                   "ahci: port %u has no CD-ROM drive", port);
      return FALSE;
    }
  mc.port = &hba->ports[port];
  vmm_ioloop_run_sync (hba->loop, change_media_on_loop, &mc);
  return mc.ok;
}

gboolean
vmm_ahci_has_media (VmmPciDevice *dev, unsigned port)
{
  AhciHba *hba = dev->opaque;
  gboolean r;

  if (port >= VMM_AHCI_MAX_PORTS || hba->ports[port].kind != VMM_AHCI_DRIVE_CDROM)
    return FALSE;
  g_mutex_lock (&hba->lock);
  r = ahci_atapi_has_media (&hba->ports[port]);
  g_mutex_unlock (&hba->lock);
  return r;
}

char *
vmm_ahci_boot_path (uint8_t devfn, unsigned port)
{
  unsigned slot = devfn >> 3, fn = devfn & 7;

  /* Function 0 is left out of the unit address, as firmware does. */
  if (fn == 0)
    return g_strdup_printf ("/pci@i0cf8/pci8086,2922@%x/drive@%x/disk@0", slot, port);
  return g_strdup_printf ("/pci@i0cf8/pci8086,2922@%x,%x/drive@%x/disk@0", slot, fn, port);
}

/* ---- PCI glue ---- */

static void
ahci_config_written (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque)
{
  AhciHba *hba = opaque;

  if (offset < VMM_PCI_COMMAND + 2 && offset + len > VMM_PCI_COMMAND)
    {
      g_mutex_lock (&hba->lock);
      update_irq (hba);
      g_mutex_unlock (&hba->lock);
    }
}

static void
ahci_pci_reset (VmmPciDevice *dev, void *opaque)
{
  AhciHba *hba = opaque;

  g_mutex_lock (&hba->lock);
  hba_reset (hba);
  g_mutex_unlock (&hba->lock);
}

static void
hba_free (AhciHba *hba)
{
  if (hba->loop != NULL)
    {
      vmm_ioloop_run_sync (hba->loop, drain_on_loop, hba);
      for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
        port_close_media (&hba->ports[p]);
      if (hba->kick_watching)
        vmm_ioloop_remove (hba->loop, hba->kick_fd);
      vmm_ioloop_free (hba->loop);
    }
  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    for (unsigned s = 0; s < AHCI_SLOTS; s++)
      {
        g_free (hba->ports[p].cmds[s].iov);
        g_free (hba->ports[p].cmds[s].ranges);
      }
  if (hba->kick_fd >= 0)
    close (hba->kick_fd);
  g_mutex_clear (&hba->lock);
  g_free (hba);
}

static void
ahci_destroy (VmmPciDevice *dev, void *opaque)
{
  hba_free (opaque);
}

static const VmmPciDeviceOps ahci_pci_ops = {
  .config_written = ahci_config_written,
  .reset = ahci_pci_reset,
  .destroy = ahci_destroy,
};

VmmPciDevice *
vmm_ahci_new (VmmPlatform *platform, const VmmAhciConfig *cfg, GError **error)
{
  AhciHba *hba = g_new0 (AhciHba, 1);
  VmmPciDevice *dev;
  int r;

  g_mutex_init (&hba->lock);
  hba->platform = platform;
  hba->engine = cfg->engine;
  hba->kick_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (hba->kick_fd < 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "ahci: eventfd: %s",
                   g_strerror (errno));
      hba_free (hba);
      return NULL;
    }
  hba->loop = vmm_ioloop_new ("ahci", error);
  if (hba->loop == NULL)
    {
      hba_free (hba);
      return NULL;
    }
  r = vmm_ioloop_add (hba->loop, hba->kick_fd, EPOLLIN, on_kick, hba);
  if (r < 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "ahci: I/O loop: %s",
                   g_strerror (-r));
      hba_free (hba);
      return NULL;
    }
  hba->kick_watching = true;

  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    {
      const VmmAhciDrive *drive = &cfg->drives[p];
      AhciPort *port = &hba->ports[p];

      port->hba = hba;
      port->index = p;
      port->kind = drive->kind;
      if (drive->kind == VMM_AHCI_DRIVE_DISK && drive->image == NULL)
        {
          g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_INVALID,
                       "ahci: the disk on port %u has no image", p);
          goto fail;
        }
      if (drive->serial != NULL)
        g_strlcpy (port->serial, drive->serial, sizeof port->serial);
      else
        g_snprintf (port->serial, sizeof port->serial, "VR-SATA-%u", p);
      if (drive->kind == VMM_AHCI_DRIVE_DISK)
        {
          port->disk.read_only = drive->read_only || vmm_image_is_read_only (drive->image);
          port->disk.sectors = vmm_image_get_size (drive->image) / 512;
        }
    }
  /* Images are taken only once everything else can no longer fail. */
  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    {
      const VmmAhciDrive *drive = &cfg->drives[p];

      if (drive->kind == VMM_AHCI_DRIVE_NONE || drive->image == NULL)
        continue;
      if (!port_open_media (&hba->ports[p], drive->image, error))
        {
          /* Hand back the images already taken. */
          for (unsigned q = 0; q < p; q++)
            {
              hba->ports[q].image = NULL;
              port_close_media (&hba->ports[q]);
            }
          goto fail;
        }
    }
  for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
    if (hba->ports[p].kind == VMM_AHCI_DRIVE_DISK)
      ahci_ata_init_disk (&hba->ports[p]);
    else if (hba->ports[p].kind == VMM_AHCI_DRIVE_CDROM)
      hba->ports[p].disk.udma_mode = 5;   /* IDENTIFY PACKET reports it too */

  dev = vmm_pci_device_new (0x8086, 0x2922, 0x010601, 0x02);
  vmm_pci_device_set_subsystem (dev, 0x1af4, 0x1100);
  dev->cfg[VMM_PCI_INTERRUPT_PIN] = 1;
  /* ICH9's port control register: drivers enable the ports there (Linux
   * does for Intel HBAs) and read them back. */
  dev->cfg[PCI_ICH9_PCS] = (1u << VMM_AHCI_MAX_PORTS) - 1;
  dev->wmask[PCI_ICH9_PCS] = (1u << VMM_AHCI_MAX_PORTS) - 1;
  if (vmm_pci_device_add_bar (dev, ABAR, VMM_PCI_BAR_MEM32, ABAR_SIZE) < 0
      || vmm_pci_device_set_bar_ops (dev, ABAR, &abar_ops, VMM_BUS_WANY, hba) < 0)
    {
      g_set_error (error, VMM_IMAGE_ERROR, VMM_IMAGE_ERROR_FAILED, "ahci: cannot set up ABAR");
      for (unsigned p = 0; p < VMM_AHCI_MAX_PORTS; p++)
        {
          hba->ports[p].image = NULL;
          port_close_media (&hba->ports[p]);
        }
      vmm_pci_device_free (dev);
      goto fail;
    }
  hba->pci = dev;
  vmm_pci_device_set_ops (dev, &ahci_pci_ops, hba);
  g_mutex_lock (&hba->lock);
  hba_reset (hba);
  g_mutex_unlock (&hba->lock);
  return dev;

fail:
  hba_free (hba);
  return NULL;
}
