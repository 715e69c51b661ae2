/* test-e1000e.c: the 82574L model driven as the Linux and Windows
 * drivers drive it: reset, EEPROM, PHY, rings, interrupts, and guests
 * that program nonsense.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "e1k-harness.h"

#include <string.h>

static void
put_le32 (uint8_t *p, uint32_t v)
{
  for (unsigned i = 0; i < 4; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t
get_le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint16_t
eeprom_word (Eh *h, unsigned addr)
{
  uint32_t v;

  eh_wr (h, E1K_EERD, addr << 2 | E1K_EERD_START);
  v = eh_rd (h, E1K_EERD);
  g_assert_true (v & E1K_EERD_DONE);
  g_assert_cmpuint ((v >> 2) & 0x3fff, ==, addr);
  return (uint16_t) (v >> 16);
}

static uint16_t
phy_rd (Eh *h, unsigned reg)
{
  uint32_t v;

  eh_wr (h, E1K_MDIC, E1K_MDIC_OP_READ | 1u << 21 | reg << 16);
  v = eh_rd (h, E1K_MDIC);
  g_assert_true (v & E1K_MDIC_READY);
  g_assert_false (v & E1K_MDIC_ERROR);
  g_assert_cmpuint ((v >> 16) & 0x1f, ==, reg);
  return (uint16_t) v;
}

/* A receive ring of @n descriptors, buffers of 2 KiB, all given to the card. */
static void
setup_rx (Eh *h, unsigned n, gboolean extended, uint32_t extra_rctl)
{
  for (unsigned i = 0; i < n; i++)
    {
      uint8_t d[16] = { 0 };

      put_le32 (d, EH_RX_BUFS + i * 2048);
      memcpy (h->ram + EH_RX_RING + i * 16, d, 16);
    }
  eh_wr (h, E1K_RDBAL, EH_RX_RING);
  eh_wr (h, E1K_RDBAH, 0);
  eh_wr (h, E1K_RDLEN, n * 16);
  eh_wr (h, E1K_RDH, 0);
  eh_wr (h, E1K_RDT, n - 1);
  if (extended)
    eh_wr (h, E1K_RFCTL, E1K_RFCTL_EXSTEN);
  eh_wr (h, E1K_RCTL, E1K_RCTL_EN | E1K_RCTL_BAM | E1K_RCTL_SECRC | extra_rctl);
}

static void
setup_tx (Eh *h, unsigned n)
{
  eh_wr (h, E1K_TDBAL, EH_TX_RING);
  eh_wr (h, E1K_TDBAH, 0);
  eh_wr (h, E1K_TDLEN, n * 16);
  eh_wr (h, E1K_TDH, 0);
  eh_wr (h, E1K_TDT, 0);
  eh_wr (h, E1K_TCTL, E1K_TCTL_EN);
}

static void
tx_legacy_desc (Eh *h, unsigned i, uint32_t addr, uint16_t len, uint8_t cmd, uint8_t cso, uint8_t css)
{
  uint8_t *d = h->ram + EH_TX_RING + i * 16;

  memset (d, 0, 16);
  put_le32 (d, addr);
  d[8] = (uint8_t) len;
  d[9] = (uint8_t) (len >> 8);
  d[10] = cso;
  d[11] = cmd;
  d[13] = css;
}

static void
frame_udp (uint8_t *f, size_t *len, const uint8_t *dst, size_t payload)
{
  memcpy (f, dst, 6);
  memcpy (f + 6, (const uint8_t[]) { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 }, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  memset (f + 14, 0, 28);
  f[14] = 0x45;
  f[16] = (uint8_t) ((28 + payload) >> 8);
  f[17] = (uint8_t) (28 + payload);
  f[22] = 64;
  f[23] = 17;
  memcpy (f + 26, (const uint8_t[]) { 10, 0, 2, 2, 10, 0, 2, 15 }, 8);
  f[38] = (uint8_t) ((8 + payload) >> 8);
  f[39] = (uint8_t) (8 + payload);
  for (size_t i = 0; i < payload; i++)
    f[42 + i] = (uint8_t) i;
  *len = 42 + payload;
}

static void
test_reset_eeprom (void)
{
  Eh h;
  uint16_t sum = 0;

  eh_init (&h, TRUE);
  g_assert_true (eh_rd (&h, E1K_EECD) & (1u << 8));
  eh_wr (&h, E1K_CTRL, E1K_CTRL_RST);
  g_assert_false (eh_rd (&h, E1K_CTRL) & E1K_CTRL_RST);
  g_assert_true (eh_rd (&h, E1K_EECD) & (1u << 9));      /* auto-read done */
  for (unsigned i = 0; i < 3; i++)
    {
      uint16_t w = eeprom_word (&h, i);

      g_assert_cmpuint (w & 0xff, ==, eh_mac[2 * i]);
      g_assert_cmpuint (w >> 8, ==, eh_mac[2 * i + 1]);
    }
  for (unsigned i = 0; i < E1K_EEPROM_WORDS; i++)
    sum = (uint16_t) (sum + eeprom_word (&h, i));
  g_assert_cmpuint (sum, ==, 0xbaba);
  g_assert_cmpuint (eeprom_word (&h, 0x3fff), ==, 0xffff);
  /* The receive address is loaded from the EEPROM, valid. */
  g_assert_cmpuint (eh_rd (&h, E1K_RAL0), ==, 0x12005452);
  g_assert_cmpuint (eh_rd (&h, E1K_RAH0), ==, 0x80005634);
  eh_clear (&h);
}

static void
test_phy_link (void)
{
  Eh h;
  uint32_t v;

  eh_init (&h, TRUE);
  g_assert_true (eh_rd (&h, E1K_STATUS) & 2);            /* link up */
  g_assert_cmpuint (phy_rd (&h, 2), ==, 0x0141);
  g_assert_cmpuint (phy_rd (&h, 3), ==, 0x0cb1);
  g_assert_true (phy_rd (&h, 1) & 0x0004);               /* BMSR link */
  g_assert_true (phy_rd (&h, 1) & 0x0020);               /* autoneg complete */
  /* A PHY reset through BMCR finishes at once, link still up. */
  eh_wr (&h, E1K_MDIC, E1K_MDIC_OP_WRITE | 1u << 21 | 0u << 16 | 0x8000);
  g_assert_true (eh_rd (&h, E1K_MDIC) & E1K_MDIC_READY);
  g_assert_false (phy_rd (&h, 0) & 0x8000);
  g_assert_true (phy_rd (&h, 17) & 0x0400);
  /* Writes to an ordinary register stick; the read-only ID does not move. */
  eh_wr (&h, E1K_MDIC, E1K_MDIC_OP_WRITE | 1u << 21 | 4u << 16 | 0x01e1);
  g_assert_cmpuint (phy_rd (&h, 4), ==, 0x01e1);
  eh_wr (&h, E1K_MDIC, E1K_MDIC_OP_WRITE | 1u << 21 | 2u << 16 | 0x1234);
  g_assert_cmpuint (phy_rd (&h, 2), ==, 0x0141);
  /* Another PHY address answers with an error. */
  eh_wr (&h, E1K_MDIC, E1K_MDIC_OP_READ | 2u << 21 | 1u << 16);
  v = eh_rd (&h, E1K_MDIC);
  g_assert_true (v & E1K_MDIC_ERROR);
  g_assert_true (v & E1K_MDIC_READY);
  eh_clear (&h);
}

static void
test_tx_legacy (void)
{
  Eh h;
  uint8_t f[128];
  size_t len;
  GBytes *sent;
  const uint8_t *p;
  uint32_t icr;

  eh_init (&h, TRUE);
  setup_tx (&h, 8);
  eh_wr (&h, E1K_IMS, E1K_ICR_TXDW);
  frame_udp (f, &len, eh_mac, 20);
  memcpy (h.ram + EH_TX_BUFS, f, 30);
  memcpy (h.ram + EH_TX_BUFS + 0x1000, f + 30, len - 30);
  /* Two descriptors, the IP header checksum inserted by the card. */
  tx_legacy_desc (&h, 0, EH_TX_BUFS, 30, 0, 0, 0);
  tx_legacy_desc (&h, 1, EH_TX_BUFS + 0x1000, (uint16_t) (len - 30),
                  E1K_TXD_EOP | E1K_TXD_RS | E1K_TXD_IC, 24, 14);
  h.ram[EH_TX_BUFS + 24] = 0;
  eh_wr (&h, E1K_TDT, 2);
  g_assert_cmpuint (h.be->sent->len, ==, 1);
  sent = g_ptr_array_index (h.be->sent, 0);
  g_assert_cmpuint (g_bytes_get_size (sent), ==, len);
  p = g_bytes_get_data (sent, NULL);
  g_assert_cmpmem (p + 30, len - 30, f + 30, len - 30);
  g_assert_true (p[24] != 0 || p[25] != 0);
  {
    /* The checksum from CSS to the end now verifies (sums to 0xffff). */
    uint32_t s = 0;

    for (unsigned i = 14; i < len; i += 2)
      s += (uint32_t) (p[i] << 8 | p[i + 1]);
    while (s >> 16)
      s = (s & 0xffff) + (s >> 16);
    g_assert_cmpuint (s, ==, 0xffff);
  }
  g_assert_cmpuint (eh_rd (&h, E1K_TDH), ==, 2);
  g_assert_true (h.ram[EH_TX_RING + 16 + 12] & E1K_TXD_DD);
  g_assert_true (h.irq_level);
  icr = eh_rd (&h, E1K_ICR);
  g_assert_true (icr & E1K_ICR_TXDW);
  g_assert_true (icr & E1K_ICR_ASSERTED);
  g_assert_false (h.irq_level);                           /* read cleared it */
  g_assert_cmpuint (eh_rd (&h, E1K_ICR), ==, 0);
  g_assert_cmpuint (eh_rd (&h, E1K_GPTC), ==, 1);
  g_assert_cmpuint (eh_rd (&h, E1K_GPTC), ==, 0);         /* clear on read */
  eh_clear (&h);
}

/* A context descriptor, then a TSO data descriptor carrying a TCP frame
 * of 3000 payload bytes at MSS 1000: three frames, each with its own
 * lengths, sequence numbers and valid checksums. */
static void
test_tx_tso (void)
{
  Eh h;
  uint8_t *f, *d;
  const unsigned hdr = 54, payload = 3000;

  eh_init (&h, TRUE);
  setup_tx (&h, 8);
  f = h.ram + EH_TX_BUFS;
  memcpy (f, eh_mac, 6);
  memcpy (f + 6, eh_mac, 6);
  f[12] = 0x08;
  f[14] = 0x45;
  f[22] = 64;
  f[23] = 6;
  memcpy (f + 26, (const uint8_t[]) { 10, 0, 2, 15, 10, 0, 2, 2 }, 8);
  f[38] = 0x01;                 /* seq 0x01000000 */
  f[46] = 0x50;                 /* data offset 5 */
  f[47] = 0x19;                 /* ACK, PSH, FIN */
  for (unsigned i = 0; i < payload; i++)
    f[hdr + i] = (uint8_t) (i * 7);
  d = h.ram + EH_TX_RING;
  memset (d, 0, 32);
  d[0] = 14; d[1] = 24; d[2] = 33;               /* ipcss, ipcso, ipcse */
  d[4] = 34; d[5] = 50;                          /* tucss, tucso */
  put_le32 (d + 8, (hdr + payload) | 0u << 20 | (uint32_t) (E1K_TXD_DEXT | E1K_TXD_TSE
                                                           | E1K_TUCMD_IP | E1K_TUCMD_TCP) << 24);
  d[13] = hdr;
  d[14] = (uint8_t) 1000;
  d[15] = (uint8_t) (1000 >> 8);
  put_le32 (d + 16, EH_TX_BUFS);
  put_le32 (d + 24, (hdr + payload) | 1u << 20
            | (uint32_t) (E1K_TXD_DEXT | E1K_TXD_TSE | E1K_TXD_EOP | E1K_TXD_RS) << 24);
  d[16 + 13] = E1K_POPTS_IXSM | E1K_POPTS_TXSM;
  eh_wr (&h, E1K_TDT, 2);
  g_assert_cmpuint (h.be->sent->len, ==, 3);
  for (unsigned s = 0; s < 3; s++)
    {
      GBytes *b = g_ptr_array_index (h.be->sent, s);
      const uint8_t *p = g_bytes_get_data (b, NULL);
      uint32_t sum = 0, seq;

      g_assert_cmpuint (g_bytes_get_size (b), ==, hdr + 1000);
      g_assert_cmpuint (p[16] << 8 | p[17], ==, 40 + 1000);
      seq = (uint32_t) p[38] << 24 | (uint32_t) p[39] << 16 | (uint32_t) p[40] << 8 | p[41];
      g_assert_cmpuint (seq, ==, 0x01000000u + s * 1000);
      g_assert_cmpuint (p[47] & 0x09, ==, s == 2 ? 0x09 : 0);
      g_assert_cmpmem (p + hdr, 1000, f + hdr + s * 1000, 1000);
      for (unsigned i = 14; i < 34; i += 2)
        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
      while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
      g_assert_cmpuint (sum, ==, 0xffff);
      /* TCP: pseudo-header plus segment sums to 0xffff. */
      sum = 6 + 1020;
      for (unsigned i = 26; i < 34; i += 2)
        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
      for (unsigned i = 34; i < hdr + 1000; i += 2)
        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
      while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
      g_assert_cmpuint (sum, ==, 0xffff);
    }
  eh_clear (&h);
}

static void
test_rx (gconstpointer data)
{
  gboolean extended = GPOINTER_TO_INT (data);
  Eh h;
  uint8_t f[1600];
  size_t len;
  const uint8_t *d;

  eh_init (&h, TRUE);
  setup_rx (&h, 8, extended, 0);
  eh_wr (&h, E1K_RXCSUM, (1u << 8) | (1u << 9));
  eh_wr (&h, E1K_IMS, E1K_ICR_RXT0);
  frame_udp (f, &len, eh_mac, 100);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpmem (h.ram + EH_RX_BUFS, len, f, len);
  d = h.ram + EH_RX_RING;
  if (extended)
    {
      g_assert_cmpuint (get_le32 (d + 8) & 3, ==, E1K_RXD_DD | E1K_RXD_EOP);
      g_assert_true (get_le32 (d + 8) & 0x10);            /* UDP checksum good */
      g_assert_cmpuint (d[12] | d[13] << 8, ==, len);
    }
  else
    {
      g_assert_cmpuint (d[12] & 3, ==, E1K_RXD_DD | E1K_RXD_EOP);
      g_assert_cmpuint (d[8] | d[9] << 8, ==, len);
      g_assert_cmpuint (get_le32 (d), ==, EH_RX_BUFS);    /* address kept */
    }
  g_assert_cmpuint (eh_rd (&h, E1K_RDH), ==, 1);
  g_assert_true (h.irq_level);
  g_assert_true (eh_rd (&h, E1K_ICR) & E1K_ICR_RXT0);

  /* A frame for somebody else is filtered; a broadcast goes through. */
  frame_udp (f, &len, (const uint8_t[]) { 0x52, 0x54, 0, 0, 0, 1 }, 10);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpuint (eh_rd (&h, E1K_RDH), ==, 1);
  frame_udp (f, &len, (const uint8_t[]) { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 10);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpuint (eh_rd (&h, E1K_RDH), ==, 2);
  /* A multicast address in the table goes through. */
  frame_udp (f, &len, (const uint8_t[]) { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb }, 10);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpuint (eh_rd (&h, E1K_RDH), ==, 2);
  {
    unsigned hash = (unsigned) ((0x00 >> 4) | (0xfb << 4)) & 0xfff;

    eh_wr (&h, E1K_MTA + (hash >> 5) * 4, 1u << (hash & 31));
  }
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpuint (eh_rd (&h, E1K_RDH), ==, 3);
  g_assert_cmpuint (eh_rd (&h, E1K_GPRC), ==, 3);
  eh_clear (&h);
}

/* A frame larger than one buffer spans descriptors; the CRC is appended
 * when the driver did not ask for it to be stripped. */
static void
test_rx_multi_crc (void)
{
  Eh h;
  uint8_t f[1500];
  size_t len;

  eh_init (&h, TRUE);
  setup_rx (&h, 8, TRUE, 2u << 16);          /* 512-byte buffers */
  eh_wr (&h, E1K_RCTL, eh_rd (&h, E1K_RCTL) & ~E1K_RCTL_SECRC);
  frame_udp (f, &len, eh_mac, 1000);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpuint (eh_rd (&h, E1K_RDH), ==, 3);       /* 1046 bytes: 3 buffers */
  g_assert_cmpuint (get_le32 (h.ram + EH_RX_RING + 8) & E1K_RXD_EOP, ==, 0);
  g_assert_cmpuint (get_le32 (h.ram + EH_RX_RING + 40) & E1K_RXD_EOP, ==, E1K_RXD_EOP);
  g_assert_cmpuint (h.ram[EH_RX_RING + 44] | h.ram[EH_RX_RING + 45] << 8, ==, len + 4 - 1024);
  g_assert_cmpmem (h.ram + EH_RX_BUFS + 2048, 512, f + 512, 512);
  eh_clear (&h);
}

/* No free descriptors: the back-end keeps the frame until RDT moves. */
static void
test_rx_no_buffers (void)
{
  Eh h;
  uint8_t f[200];
  size_t len;

  eh_init (&h, TRUE);
  setup_rx (&h, 4, TRUE, 0);
  frame_udp (f, &len, eh_mac, 50);
  for (unsigned i = 0; i < 3; i++)
    g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpint (eh_receive (&h, f, len), ==, 0);
  g_assert_cmpuint (h.be->rx_resumes, ==, 0);
  eh_wr (&h, E1K_RDT, 0);
  g_assert_cmpuint (h.be->rx_resumes, ==, 1);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  eh_clear (&h);
}

static void
test_msix (void)
{
  Eh h;
  uint8_t f[200];
  size_t len;

  eh_init (&h, TRUE);
  eh_enable_msix (&h);
  /* Receive on vector 0, transmit on 1, other on 2, as Linux sets it. */
  eh_wr (&h, E1K_IVAR, 0x8u | 0x9u << 8 | 0xau << 16);
  eh_wr (&h, E1K_CTRL_EXT, eh_rd (&h, E1K_CTRL_EXT) | (1u << 24));
  eh_wr (&h, E1K_IAM, E1K_ICR_RXQ0 | E1K_ICR_TXQ0 | E1K_ICR_OTHER);
  eh_wr (&h, E1K_EIAC, E1K_ICR_RXQ0 | E1K_ICR_TXQ0);
  eh_wr (&h, E1K_IMS, E1K_ICR_RXQ0 | E1K_ICR_TXQ0 | E1K_ICR_OTHER | E1K_ICR_LSC);
  setup_rx (&h, 8, TRUE, 0);
  frame_udp (f, &len, eh_mac, 50);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpuint (h.msi_count, ==, 1);
  g_assert_cmpuint (h.last_msi_data, ==, 0x100);
  g_assert_false (h.irq_level);
  /* Auto-masked: the next frame does not interrupt until IMS again. */
  g_assert_false (eh_rd (&h, E1K_IMS) & E1K_ICR_RXQ0);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  g_assert_cmpuint (h.msi_count, ==, 1);
  eh_wr (&h, E1K_IMS, E1K_ICR_RXQ0);
  g_assert_cmpuint (h.msi_count, ==, 2);
  /* A link change through ICS is "other". */
  eh_wr (&h, E1K_ICS, E1K_ICR_LSC);
  g_assert_cmpuint (h.msi_count, ==, 3);
  g_assert_cmpuint (h.last_msi_data, ==, 0x102);
  g_assert_true (eh_rd (&h, E1K_ICR) & E1K_ICR_LSC);
  eh_clear (&h);
}

static void
test_msi (void)
{
  Eh h;
  unsigned cap;
  uint8_t b[14];

  eh_init (&h, TRUE);
  cap = h.dev->cfg[VMM_PCI_CAP_PTR];
  while (cap != 0 && h.dev->cfg[cap] != 0x05)
    cap = h.dev->cfg[cap + 1];
  g_assert_cmpuint (cap, !=, 0);
  vmm_pci_device_config_read (h.dev, cap, b, sizeof b);
  b[2] |= 1;
  memcpy (b + 4, (const uint8_t[]) { 0x00, 0x10, 0xe0, 0xfe, 0, 0, 0, 0, 0x41, 0x00 }, 10);
  vmm_pci_device_config_write (h.dev, cap + 2, b + 2, 12);
  h.dev->ops->config_written (h.dev, cap + 2, 12, h.dev->opaque);
  eh_wr (&h, E1K_IMS, E1K_ICR_LSC);
  eh_wr (&h, E1K_ICS, E1K_ICR_LSC);
  g_assert_cmpuint (h.msi_count, ==, 1);
  g_assert_cmpuint (h.last_msi_data, ==, 0x41);
  g_assert_false (h.irq_level);
  /* Still pending: no second message until the driver acknowledged. */
  eh_wr (&h, E1K_ICS, E1K_ICR_LSC);
  g_assert_cmpuint (h.msi_count, ==, 1);
  g_assert_true (eh_rd (&h, E1K_ICR) & E1K_ICR_LSC);
  eh_wr (&h, E1K_ICS, E1K_ICR_LSC);
  g_assert_cmpuint (h.msi_count, ==, 2);
  eh_clear (&h);
}

static void
test_io_window (void)
{
  Eh h;
  uint8_t b[4] = { E1K_STATUS, 0, 0, 0 };

  eh_init (&h, TRUE);
  vmm_e1000e_io_write (h.e, 0, b, 4);
  vmm_e1000e_io_read (h.e, 4, b, 4);
  g_assert_true (b[0] & 2);
  eh_clear (&h);
}

/* Rings outside RAM, heads past the end, descriptors pointing anywhere,
 * frames that never end: counted, never followed. */
static void
test_malformed (void)
{
  Eh h;
  VmmE1000eStats st;
  uint8_t f[200];
  size_t len;

  eh_init (&h, TRUE);
  setup_tx (&h, 8);
  eh_wr (&h, E1K_TDH, 100);
  eh_wr (&h, E1K_TDT, 3);
  g_assert_cmpuint (h.be->sent->len, ==, 0);
  eh_wr (&h, E1K_TDH, 0);
  eh_wr (&h, E1K_TDBAL, 0xfff00000u);
  eh_wr (&h, E1K_TDT, 3);
  g_assert_cmpuint (h.be->sent->len, ==, 0);
  eh_wr (&h, E1K_TDBAL, EH_TX_RING);
  eh_wr (&h, E1K_TDLEN, 0);
  eh_wr (&h, E1K_TDT, 2);
  eh_wr (&h, E1K_TDLEN, 8 * 16);
  /* A buffer outside RAM and a huge length: the frame is dropped. */
  tx_legacy_desc (&h, 0, 0xfffff000u, 100, E1K_TXD_EOP | E1K_TXD_RS, 0, 0);
  tx_legacy_desc (&h, 1, EH_TX_BUFS, 0xffff, E1K_TXD_EOP, 0, 0);
  /* A checksum field beyond the frame. */
  tx_legacy_desc (&h, 2, EH_TX_BUFS, 20, E1K_TXD_EOP | E1K_TXD_IC, 200, 0);
  eh_wr (&h, E1K_TDT, 3);
  vmm_e1000e_get_stats (h.e, &st);
  g_assert_cmpuint (st.bad_ring, >=, 3);
  g_assert_cmpuint (h.be->sent->len, ==, 1);               /* the 0xffff one is RAM */
  g_assert_cmpuint (st.tx_bad, ==, 2);
  /* A TSO context whose header is longer than the frame. */
  {
    uint8_t *d = h.ram + EH_TX_RING + 3 * 16;

    memset (d, 0, 32);
    put_le32 (d + 8, (uint32_t) (E1K_TXD_DEXT | E1K_TXD_TSE | E1K_TUCMD_TCP | E1K_TUCMD_IP) << 24);
    d[13] = 250;
    d[14] = 1;
    put_le32 (d + 16, EH_TX_BUFS);
    put_le32 (d + 24, 60 | 1u << 20 | (uint32_t) (E1K_TXD_DEXT | E1K_TXD_TSE | E1K_TXD_EOP) << 24);
    eh_wr (&h, E1K_TDT, 5);
    vmm_e1000e_get_stats (h.e, &st);
    g_assert_cmpuint (st.tx_bad, ==, 3);
  }

  /* Receive: a ring whose descriptors point outside RAM, a tail past the end. */
  setup_rx (&h, 8, TRUE, 0);
  put_le32 (h.ram + EH_RX_RING, 0xfffff800u);
  frame_udp (f, &len, eh_mac, 50);
  g_assert_cmpint (eh_receive (&h, f, len), ==, (ssize_t) len);
  vmm_e1000e_get_stats (h.e, &st);
  g_assert_cmpuint (st.rx_bad, ==, 1);
  eh_wr (&h, E1K_RDT, 1000);
  g_assert_cmpint (eh_receive (&h, f, len), <, 0);
  eh_wr (&h, E1K_RDT, 5);
  eh_wr (&h, E1K_RDLEN, 17);
  g_assert_cmpint (eh_receive (&h, f, len), <, 0);
  /* Unaligned and odd-sized register accesses. */
  {
    uint8_t b[8];

    vmm_e1000e_mmio_read (h.e, 0x1fffe, b, 4);
    vmm_e1000e_mmio_read (h.e, 3, b, 2);
    vmm_e1000e_mmio_write (h.e, 0x1ffff, b, 8);
    vmm_e1000e_mmio_read (h.e, 0x20000, b, 4);
    g_assert_cmpuint (b[0], ==, 0xff);
  }
  eh_clear (&h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/e1000e/reset-eeprom", test_reset_eeprom);
  g_test_add_func ("/e1000e/phy-link", test_phy_link);
  g_test_add_func ("/e1000e/tx-legacy", test_tx_legacy);
  g_test_add_func ("/e1000e/tx-tso", test_tx_tso);
  g_test_add_data_func ("/e1000e/rx-legacy", GINT_TO_POINTER (FALSE), test_rx);
  g_test_add_data_func ("/e1000e/rx-extended", GINT_TO_POINTER (TRUE), test_rx);
  g_test_add_func ("/e1000e/rx-multi-crc", test_rx_multi_crc);
  g_test_add_func ("/e1000e/rx-no-buffers", test_rx_no_buffers);
  g_test_add_func ("/e1000e/msix", test_msix);
  g_test_add_func ("/e1000e/msi", test_msi);
  g_test_add_func ("/e1000e/io-window", test_io_window);
  g_test_add_func ("/e1000e/malformed", test_malformed);
  return g_test_run ();
}
