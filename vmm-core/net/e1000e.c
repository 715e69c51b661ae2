/* e1000e.c: the Intel 82574L (e1000e) network card.
 *
 * Windows installers bring a driver for this card and none for virtio,
 * so it is the card a machine installing Windows needs; Linux drives it
 * with its e1000e module. The model follows the 82574 datasheet: a
 * register file in BAR0 (also reachable through the I/O window of BAR2),
 * an EEPROM read through EERD that holds the MAC address and a valid
 * checksum, a PHY behind MDIC whose link is always up at 1000/full, one
 * receive and one transmit descriptor ring, and interrupts through INTx,
 * MSI or MSI-X (IVAR routes the receive, transmit and "other" causes to
 * vectors). Interrupt moderation registers are accepted and stored; every
 * event interrupts at once, which a virtual link can afford.
 *
 * Everything runs under one lock: register accesses on vCPU threads
 * (transmit happens in the TDT write), receive on the back-end's thread.
 * Descriptor and buffer addresses come from the guest and go through the
 * bounds-checked guest-memory accessors; a ring whose head, tail or
 * length cannot be right is left alone (and counted) rather than walked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net/e1000e-private.h"

#include "devices/msix.h"

#include <errno.h>
#include <string.h>

#define N_REGS          (E1K_MMIO_SIZE / 4)
#define PHY_ADDR        1
#define PHY_PAGES       8
/* A TSO frame: a 64 KiB payload and its headers. */
#define TX_MAX          (65536u + 256u)
#define RX_MAX          (VMM_NET_MAX_FRAME + 4u)
#define DESC_SIZE       16u

#define REG(e, off)     ((e)->regs[(off) >> 2])

#define E1K_EXTCNF_CTRL 0x0f00
#define E1K_PBA         0x1000
#define E1K_IOADDR      0x00
#define E1K_IODATA      0x04

#define STATUS_FD       (1u << 0)
#define STATUS_LU       (1u << 1)
#define STATUS_SPEED_1000 (2u << 6)
#define STATUS_GIO_MASTER (1u << 19)
#define CTRL_GIO_MASTER_DISABLE (1u << 2)
#define CTRL_SLU        (1u << 6)
#define CTRL_PHY_RST    (1u << 31)
#define CTRL_EXT_EIAME  (1u << 24)
#define EECD_REQ        (1u << 6)
#define EECD_GNT        (1u << 7)
#define EECD_PRES       (1u << 8)
#define EECD_AUTO_RD    (1u << 9)
#define MDIC_INT_EN     (1u << 29)
#define RXCSUM_IPOFL    (1u << 8)
#define RXCSUM_TUOFL    (1u << 9)
#define RXD_IXSM        0x04u
#define RXD_UDPCS       0x10u
#define RXD_TCPCS       0x20u
#define RXD_IPCS        0x40u
#define PCI_CMD_INTX_DISABLE 0x0400

#define RX_CAUSES (E1K_ICR_RXT0 | E1K_ICR_RXQ0)
#define TX_CAUSES (E1K_ICR_TXDW | E1K_ICR_TXQE | E1K_ICR_TXQ0)

/* The PHY's power-on registers (page 0): a Marvell-style gigabit PHY as
 * the 82574 carries, autonegotiated to 1000/full with a partner. */
enum {
  PHY_BMCR = 0, PHY_BMSR = 1, PHY_ID1 = 2, PHY_ID2 = 3, PHY_ANAR = 4, PHY_ANLPAR = 5,
  PHY_ANER = 6, PHY_GCTRL = 9, PHY_GSTATUS = 10, PHY_ESTATUS = 15, PHY_SPEC_CTRL = 16,
  PHY_SPEC_STATUS = 17, PHY_PAGE = 22,
};
#define BMCR_RESET      0x8000u
#define BMCR_ANRESTART  0x0200u

struct _VmmE1000e {
  VmmPlatform *platform;
  VmmPciDevice *pci;
  VmmMsix *msix;
  unsigned msi_cap;           /* config-space offset of the MSI capability */
  VmmNetBackend *backend;
  uint8_t mac[6];

  GMutex lock;
  uint32_t regs[N_REGS];
  uint32_t icr;
  uint32_t ims;
  uint32_t msix_fired;        /* vector causes sent and still pending */
  gboolean intx_level;
  gboolean msi_pending;       /* an MSI went out for what is pending now */
  uint16_t eeprom[E1K_EEPROM_WORDS];
  uint16_t phy[PHY_PAGES][32];
  uint32_t ioaddr;

  /* Transmit: the frame being gathered and the last context. */
  uint8_t *tx_buf;
  uint8_t *seg_buf;
  size_t tx_len;
  gboolean tx_bad;
  gboolean tx_started;
  gboolean tx_waiting;        /* the back-end said full: tx_resume brings us back */
  uint8_t tx_popts;
  gboolean tx_tse;
  gboolean tx_legacy;
  uint8_t tx_css, tx_cso;
  gboolean tx_ic;
  struct {
    unsigned ipcss, ipcso, ipcse, tucss, tucso, tucse, hdrlen, mss;
    uint8_t tucmd;
  } ctx;

  /* Receive. */
  uint8_t *rx_buf;
  gboolean rx_waiting;        /* the back-end holds a frame until buffers come */

  VmmE1000eStats stats;
};

static inline uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | p[1] << 8);
}

static inline uint32_t
get32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) v;
  p[1] = (uint8_t) (v >> 8);
}

static inline void
put32 (uint8_t *p, uint32_t v)
{
  put16 (p, (uint16_t) v);
  put16 (p + 2, (uint16_t) (v >> 16));
}

static inline uint16_t
get_be16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static inline void
put_be16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

/* ---- interrupts ---------------------------------------------------------- */

static gboolean
intx_disabled (VmmE1000e *e)
{
  uint16_t cmd = (uint16_t) (e->pci->cfg[VMM_PCI_COMMAND] | e->pci->cfg[VMM_PCI_COMMAND + 1] << 8);

  return (cmd & PCI_CMD_INTX_DISABLE) != 0;
}

/* In MSI-X mode IVAR sends each of three causes to a vector: bits 0-3
 * receive, 8-11 transmit, 16-19 everything else (bit 3 of each nibble
 * says the entry is valid). A vector fires once per new pending cause;
 * then EIAC auto-clears the cause and, with EIAME, IAM auto-masks it. */
static void
msix_update (VmmE1000e *e)
{
  static const struct { uint32_t cause; unsigned shift; } src[] = {
    { E1K_ICR_RXQ0, 0 }, { E1K_ICR_TXQ0, 8 }, { E1K_ICR_OTHER, 16 },
  };
  uint32_t pending = e->icr & e->ims;
  uint32_t ivar = REG (e, E1K_IVAR);

  e->msix_fired &= pending;
  for (unsigned i = 0; i < G_N_ELEMENTS (src); i++)
    {
      uint32_t c = src[i].cause, entry = (ivar >> src[i].shift) & 0xf;

      if (!(pending & c) || (e->msix_fired & c) || !(entry & 8))
        continue;
      vmm_msix_notify (e->msix, entry & 7);
      e->icr &= ~(REG (e, E1K_EIAC) & c);
      if (REG (e, E1K_CTRL_EXT) & CTRL_EXT_EIAME)
        e->ims &= ~(REG (e, E1K_IAM) & c);
      if (e->icr & e->ims & c)
        e->msix_fired |= c;
    }
}

/* MSI (64-bit address, one vector): a message each time the line would
 * rise, that is when an unmasked cause appears while none was pending. */
static gboolean
msi_enabled (VmmE1000e *e)
{
  return (e->pci->cfg[e->msi_cap + 2] & 1) != 0;
}

static void
msi_send (VmmE1000e *e)
{
  const uint8_t *c = e->pci->cfg + e->msi_cap;
  uint64_t addr = (uint64_t) get32 (c + 8) << 32 | get32 (c + 4);

  if (e->platform->ops->signal_msi != NULL)
    e->platform->ops->signal_msi (e->platform->opaque, addr, get16 (c + 12));
}

static void
update_irq (VmmE1000e *e)
{
  const VmmPlatformOps *ops = e->platform->ops;
  gboolean level = FALSE, pending = (e->icr & e->ims) != 0;

  if (vmm_msix_enabled (e->msix))
    {
      msix_update (e);
      pending = FALSE;
    }
  else if (msi_enabled (e))
    {
      if (pending && !e->msi_pending)
        msi_send (e);
    }
  else
    level = pending && !intx_disabled (e);
  e->msi_pending = pending;
  if (level == e->intx_level)
    return;
  e->intx_level = level;
  if (e->pci->intx_gsi >= 0 && ops->set_irq != NULL)
    ops->set_irq (e->platform->opaque, (unsigned) e->pci->intx_gsi, level);
}

/* The 82574 reports receive and transmit work both as the legacy causes
 * and as the per-queue ones MSI-X routes; anything else is "other". */
static void
raise_irq (VmmE1000e *e, uint32_t causes)
{
  if (causes & (E1K_ICR_RXT0 | E1K_ICR_RXDMT0))
    causes |= E1K_ICR_RXQ0;
  if (causes & (E1K_ICR_TXDW | E1K_ICR_TXQE))
    causes |= E1K_ICR_TXQ0;
  if (causes & ~(RX_CAUSES | E1K_ICR_RXDMT0 | TX_CAUSES | E1K_ICR_OTHER | E1K_ICR_ASSERTED))
    causes |= E1K_ICR_OTHER;
  e->icr |= causes & ~E1K_ICR_ASSERTED;
  update_irq (e);
}

/* ---- EEPROM and PHY ------------------------------------------------------ */

/* Words 0-2 the MAC address, 0x37 "no alternative address", and word
 * 0x3f makes the sum of words 0-0x3f the magic 0xbaba drivers check. */
static void
eeprom_init (VmmE1000e *e)
{
  uint16_t sum = 0;

  memset (e->eeprom, 0xff, sizeof e->eeprom);
  for (unsigned i = 0; i < 3; i++)
    e->eeprom[i] = (uint16_t) (e->mac[2 * i] | e->mac[2 * i + 1] << 8);
  e->eeprom[0x08] = 0x1234;         /* the board's part number, PBA */
  e->eeprom[0x09] = 0x5678;
  e->eeprom[0x0a] = 0x0000;         /* init control 1: nothing special */
  e->eeprom[0x0b] = 0x0000;         /* subsystem id */
  e->eeprom[0x0c] = 0x8086;         /* subsystem vendor */
  e->eeprom[0x0d] = E1K_DEVICE;
  e->eeprom[0x0e] = E1K_VENDOR;
  e->eeprom[0x0f] = 0x0000;
  e->eeprom[0x37] = 0xffff;
  for (unsigned i = 0; i < E1K_EEPROM_WORDS - 1; i++)
    sum = (uint16_t) (sum + e->eeprom[i]);
  e->eeprom[E1K_EEPROM_WORDS - 1] = (uint16_t) (0xbaba - sum);
}

static void
phy_reset (VmmE1000e *e)
{
  memset (e->phy, 0, sizeof e->phy);
  e->phy[0][PHY_BMCR] = 0x1140;       /* autoneg on, full duplex, 1000 */
  e->phy[0][PHY_BMSR] = 0x796d;       /* link up, autoneg complete */
  e->phy[0][PHY_ID1] = 0x0141;
  e->phy[0][PHY_ID2] = 0x0cb1;        /* the 82574's BME1000 PHY, revision 1 */
  e->phy[0][PHY_ANAR] = 0x0de1;
  e->phy[0][PHY_ANLPAR] = 0x45e1;
  e->phy[0][PHY_ANER] = 0x000f;
  e->phy[0][PHY_GCTRL] = 0x0e00;
  e->phy[0][PHY_GSTATUS] = 0x3c00;    /* partner does 1000 full and half */
  e->phy[0][PHY_ESTATUS] = 0x3000;
  e->phy[0][PHY_SPEC_CTRL] = 0x0068;
  e->phy[0][PHY_SPEC_STATUS] = 0xac00; /* 1000, full, resolved, link */
}

static uint16_t
phy_read (VmmE1000e *e, unsigned reg)
{
  unsigned page = reg < 16 || reg == PHY_PAGE ? 0 : e->phy[0][PHY_PAGE] % PHY_PAGES;

  return e->phy[page][reg];
}

static void
phy_write (VmmE1000e *e, unsigned reg, uint16_t v)
{
  unsigned page = reg < 16 ? 0 : e->phy[0][PHY_PAGE] % PHY_PAGES;

  switch (reg)
    {
    case PHY_BMSR: case PHY_ID1: case PHY_ID2: case PHY_ANLPAR: case PHY_ANER:
    case PHY_GSTATUS: case PHY_ESTATUS:
      return;                         /* read-only */
    case PHY_BMCR:
      /* Reset and autonegotiation restart finish at once: the link
       * comes back up as soon as it went. */
      if (v & BMCR_RESET)
        {
          phy_reset (e);
          return;
        }
      v &= (uint16_t) ~BMCR_ANRESTART;
      break;
    case PHY_PAGE:
      page = 0;
      break;
    default:
      if (reg == PHY_SPEC_STATUS && page == 0)
        return;
      break;
    }
  e->phy[page][reg] = v;
}

static void
mdic_write (VmmE1000e *e, uint32_t v)
{
  unsigned reg = (v >> 16) & 0x1f, addr = (v >> 21) & 0x1f, op = (v >> 26) & 3;

  v &= ~(E1K_MDIC_READY | E1K_MDIC_ERROR);
  if (addr != PHY_ADDR || (op != 1 && op != 2))
    v |= E1K_MDIC_ERROR;
  else if (op == 2)
    v = (v & 0xffff0000u) | phy_read (e, reg);
  else
    phy_write (e, reg, (uint16_t) v);
  REG (e, E1K_MDIC) = v | E1K_MDIC_READY;
  if (v & MDIC_INT_EN)
    raise_irq (e, E1K_ICR_MDAC);
}

/* ---- reset --------------------------------------------------------------- */

static void
load_ra0 (VmmE1000e *e)
{
  REG (e, E1K_RAL0) = get32 (e->mac);
  REG (e, E1K_RAH0) = get16 (e->mac + 4) | 1u << 31;  /* address valid */
}

/* The power-on state, as after CTRL.RST: the EEPROM is auto-read into the
 * receive address, the PHY links up. */
static void
device_reset (VmmE1000e *e)
{
  memset (e->regs, 0, sizeof e->regs);
  e->icr = 0;
  e->ims = 0;
  e->msix_fired = 0;
  e->msi_pending = FALSE;
  e->ioaddr = 0;
  REG (e, E1K_CTRL) = CTRL_SLU | 1u;       /* full duplex, link up */
  REG (e, E1K_EECD) = EECD_PRES | EECD_AUTO_RD;
  REG (e, E1K_VET) = 0x8100;
  REG (e, E1K_PBA) = 0x00140014;
  REG (e, E1K_RXCSUM) = RXCSUM_IPOFL;
  load_ra0 (e);
  phy_reset (e);
  e->tx_len = 0;
  e->tx_bad = FALSE;
  e->tx_started = FALSE;
  e->tx_waiting = FALSE;
  memset (&e->ctx, 0, sizeof e->ctx);
  update_irq (e);
}

/* ---- transmit ------------------------------------------------------------ */

static uint32_t
csum_add (uint32_t sum, const uint8_t *p, size_t len)
{
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) (p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t) p[len - 1] << 8;
  return sum;
}

static uint16_t
csum_fold (uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

/* Sums [start, end) (end 0: to the end of the frame) and stores the
 * result at @field, as the checksum engine does for a driver that put
 * the pseudo-header's sum in the field. FALSE when the offsets lie
 * outside the frame. */
static gboolean
insert_csum (uint8_t *buf, size_t len, unsigned start, unsigned field, unsigned end)
{
  size_t stop = end == 0 ? len : MIN ((size_t) end + 1, len);
  uint16_t sum;

  if (start >= stop || (size_t) field + 2 > len)
    return FALSE;
  sum = csum_fold (csum_add (0, buf + start, stop - start));
  put_be16 (buf + field, sum == 0 && end == 0 ? 0xffff : sum);
  return TRUE;
}

static void
count_tx (VmmE1000e *e, size_t len)
{
  uint64_t octets = ((uint64_t) REG (e, E1K_GOTCL + 4) << 32 | REG (e, E1K_GOTCL)) + len;

  REG (e, E1K_GPTC)++;
  REG (e, E1K_TPT)++;
  REG (e, E1K_GOTCL) = (uint32_t) octets;
  REG (e, E1K_GOTCL + 4) = (uint32_t) (octets >> 32);
  REG (e, E1K_TOTL) = (uint32_t) octets;
  REG (e, E1K_TOTL + 4) = (uint32_t) (octets >> 32);
}

static void
send_frame (VmmE1000e *e, uint8_t *buf, size_t len)
{
  struct iovec iov = { buf, len };

  if (len < VMM_NET_MIN_FRAME || vmm_net_backend_send (e->backend, &iov, 1) < 0)
    {
      e->stats.tx_bad++;
      return;
    }
  e->stats.tx_frames++;
  count_tx (e, len);
}

/* TCP segmentation: the frame is one header of hdrlen bytes and a
 * payload cut into mss-sized pieces; each piece gets the header with its
 * IP length, IP id, TCP sequence number and flags adjusted and fresh
 * checksums (the driver seeded the TCP checksum without a length). */
static void
tso_send (VmmE1000e *e)
{
  unsigned hdr = e->ctx.hdrlen, mss = e->ctx.mss, ipcss = e->ctx.ipcss, l4 = e->ctx.tucss;
  gboolean ipv4 = (e->ctx.tucmd & E1K_TUCMD_IP) != 0, tcp = (e->ctx.tucmd & E1K_TUCMD_TCP) != 0;
  size_t payload, off = 0;
  unsigned l4_min = tcp ? 20 : 8;
  uint16_t ip_id;
  uint32_t seq;

  if (mss == 0 || hdr > e->tx_len || hdr + mss > VMM_NET_MAX_FRAME
      || ipcss + (ipv4 ? 20u : 40u) > l4 || l4 + l4_min > hdr)
    {
      e->stats.tx_bad++;
      return;
    }
  payload = e->tx_len - hdr;
  ip_id = get_be16 (e->tx_buf + ipcss + 4);
  seq = tcp ? (uint32_t) get_be16 (e->tx_buf + l4 + 4) << 16 | get_be16 (e->tx_buf + l4 + 6) : 0;
  do
    {
      size_t seg = MIN ((size_t) mss, payload - off);
      gboolean last = off + seg >= payload;
      uint8_t *b = e->seg_buf;
      size_t len = hdr + seg;
      size_t l4_len = len - l4;
      uint32_t sum;

      memcpy (b, e->tx_buf, hdr);
      memcpy (b + hdr, e->tx_buf + hdr + off, seg);
      if (ipv4)
        {
          unsigned ihl = (b[ipcss] & 0xfu) * 4u;

          put_be16 (b + ipcss + 2, (uint16_t) (len - ipcss));
          put_be16 (b + ipcss + 4, ip_id++);
          put_be16 (b + ipcss + 10, 0);
          if (ihl >= 20 && ipcss + ihl <= l4)
            put_be16 (b + ipcss + 10, csum_fold (csum_add (0, b + ipcss, ihl)));
          sum = csum_add (0, b + ipcss + 12, 8);
        }
      else
        {
          put_be16 (b + ipcss + 4, (uint16_t) (len - ipcss - 40));
          sum = csum_add (0, b + ipcss + 8, 32);
        }
      sum += (tcp ? 6u : 17u) + (uint32_t) l4_len;
      if (tcp)
        {
          uint32_t s = seq + (uint32_t) off;

          put_be16 (b + l4 + 4, (uint16_t) (s >> 16));
          put_be16 (b + l4 + 6, (uint16_t) s);
          if (!last)
            b[l4 + 13] &= (uint8_t) ~0x09;      /* FIN and PSH only on the last */
          put_be16 (b + l4 + 16, 0);
          put_be16 (b + l4 + 16, csum_fold (csum_add (sum, b + l4, l4_len)));
        }
      else
        {
          put_be16 (b + l4 + 4, (uint16_t) l4_len);
          put_be16 (b + l4 + 6, 0);
          put_be16 (b + l4 + 6, csum_fold (csum_add (sum, b + l4, l4_len)));
        }
      send_frame (e, b, len);
      off += seg;
    }
  while (off < payload);
}

static void
tx_finish (VmmE1000e *e)
{
  if (e->tx_bad)
    e->stats.tx_bad++;
  else if (e->tx_legacy)
    {
      if (e->tx_ic && !insert_csum (e->tx_buf, e->tx_len, e->tx_css, e->tx_cso, 0))
        e->stats.tx_bad++;
      else
        send_frame (e, e->tx_buf, e->tx_len);
    }
  else if (e->tx_tse)
    tso_send (e);
  else if ((e->tx_popts & E1K_POPTS_IXSM)
           && !insert_csum (e->tx_buf, e->tx_len, e->ctx.ipcss, e->ctx.ipcso,
                            e->ctx.ipcse == 0 ? e->ctx.ipcss + 19 : e->ctx.ipcse))
    e->stats.tx_bad++;
  else if ((e->tx_popts & E1K_POPTS_TXSM)
           && !insert_csum (e->tx_buf, e->tx_len, e->ctx.tucss, e->ctx.tucso, e->ctx.tucse))
    e->stats.tx_bad++;
  else
    send_frame (e, e->tx_buf, e->tx_len);
  e->tx_len = 0;
  e->tx_bad = FALSE;
  e->tx_started = FALSE;
}

static void
tx_append (VmmE1000e *e, uint64_t addr, size_t len)
{
  if (e->tx_bad)
    return;
  if (len > TX_MAX - e->tx_len
      || vmm_guest_mem_read (&e->platform->mem, addr, e->tx_buf + e->tx_len, len) < 0)
    {
      e->tx_bad = TRUE;
      return;
    }
  e->tx_len += len;
}

/* One descriptor; returns TRUE when the driver asked for a write-back. */
static gboolean
tx_desc (VmmE1000e *e, const uint8_t *d)
{
  uint32_t dw2 = get32 (d + 8);
  uint8_t cmd = (uint8_t) (dw2 >> 24);

  if (!(cmd & E1K_TXD_DEXT))
    {
      size_t len = get16 (d + 8);

      if (!e->tx_started)
        {
          e->tx_started = TRUE;
          e->tx_legacy = TRUE;
        }
      /* The checksum request travels with the frame's last descriptor. */
      if (cmd & E1K_TXD_EOP)
        {
          e->tx_ic = (cmd & E1K_TXD_IC) != 0;
          e->tx_cso = d[10];
          e->tx_css = d[13];
        }
      tx_append (e, get32 (d) | (uint64_t) get32 (d + 4) << 32, len);
    }
  else
    switch ((dw2 >> 20) & 0xf)
      {
      case 0:   /* context */
        e->ctx.ipcss = d[0];
        e->ctx.ipcso = d[1];
        e->ctx.ipcse = get16 (d + 2);
        e->ctx.tucss = d[4];
        e->ctx.tucso = d[5];
        e->ctx.tucse = get16 (d + 6);
        e->ctx.tucmd = cmd;
        e->ctx.hdrlen = d[13];
        e->ctx.mss = get16 (d + 14);
        return (cmd & E1K_TXD_RS) != 0;
      case 1:   /* data */
        if (!e->tx_started)
          {
            e->tx_started = TRUE;
            e->tx_legacy = FALSE;
            e->tx_popts = d[13];
            e->tx_tse = (cmd & E1K_TXD_TSE) != 0;
          }
        tx_append (e, get32 (d) | (uint64_t) get32 (d + 4) << 32, dw2 & 0xfffff);
        break;
      default:
        e->tx_started = TRUE;
        e->tx_bad = TRUE;
        break;
      }
  if (cmd & E1K_TXD_EOP)
    tx_finish (e);
  return (cmd & E1K_TXD_RS) != 0;
}

/* A ring's geometry, or FALSE when its registers cannot describe one. */
static gboolean
ring (VmmE1000e *e, unsigned base_reg, uint64_t *base, uint32_t *count)
{
  uint32_t len = REG (e, base_reg + 8), head = REG (e, base_reg + 0x10), tail = REG (e, base_reg + 0x18);

  *base = (uint64_t) REG (e, base_reg + 4) << 32 | (REG (e, base_reg) & ~0xfu);
  *count = len / DESC_SIZE;
  if (*count == 0 || len % DESC_SIZE != 0 || head >= *count || tail >= *count
      || vmm_guest_mem_ptr (&e->platform->mem, *base, len) == NULL)
    {
      e->stats.bad_ring++;
      return FALSE;
    }
  return TRUE;
}

static void
tx_process (VmmE1000e *e)
{
  uint32_t causes = 0, count, head, tail;
  uint64_t base;

  if (!(REG (e, E1K_TCTL) & E1K_TCTL_EN) || !ring (e, E1K_TDBAL, &base, &count))
    return;
  head = REG (e, E1K_TDH);
  tail = REG (e, E1K_TDT);
  e->tx_waiting = FALSE;
  while (head != tail)
    {
      uint64_t at = base + (uint64_t) head * DESC_SIZE;
      uint8_t d[DESC_SIZE];

      if (!e->tx_started && !vmm_net_backend_can_send (e->backend))
        {
          e->tx_waiting = TRUE;
          e->stats.tx_waits++;
          break;
        }
      if (vmm_guest_mem_read (&e->platform->mem, at, d, sizeof d) < 0)
        break;
      if (tx_desc (e, d))
        {
          uint8_t st = (uint8_t) (d[12] | E1K_TXD_DD);

          vmm_guest_mem_write (&e->platform->mem, at + 12, &st, 1);
          causes |= E1K_ICR_TXDW;
        }
      head = (head + 1) % count;
      REG (e, E1K_TDH) = head;
    }
  if (head == tail)
    causes |= E1K_ICR_TXQE;
  if (causes)
    raise_irq (e, causes);
}

static void
tx_resume (void *opaque)
{
  VmmE1000e *e = opaque;

  g_mutex_lock (&e->lock);
  if (e->tx_waiting)
    tx_process (e);
  g_mutex_unlock (&e->lock);
}

/* ---- receive ------------------------------------------------------------- */

static gboolean
rx_accept (VmmE1000e *e, const uint8_t *f, size_t len)
{
  uint32_t rctl = REG (e, E1K_RCTL);
  gboolean ok = FALSE;

  if (f[0] & 1)
    {
      static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

      if (memcmp (f, bcast, 6) == 0)
        ok = (rctl & (E1K_RCTL_BAM | E1K_RCTL_MPE)) != 0;
      else if (rctl & E1K_RCTL_MPE)
        ok = TRUE;
      else
        {
          /* The multicast table is indexed by 12 bits of the address
           * chosen by RCTL.MO. */
          unsigned shift = 4 - ((rctl >> 12) & 3);
          unsigned h = (unsigned) ((f[4] >> shift) | (f[5] << (8 - shift))) & 0xfff;

          if (shift == 1)
            h = (unsigned) (f[4] | f[5] << 8) & 0xfff;
          ok = (REG (e, E1K_MTA + (h >> 5) * 4) >> (h & 31)) & 1;
        }
    }
  else if (rctl & E1K_RCTL_UPE)
    ok = TRUE;
  else
    for (unsigned i = 0; i < 16 && !ok; i++)
      {
        uint32_t ral = REG (e, E1K_RAL0 + i * 8), rah = REG (e, E1K_RAH0 + i * 8);
        uint8_t a[6] = { (uint8_t) ral, (uint8_t) (ral >> 8), (uint8_t) (ral >> 16),
                         (uint8_t) (ral >> 24), (uint8_t) rah, (uint8_t) (rah >> 8) };

        ok = (rah >> 31) && memcmp (a, f, 6) == 0;
      }
  if (ok && (rctl & E1K_RCTL_VFE) && len >= 16 && get_be16 (f + 12) == (REG (e, E1K_VET) & 0xffff))
    {
      unsigned vid = get_be16 (f + 14) & 0xfff;

      ok = (REG (e, E1K_VFTA + (vid >> 5) * 4) >> (vid & 31)) & 1;
    }
  return ok;
}

static size_t
rx_buf_size (uint32_t rctl)
{
  static const size_t plain[] = { 2048, 1024, 512, 256 }, ext[] = { 2048, 16384, 8192, 4096 };
  unsigned s = (rctl >> 16) & 3;

  return (rctl & E1K_RCTL_BSEX) ? ext[s] : plain[s];
}

static uint32_t
crc32_le (const uint8_t *p, size_t len)
{
  uint32_t crc = 0xffffffffu;

  for (size_t i = 0; i < len; i++)
    {
      crc ^= p[i];
      for (unsigned b = 0; b < 8; b++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
  return ~crc;
}

/* The checksum bits a descriptor carries: the back-end builds correct
 * checksums, so IPv4 TCP and UDP frames can be vouched for. */
static uint32_t
rx_csum_status (VmmE1000e *e, const uint8_t *f, size_t len)
{
  uint32_t rxcsum = REG (e, E1K_RXCSUM), st = 0;
  size_t l3 = 14;
  uint16_t type;

  if (!e->backend->rx_csum_valid)
    return RXD_IXSM;
  if (len < 14 + 20)
    return RXD_IXSM;
  type = get_be16 (f + 12);
  if (type == 0x8100 && len >= 18 + 20)
    {
      type = get_be16 (f + 16);
      l3 = 18;
    }
  if (type != 0x0800)
    return RXD_IXSM;
  if (rxcsum & RXCSUM_IPOFL)
    st |= RXD_IPCS;
  if (rxcsum & RXCSUM_TUOFL)
    {
      if (f[l3 + 9] == 6)
        st |= RXD_TCPCS;
      else if (f[l3 + 9] == 17)
        st |= RXD_UDPCS;
    }
  return st != 0 ? st : RXD_IXSM;
}

static void
count_rx (VmmE1000e *e, const uint8_t *f, size_t len)
{
  uint64_t octets = ((uint64_t) REG (e, E1K_GORCL + 4) << 32 | REG (e, E1K_GORCL)) + len;

  REG (e, E1K_GPRC)++;
  REG (e, E1K_TPR)++;
  if (f[0] == 0xff && f[1] == 0xff)
    REG (e, E1K_BPRC)++;
  else if (f[0] & 1)
    REG (e, E1K_MPRC)++;
  REG (e, E1K_GORCL) = (uint32_t) octets;
  REG (e, E1K_GORCL + 4) = (uint32_t) (octets >> 32);
  REG (e, E1K_TORL) = (uint32_t) octets;
  REG (e, E1K_TORL + 4) = (uint32_t) (octets >> 32);
}

static ssize_t
rx_receive (void *opaque, const struct iovec *iov, unsigned n)
{
  VmmE1000e *e = opaque;
  uint32_t rctl, count, head, tail, avail, need, st, threshold;
  size_t len = 0, bufsize, off = 0;
  gboolean ext;
  uint64_t base;

  for (unsigned i = 0; i < n; i++)
    {
      if (iov[i].iov_len > VMM_NET_MAX_FRAME - len)
        return -EMSGSIZE;
      len += iov[i].iov_len;
    }
  if (len < VMM_NET_MIN_FRAME)
    return -EMSGSIZE;

  g_mutex_lock (&e->lock);
  rctl = REG (e, E1K_RCTL);
  if (!(rctl & E1K_RCTL_EN))
    {
      g_mutex_unlock (&e->lock);
      return (ssize_t) len;           /* a disabled receiver drops frames */
    }
  for (unsigned i = 0, at = 0; i < n; at += (unsigned) iov[i].iov_len, i++)
    memcpy (e->rx_buf + at, iov[i].iov_base, iov[i].iov_len);
  if (!rx_accept (e, e->rx_buf, len))
    {
      e->stats.rx_filtered++;
      g_mutex_unlock (&e->lock);
      return (ssize_t) len;
    }
  st = rx_csum_status (e, e->rx_buf, len);
  if (!(rctl & E1K_RCTL_SECRC))
    {
      put32 (e->rx_buf + len, crc32_le (e->rx_buf, len));
      len += 4;
    }
  if (!ring (e, E1K_RDBAL, &base, &count))
    {
      REG (e, E1K_MPC)++;
      g_mutex_unlock (&e->lock);
      return -EIO;
    }
  head = REG (e, E1K_RDH);
  tail = REG (e, E1K_RDT);
  avail = (tail + count - head) % count;
  bufsize = rx_buf_size (rctl);
  need = (uint32_t) ((len + bufsize - 1) / bufsize);
  if (need > count - 1)
    {
      /* No ring this long could ever take it. */
      REG (e, E1K_MPC)++;
      e->stats.rx_bad++;
      g_mutex_unlock (&e->lock);
      return -EMSGSIZE;
    }
  if (avail < need)
    {
      e->rx_waiting = TRUE;
      e->stats.rx_no_buffers++;
      raise_irq (e, E1K_ICR_RXO);
      g_mutex_unlock (&e->lock);
      return 0;
    }
  ext = (REG (e, E1K_RFCTL) & E1K_RFCTL_EXSTEN) != 0;
  while (off < len)
    {
      uint64_t at = base + (uint64_t) head * DESC_SIZE;
      size_t chunk = MIN (bufsize, len - off);
      uint8_t d[DESC_SIZE];
      uint32_t s = E1K_RXD_DD;

      if (vmm_guest_mem_read (&e->platform->mem, at, d, sizeof d) < 0
          || vmm_guest_mem_write (&e->platform->mem, get32 (d) | (uint64_t) get32 (d + 4) << 32,
                                  e->rx_buf + off, chunk) < 0)
        e->stats.rx_bad++;
      off += chunk;
      if (off >= len)
        s |= E1K_RXD_EOP | st;
      memset (d, 0, sizeof d);
      if (ext)
        {
          put32 (d + 8, s);
          put16 (d + 12, (uint16_t) chunk);
          vmm_guest_mem_write (&e->platform->mem, at, d, sizeof d);
        }
      else
        {
          put16 (d + 8, (uint16_t) chunk);
          d[12] = (uint8_t) s;
          vmm_guest_mem_write (&e->platform->mem, at + 8, d + 8, 8);
        }
      head = (head + 1) % count;
    }
  REG (e, E1K_RDH) = head;
  e->stats.rx_frames++;
  count_rx (e, e->rx_buf, len);
  /* RDMTS: interrupt when the free descriptors drop below half, a
   * quarter or an eighth of the ring. */
  threshold = count >> (((rctl >> 8) & 3) + 1);
  raise_irq (e, E1K_ICR_RXT0 | ((tail + count - head) % count <= threshold ? E1K_ICR_RXDMT0 : 0));
  g_mutex_unlock (&e->lock);
  return (ssize_t) (len - ((rctl & E1K_RCTL_SECRC) ? 0 : 4));
}

static const VmmNetPeerOps peer_ops = {
  .receive = rx_receive,
  .tx_resume = tx_resume,
};

/* ---- registers ----------------------------------------------------------- */

static uint32_t
reg_read (VmmE1000e *e, uint32_t off)
{
  uint32_t v;

  switch (off)
    {
    case E1K_STATUS:
      v = STATUS_FD | STATUS_LU | STATUS_SPEED_1000;
      if (!(REG (e, E1K_CTRL) & CTRL_GIO_MASTER_DISABLE))
        v |= STATUS_GIO_MASTER;
      return v;
    case E1K_ICR:
      /* Reading acknowledges everything. */
      v = e->icr | ((e->icr & e->ims) ? E1K_ICR_ASSERTED : 0);
      e->icr = 0;
      update_irq (e);
      return v;
    case E1K_IMS:
      return e->ims;
    case E1K_ICS: case E1K_IMC:
      return 0;
    default:
      if (off >= E1K_STATS && off < E1K_STATS_END)
        {
          v = REG (e, off);
          REG (e, off) = 0;              /* statistics clear when read */
          return v;
        }
      return REG (e, off);
    }
}

static void
reg_write (VmmE1000e *e, uint32_t off, uint32_t v, gboolean *kick_rx)
{
  switch (off)
    {
    case E1K_CTRL:
      if (v & E1K_CTRL_RST)
        {
          device_reset (e);
          return;
        }
      if (v & CTRL_PHY_RST)
        phy_reset (e);
      REG (e, off) = v & ~(E1K_CTRL_RST | CTRL_PHY_RST);
      return;
    case E1K_STATUS:
      return;
    case E1K_EECD:
      /* Software access to the EEPROM is granted as soon as asked for;
       * the size field says 64 words, the auto-read is long done. */
      v = (v & (EECD_REQ | 0xf)) | EECD_PRES | EECD_AUTO_RD;
      if (v & EECD_REQ)
        v |= EECD_GNT;
      REG (e, off) = v;
      return;
    case E1K_EERD:
      if (v & E1K_EERD_START)
        {
          unsigned addr = (v >> 2) & 0x3fff;
          uint16_t word = addr < E1K_EEPROM_WORDS ? e->eeprom[addr] : 0xffff;

          v = (uint32_t) word << 16 | addr << 2 | E1K_EERD_DONE;
        }
      REG (e, off) = v;
      return;
    case E1K_MDIC:
      mdic_write (e, v);
      return;
    case E1K_ICR:
      e->icr &= ~v;
      update_irq (e);
      return;
    case E1K_ICS:
      raise_irq (e, v);
      return;
    case E1K_IMS:
      e->ims |= v & ~E1K_ICR_ASSERTED;
      update_irq (e);
      return;
    case E1K_IMC:
      e->ims &= ~v;
      update_irq (e);
      return;
    case E1K_RCTL:
      REG (e, off) = v;
      *kick_rx = (v & E1K_RCTL_EN) != 0;
      return;
    case E1K_RDT:
      REG (e, off) = v & 0xffff;
      *kick_rx = TRUE;
      return;
    case E1K_RDH: case E1K_TDH: case E1K_TDT:
      REG (e, off) = v & 0xffff;
      if (off == E1K_TDT)
        tx_process (e);
      return;
    case E1K_TCTL:
      REG (e, off) = v;
      tx_process (e);
      return;
    default:
      if (off >= E1K_STATS && off < E1K_STATS_END)
        return;                          /* counters are read-only */
      REG (e, off) = v;
      return;
    }
}

static void
after_write (VmmE1000e *e, gboolean kick_rx)
{
  gboolean resume;

  g_mutex_lock (&e->lock);
  resume = kick_rx && e->rx_waiting;
  if (resume)
    e->rx_waiting = FALSE;
  g_mutex_unlock (&e->lock);
  /* Outside the lock: the back-end delivers from here, through
   * rx_receive, on its own thread or on this one. */
  if (resume)
    vmm_net_backend_rx_resume (e->backend);
}

/* Accesses narrower than a register reach its bytes; an 8-byte access
 * is two registers. */
void
vmm_e1000e_mmio_read (VmmE1000e *e, uint64_t offset, uint8_t *data, unsigned len)
{
  uint32_t shift = (uint32_t) (offset & 3) * 8;

  if (len == 0 || len > 8 || offset >= E1K_MMIO_SIZE || len > E1K_MMIO_SIZE - offset)
    {
      memset (data, 0xff, len);
      return;
    }
  g_mutex_lock (&e->lock);
  if (len == 8 && (offset & 3) == 0)
    {
      put32 (data, reg_read (e, (uint32_t) offset));
      put32 (data + 4, reg_read (e, (uint32_t) offset + 4));
    }
  else if ((offset & 3) + len <= 4)
    {
      uint32_t v = reg_read (e, (uint32_t) offset & ~3u) >> shift;

      for (unsigned i = 0; i < len; i++)
        data[i] = (uint8_t) (v >> (8 * i));
    }
  else
    memset (data, 0xff, len);
  g_mutex_unlock (&e->lock);
}

void
vmm_e1000e_mmio_write (VmmE1000e *e, uint64_t offset, const uint8_t *data, unsigned len)
{
  gboolean kick_rx = FALSE;

  if (len == 0 || len > 8 || offset >= E1K_MMIO_SIZE || len > E1K_MMIO_SIZE - offset)
    return;
  g_mutex_lock (&e->lock);
  if (len == 8 && (offset & 3) == 0)
    {
      reg_write (e, (uint32_t) offset, get32 (data), &kick_rx);
      reg_write (e, (uint32_t) offset + 4, get32 (data + 4), &kick_rx);
    }
  else if ((offset & 3) + len <= 4)
    {
      uint32_t off = (uint32_t) offset & ~3u, shift = (uint32_t) (offset & 3) * 8, v = 0, mask = 0;

      for (unsigned i = 0; i < len; i++)
        {
          v |= (uint32_t) data[i] << (shift + 8 * i);
          mask |= 0xffu << (shift + 8 * i);
        }
      if (len < 4)
        v |= REG (e, off) & ~mask;
      reg_write (e, off, v, &kick_rx);
    }
  g_mutex_unlock (&e->lock);
  after_write (e, kick_rx);
}

/* The I/O window: IOADDR selects a register, IODATA reaches it. */
void
vmm_e1000e_io_read (VmmE1000e *e, uint64_t offset, uint8_t *data, unsigned len)
{
  uint32_t addr;

  if (offset == E1K_IODATA && len == 4)
    {
      g_mutex_lock (&e->lock);
      addr = e->ioaddr & (E1K_MMIO_SIZE - 1) & ~3u;
      g_mutex_unlock (&e->lock);
      vmm_e1000e_mmio_read (e, addr, data, 4);
    }
  else if (offset == E1K_IOADDR && len == 4)
    {
      g_mutex_lock (&e->lock);
      put32 (data, e->ioaddr);
      g_mutex_unlock (&e->lock);
    }
  else
    memset (data, 0xff, len);
}

void
vmm_e1000e_io_write (VmmE1000e *e, uint64_t offset, const uint8_t *data, unsigned len)
{
  uint32_t addr;

  if (len != 4)
    return;
  if (offset == E1K_IOADDR)
    {
      g_mutex_lock (&e->lock);
      e->ioaddr = get32 (data);
      g_mutex_unlock (&e->lock);
    }
  else if (offset == E1K_IODATA)
    {
      g_mutex_lock (&e->lock);
      addr = e->ioaddr & (E1K_MMIO_SIZE - 1) & ~3u;
      g_mutex_unlock (&e->lock);
      vmm_e1000e_mmio_write (e, addr, data, 4);
    }
}

void
vmm_e1000e_get_stats (VmmE1000e *e, VmmE1000eStats *stats)
{
  g_mutex_lock (&e->lock);
  *stats = e->stats;
  g_mutex_unlock (&e->lock);
}

static void
bar_mmio_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  vmm_e1000e_mmio_read (opaque, offset, data, len);
}

static void
bar_mmio_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  vmm_e1000e_mmio_write (opaque, offset, data, len);
}

static void
bar_io_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  vmm_e1000e_io_read (opaque, offset, data, len);
}

static void
bar_io_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  vmm_e1000e_io_write (opaque, offset, data, len);
}

/* The card keeps its EEPROM in the SPI part, so the flash window is
 * blank and read-only. */
static void
bar_flash_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  memset (data, 0xff, len);
}

static void
bar_flash_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
}

static void
bar_msix_read (void *opaque, uint64_t offset, uint8_t *data, unsigned len)
{
  VmmE1000e *e = opaque;

  if (offset >= E1K_MSIX_PBA)
    vmm_msix_pba_read (e->msix, offset - E1K_MSIX_PBA, data, len);
  else
    vmm_msix_table_read (e->msix, offset, data, len);
}

static void
bar_msix_write (void *opaque, uint64_t offset, const uint8_t *data, unsigned len)
{
  VmmE1000e *e = opaque;

  if (offset < E1K_MSIX_PBA)
    vmm_msix_table_write (e->msix, offset, data, len);
}

static const VmmBusOps mmio_ops = { .read = bar_mmio_read, .write = bar_mmio_write };
static const VmmBusOps io_ops = { .read = bar_io_read, .write = bar_io_write };
static const VmmBusOps flash_ops = { .read = bar_flash_read, .write = bar_flash_write };
static const VmmBusOps msix_ops = { .read = bar_msix_read, .write = bar_msix_write };

/* ---- PCI function -------------------------------------------------------- */

static void
pci_config_written (VmmPciDevice *dev, unsigned offset, unsigned len, void *opaque)
{
  VmmE1000e *e = opaque;

  vmm_msix_config_written (e->msix);
  g_mutex_lock (&e->lock);
  e->msix_fired = 0;
  update_irq (e);
  g_mutex_unlock (&e->lock);
}

static void
pci_reset (VmmPciDevice *dev, void *opaque)
{
  VmmE1000e *e = opaque;

  g_mutex_lock (&e->lock);
  device_reset (e);
  g_mutex_unlock (&e->lock);
  vmm_msix_reset (e->msix);
}

static void
e1000e_free (VmmE1000e *e)
{
  if (e->backend != NULL)
    {
      vmm_net_backend_set_peer (e->backend, NULL, NULL);
      vmm_net_backend_free (e->backend);
    }
  vmm_msix_free (e->msix);
  g_mutex_clear (&e->lock);
  g_free (e->tx_buf);
  g_free (e->seg_buf);
  g_free (e->rx_buf);
  g_free (e);
}

static void
pci_destroy (VmmPciDevice *dev, void *opaque)
{
  e1000e_free (opaque);
}

static const VmmPciDeviceOps pci_ops = {
  .config_written = pci_config_written,
  .reset = pci_reset,
  .destroy = pci_destroy,
};

VmmE1000e *
vmm_e1000e_from_pci (VmmPciDevice *dev)
{
  return dev->ops == &pci_ops ? dev->opaque : NULL;
}

VmmPciDevice *
vmm_e1000e_new (VmmPlatform *platform, const VmmE1000eConfig *config,
                VmmNetBackend *backend, GError **error)
{
  VmmPciDevice *dev;
  VmmE1000e *e;
  int r;

  dev = vmm_pci_device_new (E1K_VENDOR, E1K_DEVICE, 0x020000, 0);
  vmm_pci_device_set_subsystem (dev, E1K_VENDOR, 0);
  dev->cfg[VMM_PCI_INTERRUPT_PIN] = 1;

  e = g_new0 (VmmE1000e, 1);
  e->platform = platform;
  e->pci = dev;
  e->backend = backend;
  memcpy (e->mac, config->mac, 6);
  g_mutex_init (&e->lock);
  e->tx_buf = g_malloc (TX_MAX);
  e->seg_buf = g_malloc (VMM_NET_MAX_FRAME);
  e->rx_buf = g_malloc (RX_MAX);

  r = vmm_pci_device_add_bar (dev, E1K_BAR_MMIO, VMM_PCI_BAR_MEM32, E1K_MMIO_SIZE);
  if (r == 0)
    r = vmm_pci_device_set_bar_ops (dev, E1K_BAR_MMIO, &mmio_ops, VMM_BUS_WANY, e);
  if (r == 0)
    r = vmm_pci_device_add_bar (dev, E1K_BAR_FLASH, VMM_PCI_BAR_MEM32, E1K_FLASH_SIZE);
  if (r == 0)
    r = vmm_pci_device_set_bar_ops (dev, E1K_BAR_FLASH, &flash_ops, VMM_BUS_WANY, e);
  if (r == 0)
    r = vmm_pci_device_add_bar (dev, E1K_BAR_IO, VMM_PCI_BAR_IO, E1K_IO_SIZE);
  if (r == 0)
    r = vmm_pci_device_set_bar_ops (dev, E1K_BAR_IO, &io_ops, VMM_BUS_WANY, e);
  if (r == 0)
    r = vmm_pci_device_add_bar (dev, E1K_BAR_MSIX, VMM_PCI_BAR_MEM32, E1K_MSIX_SIZE);
  if (r == 0)
    r = vmm_pci_device_set_bar_ops (dev, E1K_BAR_MSIX, &msix_ops, VMM_BUS_WANY, e);
  if (r == 0)
    {
      r = vmm_pci_device_add_capability (dev, 0x05, 14);
      if (r >= 0)
        {
          e->msi_cap = (unsigned) r;
          dev->cfg[r + 2] = 0x80;                 /* 64-bit addresses, one vector */
          dev->wmask[r + 2] = 0x01;               /* enable */
          dev->wmask[r + 4] = 0xfc;
          memset (dev->wmask + r + 5, 0xff, 9);   /* address and data */
          r = 0;
        }
    }
  if (r == 0)
    e->msix = vmm_msix_new (dev, platform, E1K_N_VECTORS, E1K_BAR_MSIX, 0, E1K_MSIX_PBA, &r);
  if (r < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (-r),
                   "e1000e: cannot create the PCI function: %s", g_strerror (-r));
      e->backend = NULL;
      vmm_net_backend_free (backend);
      e1000e_free (e);
      vmm_pci_device_free (dev);
      return NULL;
    }
  eeprom_init (e);
  device_reset (e);
  vmm_pci_device_set_ops (dev, &pci_ops, e);
  vmm_net_backend_set_peer (backend, &peer_ops, e);
  return dev;
}
