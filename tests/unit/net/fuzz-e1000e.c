/* fuzz-e1000e.c: register writes, descriptors and frames from the fuzzer
 * against the e1000e model: whatever the guest programs, the device
 * touches nothing outside guest RAM.
 *
 * The input is a sequence of 7-byte operations: kind, register (2 bytes,
 * scaled to dwords), value (4 bytes). Kind selects a register write, a
 * read, a received frame, or 16 bytes of RAM (descriptor rings and
 * buffers live there). Rings start near valid so that the fuzzer reaches
 * descriptor parsing quickly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "e1k-harness.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const uint32_t hot[] = {
    E1K_CTRL, E1K_ICR, E1K_ICS, E1K_IMS, E1K_IMC, E1K_IVAR, E1K_RCTL, E1K_TCTL,
    E1K_RDBAL, E1K_RDLEN, E1K_RDH, E1K_RDT, E1K_TDBAL, E1K_TDLEN, E1K_TDH, E1K_TDT,
    E1K_RFCTL, E1K_RXCSUM, E1K_MDIC, E1K_EERD, E1K_EECD, E1K_CTRL_EXT, E1K_EIAC, E1K_IAM,
  };
  Eh h;

  eh_init (&h, (size & 1) != 0);
  for (unsigned i = 0; i < 64; i++)
    {
      uint8_t *d = h.ram + EH_TX_RING + i * 16;

      d[0] = (uint8_t) (i * 64);
      d[1] = (uint8_t) (EH_TX_BUFS >> 8);
      d[2] = (uint8_t) (EH_TX_BUFS >> 16);
      d[8] = 60;
      d[11] = E1K_TXD_EOP | E1K_TXD_RS;
      h.ram[EH_RX_RING + i * 16 + 2] = (uint8_t) (EH_RX_BUFS >> 16);
    }
  eh_wr (&h, E1K_TDBAL, EH_TX_RING);
  eh_wr (&h, E1K_TDLEN, 1024);
  eh_wr (&h, E1K_RDBAL, EH_RX_RING);
  eh_wr (&h, E1K_RDLEN, 1024);
  eh_wr (&h, E1K_RDT, 63);
  eh_wr (&h, E1K_RCTL, E1K_RCTL_EN | E1K_RCTL_UPE | E1K_RCTL_MPE);
  eh_wr (&h, E1K_TCTL, E1K_TCTL_EN);
  if (size & 2)
    eh_enable_msix (&h);

  while (size >= 7)
    {
      uint8_t kind = data[0];
      uint32_t reg = (uint32_t) (data[1] | data[2] << 8);
      uint32_t v = (uint32_t) data[3] | (uint32_t) data[4] << 8 | (uint32_t) data[5] << 16
                   | (uint32_t) data[6] << 24;

      data += 7;
      size -= 7;
      switch (kind & 7)
        {
        case 0: case 1:
          eh_wr (&h, hot[reg % G_N_ELEMENTS (hot)], v);
          break;
        case 2:
          eh_wr (&h, (reg * 4) % E1K_MMIO_SIZE, v);
          break;
        case 3:
          (void) eh_rd (&h, (reg * 4) % E1K_MMIO_SIZE);
          break;
        case 4: case 5:
          {
            /* A descriptor or buffer word in the rings' area. */
            uint32_t at = EH_RX_RING + (reg % 0x2000u) * 4;

            memcpy (h.ram + at, data - 4, 4);
          }
          break;
        case 6:
          {
            /* A frame to receive, built from what follows. */
            uint8_t f[1600];
            size_t len = MIN (size, (size_t) (v % sizeof f));

            memcpy (f, eh_mac, 6);
            if (len > 0)
              memcpy (f, data, len);
            if (len >= VMM_NET_MIN_FRAME)
              (void) eh_receive (&h, f, len);
          }
          break;
        default:
          {
            uint8_t b[8];

            vmm_e1000e_mmio_read (h.e, v % (E1K_MMIO_SIZE + 8), b, (reg % 8) + 1);
            vmm_e1000e_mmio_write (h.e, reg * 3u, b, (v % 8) + 1);
            vmm_e1000e_io_write (h.e, reg % 8, data - 4, 4);
          }
          break;
        }
      h.be->full = (kind & 0x80) != 0;
      if (!h.be->full && h.be->peer != NULL && (kind & 0x40))
        h.be->peer->tx_resume (h.be->peer_opaque);
    }
  eh_clear (&h);
  return 0;
}
