/* fw-cfg-guest.h: the test acting as firmware on a fw_cfg device: guest
 * RAM in a buffer, the port interface, and DMA requests written into that
 * RAM the way SeaBIOS and OVMF write them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <string.h>

#include "firmware/fw-cfg.h"

#define GUEST_RAM_BASE 0x1000ull
#define GUEST_RAM_SIZE 0x100000ull

typedef struct {
  uint8_t *ram;
  VmmGuestMem mem;
  VmmFwCfg *fw;
} Guest;

static inline void
guest_init (Guest *g)
{
  g->ram = g_malloc0 (GUEST_RAM_SIZE);
  vmm_guest_mem_init (&g->mem);
  g_assert_cmpint (vmm_guest_mem_add (&g->mem, GUEST_RAM_BASE, GUEST_RAM_SIZE, g->ram), ==, 0);
  g->fw = vmm_fw_cfg_new (&g->mem);
}

static inline void
guest_clear (Guest *g)
{
  vmm_fw_cfg_free (g->fw);
  g_free (g->ram);
}

static inline uint8_t *
guest_ptr (Guest *g, uint64_t gpa)
{
  g_assert_cmphex (gpa, >=, GUEST_RAM_BASE);
  g_assert_cmphex (gpa, <, GUEST_RAM_BASE + GUEST_RAM_SIZE);
  return g->ram + (gpa - GUEST_RAM_BASE);
}

static inline void
be32_put (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) (v >> 24);
  p[1] = (uint8_t) (v >> 16);
  p[2] = (uint8_t) (v >> 8);
  p[3] = (uint8_t) v;
}

static inline uint32_t
be32_get (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static inline void
guest_select (Guest *g, uint16_t key)
{
  uint8_t d[2] = { (uint8_t) key, (uint8_t) (key >> 8) };

  vmm_fw_cfg_pio_write (g->fw, VMM_FW_CFG_PORT_SELECTOR, d, 2);
}

static inline void
guest_read_data (Guest *g, uint8_t *buf, size_t len)
{
  for (size_t i = 0; i < len; i++)
    vmm_fw_cfg_pio_read (g->fw, VMM_FW_CFG_PORT_DATA, buf + i, 1);
}

/* Writes the DMA address register as firmware does: the high half at
 * 0x514, then the low half at 0x518, each a big-endian dword. */
static inline void
guest_dma_kick (Guest *g, uint64_t access_gpa)
{
  uint8_t hi[4], lo[4];

  be32_put (hi, (uint32_t) (access_gpa >> 32));
  be32_put (lo, (uint32_t) access_gpa);
  if (access_gpa >> 32)
    vmm_fw_cfg_pio_write (g->fw, VMM_FW_CFG_PORT_DMA, hi, 4);
  vmm_fw_cfg_pio_write (g->fw, VMM_FW_CFG_PORT_DMA + 4, lo, 4);
}

/* Builds a FWCfgDmaAccess at @access_gpa, starts it, and returns the
 * control word the device left there. */
static inline uint32_t
guest_dma (Guest *g, uint64_t access_gpa, uint32_t control, uint32_t length, uint64_t address)
{
  uint8_t *a = guest_ptr (g, access_gpa);

  be32_put (a, control);
  be32_put (a + 4, length);
  be32_put (a + 8, (uint32_t) (address >> 32));
  be32_put (a + 12, (uint32_t) address);
  guest_dma_kick (g, access_gpa);
  return be32_get (a);
}

/* Reads a whole file by name through the directory and DMA; returns its
 * contents (g_free) and size, or NULL when it is not listed. */
static inline uint8_t *
guest_read_file (Guest *g, const char *name, uint32_t *size, uint64_t scratch_gpa)
{
  uint8_t count_be[4];
  uint32_t count;

  guest_select (g, FW_CFG_FILE_DIR);
  guest_read_data (g, count_be, 4);
  count = be32_get (count_be);
  for (uint32_t i = 0; i < count; i++)
    {
      uint8_t e[64];
      uint16_t key;

      guest_read_data (g, e, sizeof e);
      if (strncmp ((const char *) e + 8, name, 56) != 0)
        continue;
      *size = be32_get (e);
      key = (uint16_t) (e[4] << 8 | e[5]);
      g_assert_cmpuint (guest_dma (g, scratch_gpa, (uint32_t) key << 16 | FW_CFG_DMA_CTL_SELECT
                                   | FW_CFG_DMA_CTL_READ, *size, scratch_gpa + 16), ==, 0);
      return g_memdup2 (guest_ptr (g, scratch_gpa + 16), *size);
    }
  return NULL;
}
