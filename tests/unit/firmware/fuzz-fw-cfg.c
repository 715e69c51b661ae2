/* fuzz-fw-cfg.c: the fw_cfg port and DMA interface under libFuzzer.
 *
 * The input is a script of port accesses; DMA requests point into a small
 * guest RAM whose first bytes the input also fills, so access structures,
 * control words, lengths and addresses are all fuzzer-chosen. ASan catches
 * any access outside that RAM or the device's items.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "firmware/fw-cfg.h"

#define RAM_BASE 0x1000ull
#define RAM_SIZE 0x2000ull

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const uint8_t widths[] = { 1, 2, 4 };
  uint8_t *ram = g_malloc0 (RAM_SIZE);
  g_autoptr(GBytes) ro = g_bytes_new_static ("read-only contents", 18);
  g_autoptr(GBytes) rw = g_bytes_new_static ("writable", 8);
  VmmGuestMem mem;
  VmmFwCfg *fw;
  size_t seed = MIN (size, 256);

  vmm_guest_mem_init (&mem);
  vmm_guest_mem_add (&mem, RAM_BASE, RAM_SIZE, ram);
  memcpy (ram, data, seed);
  data += seed;
  size -= seed;

  fw = vmm_fw_cfg_new (&mem);
  vmm_fw_cfg_set_u64 (fw, FW_CFG_RAM_SIZE, RAM_SIZE);
  vmm_fw_cfg_add_file (fw, "etc/ro", ro, FALSE);
  vmm_fw_cfg_add_file (fw, "etc/rw", rw, TRUE);

  /* Each step: op byte (bit 0 write, bits 1-2 width, bits 3-7 port
   * offset 0..11 from 0x510), then up to 4 data bytes. */
  while (size >= 5)
    {
      uint8_t op = data[0];
      unsigned len = widths[(op >> 1) % G_N_ELEMENTS (widths)];
      uint16_t port = (uint16_t) (VMM_FW_CFG_PORT_SELECTOR + (op >> 3) % 12);
      uint8_t buf[4];

      memcpy (buf, data + 1, 4);
      if (op & 1)
        vmm_fw_cfg_pio_write (fw, port, buf, len);
      else
        vmm_fw_cfg_pio_read (fw, port, buf, len);
      if (op == 0xff)
        vmm_fw_cfg_reset (fw);
      data += 5;
      size -= 5;
    }

  vmm_fw_cfg_free (fw);
  g_free (ram);
  return 0;
}
